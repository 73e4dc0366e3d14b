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

/// `--gc` of the modern command applies METAL's per-cohort genomic control: on the fixtures
/// (no rows excluded, so both take every row's chi-square) its sample-size Z and heterogeneity
/// equal those of the METAL script with `GENOMICCONTROL ON`, at METAL's printed precision.
#[test]
fn modern_gc_equals_metal_genomic_control() {
    let dir = std::env::temp_dir().join(format!("metapool-gwas-gc-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let script = format!(
        "GENOMICCONTROL ON\nOUTFILE {out}/GC .TBL\nMARKER SNP\nALLELE A1 A2\nEFFECT BETA\nPVAL P\nWEIGHT NMISS\nPROCESS {c1}\n\
         SEPARATOR TAB\nMARKER MarkerName\nALLELE EA NEA\nEFFECT Effect\nWEIGHT N\nPROCESS {c2}\n\
         SEPARATOR COMMA\nMARKER rsid\nALLELE allele1 allele2\nEFFECT beta\nPVAL pval\nWEIGHT n\nPROCESS {c3}\n\
         ANALYZE HETEROGENEITY\n",
        out = dir.display(),
        c1 = fixture("cohort1.txt"),
        c2 = fixture("cohort2.tsv"),
        c3 = fixture("cohort3.csv.gz"),
    );
    let path = dir.join("gc.metal");
    std::fs::write(&path, script).unwrap();
    let (ok, log, err) = gwas(&["--metal", &path.display().to_string()]);
    assert!(ok, "{err}");
    assert_eq!(
        log.matches("Genomic control parameter is").count(),
        3,
        "{log}"
    );
    let metal = std::fs::read_to_string(dir.join("GC1.TBL")).unwrap();
    let mut args = vec!["--scheme", "samplesize", "--gc", "--het"];
    let c = cohorts();
    args.extend(c.iter().map(String::as_str));
    let (ok, modern, err) = gwas(&args);
    assert!(ok, "{err}");
    let col = |h: &str, name: &str| h.split('\t').position(|x| x == name).unwrap();
    let mut lines = modern.lines();
    let h = lines.next().unwrap();
    let (m, z, q) = (col(h, "MARKER"), col(h, "Z"), col(h, "Q"));
    let ea = col(h, "EA");
    let ours: std::collections::HashMap<&str, (f64, f64, &str)> = lines
        .map(|l| {
            let f: Vec<&str> = l.split('\t').collect();
            (f[m], (f[z].parse().unwrap(), f[q].parse().unwrap(), f[ea]))
        })
        .collect();
    let mut rows = metal.lines();
    let h = rows.next().unwrap();
    let (mm, mz, mq, ma) = (
        col(h, "MarkerName"),
        col(h, "Zscore"),
        col(h, "HetChiSq"),
        col(h, "Allele1"),
    );
    let mut n = 0;
    for l in rows {
        let f: Vec<&str> = l.split('\t').collect();
        let (oz, oq, oa) = ours[f[mm]];
        let s = if oa.eq_ignore_ascii_case(f[ma]) {
            1.0
        } else {
            -1.0
        };
        assert_eq!(format!("{:.3}", s * oz), f[mz], "{}", f[mm]);
        assert_eq!(format!("{oq:.3}"), f[mq], "{}", f[mm]);
        n += 1;
    }
    assert_eq!(n, 1200);
    std::fs::remove_dir_all(&dir).unwrap();
}

/// `--gc-result`: lambda is METAL's rule on the meta-analysis chi-squares (the element at
/// floor(n/2) of the sorted Z², over 0.4549364, only when above 1), and every Z is divided by
/// its square root.
#[test]
fn genomic_control_of_the_result() {
    let c = cohorts();
    let mut args = vec!["--scheme", "samplesize"];
    args.extend(c.iter().map(String::as_str));
    let (ok, plain, err) = gwas(&args);
    assert!(ok, "{err}");
    args.push("--gc-result");
    let (ok, adjusted, err) = gwas(&args);
    assert!(ok, "{err}");
    let z_of = |text: &str| -> Vec<f64> {
        let mut lines = text.lines();
        let h = lines.next().unwrap();
        let zc = h.split('\t').position(|x| x == "Z").unwrap();
        lines
            .map(|l| l.split('\t').nth(zc).unwrap().parse().unwrap())
            .collect()
    };
    let (z0, z1) = (z_of(&plain), z_of(&adjusted));
    let mut chi2: Vec<f64> = z0.iter().map(|z| z * z).collect();
    chi2.sort_by(f64::total_cmp);
    let lambda = chi2[chi2.len() / 2] / 0.4549364;
    assert!(lambda > 1.0, "{lambda}");
    assert!(err.contains(&format!("lambda {lambda:.4}")), "{err}");
    for (a, b) in z0.iter().zip(&z1) {
        assert!(
            (a / lambda.sqrt() - b).abs() <= 1e-12 * a.abs().max(1.0),
            "{a} {b}"
        );
    }
}
