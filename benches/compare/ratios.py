#!/usr/bin/env python3
"""The ratio table of issue 17, measured in one run on one machine.

For k = 2, 3, 5, 10, 30, 100 it writes one dataset of N analyses of k studies (the same
generator as compare.py), times the fully vectorised numpy DL of compare.py on it (process CPU
time, best of R), and runs examples/simd_ratios.rs on the same files: metapool's batch path
with DerSimonian-Laird and exact REML at every SIMD level the CPU has, one DL analysis of
10,000,000 studies against a plain Rust pass summing the same two arrays, and par_pool on 1
and 2 threads. (compare.py checks numpy's DL figures against metapool's; this script only times
them.) Prints a Markdown table. Not part of CI. Usage:

    python3 benches/compare/ratios.py [--analyses N] [--huge H] [--repeats R] [--workdir DIR] [--exe PATH]
                                      [--before PATH]

With --before (another build of simd_ratios, e.g. of an earlier commit) it also runs that build on
the same files, right after, and prints its rates and the speed-up (this build / that one).
"""
import argparse
import json
import os
import subprocess
import time

from compare import numpy_dl, ROOT

KS = [2, 3, 5, 10, 30, 100]


def best_cpu(f, repeats):
    best = float("inf")
    for _ in range(repeats):
        c = time.process_time()
        f()
        best = min(best, time.process_time() - c)
    return best


def main():
    import numpy as np

    ap = argparse.ArgumentParser()
    ap.add_argument("--analyses", type=int, default=1_000_000)
    ap.add_argument("--huge", type=int, default=10_000_000)
    ap.add_argument("--repeats", type=int, default=5)
    ap.add_argument("--workdir", default="/tmp/metapool-ratios")
    ap.add_argument("--exe", help="a built simd_ratios example (default: build it)")
    ap.add_argument("--before", help="another build of simd_ratios to compare with (same files, same run)")
    a = ap.parse_args()
    wd = a.workdir
    os.makedirs(wd, exist_ok=True)
    z_crit = 1.959963984540054
    rng = np.random.default_rng(20261207)
    numpy_rate = {}
    data = {}
    for k in KS:
        # the same number of studies for every k (N analyses at k = 10)
        n = a.analyses * 10 // k
        mu = rng.uniform(-0.5, 0.5, size=(n, 1))
        tau = np.array([0.0, 0.1, 0.3])[np.arange(n) % 3][:, None]
        v = rng.uniform(0.01, 0.21, size=(n, k))
        y = mu + tau * rng.standard_normal((n, k)) + np.sqrt(v) * rng.standard_normal((n, k))
        y.astype("<f8").tofile(os.path.join(wd, f"y_{k}.f64"))
        v.astype("<f8").tofile(os.path.join(wd, f"v_{k}.f64"))
        numpy_rate[k] = n / best_cpu(lambda: numpy_dl(y, v, z_crit), a.repeats)
        data[k] = (y, v)
    vh = rng.uniform(0.01, 0.21, size=a.huge)
    yh = 0.1 + 0.2 * rng.standard_normal(a.huge) + np.sqrt(vh) * rng.standard_normal(a.huge)
    yh.astype("<f8").tofile(os.path.join(wd, "y_huge.f64"))
    vh.astype("<f8").tofile(os.path.join(wd, "v_huge.f64"))

    exe = a.exe
    if exe is None:
        subprocess.run(["cargo", "build", "-q", "--release", "--features", "rayon", "--example", "simd_ratios"],
                       cwd=ROOT, check=True)
        target = os.environ.get("CARGO_TARGET_DIR", os.path.join(ROOT, "target"))
        exe = os.path.join(target, "release", "examples", "simd_ratios")
    def run(exe):
        return json.loads(subprocess.run([exe, wd, str(a.repeats)] + [str(k) for k in KS],
                                         capture_output=True, text=True, check=True).stdout)

    r = run(exe)
    before = run(a.before) if a.before else None
    flags = sorted({f for line in open("/proc/cpuinfo") if line.startswith("flags")
                    for f in line.split()[2:] if f.startswith("avx") or f == "fma"})
    print(f"CPU flags: {' '.join(flags)}; {os.cpu_count()} cores")
    print()
    print("| k | analyses | level | DL analyses/s | REML analyses/s | numpy DL analyses/s | DL / numpy | REML / numpy | REML / DL |")
    print("|---:|---:|---|---:|---:|---:|---:|---:|---:|")
    by = {}
    for row in r["rows"]:
        by[(row["k"], row["level"], row["estimator"])] = row
    for k in KS:
        for level in sorted({row["level"] for row in r["rows"]}):
            dl, reml = by[(k, level, "DL")], by[(k, level, "REML")]
            dl_rate, reml_rate = dl["n"] / dl["cpu"], reml["n"] / reml["cpu"]
            print(f"| {k} | {dl['n']:,} | {level} | {dl_rate:,.0f} | {reml_rate:,.0f} | {numpy_rate[k]:,.0f} | "
                  f"{dl_rate / numpy_rate[k]:.2f} | {reml_rate / numpy_rate[k]:.2f} | {reml_rate / dl_rate:.2f} |")
    print()
    print(f"k = {r['huge_k']:,} DL: {r['huge_cpu'] * 1e3:.1f} ms CPU, plain summing pass {r['sum_cpu'] * 1e3:.1f} ms "
          f"(ratio {r['huge_cpu'] / r['sum_cpu']:.2f}); wall {r['huge_wall'] * 1e3:.1f} vs {r['sum_wall'] * 1e3:.1f} ms "
          f"(ratio {r['huge_wall'] / r['sum_wall']:.2f})")
    if "par_1_wall" in r:
        n10 = a.analyses
        print(f"par_pool k = 10, {n10:,} analyses: 1 thread {n10 / r['par_1_wall']:,.0f}/s, 2 threads "
              f"{n10 / r['par_2_wall']:,.0f}/s (wall; speed-up {r['par_1_wall'] / r['par_2_wall']:.2f})")
    if before is not None:
        print()
        print(f"Before ({a.before}), the same files, run right after:")
        print()
        print("| k | level | DL analyses/s before | DL speed-up | REML analyses/s before | REML speed-up |")
        print("|---:|---|---:|---:|---:|---:|")
        old = {(row["k"], row["level"], row["estimator"]): row for row in before["rows"]}
        for k in KS:
            for level in sorted({row["level"] for row in r["rows"]}):
                cells = []
                for est in ("DL", "REML"):
                    new_row, old_row = by[(k, level, est)], old[(k, level, est)]
                    cells += [f"{old_row['n'] / old_row['cpu']:,.0f}", f"{old_row['cpu'] / new_row['cpu']:.2f}"]
                print(f"| {k} | {level} | " + " | ".join(cells) + " |")
        print()
        print(f"k = {before['huge_k']:,} DL before: {before['huge_cpu'] * 1e3:.1f} ms CPU, plain summing pass "
              f"{before['sum_cpu'] * 1e3:.1f} ms (ratio {before['huge_cpu'] / before['sum_cpu']:.2f})")


if __name__ == "__main__":
    main()
