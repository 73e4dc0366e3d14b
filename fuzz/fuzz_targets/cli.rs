//! The command-line tool's CSV reader and every subcommand's option combinations, in-process
//! (`metapool_cli::fuzz_run`, the binary's modules compiled with the `fuzzing` feature).
//!
//! Input: the first 6 bytes choose the subcommand and options, the rest is the CSV file. A run
//! must never panic; a completed JSON run must print one valid JSON document; a failed run
//! must say why (a message naming the line, or a failed analysis).
#![no_main]
use libfuzzer_sys::fuzz_target;
use metapool_cli::{fuzz_run, FuzzOutcome};

const COMMANDS: [&str; 4] = ["pool", "sensitivity", "bias", "check"];
const MEASURES: [&str; 13] = [
    "MD",
    "SMD",
    "SMD-REVMAN",
    "PREPOST-MD",
    "OR",
    "RR",
    "RD",
    "PETO-OR",
    "GENERIC",
    "PR",
    "PLO",
    "PAS",
    "PFT",
];
const MODELS: [&[&str]; 8] = [
    &["--model", "fixed"],
    &["--model", "random"],
    &["--model", "auto"],
    &["--model", "random", "--ci", "t"],
    &["--model", "random", "--ci", "hk", "--tau2", "REML"],
    &["--model", "auto", "--ci", "hk-adhoc", "--tau2", "PM"],
    &[
        "--model",
        "random",
        "--tau2",
        "SJ",
        "--prediction",
        "higgins-t",
    ],
    &["--model", "fixed", "--fixed-method", "IV", "--level", "0.9"],
];
const FORMATS: [&[&str]; 4] = [
    &["--format", "json"],
    &["--format", "table"],
    &["--format", "csv"],
    &["--format", "csv", "--csv-rows", "all"],
];
/// Options switched on by the bits of one byte.
const FLAGS: [&[&str]; 8] = [
    &["--by", "g"],
    &["--subgroup", "s"],
    &["--missing", "error"],
    &["--delimiter", ";", "--decimal", ","],
    &["--keep-going"],
    &["--unsorted"],
    &["--to", "if0all"],
    &["--scale", "log"],
];
const MORE: [&[&str]; 8] = [
    &[],
    &["--add", "0"],
    &["--to", "all", "--add", "1"],
    &["--drop00", "yes"],
    &["--thousands", ","],
    &["--columns", "m1=a,sd1=b,n1=c"],
    &["--order", "year"],
    &[
        "--egger-model",
        "classical",
        "--trimfill-estimator",
        "R0",
        "--side",
        "left",
    ],
];

fuzz_target!(|data: &[u8]| {
    if data.len() < 6 {
        return;
    }
    let (opt, csv) = data.split_at(6);
    let cmd = COMMANDS[opt[0] as usize % COMMANDS.len()];
    let mut args: Vec<&str> = vec![cmd];
    if cmd == "check" {
        args.extend_from_slice(FORMATS[opt[1] as usize % 2]);
        if opt[2] & 1 == 1 {
            args.extend(["--delimiter", ";"]);
        }
    } else {
        args.extend(["--measure", MEASURES[opt[1] as usize % MEASURES.len()]]);
        args.extend_from_slice(MODELS[opt[2] as usize % MODELS.len()]);
        args.extend_from_slice(FORMATS[opt[3] as usize % FORMATS.len()]);
        for (bit, f) in FLAGS.iter().enumerate() {
            if opt[4] & (1 << bit) != 0 {
                args.extend_from_slice(f);
            }
        }
        args.extend_from_slice(MORE[opt[5] as usize % MORE.len()]);
    }
    match fuzz_run(&args, csv) {
        FuzzOutcome::Usage => {}
        FuzzOutcome::Done { output, json } => {
            if json {
                let v: Result<serde_json::Value, _> = serde_json::from_slice(&output);
                assert!(
                    v.is_ok(),
                    "{args:?}: invalid JSON: {}",
                    String::from_utf8_lossy(&output)
                );
            }
        }
        FuzzOutcome::InputError(msg) => assert!(!msg.is_empty(), "{args:?}: an empty error"),
    }
});
