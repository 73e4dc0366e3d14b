# Crossed random effects timing: metafor rma.mv(random = list(~ 1 | study, ~ 1 | lab)) on
# generated data (m studies of 1-9 effects, every effect in one of `labs` labs shared by all
# studies: one connected cluster of all k effects), REML, one moderator. Writes the data as
# crossed_<k>.csv for `metapool mv --measure GENERIC --random "study + lab" --mods x`.
# Run: Rscript crossed_metafor.R 1000
suppressPackageStartupMessages(library(metafor))
args <- commandArgs(trailingOnly = TRUE)
k_target <- if (length(args) > 0) as.integer(args[1]) else 1000
set.seed(7)
m <- k_target %/% 5
n <- sample(1:9, m, replace = TRUE)
study <- rep(seq_len(m), n)
k <- length(study)
labs <- 10
lab <- paste0("L", sample(seq_len(labs), k, replace = TRUE))
vi <- runif(k, 0.01, 0.1)
x <- rnorm(k)
yi <- 0.2 + 0.1 * x + rnorm(m, 0, 0.2)[study] + rnorm(labs, 0, 0.15)[as.integer(sub("L", "", lab))] +
  rnorm(k, 0, sqrt(vi))
d <- data.frame(name = paste0("e", seq_len(k)), yi = yi, vi = vi, study = study, lab = lab, x = x)
write.csv(d, sprintf("crossed_%d.csv", k_target), row.names = FALSE, quote = FALSE)
t <- system.time(f <- rma.mv(yi, vi, mods = ~ x, random = list(~ 1 | study, ~ 1 | lab), data = d))
cat(sprintf("k = %d: metafor rma.mv %.2f s CPU (%.2f s elapsed); sigma2 = %.10g, %.10g; logLik %.12g\n",
            k, t[["user.self"]] + t[["sys.self"]], t[["elapsed"]], f$sigma2[1], f$sigma2[2],
            as.numeric(logLik(f))))
