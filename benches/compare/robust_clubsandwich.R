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
t_fit <- system.time(fit <- rma(yi, vi, mods = ~ x1 + x2, method = "REML"))
t_v <- system.time(V <- vcovCR(fit, cluster = cluster, type = "CR2"))
t_c <- system.time(ct <- coef_test(fit, vcov = V, test = "Satterthwaite"))
t_w <- system.time(w <- Wald_test(fit, constraints = constrain_zero(2:3), vcov = V, test = "HTZ"))
t_r <- system.time(r1 <- robust(fit, cluster = cluster))
cat(sprintf("rma REML: %.2f s\nvcovCR CR2: %.2f s\ncoef_test Satterthwaite: %.2f s\nWald_test HTZ: %.2f s\nrobust() CR1: %.2f s\n",
            t_fit[["elapsed"]], t_v[["elapsed"]], t_c[["elapsed"]], t_w[["elapsed"]], t_r[["elapsed"]]))
cat(sprintf("CR2 se: %s\nSatterthwaite df: %s\nHTZ F %.10g df2 %.10g\n",
            paste(sprintf("%.10g", ct$SE), collapse = " "), paste(sprintf("%.10g", ct$df_Satt), collapse = " "),
            w$Fstat, w$df_denom))
