# Times metafor 3.8 rma.glmm on the 20 tables of benches/glmm.rs (glmm_tables.csv, written by
# `cargo bench --bench glmm`), random effects, each model metafor's defaults, and prints the
# estimates so they can be set beside metapool's.
#
# Run:   cd benches/compare && Rscript glmm_metafor.R
suppressPackageStartupMessages(library(metafor))
d <- read.csv("glmm_tables.csv")
for (model in c("UM.RS", "CM.EL", "UM.FS", "CM.AL")) {
  reps <- if (model == "CM.EL") 1 else 5
  t0 <- proc.time()[3]
  for (r in seq_len(reps))
    f <- suppressWarnings(rma.glmm(measure = "OR", ai = ai, n1i = n1i, ci = ci, n2i = n2i,
                                   data = d, model = model))
  secs <- (proc.time()[3] - t0) / reps
  cat(sprintf("metafor rma.glmm %s k=20: %.1f ms per fit; estimate %.6f se %.6f tau2 %.6f\n",
              model, 1000 * secs, f$beta[1], f$se, f$tau2))
}
