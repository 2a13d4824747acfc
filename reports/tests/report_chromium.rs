//! report.html opened in a real headless Chromium (Debian's `chromium`,
//! installed by scripts/setup.sh): no console messages (script errors,
//! failed loads), every chart's SVG present and non-empty in the DOM the
//! browser built, and a full-page screenshot kept as a CI artifact at
//! target/report-screenshot.png. Then, driven over the DevTools protocol:
//! a click on a column heading sorts the table, typing in a filter hides
//! the rows without the text, a verdict cell opens to its checks; with
//! JavaScript disabled every table is complete; printed to PDF, every
//! section is on the pages (pdftotext, pdftoppm).
mod report_fixtures;

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::{Value, json};

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
    let page = two_device_page(dir.path());
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
            "decode-tps-llama-1b",
            "prefill-tps-llama-1b",
            "ttft-vs-prompt-llama-1b",
            "itl-percentiles-llama-1b",
            "roofline",
            "pareto-cost-speed",
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

/// The two-device report, written into `dir`; returns report.html.
fn two_device_page(dir: &Path) -> PathBuf {
    let (jetson, pi) = report_fixtures::two_devices(dir);
    let out = dir.join("report");
    let r = report::build(
        &[jetson, pi],
        &Options {
            slo_profile: None,
            edgebench_version: "0.1.0".into(),
        },
    )
    .unwrap();
    report::write(&r, &out, &[ReportFormat::Html]).unwrap();
    out.join("report.html")
}

/// A headless Chromium with its DevTools endpoint open, and a WebSocket to
/// the page it loaded.
struct Devtools {
    child: Child,
    ws: tungstenite::WebSocket<tungstenite::stream::MaybeTlsStream<TcpStream>>,
    next_id: u64,
    /// Protocol events received so far (console, exceptions, load).
    events: Vec<Value>,
}

impl Drop for Devtools {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Devtools {
    fn open(browser: &Path, profile: &Path, page: &Path) -> Devtools {
        let mut child = Command::new(browser)
            .args([
                "--headless",
                "--no-sandbox",
                "--disable-gpu",
                "--no-first-run",
                "--disable-extensions",
                "--remote-debugging-port=0",
                "--window-size=1280,1800",
            ])
            .arg(format!("--user-data-dir={}", profile.display()))
            .arg(format!("file://{}", page.display()))
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .expect("chromium starts");
        // "DevTools listening on ws://127.0.0.1:PORT/devtools/browser/..."
        let mut lines = BufReader::new(child.stderr.take().unwrap()).lines();
        let port: u16 = loop {
            let line = lines
                .next()
                .expect("chromium printed its DevTools address before exiting")
                .unwrap();
            if let Some(rest) = line.split("ws://127.0.0.1:").nth(1) {
                break rest.split('/').next().unwrap().parse().unwrap();
            }
        };
        // Keep draining stderr so the browser never blocks on it.
        std::thread::spawn(move || for _ in lines {});
        let deadline = Instant::now() + Duration::from_secs(30);
        let ws_url = loop {
            let list = http_get(port, "/json/list");
            let pages: Value = serde_json::from_str(&list).unwrap_or(Value::Null);
            let found = pages.as_array().and_then(|a| {
                a.iter().find(|t| {
                    t["type"] == "page"
                        && t["url"].as_str().is_some_and(|u| u.starts_with("file://"))
                })
            });
            if let Some(t) = found {
                break t["webSocketDebuggerUrl"].as_str().unwrap().to_owned();
            }
            assert!(Instant::now() < deadline, "no page target in {list}");
            std::thread::sleep(Duration::from_millis(100));
        };
        let (ws, _) = tungstenite::connect(ws_url.as_str()).expect("DevTools WebSocket");
        if let tungstenite::stream::MaybeTlsStream::Plain(s) = ws.get_ref() {
            s.set_read_timeout(Some(Duration::from_secs(60))).unwrap();
        }
        let mut d = Devtools {
            child,
            ws,
            next_id: 0,
            events: Vec::new(),
        };
        for domain in ["Runtime.enable", "Page.enable", "Log.enable"] {
            d.call(domain, json!({}));
        }
        d.reload();
        d
    }

    /// Loads the page again and waits for its load event; with the
    /// domains on, load-time errors are seen.
    fn reload(&mut self) {
        self.events.clear();
        self.call("Page.reload", json!({ "ignoreCache": true }));
        self.wait_for("Page.loadEventFired");
    }

    fn call(&mut self, method: &str, params: Value) -> Value {
        self.next_id += 1;
        let id = self.next_id;
        let msg = json!({ "id": id, "method": method, "params": params });
        self.ws
            .send(tungstenite::Message::text(msg.to_string()))
            .unwrap();
        loop {
            let v = self.read();
            if v["id"] == id {
                assert!(v.get("error").is_none(), "{method}: {v}");
                return v["result"].clone();
            }
            self.events.push(v);
        }
    }

    fn read(&mut self) -> Value {
        loop {
            match self.ws.read().expect("DevTools message") {
                tungstenite::Message::Text(t) => return serde_json::from_str(t.as_str()).unwrap(),
                tungstenite::Message::Close(_) => panic!("DevTools closed the connection"),
                _ => {}
            }
        }
    }

    fn wait_for(&mut self, event: &str) {
        while !self.events.iter().any(|e| e["method"] == event) {
            let v = self.read();
            self.events.push(v);
        }
    }

    /// Evaluates `js` in the page; its value (JSON). A thrown exception
    /// fails the test with its text.
    fn eval(&mut self, js: &str) -> Value {
        let r = self.call(
            "Runtime.evaluate",
            json!({ "expression": js, "returnByValue": true, "awaitPromise": true }),
        );
        assert!(r.get("exceptionDetails").is_none(), "{js}\n{r}");
        r["result"]["value"].clone()
    }

    /// Script errors, console errors and warnings, failed loads so far.
    fn problems(&self) -> Vec<String> {
        self.events
            .iter()
            .filter(|e| {
                e["method"] == "Runtime.exceptionThrown"
                    || (e["method"] == "Runtime.consoleAPICalled"
                        && matches!(
                            e["params"]["type"].as_str(),
                            Some("error" | "warning" | "assert")
                        ))
                    || (e["method"] == "Log.entryAdded"
                        && matches!(
                            e["params"]["entry"]["level"].as_str(),
                            Some("error" | "warning")
                        ))
            })
            .map(|e| e.to_string())
            .collect()
    }
}

/// GET `path` from the DevTools HTTP endpoint; the body.
fn http_get(port: u16, path: &str) -> String {
    let Ok(mut s) = TcpStream::connect(("127.0.0.1", port)) else {
        return String::new();
    };
    // Early on the endpoint may accept and not answer yet: the caller
    // retries.
    let _ = s.set_read_timeout(Some(Duration::from_secs(2)));
    let _ = write!(
        s,
        "GET {path} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nConnection: close\r\n\r\n"
    );
    let mut body = String::new();
    let _ = s.read_to_string(&mut body);
    body.split_once("\r\n\r\n")
        .map_or(String::new(), |(_, b)| b.to_owned())
}

/// JavaScript: the `<table>` after the heading whose text is `title`.
fn table_after(title: &str) -> String {
    format!(
        "(() => {{ const h = [...document.querySelectorAll('h3')].find(h => h.textContent === {title:?});
           let e = h && h.nextElementSibling;
           while (e && !(e.matches('table') || e.querySelector('table'))) e = e.nextElementSibling;
           return e && (e.matches('table') ? e : e.querySelector('table')); }})()"
    )
}

#[test]
fn report_tables_sort_filter_and_open_in_chromium() {
    let browser = chromium();
    let dir = tempfile::tempdir().unwrap();
    let page = two_device_page(dir.path());
    let mut d = Devtools::open(&browser, &dir.path().join("profile"), &page);
    assert!(d.problems().is_empty(), "console: {:#?}", d.problems());

    // The answer is the first section, and says what to pick.
    let first = d.eval("document.querySelector('section').id");
    assert_eq!(first, "answer");
    let headline = d.eval("document.querySelector('#answer li').textContent");
    assert!(
        headline
            .as_str()
            .unwrap()
            .contains("Pick Jetson AGX Orin 64GB"),
        "{headline}"
    );
    // Every chart drew into its SVG.
    let shapes = d.eval(
        "[...document.querySelectorAll('figure svg')].map(s => s.querySelectorAll('text,path,polyline,rect,circle,line').length)",
    );
    let shapes: Vec<u64> = serde_json::from_value(shapes).unwrap();
    assert_eq!(shapes.len(), 8, "{shapes:?}");
    assert!(shapes.iter().all(|n| *n > 10), "{shapes:?}");

    // Sorting: click "margin (%)" in the table of every SLO check.
    let table = table_after("Every SLO check");
    let column = |d: &mut Devtools| -> Vec<f64> {
        let js = format!(
            "(() => {{ const t = {table}; const i = [...t.tHead.rows[0].cells].findIndex(c => c.textContent.startsWith('margin (%)'));
               return [...t.tBodies[0].rows].map(r => parseFloat(r.cells[i].textContent)); }})()"
        );
        serde_json::from_value(d.eval(&js)).unwrap()
    };
    let before = column(&mut d);
    assert_eq!(before.len(), 8);
    let click = format!(
        "(() => {{ const t = {table}; [...t.tHead.rows[0].cells].find(c => c.textContent.startsWith('margin (%)')).click(); }})()"
    );
    d.eval(&click);
    let up = column(&mut d);
    let mut sorted = before.clone();
    sorted.sort_by(f64::total_cmp);
    assert_eq!(up, sorted, "ascending after one click");
    d.eval(&click);
    let down = column(&mut d);
    sorted.reverse();
    assert_eq!(down, sorted, "descending after a second click");

    // Filtering: type "Raspberry" into the box before that table.
    let js = format!(
        "(() => {{ const t = {table}; const host = t.parentNode.classList.contains('scroll') ? t.parentNode : t;
           const box = host.previousElementSibling; box.value = 'Raspberry'; box.dispatchEvent(new Event('input'));
           const rows = [...t.tBodies[0].rows];
           return [box.className, rows.length, rows.filter(r => !r.hidden).length,
                   rows.filter(r => !r.hidden && r.textContent.includes('Raspberry')).length]; }})()"
    );
    let v = d.eval(&js);
    assert_eq!(
        v,
        json!(["filter", 8, 4, 4]),
        "filter shows the 4 Pi rows only"
    );

    // A compact verdict cell opens to its checks on a click.
    let v = d.eval(
        "(() => { const det = document.querySelector('#slo td.fail details');
           const before = det.open; det.querySelector('summary').click();
           return [before, det.open, det.textContent.includes('readable streaming')]; })()",
    );
    assert_eq!(v, json!([false, true, true]));
    assert!(d.problems().is_empty(), "console: {:#?}", d.problems());
}

#[test]
fn report_reads_without_javascript_and_prints_every_section() {
    let browser = chromium();
    let dir = tempfile::tempdir().unwrap();
    let page = two_device_page(dir.path());
    let source = std::fs::read_to_string(&page).unwrap();
    let profile = dir.path().join("chromium-profile");

    // Scripts off: the page is the file as written, every row visible,
    // every chart drawn (they are SVG, not script).
    let mut d = Devtools::open(&browser, &dir.path().join("devtools-profile"), &page);
    d.call(
        "Emulation.setScriptExecutionDisabled",
        json!({ "value": true }),
    );
    d.reload();
    let v = d.eval(
        "[document.querySelectorAll('input.filter').length, document.querySelectorAll('[aria-sort]').length,
          [...document.querySelectorAll('tbody tr')].filter(r => r.offsetParent !== null).length,
          document.querySelectorAll('figure svg').length,
          document.querySelector('#answer').innerText.includes('Pick Jetson AGX Orin 64GB')]",
    );
    let rows_in_file = source.matches("<tr>").count() - source.matches("<thead>").count();
    assert_eq!(v, json!([0, 0, rows_in_file, 8, true]), "scripts off");
    assert!(d.problems().is_empty(), "console: {:#?}", d.problems());
    drop(d);

    // Printed: every section's heading is on the pages.
    let pdf = dir.path().join("report.pdf");
    headless(
        &browser,
        &profile,
        &page,
        &[
            &format!("--print-to-pdf={}", pdf.display()),
            "--no-pdf-header-footer",
        ],
    );
    let text = Command::new("pdftotext")
        .arg(&pdf)
        .arg("-")
        .output()
        .expect("pdftotext (poppler-utils) is installed; run scripts/setup.sh");
    assert!(text.status.success());
    let text = String::from_utf8_lossy(&text.stdout);
    let titles: Vec<&str> = source
        .split("<section id=\"")
        .skip(1)
        .map(|s| {
            s.split("<h2>")
                .nth(1)
                .unwrap()
                .split("</h2>")
                .next()
                .unwrap()
        })
        .collect();
    assert!(titles.len() >= 7, "{titles:?}");
    for t in &titles {
        let t = t.replace("&amp;", "&");
        assert!(text.contains(&t), "printed PDF lacks section {t:?}");
    }
    // Pages as images (kept beside the screenshot for a look from CI).
    let prefix = target_dir().join("report-print");
    let st = Command::new("pdftoppm")
        .args(["-png", "-r", "60", "-f", "1", "-l", "2"])
        .arg(&pdf)
        .arg(&prefix)
        .status()
        .expect("pdftoppm (poppler-utils) is installed; run scripts/setup.sh");
    assert!(st.success());
    let first = std::fs::read_dir(target_dir())
        .unwrap()
        .filter_map(Result::ok)
        .filter(|e| e.file_name().to_string_lossy().starts_with("report-print-"))
        .map(|e| std::fs::metadata(e.path()).unwrap().len())
        .collect::<Vec<_>>();
    assert_eq!(first.len(), 2, "two printed pages rendered");
    assert!(
        first.iter().all(|n| *n > 10_000),
        "printed pages are not blank: {first:?}"
    );
}
