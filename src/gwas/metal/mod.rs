//! METAL compatibility: its script language ([`parse_line`], [`Session`]), its output table
//! and `.info` file ([`write_table`], [`write_info`]) and its number formatting ([`c_g`],
//! [`printable_p`]). Formulas and formats follow METAL's source (statgen/METAL, `Main.cpp`),
//! read, not copied; METAL itself is not installable here, so its behaviour is checked against
//! cases worked by hand (`tests/gwas_metal.rs`).
//!
//! Implemented commands: MARKER, ALLELE/ALLELELABELS, EFFECT, STDERR, PVAL/PVALUELABEL,
//! WEIGHT/WEIGHTLABEL, FREQ/FREQLABEL, DEFAULTWEIGHT/DEFAULT, CHROMOSOME, POSITION,
//! TRACKPOSITIONS, SEPARATOR, COLUMNCOUNTING, SCHEME, GENOMICCONTROL (ON, OFF, value, LIST),
//! AVERAGEFREQ, MINMAXFREQ, MINWEIGHT, EFFECT_PRINT_PRECISION, STDERR_PRINT_PRECISION, OUTFILE,
//! PROCESS/PROCESSFILE, SOURCE, ANALYZE \[HETEROGENEITY\], CLEAR and comments. OVERLAP ON is
//! accepted with a warning (not implemented), as are the filter, strand, flip and custom-variable
//! commands.
//!
//! ```
//! use metapool::gwas::metal::{c_g, printable_p};
//! assert_eq!(c_g(0.53221, 4), "0.5322");
//! assert_eq!(printable_p(0.0), "1");
//! ```

mod format;
mod script;
mod session;
mod table;

pub use format::{c_g, log10_two_sided_p, printable_p};
pub use script::{parse_line, Command, GenomicControl};
pub use session::{Opener, RunLog, Session};
pub use table::{write_info, write_table, TableLayout};
