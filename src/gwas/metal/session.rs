//! Running a METAL script: the state METAL keeps between commands, the files processed, and
//! one output table per `ANALYZE`.

use super::script::{parse_line, Command, GenomicControl};
use super::table::{write_info, write_table, TableLayout};
use crate::error::{Error, Result};
use crate::gwas::{
    genomic_control_lambda, Aligner, CohortReader, ColumnLabels, GwasPooler, OnInvalidRow,
    Palindromic, PoolBuffers, ReadSpec, Role, Scheme, Separator, VariantTable,
};
use std::collections::HashSet;
use std::io::{self, BufRead};

/// Opens an input file by the name the script gives (the caller may decompress).
///
/// ```
/// use metapool::gwas::metal::{Opener, Session};
/// use std::io::{self, BufRead};
/// let mut open = |name: &str| -> io::Result<Box<dyn BufRead>> {
///     Err(io::Error::new(io::ErrorKind::NotFound, name.to_string()))
/// };
/// let opener: &mut Opener<'_> = &mut open;
/// // a file that cannot be opened is reported and skipped, as METAL does
/// let log = Session::new().run("PROCESS missing.txt\n", opener)?;
/// assert!(log.messages.iter().any(|m| m.contains("missing.txt")));
/// assert!(log.tables.is_empty());
/// # Ok::<(), metapool::Error>(())
/// ```
pub type Opener<'a> = dyn FnMut(&str) -> io::Result<Box<dyn BufRead>> + 'a;

/// What a script run did: METAL-style messages, and the tables written.
///
/// ```
/// use metapool::gwas::metal::Session;
/// use std::io::{self, BufRead};
/// let files = |name: &str| -> io::Result<Box<dyn BufRead>> {
///     let text = match name {
///         "a.txt" => "MARKER ALLELE1 ALLELE2 EFFECT STDERR\nrs1 A G 0.10 0.05\n",
///         _ => "MARKER ALLELE1 ALLELE2 EFFECT STDERR\nrs1 G A -0.14 0.07\n",
///     };
///     Ok(Box::new(io::Cursor::new(text)))
/// };
/// let out = std::env::temp_dir().join(format!("metapool-doc-runlog-{}-", std::process::id()));
/// let script = format!("SCHEME STDERR\nOUTFILE {} .TBL\nPROCESS a.txt\nPROCESS b.txt\nANALYZE\n", out.display());
/// let log = Session::new().run(&script, &mut { files })?;
/// assert_eq!(log.tables.len(), 1);
/// let tbl = std::fs::read_to_string(&log.tables[0]).map_err(|e| metapool::Error::Unparsable { what: "table", text: e.to_string() })?;
/// // rs1: b.txt reports G/A, so its effect on A is +0.14;
/// // beta = (0.10 / 0.05² + 0.14 / 0.07²) / (1 / 0.05² + 1 / 0.07²) = 0.11351...
/// assert!(tbl.lines().nth(1).unwrap().starts_with("rs1\ta\tg\t0.1135\t0.0407\t"));
/// # std::fs::remove_file(&log.tables[0]).ok();
/// # std::fs::remove_file(format!("{}.info", log.tables[0])).ok();
/// # Ok::<(), metapool::Error>(())
/// ```
#[derive(Debug, Clone, Default, PartialEq)]
pub struct RunLog {
    /// Messages in METAL's `## ...` style (files processed, rows skipped, lambdas, warnings
    /// about unsupported commands).
    pub messages: Vec<String>,
    /// The output tables written, in order.
    pub tables: Vec<String>,
}

/// A METAL session: settings and the markers accumulated by `PROCESS` (see [`Session::run`]).
///
/// ```
/// use metapool::gwas::metal::Session;
/// use std::io::{self, BufRead};
/// let mut open = |_: &str| -> io::Result<Box<dyn BufRead>> {
///     Ok(Box::new(io::Cursor::new("MARKER ALLELE1 ALLELE2 EFFECT STDERR PVALUE N\nrs1 A G 0.1 0.05 0.0455 100\n")))
/// };
/// // settings persist between runs of one session, as between lines of one script
/// let mut s = Session::new();
/// s.run("SCHEME STDERR\n", &mut open)?;
/// let log = s.run("PROCESS c1.txt\n", &mut open)?;
/// assert!(log.messages.iter().any(|m| m.contains("c1.txt")));
/// # Ok::<(), metapool::Error>(())
/// ```
pub struct Session {
    labels: ColumnLabels,
    separator: Separator,
    strict_columns: bool,
    default_weight: f64,
    min_weight: f64,
    scheme: Scheme,
    gc: GenomicControl,
    gc_list: Option<HashSet<String>>,
    average_freq: bool,
    min_max_freq: bool,
    track_positions: bool,
    effect_precision: usize,
    stderr_precision: usize,
    outfile: (String, String),
    round: usize,
    table: VariantTable,
    files: Vec<String>,
    lambdas: Vec<f64>,
    log: RunLog,
}

impl Default for Session {
    fn default() -> Self {
        let labels = ColumnLabels::common()
            .with(Role::Marker, "MARKER")
            .with(Role::Weight, "N")
            .with(Role::PValue, "PVALUE")
            .with(Role::Effect, "EFFECT")
            .with(Role::StdErr, "STDERR")
            .with(Role::Frequency, "FREQ")
            .with(Role::EffectAllele, "ALLELE1")
            .with(Role::OtherAllele, "ALLELE2")
            .with(Role::Chromosome, "CHROMOSOME")
            .with(Role::Position, "POSITION");
        Session {
            labels,
            separator: Separator::Whitespace,
            strict_columns: true,
            default_weight: 1.0,
            min_weight: 1.0,
            scheme: Scheme::SampleSize,
            gc: GenomicControl::Off,
            gc_list: None,
            average_freq: false,
            min_max_freq: false,
            track_positions: false,
            effect_precision: 4,
            stderr_precision: 4,
            outfile: ("METAANALYSIS".into(), ".TBL".into()),
            round: 1,
            table: VariantTable::new(),
            files: Vec::new(),
            lambdas: Vec::new(),
            log: RunLog::default(),
        }
    }
}

impl Session {
    /// A session with METAL's defaults.
    ///
    /// ```
    /// use metapool::gwas::metal::Session;
    /// use std::io::{self, BufRead};
    /// let mut open = |_: &str| -> io::Result<Box<dyn BufRead>> { Ok(Box::new(io::Cursor::new(""))) };
    /// let log = Session::new().run("# nothing but a comment\n", &mut open)?;
    /// assert!(log.tables.is_empty());
    /// # Ok::<(), metapool::Error>(())
    /// ```
    pub fn new() -> Self {
        Session::default()
    }

    /// Run `script`, opening inputs (and `SOURCE`d scripts, `GENOMICCONTROL LIST` files) with
    /// `open`. Output tables are created by the names METAL gives them (relative to the working
    /// directory, as METAL resolves them). A file METAL would refuse (missing column) is
    /// reported and skipped, as METAL does; an I/O error on an output ends the run.
    ///
    /// ```
    /// use metapool::gwas::metal::Session;
    /// use std::io::{self, BufRead};
    /// let mut open = |_: &str| -> io::Result<Box<dyn BufRead>> {
    ///     Ok(Box::new(io::Cursor::new("MARKER ALLELE1 ALLELE2 EFFECT PVALUE N\nrs1 A G 0.1 0.0455 400\nrs2 A C -0.1 0.5 400\n")))
    /// };
    /// let out = std::env::temp_dir().join(format!("metapool-doc-run-{}-", std::process::id()));
    /// let script = format!("OUTFILE {} .TBL\nPROCESS c1.txt\nPROCESS c2.txt\nANALYZE\n", out.display());
    /// let log = Session::new().run(&script, &mut open)?;
    /// let tbl = std::fs::read_to_string(&log.tables[0]).map_err(|e| metapool::Error::Unparsable { what: "table", text: e.to_string() })?;
    /// // METAL's default sample-size scheme: two cohorts with z = Phi^-1(1 - 0.0455 / 2) = 2.0000 and
    /// // N = 400 each: Z = (20 * 2 + 20 * 2) / sqrt(800) = 2.828
    /// assert!(tbl.lines().nth(1).unwrap().starts_with("rs1\ta\tg\t800.00\t2.828\t"));
    /// # std::fs::remove_file(&log.tables[0]).ok();
    /// # std::fs::remove_file(format!("{}.info", log.tables[0])).ok();
    /// # Ok::<(), metapool::Error>(())
    /// ```
    pub fn run(&mut self, script: &str, open: &mut Opener<'_>) -> Result<RunLog> {
        for line in script.lines() {
            let Some(cmd) = parse_line(line) else {
                continue;
            };
            self.execute(cmd, open)?;
        }
        Ok(std::mem::take(&mut self.log))
    }

    fn say(&mut self, m: String) {
        self.log.messages.push(m);
    }

    fn execute(&mut self, cmd: Command, open: &mut Opener<'_>) -> Result<()> {
        let started = !self.files.is_empty();
        match cmd {
            Command::Analyze { heterogeneity } => self.analyze(heterogeneity)?,
            Command::Clear => {
                self.table = VariantTable::new();
                self.files.clear();
                self.lambdas.clear();
                self.say("## Clearing all stored statistics ...".into());
            }
            Command::ColumnCounting(s) => self.strict_columns = s,
            Command::DefaultWeight(w) => self.default_weight = w,
            Command::Weight(l) => self.labels.set(Role::Weight, l),
            Command::GenomicControl(GenomicControl::List(path)) => {
                let mut set = HashSet::new();
                let r = open(&path).map_err(|e| io_error(&path, e))?;
                for l in r.lines() {
                    let l = l.map_err(|e| io_error(&path, e))?;
                    for m in l.split_whitespace() {
                        set.insert(m.to_string());
                    }
                }
                if set.is_empty() {
                    self.gc = GenomicControl::Off;
                } else {
                    self.gc = GenomicControl::List(path);
                    self.gc_list = Some(set);
                }
            }
            Command::GenomicControl(g) => {
                self.gc = g;
                self.gc_list = None;
            }
            Command::AverageFreq(x) if !started => self.average_freq = x,
            Command::MinMaxFreq(x) if !started => self.min_max_freq = x,
            Command::TrackPositions(x) if !started => self.track_positions = x,
            Command::Scheme(s) if !started => self.scheme = s,
            Command::AverageFreq(_)
            | Command::MinMaxFreq(_)
            | Command::TrackPositions(_)
            | Command::Scheme(_) => self.say(
                "## WARNING: setting ignored after files were processed (as METAL does)".into(),
            ),
            Command::Marker(l) => self.labels.set(Role::Marker, l),
            Command::PValue(l) => self.labels.set(Role::PValue, l),
            Command::Effect(l) => self.labels.set(Role::Effect, l),
            Command::Freq(l) => self.labels.set(Role::Frequency, l),
            Command::StdErr(l) => self.labels.set(Role::StdErr, l),
            Command::Chromosome(l) => self.labels.set(Role::Chromosome, l),
            Command::Position(l) => self.labels.set(Role::Position, l),
            Command::Alleles(a, b) => {
                self.labels.set(Role::EffectAllele, a);
                self.labels.set(Role::OtherAllele, b);
            }
            Command::Source(path) => {
                let mut text = String::new();
                let mut r = open(&path).map_err(|e| io_error(&path, e))?;
                r.read_to_string(&mut text)
                    .map_err(|e| io_error(&path, e))?;
                for line in text.lines() {
                    if let Some(c) = parse_line(line) {
                        self.execute(c, open)?;
                    }
                }
            }
            Command::Separator(s) => self.separator = s,
            Command::Process(path) => self.process(&path, open)?,
            Command::MinWeight(w) => self.min_weight = w,
            Command::Overlap(on) => {
                if on {
                    self.say("## WARNING: OVERLAP ON is not implemented; samples are taken as independent".into());
                }
            }
            Command::EffectPrecision(p) => self.effect_precision = p,
            Command::StdErrPrecision(p) => self.stderr_precision = p,
            Command::Outfile(prefix, suffix) => {
                self.outfile = (prefix, suffix);
                self.round = 1;
            }
            Command::Unsupported(line) => self.say(format!(
                "## WARNING: command not supported, ignored: {line}"
            )),
            Command::Ignored(_) => {}
        }
        Ok(())
    }

    fn process(&mut self, path: &str, open: &mut Opener<'_>) -> Result<()> {
        self.say(
            "###########################################################################".into(),
        );
        self.say(format!("## Processing file '{path}'"));
        let input = match open(path) {
            Ok(r) => r,
            Err(e) => {
                self.say(format!("## Failed to open file '{path}': {e}"));
                return Ok(());
            }
        };
        let spec = ReadSpec {
            scheme: self.scheme,
            labels: self.labels.clone(),
            separator: Some(self.separator),
            default_weight: self.default_weight,
            need_frequency: self.average_freq || self.min_max_freq,
            need_position: self.track_positions,
            strict_columns: self.strict_columns,
        };
        let mut reader = match CohortReader::new(input, path, &spec) {
            Ok(r) => r,
            Err(e) => {
                self.say(format!("## ERROR: {e}"));
                return Ok(());
            }
        };
        let cohort = self.files.len();
        let mut aligner = Aligner::new(self.scheme, Palindromic::Keep);
        let mut report =
            self.table
                .read_cohort(&mut reader, cohort, &mut aligner, OnInvalidRow::Count, None)?;
        for (reason, n) in &report.excluded {
            self.say(format!("## WARNING: {n} rows skipped: {reason}"));
        }
        let lambda = self.lambda_of(cohort);
        if let Some(l) = lambda {
            report.lambda = l;
        }
        self.lambdas.push(report.lambda);
        self.files.push(path.to_string());
        self.say(format!("## Processed {} markers ...", report.used));
        Ok(())
    }

    /// METAL's per-file lambda: the upper median of the chi-squares of the rows this file
    /// contributed (the listed markers only with `LIST`), or the given value; `None` when off.
    fn lambda_of(&mut self, cohort: usize) -> Option<f64> {
        let given = match &self.gc {
            GenomicControl::Off => return None,
            GenomicControl::Given(l) => Some(*l),
            _ => None,
        };
        let lambda = match given {
            Some(l) => {
                if l > 1.0 {
                    l
                } else {
                    1.0
                }
            }
            None => {
                let mut chi2 = Vec::new();
                for v in self.table.variants() {
                    if self
                        .gc_list
                        .as_ref()
                        .is_some_and(|s| !s.contains(&v.marker))
                    {
                        continue;
                    }
                    if let Some(s) = v.studies.iter().find(|s| s.cohort == cohort) {
                        chi2.push(match self.scheme {
                            Scheme::SampleSize => s.z * s.z,
                            Scheme::InverseVariance => (s.effect / s.se).powi(2),
                        });
                    }
                }
                genomic_control_lambda(&mut chi2)
            }
        };
        self.say(format!("## Genomic control parameter is {lambda:.3}"));
        Some(lambda)
    }

    fn analyze(&mut self, heterogeneity: bool) -> Result<()> {
        let name = format!("{}{}{}", self.outfile.0, self.round, self.outfile.1);
        self.round += 1;
        self.say(
            "###########################################################################".into(),
        );
        self.say("## Executing meta-analysis ...".into());
        self.say(format!(
            "## Complete results will be stored in file '{name}'"
        ));
        let pooler = GwasPooler {
            scheme: self.scheme,
            ..GwasPooler::default()
        };
        let mut results = Vec::new();
        let lambdas = if self.lambdas.is_empty() {
            vec![1.0]
        } else {
            self.lambdas.clone()
        };
        pooler.pool(
            self.table.variants(),
            self.files.len(),
            &lambdas,
            &mut PoolBuffers::default(),
            &mut results,
        )?;
        let layout = TableLayout {
            scheme: self.scheme,
            track_positions: self.track_positions,
            average_freq: self.average_freq,
            min_max_freq: self.min_max_freq,
            heterogeneity,
            effect_precision: self.effect_precision,
            stderr_precision: self.stderr_precision,
            min_weight: self.min_weight,
        };
        let file = std::fs::File::create(&name).map_err(|e| io_error(&name, e))?;
        let mut w = io::BufWriter::new(file);
        let count = write_table(&mut w, &layout, self.table.variants(), &results)
            .map_err(|e| io_error(&name, e))?;
        io::Write::flush(&mut w).map_err(|e| io_error(&name, e))?;
        let info = format!("{name}.info");
        let file = std::fs::File::create(&info).map_err(|e| io_error(&info, e))?;
        let mut w = io::BufWriter::new(file);
        write_info(&mut w, &layout, &name, &self.files).map_err(|e| io_error(&info, e))?;
        io::Write::flush(&mut w).map_err(|e| io_error(&info, e))?;
        self.say(format!("## Completed meta-analysis for {count} markers!"));
        self.log.tables.push(name);
        Ok(())
    }
}

fn io_error(path: &str, e: io::Error) -> Error {
    Error::InvalidRecord {
        file: path.to_string(),
        line: 0,
        column: String::new(),
        problem: crate::gwas::RecordProblem::Io(e.to_string()),
    }
}
