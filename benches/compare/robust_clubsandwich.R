# Times metafor 3.8 + clubSandwich 0.5.8 on the data of benches/robust.rs: 10,000 effects in
# 1,000 clusters of 10, 2 moderators; rma(REML), then vcovCR(CR2), coef_test(Satterthwaite)
# and Wald_test(HTZ) of the two moderators, and metafor's robust() (CR1).
# Run:   Rscript benches/compare/robust_clubsandwich.R
suppressPackageStartupMessages({ library(metafor); library(clubSandwich) })
k <- 10000
i <- 0:(k - 1)
cl <- i %/% 10
x1 <- sin(i * 0.7)
x2 <- 2 * cos(i * 1.3)
vi <- 0.02 + 0.1 * ((i * 37) %% 101) / 101
u <- 0.3 * sin(cl * 2.1)
yi <- 0.1 + 0.2 * x1 - 0.1 * x2 + u + sqrt(vi) * sin(i * 12.9898)
cluster <- paste0("c", cl)
step <- function(what, expr) {  # time one step and print it at once
  t <- system.time(v <- force(expr))[["elapsed"]]
  cat(sprintf("%s: %.2f s\n", what, t)); flush.console()
  v
}
fit <- step("rma REML", rma(yi, vi, mods = ~ x1 + x2, method = "REML"))
V <- step("vcovCR CR2", vcovCR(fit, cluster = cluster, type = "CR2"))
ct <- step("coef_test Satterthwaite", coef_test(fit, vcov = V, test = "Satterthwaite"))
w <- step("Wald_test HTZ", Wald_test(fit, constraints = constrain_zero(2:3), vcov = V, test = "HTZ"))
cat(sprintf("CR2 se: %s\nSatterthwaite df: %s\nHTZ F %.10g df2 %.10g\n",
            paste(sprintf("%.10g", ct$SE), collapse = " "), paste(sprintf("%.10g", ct$df_Satt), collapse = " "),
            w$Fstat, w$df_denom))
r1 <- step("robust() CR1", robust(fit, cluster = cluster))
