#!/usr/bin/env bash
# Side by side in one run: metapool's three-level REML fit (examples/multilevel_timing.rs)
# and metafor's rma.mv (benches/compare/multilevel_metafor.R) on the same 10,000 effects in
# 1,000 clusters with two moderators (benches/multilevel_common/data.rs).
#   benches/compare/multilevel.sh [K] [REPEATS]
set -euo pipefail
cd "$(dirname "$0")/../.."
K="${1:-10000}"
R="${2:-3}"
cargo build --release --example multilevel_timing >/dev/null 2>&1
"${CARGO_TARGET_DIR:-target}/release/examples/multilevel_timing" "$K" "$R"
Rscript benches/compare/multilevel_metafor.R "$K" "$R"
