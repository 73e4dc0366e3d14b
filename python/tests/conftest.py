"""Shared helpers: the metafor fixtures of the Rust tests (fixtures/metafor/*.json) and the
comparison rules of those tests."""

import json
import math
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
FIXTURES = ROOT / "fixtures" / "metafor"


def load(name):
    with open(FIXTURES / f"{name}.json", encoding="utf-8") as f:
        return json.load(f)


class Checker:
    """Collects every comparison; fails listing all mismatches (as the Rust tests' trackers).

    ``close(what, ours, theirs, rel, floor=0, zero_abs=None)``:
    ``|ours - theirs| <= rel * max(|ours|, |theirs|, floor)``, or when ``zero_abs`` is given and
    the reference is exactly 0, ``|ours| <= zero_abs``.
    """

    def __init__(self):
        self.failures = []
        self.checked = 0
        self.worst = 0.0

    def close(self, what, ours, theirs, rel, floor=0.0, zero_abs=None):
        self.checked += 1
        ours, theirs = float(ours), float(theirs)
        if zero_abs is not None and theirs == 0.0:
            if abs(ours) > zero_abs:
                self.failures.append(f"{what}: ours {ours:e}, metafor 0 (abs > {zero_abs:e})")
            return
        scale = max(abs(ours), abs(theirs), floor)
        d = abs(ours - theirs)
        r = d / scale if scale > 0 else d
        self.worst = max(self.worst, r)
        if not (d <= rel * scale) or math.isnan(ours):
            self.failures.append(f"{what}: ours {ours!r}, metafor {theirs!r} (rel {r:.2e} > {rel:.0e})")

    def all(self, what, ours, theirs, rel, **kw):
        assert len(ours) == len(theirs), f"{what}: length {len(ours)} vs {len(theirs)}"
        for i, (a, b) in enumerate(zip(ours, theirs)):
            self.close(f"{what}[{i}]", a, b, rel, **kw)

    def done(self, min_checked=1):
        assert not self.failures, f"{len(self.failures)} mismatches:\n" + "\n".join(self.failures[:40])
        assert self.checked >= min_checked, f"only {self.checked} numbers compared"


@pytest.fixture
def checker():
    return Checker()
