#!/usr/bin/env bash
# End to end from text: `metapool pool --by` (one CSV in, JSON out) against plink 1.9
# `--meta-analysis` (one text file per cohort in, its .meta table out) on the same analyses.
#
#   benches/compare/cli_vs_plink.sh [ANALYSES] [K] [WORKDIR] [REPEATS]
#   (defaults: 1000000 10 /tmp/metapool-cli-vs-plink 3)
#
# It generates the data set of compare.py (same seed and distributions: ANALYSES analyses of K
# studies, y and v), writes it once as the CLI's CSV (`sim,study,estimate,se`, shortest
# round-trip decimals) and once as plink's K cohort files (`SNP BETA SE`, one line per
# analysis, as compare.py writes them), checks that plink's fixed and random estimates, P values,
# Q-test p and I² agree with the CLI's JSON within plink's printed precision, then times both
# REPEATS times with /usr/bin/time (CPU = user + sys, wall, peak RSS) and prints best and median.
# The CLI runs with `--measure GENERIC --by sim --format json` and `--format csv` (default `--model auto`: fixed
# effect, DL random effects and the Q test, as plink's table) writing to a file in WORKDIR.
# Needs python3 with numpy, plink1.9 and a release build (cargo build --release -p metapool-cli).
# Not part of CI. The generated files (about 0.5 GB of CSV and 3.5 GB of JSON at the default
# size) stay in WORKDIR.
set -euo pipefail
N=${1:-1000000}
K=${2:-10}
WD=${3:-/tmp/metapool-cli-vs-plink}
REPEATS=${4:-3}
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
BIN=${METAPOOL_BIN:-$ROOT/target/release/metapool}
mkdir -p "$WD"
[ -x "$BIN" ] || (cd "$ROOT" && cargo build --release -p metapool-cli)
command -v plink1.9 >/dev/null || { echo "plink1.9 not found (apt install plink1.9)"; exit 1; }

python3 - "$N" "$K" "$WD" <<'PY'
import numpy as np, os, sys
n, k, wd = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3]
rng = np.random.default_rng(20261123)          # compare.py's seed and draws
mu = rng.uniform(-0.5, 0.5, size=(n, 1))
tau = np.array([0.0, 0.1, 0.3])[np.arange(n) % 3][:, None]
v = rng.uniform(0.01, 0.21, size=(n, k))
y = mu + tau * rng.standard_normal((n, k)) + np.sqrt(v) * rng.standard_normal((n, k))
se = np.sqrt(v)
with open(os.path.join(wd, "analyses.csv"), "w") as f:
    f.write("sim,study,estimate,se\n")
    for s in range(0, n, 100_000):
        e = min(n, s + 100_000)
        ids = np.repeat(np.arange(s, e), k).tolist()
        st = np.tile(np.arange(1, k + 1), e - s).tolist()
        f.write("".join(f"{a},{b},{c!r},{d!r}\n" for a, b, c, d in
                        zip(ids, st, y[s:e].ravel().tolist(), se[s:e].ravel().tolist())))
for c in range(k):
    with open(os.path.join(wd, f"cohort{c}.assoc"), "w") as f:
        f.write("SNP BETA SE\n")
        f.write("".join(f"rs{i} {a!r} {b!r}\n" for i, (a, b) in
                        enumerate(zip(y[:, c].tolist(), se[:, c].tolist()))))
print(f"data: {n} analyses x {k} studies; CSV {os.path.getsize(os.path.join(wd, 'analyses.csv'))/1e6:.0f} MB")
PY

COHORTS=$(for ((c = 0; c < K; c++)); do printf '%s ' "$WD/cohort$c.assoc"; done)
# Agreement first: no times unless both tools give the same answers.
"$BIN" pool --measure GENERIC --by sim --format json "$WD/analyses.csv" > "$WD/cli.json"
# shellcheck disable=SC2086 # COHORTS is a list of file names
plink1.9 --meta-analysis $COHORTS + qt no-map --out "$WD/plink" > /dev/null
python3 - "$WD" <<'PY'
import json, sys
wd = sys.argv[1]
meta = {}
with open(f"{wd}/plink.meta") as f:
    head = f.readline().split()
    for line in f:
        r = dict(zip(head, line.split()))
        meta[int(r["SNP"][2:])] = r
worst = {}
def check(name, got, want, tol, rel=False):
    d = abs(float(got) - want) / (abs(want) if rel else 1.0)
    worst[name] = max(worst.get(name, (0, tol))[0], d), tol
n = 0
with open(f"{wd}/cli.json") as f:
    for line in f:
        line = line.strip().rstrip(",")
        if not line.startswith('{"id"'):
            continue
        a = json.loads(line)
        r = meta[int(a["id"])]
        fx, rd = a["fixed"], a["random"]
        # plink prints BETA and Q with 4 decimals, P with 4 significant digits, I with 2 decimals.
        check("fixed BETA", r["BETA"], fx["estimate"], 0.5e-4)
        check("random BETA(R)", r["BETA(R)"], rd["estimate"], 0.5e-4)
        check("fixed P", r["P"], fx["p"], 0.5e-3, rel=True)
        check("random P(R)", r["P(R)"], rd["p"], 0.5e-3, rel=True)
        check("Q-test p", r["Q"], fx["q_p"], 0.5e-4)
        check("I2 (plink %)", r["I"], fx["i2"], 0.5e-2)
        n += 1
assert n == len(meta), (n, len(meta))
bad = False
for name, (d, tol) in worst.items():
    ok = d <= tol * (1 + 1e-9)
    bad |= not ok
    print(f"  agree {name:16s} max diff {d:.2e} (tolerance {tol:g}) {'ok' if ok else 'FAIL'}")
if bad:
    sys.exit("metapool and plink disagree; no times printed")
print(f"  {n} analyses agree")
PY

# Timing: CPU = user + sys of the process; best and median of REPEATS runs.
timeit() { # name stdout-file command...
    local name=$1 out=$2 i
    shift 2
    : > "$WD/$name.times"
    for ((i = 0; i < REPEATS; i++)); do
        /usr/bin/time -f "%U %S %e %M" -a -o "$WD/$name.times" "$@" > "$out"
    done
}
# shellcheck disable=SC2086 # COHORTS is a list of file names
timeit plink /dev/null plink1.9 --meta-analysis $COHORTS + qt no-map --out "$WD/plink"
timeit cli "$WD/cli.json" "$BIN" pool --measure GENERIC --by sim --format json "$WD/analyses.csv"
timeit cli_csv "$WD/cli.csv" "$BIN" pool --measure GENERIC --by sim --format csv "$WD/analyses.csv"
python3 - "$WD" "$N" "$K" <<'PY'
import statistics as st, sys
wd, n, k = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
res = {}
for name in ("cli", "cli_csv", "plink"):
    rows = [list(map(float, l.split())) for l in open(f"{wd}/{name}.times") if l.strip()]
    cpu = [u + s for u, s, _, _ in rows]
    wall = [w for _, _, w, _ in rows]
    res[name] = (min(cpu), st.median(cpu), min(wall), st.median(wall), max(r[3] for r in rows) / 1024)
print(f"| tool | analyses/s CPU best | CPU median | wall best | wall median | rows/s CPU best | peak RSS MB |")
print("| --- | ---: | ---: | ---: | ---: | ---: | ---: |")
label = {"cli": "metapool pool --by sim --format json", "cli_csv": "metapool pool --by sim --format csv", "plink": f"plink 1.9 --meta-analysis ({k} files)"}
for name, (cb, cm, wb, wm, rss) in res.items():
    print(f"| {label[name]} | {n/cb:,.0f} | {n/cm:,.0f} | {n/wb:,.0f} | {n/wm:,.0f} | {n*k/cb:,.0f} | {rss:,.0f} |")
print(f"metapool JSON / plink by best CPU time: {res['plink'][0] / res['cli'][0]:.2f}x")
print(f"metapool CSV / plink by best CPU time: {res['plink'][0] / res['cli_csv'][0]:.2f}x")
PY
