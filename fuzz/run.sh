#!/usr/bin/env bash
# Run the metapool fuzz targets one after another for a bounded time each.
#
#   fuzz/run.sh [SECONDS_PER_TARGET] [TARGET...]      (default: 60 s, every target)
#
# Needs cargo-fuzz (`cargo install cargo-fuzz`) and a nightly toolchain (`rustup toolchain
# install nightly`); without nightly it falls back to the stable toolchain with
# RUSTC_BOOTSTRAP=1. Targets are built without a sanitizer (`-s none`): metapool has no unsafe
# code, and the checks that matter (no panic, no NaN in a result) are assertions in the
# targets. Each run prints libFuzzer's final statistics; logs go to fuzz/logs/, crashes to
# fuzz/artifacts/<target>/ (turn each into a regression test in tests/fuzz_regressions.rs).
set -euo pipefail
cd "$(dirname "$0")"
secs="${1:-60}"
shift || true
targets=("$@")
if [ ${#targets[@]} -eq 0 ]; then
    targets=(effects pool tables deserialize report batch cli)
fi
if rustup toolchain list 2>/dev/null | grep -q '^nightly'; then
    fuzz=(cargo +nightly fuzz)
else
    export RUSTC_BOOTSTRAP=1
    fuzz=(cargo fuzz)
fi
mkdir -p logs
"${fuzz[@]}" build -O -s none
status=0
for t in "${targets[@]}"; do
    mkdir -p "corpus/$t"
    echo "== $t: ${secs}s"
    if ! "${fuzz[@]}" run -O -s none "$t" "corpus/$t" -- \
        -max_total_time="$secs" -timeout=10 -print_final_stats=1 -max_len=4096 >"logs/$t.log" 2>&1; then
        echo "!! $t crashed: see fuzz/logs/$t.log and fuzz/artifacts/$t/"
        status=1
    fi
    grep -E 'stat::number_of_executed_units|Done [0-9]+ runs' "logs/$t.log" || true
done
exit $status
