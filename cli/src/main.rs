//! `metapool`: meta-analysis from a CSV file on the command line.
//!
//! ```text
//! metapool pool --measure MD studies.csv
//! metapool pool --measure OR --by outcome --format json trials.csv
//! ```
//! Every statistic is computed by the `metapool` library; this crate reads CSV, calls it, and
//! writes tables, JSON, CSV and SVG forest plots.
#![forbid(unsafe_code)]

mod analysis;
mod args;
mod bias;
mod cells;
mod check;
mod columns;
mod commands;
mod error;
mod escalc_measures;
mod forest;
mod glmm;
mod group;
mod gwas;
mod input;
mod json;
mod layout;
mod measure;
mod mv;
mod output;
mod pipeline;
mod progress;
mod rates;
mod refit;
mod regress;
mod robust;
mod sensitivity;
mod settings;

use args::{Cli, Command};
use clap::Parser;
use std::process::ExitCode;

fn main() -> ExitCode {
    let cli = Cli::parse();
    match cli.command {
        Command::Gwas(a) => gwas::run(&a),
        Command::Pool(a) => commands::pool(&a),
        Command::Sensitivity(a) => commands::sensitivity(&a),
        Command::Bias(a) => commands::bias(&a),
        Command::Regress(a) => commands::regress(&a),
        Command::Mv(a) => commands::mv(&a),
        Command::Check(a) => check::main(&a),
    }
}
