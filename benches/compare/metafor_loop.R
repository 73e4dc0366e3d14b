# The metafor side of compare.py: rma(method = "DL") and rma(method = "REML") in a loop over
# the sampled analyses in DIR/sample.csv (columns a, y, v); writes DIR/metafor_times.json
# (seconds per loop, wall and CPU) and DIR/metafor_results.csv (17 significant digits).
# Usage: Rscript metafor_loop.R DIR
suppressPackageStartupMessages(library(metafor))
dir <- commandArgs(trailingOnly = TRUE)[1]
d <- read.csv(file.path(dir, "sample.csv"))
groups <- split(d, d$a)
n <- length(groups)
res <- data.frame(dl_b = numeric(n), dl_se = numeric(n), dl_p = numeric(n), dl_tau2 = numeric(n),
                  dl_q = numeric(n), dl_qp = numeric(n), reml_ok = integer(n),
                  reml_b = numeric(n), reml_tau2 = numeric(n))
st_dl <- system.time(for (i in seq_len(n)) {
  g <- groups[[i]]
  f <- rma(g$y, g$v, method = "DL")
  res$dl_b[i] <- f$b[1]; res$dl_se[i] <- f$se; res$dl_p[i] <- f$pval; res$dl_tau2[i] <- f$tau2
  res$dl_q[i] <- f$QE; res$dl_qp[i] <- f$QEp
})
st_reml <- system.time(for (i in seq_len(n)) {
  g <- groups[[i]]
  f <- tryCatch(rma(g$y, g$v, method = "REML"), error = function(e) NULL)
  if (is.null(f)) {
    res$reml_ok[i] <- 0L; res$reml_b[i] <- NA; res$reml_tau2[i] <- NA
  } else {
    res$reml_ok[i] <- 1L; res$reml_b[i] <- f$b[1]; res$reml_tau2[i] <- f$tau2
  }
})
t_dl <- st_dl[["elapsed"]]; c_dl <- st_dl[["user.self"]] + st_dl[["sys.self"]]
t_reml <- st_reml[["elapsed"]]; c_reml <- st_reml[["user.self"]] + st_reml[["sys.self"]]
out <- as.data.frame(lapply(res, function(x) if (is.double(x)) sprintf("%.17g", x) else x))
write.csv(out, file.path(dir, "metafor_results.csv"), row.names = FALSE, quote = FALSE)
writeLines(sprintf('{"dl": %.6f, "reml": %.6f, "dl_cpu": %.6f, "reml_cpu": %.6f, "n": %d, "metafor": "%s"}',
                   t_dl, t_reml, c_dl, c_reml, n,
                   as.character(packageVersion("metafor"))),
           file.path(dir, "metafor_times.json"))
