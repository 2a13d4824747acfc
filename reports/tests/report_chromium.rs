//! report.html opened in a real headless Chromium (Debian's `chromium`,
//! installed by scripts/setup.sh): no console messages (script errors,
//! failed loads), every chart's SVG present and non-empty in the DOM the
//! browser built, and a full-page screenshot kept as a CI artifact at
//! target/report-screenshot.png.
mod report_fixtures;

use std::path::{Path, PathBuf};
use std::process::Command;

use edgebench_reports::report::{self, Options, ReportFormat};

/// The browser, or a failure saying how to install it: CI runs
/// scripts/setup.sh first, so a missing browser is a set-up error, never
/// a reason to pass silently.
fn chromium() -> PathBuf {
    for name in ["chromium", "chromium-browser", "google-chrome"] {
        if let Ok(out) = Command::new("sh")
            .args(["-c", &format!("command -v {name}")])
            .output()
            && out.status.success()
        {
            let path = String::from_utf8_lossy(&out.stdout).trim().to_owned();
            if !path.is_empty() {
                return PathBuf::from(path);
            }
        }
    }
    panic!(
        "chromium is not installed; run scripts/setup.sh (it installs Debian's chromium package) and run the tests again"
    );
}

fn target_dir() -> PathBuf {
    std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join("../target"))
}

/// Runs headless Chromium on `page` with `args`; returns (stdout, stderr).
fn headless(browser: &Path, profile: &Path, page: &Path, args: &[&str]) -> (String, String) {
    let url = format!("file://{}", page.display());
    let out = Command::new("timeout")
        .arg("120")
        .arg(browser)
        .args([
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--hide-scrollbars",
            "--no-first-run",
            "--disable-extensions",
            "--enable-logging=stderr",
            "--v=0",
        ])
        .arg(format!("--user-data-dir={}", profile.display()))
        .args(args)
        .arg(&url)
        .output()
        .expect("chromium starts");
    assert!(
        out.status.success(),
        "chromium failed ({}): {}",
        out.status,
        String::from_utf8_lossy(&out.stderr)
    );
    (
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

/// Console lines Chromium logs for the page: script errors, failed loads.
fn console_lines(stderr: &str) -> Vec<&str> {
    stderr
        .lines()
        .filter(|l| l.contains(":CONSOLE") || l.contains("Uncaught"))
        .collect()
}

#[test]
fn report_html_in_headless_chromium() {
    let browser = chromium();
    let dir = tempfile::tempdir().unwrap();
    let (jetson, pi) = report_fixtures::two_devices(dir.path());
    let out = dir.path().join("report");
    let r = report::build(
        &[jetson, pi],
        &Options {
            slo_profile: None,
            edgebench_version: "0.1.0".into(),
        },
    )
    .unwrap();
    report::write(&r, &out, &[ReportFormat::Html]).unwrap();
    let page = out.join("report.html");
    let profile = dir.path().join("chromium-profile");

    let (dom, stderr) = headless(&browser, &profile, &page, &["--dump-dom"]);
    let console = console_lines(&stderr);
    assert!(console.is_empty(), "console messages: {console:#?}");
    // Every chart: a figure holding an <svg> with drawn content.
    let figures: Vec<&str> = dom.split("<figure id=\"chart-").skip(1).collect();
    let stems: Vec<&str> = figures
        .iter()
        .map(|f| f.split('"').next().unwrap_or(""))
        .collect();
    assert_eq!(
        stems,
        [
            "decode-tps",
            "prefill-tps",
            "ttft-vs-prompt",
            "itl-percentiles",
            "roofline",
            "sustained-decode-tps",
            "sustained-temperature"
        ]
    );
    for (stem, f) in stems.iter().zip(&figures) {
        let f = f.split("</figure>").next().unwrap_or("");
        let svg = f.split("<svg").nth(1).unwrap_or("");
        assert!(!svg.is_empty(), "{stem}: no <svg> in the DOM");
        let drawn = svg.matches("<text").count()
            + svg.matches("<polyline").count()
            + svg.matches("<rect").count()
            + svg.matches("<path").count();
        assert!(
            drawn > 10,
            "{stem}: the SVG is (nearly) empty: {drawn} shapes"
        );
        assert!(svg.contains("viewBox"), "{stem}: SVG does not scale");
    }

    let shot = target_dir().join("report-screenshot.png");
    let _ = std::fs::remove_file(&shot);
    let (_, stderr) = headless(
        &browser,
        &profile,
        &page,
        &[
            &format!("--screenshot={}", shot.display()),
            "--window-size=1280,7200",
        ],
    );
    let console = console_lines(&stderr);
    assert!(console.is_empty(), "console messages: {console:#?}");
    // The page itself beside its screenshot, for a look at it from CI.
    let _ = std::fs::copy(&page, target_dir().join("report-screenshot.html"));
    let png = std::fs::read(&shot).expect("chromium wrote the screenshot");
    assert!(png.starts_with(b"\x89PNG\r\n\x1a\n"));
    assert!(
        png.len() > 50_000,
        "screenshot suspiciously small: {} bytes",
        png.len()
    );
}
