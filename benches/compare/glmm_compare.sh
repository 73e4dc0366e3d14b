#!/bin/sh
# One run: metapool's criterion bench of random-effects GLMMs on 20 tables, then metafor's
# rma.glmm on the same tables (glmm_tables.csv, written by the bench), with both estimates.
set -e
cd "$(dirname "$0")/../.."
cargo bench --bench glmm -- --warm-up-time 1 --measurement-time 3 2>&1 | grep -E "metapool|time:"
cd benches/compare && Rscript glmm_metafor.R
