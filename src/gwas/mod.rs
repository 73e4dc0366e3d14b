//! Genome-wide meta-analysis of per-cohort summary statistics: K cohort files with their own
//! column names, allele orders and missing variants, pooled variant by variant.
//!
//! ```text
//! cohort file (BufRead) --CohortReader--> Record (validated row)
//!   --Aligner (METAL's allele orientation, palindromic policy)--> Study, per Variant
//!   --VariantTable (hash join, first-appearance order) or SortedMerge (sorted inputs, one pass)
//!   --GwasPooler: inverse variance through batch::BatchPooler (fixed, DL/REML random,
//!                 Hartung-Knapp) or sample size (METAL's default); Q, I², genomic control
//!   --> VariantResult --metal::write_table--> METAL's METAANALYSIS1.TBL and .info
//! ```
//! [`metal::Session`] runs METAL scripts unchanged.
//!
//! ```
//! use metapool::gwas::*;
//! let c1 = "SNP A1 A2 BETA SE\nrs1 A G 0.10 0.05\nrs2 C T 0.20 0.10\n";
//! let c2 = "MarkerName,EA,NEA,Effect,StdErr\nrs1,g,a,-0.14,0.07\nrs2,G,A,0.1,0.1\n";
//! let spec = ReadSpec::new(Scheme::InverseVariance);
//! let mut table = VariantTable::new();
//! let mut aligner = Aligner::new(Scheme::InverseVariance, Palindromic::Keep);
//! for (c, text) in [c1, c2].iter().enumerate() {
//!     let mut r = CohortReader::new(text.as_bytes(), &format!("c{c}"), &spec)?;
//!     table.read_cohort(&mut r, c, &mut aligner, OnInvalidRow::Stop, None)?;
//! }
//! let pooler = GwasPooler { scheme: Scheme::InverseVariance, ..GwasPooler::default() };
//! let mut out = Vec::new();
//! pooler.pool(table.variants(), 2, &[1.0, 1.0], &mut PoolBuffers::default(), &mut out)?;
//! // rs1: cohort 2 reports G/A, swapped: its effect on A is +0.14
//! let w = [1.0 / 0.05f64.powi(2), 1.0 / 0.07f64.powi(2)];
//! let beta = (w[0] * 0.10 + w[1] * 0.14) / (w[0] + w[1]);
//! assert!((out[0].fixed.effect - beta).abs() < 1e-15);
//! assert_eq!(out[0].direction, "++");
//! // rs2: C/T and G/A are the same variant on opposite strands (T/C = A/G complemented)
//! assert_eq!(out[1].k, 2);
//! # Ok::<(), metapool::Error>(())
//! ```

mod align;
mod alleles;
mod columns;
mod genomic_control;
mod merge;
pub mod metal;
mod pool;
mod problem;
mod reader;
mod sample_size;
mod separator;
mod sorted;

pub use align::{Aligner, Study, Variant};
pub use alleles::{Oriented, Palindromic};
pub use columns::{ColumnLabels, ColumnMap, Role};
pub use genomic_control::{genomic_control_lambda, MEDIAN_CHI2_1DF};
pub use merge::{chromosome_rank, CohortReport, OnInvalidRow, Region, VariantTable};
pub use pool::{Estimate, GwasPooler, PoolBuffers, RandomTest, Scheme, VariantResult};
pub use reader::{CohortReader, ReadSpec, Reason, Record, RecordProblem, RowError};
pub use separator::Separator;
pub use sorted::SortedMerge;
