#!/usr/bin/env python3
"""Side-by-side comparison of metapool's batch path with metafor, statsmodels, numpy and plink 1.9.

One dataset, one run, one machine:
  * many-small: N analyses of K studies (default 1,000,000 x 10), FE + DL + Q test + CI + p;
  * huge: one analysis of H studies (default 10,000,000), DL.
Timed:
  * metapool BatchPooler::pool (one core; and par_pool over all cores, rayon feature), REML too;
  * a plain Rust pass summing both columns (the memory-bandwidth floor);
  * a fully vectorised numpy DL (the whole batch as (N, K) arrays), and a plain numpy sum;
  * statsmodels combine_effects(method_re="dl") in a loop over a sample of analyses;
  * metafor rma(method="DL") and rma(method="REML") in a loop over a sample (R);
  * plink 1.9 --meta-analysis on K per-cohort text files (the per-variant case), including its
    reading of the text files.
Sampled tools are extrapolated to N analyses (said so in the output). Every tool's numbers are
checked against metapool's before any time is printed; a disagreement stops the script.

Installs what it needs (pip: numpy scipy statsmodels pandas; apt: plink1.9, r-base-core,
r-cran-metafor) unless present. Not part of CI. Usage:

    python3 benches/compare/compare.py [--analyses N] [--k K] [--huge H] [--repeats R]
        [--sample-r 300] [--sample-sm 2000] [--plink-variants 200000] [--workdir DIR]
"""
import argparse
import json
import os
import shutil
import subprocess
import sys
import time

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def sh(cmd, **kw):
    return subprocess.run(cmd, check=True, **kw)


def ensure_tools():
    try:
        import numpy, scipy, statsmodels, pandas  # noqa: F401
    except ImportError:
        sh([sys.executable, "-m", "pip", "install", "-q", "numpy", "scipy", "statsmodels", "pandas"])
    need = []
    if shutil.which("plink1.9") is None:
        need.append("plink1.9")
    if shutil.which("Rscript") is None:
        need += ["r-base-core", "r-cran-metafor"]
    elif subprocess.run(["Rscript", "-e", "library(metafor)"], capture_output=True).returncode != 0:
        need.append("r-cran-metafor")
    if need:
        sh(["apt-get", "update", "-qq"])
        sh(["apt-get", "install", "-y", "-qq"] + need)


def best_median(f, repeats):
    """Best and median wall time, best CPU time of this process (which leaves out waiting for a
    core on a shared machine), and f's last result."""
    ts, cs = [], []
    out = None
    for _ in range(repeats):
        t, c = time.perf_counter(), time.process_time()
        out = f()
        ts.append(time.perf_counter() - t)
        cs.append(time.process_time() - c)
    ts.sort()
    return ts[0], ts[len(ts) // 2], min(cs), out


def numpy_dl(y, v, z_crit):
    """FE + DL + Q test + CI + p for every row of (N, K) arrays, vectorised."""
    import numpy as np
    from scipy.special import chdtrc, ndtr

    k = y.shape[1]
    w = 1.0 / v
    sw = w.sum(axis=1)
    mu = (w * y).sum(axis=1) / sw
    d = y - mu[:, None]
    q = (w * d * d).sum(axis=1)
    sw2 = (w * w).sum(axis=1)
    c = sw - sw2 / sw
    tau2 = np.maximum(0.0, (q - (k - 1)) / c)
    ws = 1.0 / (v + tau2[:, None])
    sws = ws.sum(axis=1)
    mur = (ws * y).sum(axis=1) / sws
    ser = 1.0 / np.sqrt(sws)
    se = 1.0 / np.sqrt(sw)
    out = {
        "fixed_estimate": mu,
        "fixed_se": se,
        "fixed_p": 2.0 * ndtr(-np.abs(mu / se)),
        "random_estimate": mur,
        "random_se": ser,
        "random_p": 2.0 * ndtr(-np.abs(mur / ser)),
        "random_ci_lower": mur - z_crit * ser,
        "tau2": tau2,
        "q": q,
        "q_p": chdtrc(k - 1, q),
        "i2": np.where(q > k - 1, 100.0 * (q - (k - 1)) / q, 0.0),
    }
    return out


def rel_err(a, b, floor=0.0):
    import numpy as np

    a, b = np.asarray(a, dtype=float), np.asarray(b, dtype=float)
    return float(np.max(np.abs(a - b) / np.maximum(np.abs(b), floor)))


def check(name, got, want, tol, floor=1e-300):
    e = rel_err(got, want, floor)
    status = "ok" if e <= tol else "DISAGREES"
    print(f"  check {name:<44} max rel diff {e:.2e} (tolerance {tol:.0e}) {status}")
    if e > tol:
        sys.exit(f"{name}: tool and metapool disagree; no times printed")


def check_abs(name, got, want, tol):
    import numpy as np

    e = float(np.max(np.abs(np.asarray(got, dtype=float) - np.asarray(want, dtype=float))))
    status = "ok" if e <= tol * (1 + 1e-9) else "DISAGREES"
    print(f"  check {name:<44} max abs diff {e:.2e} (tolerance {tol:.0e}) {status}")
    if status != "ok":
        sys.exit(f"{name}: tool and metapool disagree; no times printed")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--analyses", type=int, default=1_000_000)
    ap.add_argument("--k", type=int, default=10)
    ap.add_argument("--huge", type=int, default=10_000_000)
    ap.add_argument("--repeats", type=int, default=5)
    ap.add_argument("--sample-r", type=int, default=300)
    ap.add_argument("--sample-sm", type=int, default=2000)
    ap.add_argument("--plink-variants", type=int, default=200_000)
    ap.add_argument("--workdir", default="/tmp/metapool-compare")
    ap.add_argument("--no-install", action="store_true")
    a = ap.parse_args()
    if not a.no_install:
        ensure_tools()
    import numpy as np
    import pandas as pd

    os.makedirs(a.workdir, exist_ok=True)
    wd = a.workdir
    n, k = a.analyses, a.k
    z_crit = 1.959963984540054

    # ---- one dataset
    rng = np.random.default_rng(20261123)
    mu = rng.uniform(-0.5, 0.5, size=(n, 1))
    tau = np.array([0.0, 0.1, 0.3])[np.arange(n) % 3][:, None]
    v = rng.uniform(0.01, 0.21, size=(n, k))
    y = mu + tau * rng.standard_normal((n, k)) + np.sqrt(v) * rng.standard_normal((n, k))
    y.astype("<f8").tofile(os.path.join(wd, "y.f64"))
    v.astype("<f8").tofile(os.path.join(wd, "v.f64"))
    vh = rng.uniform(0.01, 0.21, size=a.huge)
    yh = 0.1 + 0.2 * rng.standard_normal(a.huge) + np.sqrt(vh) * rng.standard_normal(a.huge)
    yh.astype("<f8").tofile(os.path.join(wd, "y_huge.f64"))
    vh.astype("<f8").tofile(os.path.join(wd, "v_huge.f64"))
    print(f"dataset: {n} analyses of k = {k}; one analysis of k = {a.huge}; {os.cpu_count()} cores")

    # ---- metapool (release build, rayon feature)
    sh(["cargo", "build", "-q", "--release", "--features", "rayon", "--example", "compare_run"], cwd=ROOT)
    exe = os.path.join(ROOT, "target", "release", "examples", "compare_run")
    mp_t = json.loads(sh([exe, wd, str(k), str(a.repeats)], capture_output=True, text=True).stdout)

    def mp(name, count=None):
        x = np.fromfile(os.path.join(wd, f"metapool_{name}.f64"), dtype="<f8")
        return x if count is None else x[:count]

    results = []  # (tool, analyses/s best, analyses/s median, note)

    # ---- numpy, vectorised
    print("numpy (vectorised DL) ...")
    tb, tm, tc, npo = best_median(lambda: numpy_dl(y, v, z_crit), max(3, a.repeats))
    for key in npo:
        tol = 1e-8 if key in ("tau2",) else 1e-10
        # near-zero values compared absolutely: tau2 and I2 near 0 come from Q - (k - 1), which
        # cancels; a CI bound near 0 from mu - z se
        floor = {"tau2": 1e-12, "i2": 1.0, "random_ci_lower": 1e-3}.get(key, 1e-300)
        check(f"numpy {key}", npo[key], mp(key), tol, floor)
    results.append(("numpy vectorised DL", n / tc, n / tb, n / tm, "whole batch as (N, K) arrays"))
    sb, sm_, sc, _ = best_median(lambda: float(y.sum() + v.sum()), a.repeats)
    results.append(("numpy plain sum of y and v", n / sc, n / sb, n / sm_, "memory floor in numpy"))

    # ---- statsmodels, sampled
    from statsmodels.stats.meta_analysis import combine_effects

    m = min(a.sample_sm, n)
    print(f"statsmodels combine_effects(dl) on {m} analyses ...")
    t, c = time.perf_counter(), time.process_time()
    with np.errstate(invalid="ignore"):
        sm_out = [combine_effects(y[i], v[i], method_re="dl") for i in range(m)]
    dt, dc = time.perf_counter() - t, time.process_time() - c
    check("statsmodels fixed estimate", [r.mean_effect_fe for r in sm_out], mp("fixed_estimate", m), 1e-10)
    check("statsmodels Q (one-pass formula)", [r.q for r in sm_out], mp("q", m), 1e-8)
    # statsmodels 0.15 does not truncate the DL tau2 at 0 (it pools with a negative tau2 when
    # Q < k - 1): its random-effects figures are compared where tau2 > 0 only.
    pos = np.array([r.tau2 > 0 for r in sm_out])
    print(f"  statsmodels: comparing random effects on the {pos.sum()} of {m} analyses with tau2 > 0")
    check("statsmodels random estimate (tau2 > 0)", np.array([r.mean_effect_re for r in sm_out])[pos],
          mp("random_estimate", m)[pos], 1e-10)
    check("statsmodels random se (tau2 > 0)", np.array([r.sd_eff_w_re for r in sm_out])[pos],
          mp("random_se", m)[pos], 1e-10)
    check("statsmodels tau2 (tau2 > 0)", np.array([r.tau2 for r in sm_out])[pos], mp("tau2", m)[pos], 1e-8, 1e-12)
    results.append(("statsmodels combine_effects (dl)", m / dc, m / dt, m / dt, f"loop over {m}, extrapolated"))

    # ---- metafor, sampled
    r_n = min(a.sample_r, n)
    print(f"metafor rma DL and REML on {r_n} analyses ...")
    pd.DataFrame({"a": np.repeat(np.arange(r_n), k), "y": y[:r_n].ravel(), "v": v[:r_n].ravel()}).to_csv(
        os.path.join(wd, "sample.csv"), index=False, float_format="%.17g")
    r_script = os.path.join(os.path.dirname(os.path.abspath(__file__)), "metafor_loop.R")
    sh(["Rscript", r_script, wd], capture_output=True)
    rt = json.load(open(os.path.join(wd, "metafor_times.json")))
    rr = pd.read_csv(os.path.join(wd, "metafor_results.csv"))
    check("metafor DL estimate", rr["dl_b"], mp("random_estimate", r_n), 1e-10)
    check("metafor DL se", rr["dl_se"], mp("random_se", r_n), 1e-10)
    check("metafor DL p", rr["dl_p"], mp("random_p", r_n), 1e-10)
    check("metafor DL tau2", rr["dl_tau2"], mp("tau2", r_n), 1e-8, 1e-12)
    check("metafor Q", rr["dl_q"], mp("q", r_n), 1e-10)
    check("metafor Q p", rr["dl_qp"], mp("q_p", r_n), 1e-10)
    ok = rr["reml_ok"] == 1
    reml_m = min(r_n, mp_t["reml_analyses"])
    okm = ok.to_numpy()[:reml_m]
    check("metafor REML tau2 (converged ones)", rr["reml_tau2"][:reml_m][okm], mp("reml_tau2", reml_m)[okm], 1e-6, 1e-8)
    check("metafor REML estimate (converged ones)", rr["reml_b"][:reml_m][okm], mp("reml_estimate", reml_m)[okm], 1e-8)
    mp_reml_tau2 = mp("reml_tau2", reml_m)
    robust_tau2 = mp("reml_robust_tau2", reml_m)
    failed = int((~ok).sum())
    # metapool with metafor's default control mirrors metafor's Fisher scoring (and its
    # failures); with half steps and 1000 iterations it converges where metafor did not
    print(f"  metafor REML: {failed} of {r_n} did not converge; metapool (default control) failed on "
          f"{int(np.sum(~np.isfinite(mp_reml_tau2[~okm])))} of them, (stepadj 0.5, maxiter 1000) on "
          f"{int(np.sum(~np.isfinite(robust_tau2[~okm])))}")
    # both stop when a step changes tau2 by < 1e-5 (metafor's threshold), so they agree to
    # about that, absolutely
    check_abs("metafor REML tau2 vs metapool stepadj 0.5", rr["reml_tau2"][:reml_m][okm],
              robust_tau2[okm], 1e-4)
    rescued = int(np.sum(np.isfinite(robust_tau2[~okm])))
    results.append(("metafor rma(method='DL')", r_n / rt["dl_cpu"], r_n / rt["dl"], r_n / rt["dl"],
                    f"loop over {r_n}, extrapolated"))
    results.append(("metafor rma(method='REML')", r_n / rt["reml_cpu"], r_n / rt["reml"], r_n / rt["reml"],
                    f"loop over {r_n}, extrapolated; {failed} did not converge, metapool (stepadj 0.5) converged on {rescued} of them"))

    # ---- plink 1.9, per-variant
    pv = min(a.plink_variants, n)
    print(f"plink 1.9 --meta-analysis on {pv} variants x {k} cohorts ...")
    files = []
    snp = np.char.add("rs", np.arange(pv).astype(str))
    for c in range(k):
        f = os.path.join(wd, f"cohort{c}.assoc")
        pd.DataFrame({"SNP": snp, "BETA": y[:pv, c], "SE": np.sqrt(v[:pv, c])}).to_csv(
            f, sep=" ", index=False, float_format="%.17g")
        files.append(f)
    out_prefix = os.path.join(wd, "plink")
    import resource

    r0 = resource.getrusage(resource.RUSAGE_CHILDREN)
    t = time.perf_counter()
    sh(["plink1.9", "--meta-analysis"] + files + ["+", "qt", "no-map", "--out", out_prefix],
       capture_output=True)
    dt = time.perf_counter() - t
    r1 = resource.getrusage(resource.RUSAGE_CHILDREN)
    dc = (r1.ru_utime - r0.ru_utime) + (r1.ru_stime - r0.ru_stime)
    meta = pd.read_csv(out_prefix + ".meta", sep=r"\s+")
    idx = meta["SNP"].str[2:].astype(int).to_numpy()
    # plink prints BETA and Q's p with 4 decimals, P with 4 significant digits, I with 2
    # decimals: compared to metapool within half a unit of the last printed digit.
    check_abs("plink fixed BETA (4 decimals)", meta["BETA"], mp("fixed_estimate")[idx], 0.5e-4)
    check_abs("plink random BETA(R) (4 decimals)", meta["BETA(R)"], mp("random_estimate")[idx], 0.5e-4)
    check("plink fixed P (4 significant digits)", meta["P"], mp("fixed_p")[idx], 0.5e-3)
    check("plink random P(R) (4 significant digits)", meta["P(R)"], mp("random_p")[idx], 0.5e-3)
    check_abs("plink Q-test p (4 decimals)", meta["Q"], mp("q_p")[idx], 0.5e-4)
    check_abs("plink I2 (2 decimals)", meta["I"], mp("i2")[idx], 0.5e-2)
    results.append(("plink 1.9 --meta-analysis", pv / dc, pv / dt, pv / dt, f"{pv} variants, reading {k} text files"))

    # ---- metapool
    nan = float("nan")
    rn = mp_t["reml_analyses"]
    results.insert(0, ("metapool BatchPooler::pool (1 core)", n / mp_t["dl_cpu_best"], n / mp_t["dl_best"],
                       n / mp_t["dl_median"], f"best / median of {a.repeats}"))
    if mp_t["par_best"] == mp_t["par_best"]:
        results.insert(1, (f"metapool par_pool ({os.cpu_count()} cores, rayon)", nan, n / mp_t["par_best"],
                           n / mp_t["par_median"], "all cores, shared with other work"))
    results.insert(2, ("metapool REML, metafor's default control (1 core)", rn / mp_t["reml_cpu_best"],
                       rn / mp_t["reml_best"], rn / mp_t["reml_median"],
                       f"{rn} analyses, {mp_t['reml_failed']} did not converge"))
    results.insert(3, ("metapool REML, stepadj 0.5, maxiter 1000 (1 core)", rn / mp_t["robust_cpu_best"],
                       rn / mp_t["robust_best"], rn / mp_t["robust_median"],
                       f"{rn} analyses, {mp_t['robust_failed']} did not converge"))
    results.append(("plain Rust sum of y and v", n / mp_t["sum_cpu_best"], n / mp_t["sum_best"],
                    n / mp_t["sum_median"], "memory floor"))

    # ---- huge
    print(f"huge: one analysis of k = {a.huge}")
    hb, hm, hc, _ = best_median(lambda: numpy_dl(yh[None, :], vh[None, :], z_crit), 3)
    nh = numpy_dl(yh[None, :], vh[None, :], z_crit)
    h = mp("huge")
    check("numpy huge fixed estimate", nh["fixed_estimate"], h[0:1], 1e-10)
    check("numpy huge random estimate", nh["random_estimate"], h[2:3], 1e-10)
    check("numpy huge tau2", nh["tau2"], h[4:5], 1e-8)
    hs, _, hsc, _ = best_median(lambda: float(yh.sum() + vh.sum()), 3)

    one = n / mp_t["dl_cpu_best"]
    print()
    print(f"## Many small analyses: {n:,} analyses of k = {k} (FE + DL + Q test + CI + p), {os.cpu_count()} cores")
    print()
    print("Throughput from CPU time (the process's own time on a core, best run) and from wall time "
          "(best, median); the ratio is metapool's CPU-time throughput over the tool's.")
    print()
    print("| tool | analyses/s, CPU time | analyses/s, wall best | analyses/s, wall median | metapool / tool | note |")
    print("|---|---:|---:|---:|---:|---|")
    for name, c, b, md, note in results:
        ratio = "" if c != c else f"{one / c:,.2f}"
        cs = "" if c != c else f"{c:,.0f}"
        print(f"| {name} | {cs} | {b:,.0f} | {md:,.0f} | {ratio} | {note} |")
    print()
    print(f"## One analysis of k = {a.huge:,} (DL)")
    print()
    print("| tool | CPU time (ms) | wall best (ms) | wall median (ms) | CPU time / plain Rust sum |")
    print("|---|---:|---:|---:|---:|")
    rows = [("metapool BatchPooler::pool", mp_t["huge_cpu_best"], mp_t["huge_best"], mp_t["huge_median"]),
            ("plain Rust sum of y and v", mp_t["huge_sum_cpu_best"], mp_t["huge_sum_best"], mp_t["huge_sum_median"]),
            ("numpy vectorised DL", hc, hb, hm),
            ("numpy plain sum", hsc, hs, hs)]
    for name, c, b, md in rows:
        print(f"| {name} | {1e3 * c:.1f} | {1e3 * b:.1f} | {1e3 * md:.1f} | {c / mp_t['huge_sum_cpu_best']:.1f} |")


if __name__ == "__main__":
    main()
