//! C `printf` conversions METAL's output uses (`%.Nf` is Rust's `{:.N}`: both round the
//! exact binary value half to even) and METAL's printed p-value.

/// C's `%.{precision}g`: `precision` significant digits, scientific notation when the decimal
/// exponent is below -4 or at least `precision`, trailing zeros removed.
///
/// ```
/// use metapool::gwas::metal::c_g;
/// assert_eq!(c_g(0.26254, 4), "0.2625");
/// assert_eq!(c_g(1.0, 4), "1");
/// assert_eq!(c_g(3.2e-7, 4), "3.2e-07");
/// assert_eq!(c_g(123456.0, 4), "1.235e+05");
/// ```
pub fn c_g(x: f64, precision: usize) -> String {
    if !x.is_finite() {
        return if x.is_nan() {
            "nan".into()
        } else if x > 0.0 {
            "inf".into()
        } else {
            "-inf".into()
        };
    }
    if x == 0.0 {
        return if x.is_sign_negative() {
            "-0".into()
        } else {
            "0".into()
        };
    }
    let p = precision.max(1);
    let sci = format!("{:.*e}", p - 1, x);
    let (mantissa, exp) = sci.split_once('e').unwrap_or((&sci, "0"));
    let exp: i32 = exp.parse().unwrap_or(0);
    if exp < -4 || exp >= p as i32 {
        let m = strip_zeros(mantissa);
        let sign = if exp < 0 { '-' } else { '+' };
        format!("{m}e{sign}{:02}", exp.abs())
    } else {
        let decimals = (p as i32 - 1 - exp).max(0) as usize;
        strip_zeros(&format!("{:.*}", decimals, x)).to_string()
    }
}

fn strip_zeros(s: &str) -> &str {
    if s.contains('.') {
        s.trim_end_matches('0').trim_end_matches('.')
    } else {
        s
    }
}

/// log10 of the two-sided normal p-value of `z`, accurate where the p-value underflows:
/// ```text
/// ln Q(z) = -z^2/2 - ln z - ln(2 pi)/2 + ln(1 - 1/z^2 + 3/z^4 - 15/z^6 + 105/z^8 - 945/z^10)
/// ```
/// (the asymptotic series, used for |z| >= 20 where its truncation error is below 1e-11; the
/// exact tail below).
///
/// ```
/// use metapool::gwas::metal::log10_two_sided_p;
/// // z = 1.959963984540054: p = 0.05
/// assert!((log10_two_sided_p(1.959963984540054) - 0.05f64.log10()).abs() < 1e-13);
/// // z = 40: p = 2 Q(40) = 7.3e-350, below f64's range; log10 from R's pnorm(-40, log.p = TRUE)
/// // = -804.6084420137538, plus log10(2)
/// assert!((log10_two_sided_p(40.0) - (-804.6084420137538 / std::f64::consts::LN_10 + 2f64.log10())).abs() < 1e-9);
/// ```
pub fn log10_two_sided_p(z: f64) -> f64 {
    let z = z.abs();
    if z < 20.0 {
        return crate::inference::normal_two_sided_p(z).log10();
    }
    let r = 1.0 / (z * z);
    let series = 1.0 - r * (1.0 - r * (3.0 - r * (15.0 - r * (105.0 - r * 945.0))));
    let ln_q = -0.5 * z * z - z.ln() - 0.5 * (2.0 * std::f64::consts::PI).ln() + series.ln();
    (ln_q + std::f64::consts::LN_2) / std::f64::consts::LN_10
}

/// The p-value of a z statistic as METAL prints it: `%.4g` for |z| < 20, else a mantissa
/// with two decimals and an exponent from log10 p (e.g. `1.23e-95`).
///
/// ```
/// use metapool::gwas::metal::printable_p;
/// assert_eq!(printable_p(1.121), "0.2623");
/// assert_eq!(printable_p(25.0), "6.11e-138"); // R: 2 * pnorm(-25) = 6.113393e-138
/// ```
pub fn printable_p(z: f64) -> String {
    let z = z.abs();
    if z < 20.0 {
        return c_g(crate::inference::normal_two_sided_p(z), 4);
    }
    let lp = log10_two_sided_p(z);
    let mut exponent = lp.floor();
    let mut real = 10f64.powf(lp - exponent);
    if real >= 9.995 {
        real /= 10.0;
        exponent += 1.0;
    }
    format!("{real:.2}e{exponent:.0}")
}
