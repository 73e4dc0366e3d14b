//! `metapool gwas` end to end: the modern command, --sorted equal to the hash join, regions
//! concatenating to the whole genome, and bad input named by file, line and column.

use std::path::PathBuf;
use std::process::Command;

fn fixture(name: &str) -> String {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../fixtures/gwas")
        .join(name)
        .display()
        .to_string()
}

fn gwas(args: &[&str]) -> (bool, String, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_metapool"))
        .arg("gwas")
        .args(args)
        .output()
        .unwrap();
    (
        out.status.success(),
        String::from_utf8(out.stdout).unwrap(),
        String::from_utf8(out.stderr).unwrap(),
    )
}

fn cohorts() -> Vec<String> {
    ["cohort1.txt", "cohort2.tsv", "cohort3.csv.gz"]
        .iter()
        .map(|c| fixture(c))
        .collect()
}

#[test]
fn sorted_merge_equals_hash_join_and_regions_concatenate() {
    let c = cohorts();
    let base = ["--scheme", "ivw", "--het", "--random", "DL"];
    let mut hash: Vec<&str> = base.to_vec();
    hash.extend(c.iter().map(String::as_str));
    let (ok, whole, err) = gwas(&hash);
    assert!(ok, "{err}");
    assert_eq!(whole.lines().count(), 1201);
    let mut sorted = hash.clone();
    sorted.push("--sorted");
    let (ok, s, err) = gwas(&sorted);
    assert!(ok, "{err}");
    assert_eq!(s, whole);
    let mut joined = String::new();
    for (i, region) in ["1:0-1000000000", "2:0-300000", "2:300001-999999999", "3"]
        .iter()
        .enumerate()
    {
        let mut a = sorted.clone();
        a.extend(["--region", region]);
        let (ok, part, err) = gwas(&a);
        assert!(ok, "{err}");
        let mut lines = part.lines();
        let header = lines.next().unwrap();
        if i == 0 {
            joined.push_str(header);
            joined.push('\n');
        }
        for l in lines {
            joined.push_str(l);
            joined.push('\n');
        }
    }
    assert_eq!(joined, whole);
}

#[test]
fn bad_input_names_file_line_and_column_or_is_counted() {
    let dir = std::env::temp_dir().join(format!("metapool-gwas-cli-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let bad = dir.join("bad.txt");
    std::fs::write(
        &bad,
        "SNP A1 A2 BETA SE\nrs1 A G 0.1 0.05\nrs2 A G 0.2 0\nrs3 A G x 0.1\nrs1 A G 0.1 0.05\n",
    )
    .unwrap();
    let bad = bad.display().to_string();
    let (ok, _, err) = gwas(&["--scheme", "ivw", &bad]);
    assert!(!ok);
    assert!(
        err.contains("bad.txt, line 3, column `SE`: must be > 0, got 0"),
        "{err}"
    );
    let (ok, out, err) = gwas(&["--scheme", "ivw", "--keep-going", &bad]);
    assert!(ok, "{err}");
    assert!(err.contains("4 rows, 1 used"), "{err}");
    assert!(
        err.contains("1 invalid effect, 1 invalid standard error, 1 duplicated marker"),
        "{err}"
    );
    assert_eq!(out.lines().count(), 2);
    let (ok, _, err) = gwas(&["--scheme", "samplesize", &bad]);
    assert!(!ok);
    assert!(
        err.contains("line 1, column `P/PVAL/P_VAL/PVALUE/P_VALUE/P-VALUE`: no such column"),
        "{err}"
    );
    std::fs::remove_dir_all(&dir).unwrap();
}
