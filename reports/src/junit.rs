//! JUnit XML, the test report CI engines display (GitLab, Jenkins,
//! Buildkite, GitHub Actions through a reporter action): SLO verdicts and
//! comparisons as test cases, a failing one carrying the measured value,
//! the limit and the margin.
//!
//! The shape follows the common JUnit schema (Jenkins xunit's
//! `junit-10.xsd`, kept in `reports/tests/fixtures/`): `<testsuites>` with
//! the totals, one `<testsuite>` per device with its `<properties>`, one
//! `<testcase>` per check holding a `<failure>` or `<skipped>` and the
//! figures in `<system-out>`. That schema has no `skipped` total on
//! `<testsuites>` and no `<properties>` inside a `<testcase>`, so neither is
//! written. `history check` builds its suites in the harness from these types.
use crate::report::fmt::num;
use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::io::Write as _;
use std::path::{Path, PathBuf};

use thiserror::Error;

use crate::compare::{self, CaseKey, Comparison, Side};
use crate::slo::Verdict;

/// A whole JUnit file: `<testsuites>`.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Report {
    /// What ran, e.g. `edgebench sweep profiles/jetson.toml`.
    pub name: String,
    /// Wall time of the whole run, seconds, when known.
    pub time_s: Option<f64>,
    /// One per device (or other group).
    pub suites: Vec<Suite>,
}

/// One `<testsuite>`.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Suite {
    /// Its name, e.g. the device.
    pub name: String,
    /// The machine the results come from, when known.
    pub hostname: Option<String>,
    /// Wall time, seconds, when known.
    pub time_s: Option<f64>,
    /// Settings that apply to every case (profile, threshold, store...).
    pub properties: Vec<(String, String)>,
    /// The checks.
    pub cases: Vec<Case>,
}

/// One `<testcase>`.
#[derive(Debug, Clone, PartialEq)]
pub struct Case {
    /// What is checked, e.g. `tiny / llama.cpp / req512+128 / t=4`.
    pub classname: String,
    /// The check, e.g. `decode floor: decode_tps.p50 >= 20`.
    pub name: String,
    /// Passed, failed or skipped.
    pub outcome: Outcome,
    /// The figures, as lines of text: the `<failure>`'s text when it
    /// failed, else `<system-out>`; empty for none.
    pub output: String,
}

/// How a check ended.
#[derive(Debug, Clone, PartialEq)]
pub enum Outcome {
    /// Within its limit.
    Passed,
    /// Outside its limit, or nothing to judge where something must be.
    Failed {
        /// `<failure type>`: `slo` or `regression`.
        kind: String,
        /// One line: the measured value, the limit and the margin.
        message: String,
    },
    /// Not judged (too few samples or runs, no counterpart), with why.
    Skipped {
        /// One line saying why.
        message: String,
    },
}

/// Test counts, as the `tests`, `failures`, `errors`, `skipped` attributes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Counts {
    /// Test cases.
    pub tests: usize,
    /// Cases with a `<failure>`.
    pub failures: usize,
    /// Cases with an `<error>` (edgebench writes none).
    pub errors: usize,
    /// Cases with `<skipped>`.
    pub skipped: usize,
}

impl Suite {
    /// The counts of its cases.
    pub fn counts(&self) -> Counts {
        let mut c = Counts {
            tests: self.cases.len(),
            ..Counts::default()
        };
        for case in &self.cases {
            match case.outcome {
                Outcome::Passed => {}
                Outcome::Failed { .. } => c.failures += 1,
                Outcome::Skipped { .. } => c.skipped += 1,
            }
        }
        c
    }
}

impl Report {
    /// The counts of every suite together.
    pub fn counts(&self) -> Counts {
        self.suites
            .iter()
            .map(Suite::counts)
            .fold(Counts::default(), |a, b| Counts {
                tests: a.tests + b.tests,
                failures: a.failures + b.failures,
                errors: a.errors + b.errors,
                skipped: a.skipped + b.skipped,
            })
    }

    /// The JUnit XML document (UTF-8, XML 1.0).
    pub fn to_xml(&self) -> String {
        let mut s = String::from("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
        let c = self.counts();
        let _ = writeln!(
            s,
            "<testsuites name=\"{}\" tests=\"{}\" failures=\"{}\" errors=\"{}\"{}>",
            attr(&self.name),
            c.tests,
            c.failures,
            c.errors,
            time_attr(self.time_s)
        );
        for (id, suite) in self.suites.iter().enumerate() {
            suite.write_xml(&mut s, id);
        }
        s.push_str("</testsuites>\n");
        s
    }
}

impl Suite {
    fn write_xml(&self, s: &mut String, id: usize) {
        let c = self.counts();
        let host = self
            .hostname
            .as_ref()
            .map_or_else(String::new, |h| format!(" hostname=\"{}\"", attr(h)));
        let _ = writeln!(
            s,
            "  <testsuite name=\"{}\" id=\"{id}\" tests=\"{}\" failures=\"{}\" errors=\"{}\" \
             skipped=\"{}\"{}{host}>",
            attr(&self.name),
            c.tests,
            c.failures,
            c.errors,
            c.skipped,
            time_attr(self.time_s)
        );
        if !self.properties.is_empty() {
            s.push_str("    <properties>\n");
            for (k, v) in &self.properties {
                let _ = writeln!(
                    s,
                    "      <property name=\"{}\" value=\"{}\"/>",
                    attr(k),
                    attr(v)
                );
            }
            s.push_str("    </properties>\n");
        }
        for case in &self.cases {
            let _ = write!(
                s,
                "    <testcase classname=\"{}\" name=\"{}\">",
                attr(&case.classname),
                attr(&case.name)
            );
            // A failure carries the figures as its text; other cases show
            // them as the case's output.
            let mut inner = Vec::new();
            match &case.outcome {
                Outcome::Failed { kind, message } => inner.push(format!(
                    "<failure message=\"{}\" type=\"{}\">{}</failure>",
                    attr(message),
                    attr(kind),
                    text(&case.output)
                )),
                Outcome::Skipped { message } => {
                    inner.push(format!("<skipped message=\"{}\"/>", attr(message)));
                }
                Outcome::Passed => {}
            }
            if !case.output.is_empty() && !matches!(case.outcome, Outcome::Failed { .. }) {
                inner.push(format!("<system-out>{}</system-out>", text(&case.output)));
            }
            for element in &inner {
                let _ = write!(s, "\n      {element}");
            }
            if !inner.is_empty() {
                s.push_str("\n    ");
            }
            s.push_str("</testcase>\n");
        }
        s.push_str("  </testsuite>\n");
    }
}

/// ` time="S.mmm"` (the schema allows at most 3 decimals), or nothing.
fn time_attr(t: Option<f64>) -> String {
    match t {
        Some(t) if t.is_finite() => format!(" time=\"{:.3}\"", t.max(0.0)),
        _ => String::new(),
    }
}

/// Whether XML 1.0 allows `c` at all: tab, line feed, carriage return and
/// everything from U+0020 except U+FFFE and U+FFFF (Rust chars are never
/// surrogates). Other control characters cannot even be written as `&#N;`.
fn xml_char(c: char) -> bool {
    matches!(c, '\t' | '\n' | '\r') || (c >= ' ' && c != '\u{FFFE}' && c != '\u{FFFF}')
}

/// `s` escaped for an attribute value in double quotes. Tabs and line
/// breaks become character references so a parser keeps them (it would
/// turn them into spaces); characters XML forbids become U+FFFD.
pub fn attr(s: &str) -> String {
    escape(s, true)
}

/// `s` escaped for element text; characters XML forbids become U+FFFD.
pub fn text(s: &str) -> String {
    escape(s, false)
}

fn escape(s: &str, in_attr: bool) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' if in_attr => out.push_str("&quot;"),
            '\'' if in_attr => out.push_str("&apos;"),
            '\t' if in_attr => out.push_str("&#9;"),
            '\n' if in_attr => out.push_str("&#10;"),
            // A raw CR would be read back as a line feed, in text too.
            '\r' => out.push_str("&#13;"),
            c if xml_char(c) => out.push(c),
            _ => out.push('\u{FFFD}'),
        }
    }
    out
}

/// `+1.5` / `-0.250`.
fn signed(x: f64) -> String {
    format!("{}{}", if x < 0.0 { "-" } else { "+" }, num(x.abs()))
}

/// One suite of a sweep's SLO verdicts: a case per verdict, named by the
/// SLO and its limit, its class the case it judged (`*` where no case
/// matched). A verdict with nothing measured fails with its note.
pub fn slo_suite(name: &str, verdicts: &[Verdict]) -> Suite {
    let cases = verdicts
        .iter()
        .map(|v| {
            let threads = if v.threads == 0 {
                "*".to_string()
            } else {
                v.threads.to_string()
            };
            let limit = format!("{} {}", v.op, num(v.threshold));
            let margin = match (v.margin, v.margin_pct) {
                (Some(m), Some(p)) => format!("{} ({p:+.1}%)", signed(m)),
                (Some(m), None) => signed(m),
                _ => "none".to_string(),
            };
            let summary = match v.measured {
                Some(x) => format!("measured {}, limit {limit}, margin {margin}", num(x)),
                None => format!(
                    "nothing measured: {}",
                    v.note.as_deref().unwrap_or("no value")
                ),
            };
            let output = format!(
                "SLO '{}': {} {limit}\ncase: model {}, backend {}, test {}, threads {threads}\n\
                 measured: {}\nlimit: {limit}\nmargin: {margin}\nresult: {}\n",
                v.slo,
                v.metric,
                v.model,
                v.backend,
                v.test,
                v.measured.map_or_else(|| "none".to_string(), num),
                if v.pass { "pass" } else { "FAIL" },
            ) + &v
                .note
                .as_ref()
                .map_or_else(String::new, |n| format!("note: {n}\n"));
            Case {
                classname: format!("{} / {} / {} / t={threads}", v.model, v.backend, v.test),
                name: format!("{}: {} {limit}", v.slo, v.metric),
                outcome: if v.pass {
                    Outcome::Passed
                } else {
                    Outcome::Failed {
                        kind: "slo".into(),
                        message: summary,
                    }
                },
                output,
            }
        })
        .collect();
    Suite {
        name: name.to_string(),
        cases,
        ..Suite::default()
    }
}

/// A comparison as one suite per device: a case per compared metric
/// (`slower` fails, `inconclusive` is skipped with its reason), and a
/// skipped `not compared` case per case left out or present on one side only.
pub fn comparison_suites(c: &Comparison) -> Vec<Suite> {
    let mut suites: BTreeMap<String, Suite> = BTreeMap::new();
    let side = |s: Side| match s {
        Side::Baseline => "baseline",
        Side::Candidate => "candidate",
    };
    for case in &c.cases {
        // Records of this case left out on one side, the rest compared.
        let partly: String = c
            .skipped
            .iter()
            .filter(|k| k.key == case.key)
            .map(|k| format!("note ({}): {}\n", side(k.side), k.reason))
            .collect();
        for m in &case.metrics {
            let e = &m.estimate;
            let ci = match (e.ci_low_pct, e.ci_high_pct) {
                (Some(lo), Some(hi)) => format!(" (95% CI {lo:+.2}% to {hi:+.2}%)"),
                _ => String::new(),
            };
            let margin = c.threshold_pct - e.change_pct.abs();
            let message = format!(
                "change {:+.2}%{ci}, limit ±{}%, margin {margin:+.2} points",
                e.change_pct,
                num(c.threshold_pct)
            );
            let output = format!(
                "{}: baseline {} (n={}), candidate {} (n={})\n{message}\nverdict: {}\n{}{partly}",
                m.metric,
                num(e.baseline_mean),
                e.baseline_n,
                num(e.candidate_mean),
                e.candidate_n,
                e.verdict.as_str(),
                e.note
                    .as_ref()
                    .map_or_else(String::new, |n| format!("note: {n}\n")),
            );
            let outcome = match e.verdict {
                compare::Verdict::Slower => Outcome::Failed {
                    kind: "regression".into(),
                    message: format!("{} slower: {message}", m.metric),
                },
                compare::Verdict::Inconclusive => Outcome::Skipped {
                    message: format!(
                        "inconclusive: {}",
                        e.note.as_deref().unwrap_or("interval too wide")
                    ),
                },
                compare::Verdict::Same | compare::Verdict::Faster => Outcome::Passed,
            };
            device_suite(&mut suites, &case.key.device, c)
                .cases
                .push(Case {
                    classname: case.label.clone(),
                    name: m.metric.clone(),
                    outcome,
                    output,
                });
        }
    }
    // Cases with nothing compared: left out on a side (both sides' reasons
    // in one case), or present on one side only.
    let mut not_compared: BTreeMap<&CaseKey, (String, Vec<String>)> = BTreeMap::new();
    for k in c
        .skipped
        .iter()
        .filter(|k| !c.cases.iter().any(|x| x.key == k.key))
    {
        let entry = not_compared
            .entry(&k.key)
            .or_insert((k.label.clone(), vec![]));
        entry
            .1
            .push(format!("left out ({}): {}", side(k.side), k.reason));
    }
    for u in &c.unmatched {
        let entry = not_compared
            .entry(&u.key)
            .or_insert((u.label.clone(), vec![]));
        entry.1.push(format!("only in the {}", side(u.only_in)));
    }
    for (key, (label, why)) in not_compared {
        let message = why.join("; ");
        device_suite(&mut suites, &key.device, c).cases.push(Case {
            classname: label,
            name: "not compared".into(),
            outcome: Outcome::Skipped { message },
            output: String::new(),
        });
    }
    suites.into_values().collect()
}

/// The suite of `device`, made with the comparison's settings on first use.
fn device_suite<'a>(
    suites: &'a mut BTreeMap<String, Suite>,
    device: &str,
    c: &Comparison,
) -> &'a mut Suite {
    suites.entry(device.to_string()).or_insert_with(|| Suite {
        name: device.to_string(),
        properties: vec![
            ("threshold_pct".into(), num(c.threshold_pct)),
            ("min_samples".into(), c.min_samples.to_string()),
        ],
        ..Suite::default()
    })
}

/// Why a JUnit file cannot be written.
#[derive(Debug, Error)]
#[non_exhaustive]
pub enum JunitError {
    /// The path names a folder.
    #[error("{} is a folder; give a file name, e.g. {}", .path.display(), .path.join("junit.xml").display())]
    IsFolder {
        /// The path given.
        path: PathBuf,
    },
    /// Its folder is missing and cannot be created.
    #[error(
        "cannot create its folder {} ({os_error}); give a path in a folder you can write",
        .dir.display()
    )]
    Folder {
        /// That folder.
        dir: PathBuf,
        /// What the OS said.
        os_error: std::io::Error,
    },
    /// Creating, writing or renaming the file failed.
    #[error(
        "cannot write {} ({os_error}); check that its folder is writable and has space",
        .path.display()
    )]
    Io {
        /// The file.
        path: PathBuf,
        /// What the OS said.
        os_error: std::io::Error,
    },
}

/// The folder `path` goes into, created when missing (as CI tools expect
/// of a report path, and as `--out` does).
fn folder_of(path: &Path) -> Result<&Path, JunitError> {
    if path.is_dir() {
        return Err(JunitError::IsFolder { path: path.into() });
    }
    let dir = path
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    std::fs::create_dir_all(dir).map_err(|os_error| JunitError::Folder {
        dir: dir.into(),
        os_error,
    })?;
    Ok(dir)
}

/// `.NAME.PID.tmp` in `dir`.
fn temp_path(dir: &Path, path: &Path) -> PathBuf {
    let name = path
        .file_name()
        .map_or_else(|| "junit.xml".into(), |n| n.to_string_lossy().into_owned());
    dir.join(format!(".{name}.{}.tmp", std::process::id()))
}

/// Checks, before any work, that `path` can be written: not a folder, its
/// folder there (created when missing) and a file can be created in it (a
/// temp file is created and removed). A file at `path` is left as it is.
pub fn check_writable(path: &Path) -> Result<(), JunitError> {
    let dir = folder_of(path)?;
    let probe = temp_path(dir, path);
    std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .open(&probe)
        .map_err(|os_error| JunitError::Io {
            path: path.into(),
            os_error,
        })?;
    let _ = std::fs::remove_file(&probe);
    Ok(())
}

/// Writes `report` to `path` atomically: a temp file beside it, fsync,
/// rename, fsync of the folder. A failure leaves `path` as it was and no
/// temp file behind.
pub fn write(path: &Path, report: &Report) -> Result<(), JunitError> {
    let dir = folder_of(path)?;
    let tmp = temp_path(dir, path);
    let written = std::fs::File::create(&tmp).and_then(|mut f| {
        f.write_all(report.to_xml().as_bytes())?;
        f.sync_all()
    });
    if let Err(os_error) = written.and_then(|_| std::fs::rename(&tmp, path)) {
        let _ = std::fs::remove_file(&tmp);
        return Err(JunitError::Io {
            path: path.into(),
            os_error,
        });
    }
    if let Ok(d) = std::fs::File::open(dir) {
        let _ = d.sync_all();
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::compare::Options;
    use crate::synthetic::{self, SyntheticCase};

    fn verdict(slo: &str, measured: Option<f64>, pass: bool) -> Verdict {
        Verdict {
            slo: slo.into(),
            metric: "decode_tps.p50".into(),
            op: ">=".into(),
            threshold: 100.0,
            model: "tiny".into(),
            backend: "llama.cpp".into(),
            test: "req16+5".into(),
            threads: 2,
            measured,
            pass,
            margin: measured.map(|m| m - 100.0),
            margin_pct: measured.map(|m| m - 100.0),
            note: measured.is_none().then(|| "case crashed: signal 9".into()),
        }
    }

    #[test]
    fn escaping_handles_markup_quotes_and_forbidden_characters() {
        assert_eq!(
            attr(r#"a<b & "c" 'd' >"#),
            "a&lt;b &amp; &quot;c&quot; &apos;d&apos; &gt;"
        );
        assert_eq!(text(r#"a<b & "c" 'd'"#), r#"a&lt;b &amp; "c" 'd'"#);
        // Line breaks and tabs survive attribute normalisation; CR survives
        // line-end normalisation.
        assert_eq!(attr("x\ty\nz\r"), "x&#9;y&#10;z&#13;");
        assert_eq!(text("x\ty\nz\r"), "x\ty\nz&#13;");
        // XML 1.0 has no way to write these at all, not even as &#N;.
        assert_eq!(
            attr("nul\0 bell\u{7} esc\u{1b} \u{FFFE}\u{FFFF}"),
            "nul\u{FFFD} bell\u{FFFD} esc\u{FFFD} \u{FFFD}\u{FFFD}"
        );
        assert_eq!(text("\u{1}\u{8}\u{b}\u{c}\u{1f}"), "\u{FFFD}".repeat(5));
        // Everything else passes through, astral planes included.
        assert_eq!(text("°C µs ✓ 🦀 \u{7f}"), "°C µs ✓ 🦀 \u{7f}");
    }

    #[test]
    fn counts_add_up_and_appear_as_attributes() {
        let suite = slo_suite(
            "test box",
            &[
                verdict("fast", Some(120.0), true),
                verdict("faster", Some(80.0), false),
                verdict("crash", None, false),
            ],
        );
        let mut other = suite.clone();
        other.name = "other".into();
        other.cases.push(Case {
            classname: "c".into(),
            name: "n".into(),
            outcome: Outcome::Skipped {
                message: "too few".into(),
            },
            output: String::new(),
        });
        let report = Report {
            name: "edgebench sweep".into(),
            time_s: Some(12.3456),
            suites: vec![suite, other],
        };
        let c = report.counts();
        assert_eq!(
            c,
            Counts {
                tests: 7,
                failures: 4,
                errors: 0,
                skipped: 1
            }
        );
        let xml = report.to_xml();
        assert!(xml.contains(
            r#"<testsuites name="edgebench sweep" tests="7" failures="4" errors="0" time="12.346">"#
        ));
        assert!(xml.contains(r#"tests="3" failures="2" errors="0" skipped="0""#));
        assert!(xml.contains(r#"tests="4" failures="2" errors="0" skipped="1""#));
        assert_eq!(xml.matches("<testcase ").count(), 7);
        assert_eq!(xml.matches("<failure ").count(), 4);
        assert_eq!(xml.matches("<skipped ").count(), 1);
    }

    #[test]
    fn slo_failures_carry_measured_limit_and_margin_and_notes() {
        let s = slo_suite(
            "dev",
            &[
                verdict("fast", Some(120.0), true),
                verdict("floor", Some(85.5), false),
                verdict("crash", None, false),
            ],
        );
        assert_eq!(s.cases[0].outcome, Outcome::Passed);
        assert_eq!(s.cases[0].classname, "tiny / llama.cpp / req16+5 / t=2");
        assert_eq!(s.cases[0].name, "fast: decode_tps.p50 >= 100");
        assert!(s.cases[0].output.contains("margin: +20 (+20.0%)"));
        assert_eq!(
            s.cases[1].outcome,
            Outcome::Failed {
                kind: "slo".into(),
                message: "measured 85.50, limit >= 100, margin -14.50 (-14.5%)".into()
            }
        );
        let Outcome::Failed { message, .. } = &s.cases[2].outcome else {
            panic!("nothing measured must fail: {:?}", s.cases[2]);
        };
        assert_eq!(message, "nothing measured: case crashed: signal 9");
        let xml = Report {
            name: "x".into(),
            time_s: None,
            suites: vec![s],
        }
        .to_xml();
        // The figures are the failure's text, not repeated as output.
        assert!(
            xml.contains("type=\"slo\">SLO 'floor': decode_tps.p50 &gt;= 100\n"),
            "{xml}"
        );
        assert_eq!(xml.matches("<system-out>").count(), 1, "{xml}");
    }

    /// `n` samples around `mean` (±1 %, deterministic).
    fn around(mean: f64, n: usize) -> Vec<f64> {
        (0..n)
            .map(|i| mean * (1.0 + 0.01 * ((i % 3) as f64 - 1.0)))
            .collect()
    }

    #[test]
    fn comparison_fails_slower_skips_inconclusive_and_lists_the_uncompared() {
        let a = SyntheticCase::default();
        let b = SyntheticCase {
            test: "req128+16",
            ..a.clone()
        };
        let only_base = SyntheticCase {
            test: "req256+16",
            ..a.clone()
        };
        let other_device = SyntheticCase {
            device: "Other",
            ..a.clone()
        };
        let base = [
            synthetic::record(&a, &around(100.0, 10)),
            synthetic::record(&b, &around(100.0, 3)),
            synthetic::record(&only_base, &around(100.0, 10)),
            synthetic::record(&other_device, &around(100.0, 10)),
        ];
        let cand = [
            synthetic::record(&a, &around(80.0, 10)),
            synthetic::record(&b, &around(100.0, 3)),
            synthetic::record(&other_device, &around(100.0, 10)),
        ];
        let c = compare::compare(&base, &cand, &Options::default());
        let suites = comparison_suites(&c);
        assert_eq!(
            suites.iter().map(|s| s.name.as_str()).collect::<Vec<_>>(),
            ["Other", "Test Device"]
        );
        let dev = &suites[1];
        let metrics = c.cases.iter().filter(|x| x.key.device == "Test Device");
        let n_metrics: usize = metrics.map(|x| x.metrics.len()).sum();
        let counts = dev.counts();
        assert_eq!(counts.tests, n_metrics + 1, "{dev:#?}");
        assert_eq!(
            counts.failures,
            c.with_verdict(compare::Verdict::Slower).len()
        );
        assert_eq!(
            counts.skipped,
            c.with_verdict(compare::Verdict::Inconclusive).len() + 1
        );
        let failed = dev
            .cases
            .iter()
            .find(|k| matches!(k.outcome, Outcome::Failed { .. }))
            .unwrap();
        let Outcome::Failed { kind, message } = &failed.outcome else {
            panic!("{failed:?}");
        };
        assert_eq!(kind, "regression");
        assert!(
            message.starts_with("decode_tps slower: change -20.00%"),
            "{message}"
        );
        assert!(
            message.contains("limit ±5%, margin -15.00 points"),
            "{message}"
        );
        let uncompared = dev.cases.last().unwrap();
        assert_eq!(uncompared.name, "not compared");
        assert_eq!(
            uncompared.outcome,
            Outcome::Skipped {
                message: "only in the baseline".into()
            }
        );
        assert_eq!(suites[0].counts().failures, 0);
    }

    #[test]
    fn write_replaces_atomically_and_names_what_is_wrong() {
        let dir = std::env::temp_dir().join(format!("edgebench-junit-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("j.xml");
        let report = Report {
            name: "r".into(),
            ..Report::default()
        };
        check_writable(&path).unwrap();
        assert!(!path.exists(), "the check writes nothing at the path");
        std::fs::write(&path, "old").unwrap();
        write(&path, &report).unwrap();
        assert_eq!(std::fs::read_to_string(&path).unwrap(), report.to_xml());
        assert_eq!(
            std::fs::read_dir(&dir).unwrap().count(),
            1,
            "no temp file left"
        );
        let e = write(&dir, &report).unwrap_err();
        assert!(matches!(e, JunitError::IsFolder { .. }), "{e}");
        // Missing folders are made; a file where a folder must be is named.
        let nested = dir.join("new/folder/j.xml");
        check_writable(&nested).unwrap();
        write(&nested, &report).unwrap();
        let e = check_writable(&path.join("j.xml")).unwrap_err().to_string();
        assert!(
            e.contains("cannot create its folder") && e.contains(&*path.to_string_lossy()),
            "{e}"
        );
        std::fs::remove_dir_all(&dir).unwrap();
    }

    /// Hostile names render to a document the JUnit schema accepts and a
    /// parser reads back unchanged (xmllint, from scripts/setup.sh).
    #[test]
    fn hostile_text_gives_schema_valid_xml() {
        let nasty = "a<b>&\"q\" 'a' \u{1}\u{1b}[31m\r\n]]> \t😀";
        let mut v = verdict(nasty, Some(1.0), false);
        v.model = nasty.into();
        v.note = Some(nasty.into());
        let mut suite = slo_suite(nasty, &[v.clone(), verdict("ok", Some(101.0), true)]);
        suite.properties.push((nasty.into(), nasty.into()));
        suite.hostname = Some(nasty.into());
        let report = Report {
            name: nasty.into(),
            time_s: Some(1.0),
            suites: vec![suite],
        };
        let dir = std::env::temp_dir().join(format!("edgebench-junit-x-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("hostile.xml");
        write(&path, &report).unwrap();
        let xsd = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/junit-10.xsd");
        let out = std::process::Command::new("xmllint")
            .arg("--noout")
            .arg("--schema")
            .arg(&xsd)
            .arg(&path)
            .output()
            .unwrap_or_else(|e| {
                panic!(
                    "xmllint could not run ({e}); run scripts/setup.sh (it installs libxml2-utils)"
                )
            });
        assert!(
            out.status.success(),
            "{}\n{}",
            String::from_utf8_lossy(&out.stderr),
            report.to_xml()
        );
        // The suite name reads back as written, forbidden characters replaced.
        let name = std::process::Command::new("xmllint")
            .args(["--xpath", "string(//testsuite/@name)"])
            .arg(&path)
            .output()
            .unwrap();
        assert_eq!(
            String::from_utf8_lossy(&name.stdout)
                .strip_suffix('\n')
                .unwrap(),
            nasty.replace(['\u{1}', '\u{1b}'], "\u{FFFD}")
        );
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
