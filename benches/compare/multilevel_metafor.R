# metafor's rma.mv on the data of benches/multilevel_common/data.rs (the same formula): a
# three-level REML fit with two moderators, K effects in clusters of 10; best of REPEATS
# (elapsed and user + sys), with metafor's default control and sparse = TRUE (its fastest
# setting for block-diagonal M; sparse = FALSE is also timed once when K <= 2000).
# Run: Rscript benches/compare/multilevel_metafor.R [K] [REPEATS]
suppressPackageStartupMessages(library(metafor))
args <- commandArgs(trailingOnly = TRUE)
k <- if (length(args) >= 1) as.integer(args[1]) else 10000L
repeats <- if (length(args) >= 2) as.integer(args[2]) else 3L
i <- 0:(k - 1); j <- i %/% 10
d <- data.frame(cluster = j, es = i %% 10, x1 = cos(0.37 * i), x2 = (i %% 7) / 7 - 0.4,
                vi = 0.01 + 0.02 * (1 + sin(0.91 * i)))
d$yi <- 0.2 + 0.1 * d$x1 - 0.05 * d$x2 + 0.3 * sin(1.7 * j) + 0.2 * sin(2.3 * i + 0.5) +
  1.2 * sqrt(d$vi) * sin(5.1 * i + 1)
time_fit <- function(sparse) {
  best <- c(Inf, Inf); fit <- NULL
  for (r in seq_len(repeats)) {
    t <- system.time(fit <- rma.mv(yi, vi, mods = ~ x1 + x2, random = ~ 1 | cluster/es, data = d,
                                   sparse = sparse))
    best <- pmin(best, c(t[["elapsed"]], t[["user.self"]] + t[["sys.self"]]))
  }
  cat(sprintf("metafor (sparse = %s): k = %d, best of %d: %.4f s (wall), %.4f s (CPU)\n",
              sparse, k, repeats, best[1], best[2]))
  cat(sprintf("metafor: sigma2 = %s; b = %s; logLik = %.8f\n",
              paste(sprintf("%.10f", fit$sigma2), collapse = ", "),
              paste(sprintf("%.10f", fit$beta), collapse = ", "), logLik(fit)))
}
time_fit(TRUE)
if (k <= 2000) { repeats <- 1L; time_fit(FALSE) }
