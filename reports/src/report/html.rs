//! report.html: one self-contained page. Inline CSS and inline SVG charts,
//! no script, no network: it opens from disk and prints as it shows.
use super::charts::{self, Chart};
use super::doc::{Block, Section};
use super::fmt::html;
use super::{Report, ReportError};

/// Styles: readable on screen, black on white when printed, tables that
/// scroll sideways on a narrow screen instead of overflowing.
const CSS: &str = r#"
:root { --fg: #1a1a1a; --muted: #666; --line: #ccc; --pass: #e6f4ea; --fail: #fde7e4; }
* { box-sizing: border-box; }
body { font-family: "DejaVu Sans", "Helvetica Neue", Arial, sans-serif; color: var(--fg);
       max-width: 1100px; margin: 0 auto; padding: 1.5rem; line-height: 1.45; font-size: 15px; }
h1 { font-size: 1.7em; margin-bottom: .2rem; }
h2 { font-size: 1.3em; border-bottom: 2px solid var(--fg); padding-bottom: .2rem; margin-top: 2.2rem; }
h3 { font-size: 1.05em; margin-top: 1.4rem; }
nav ul { list-style: none; padding: 0; display: flex; flex-wrap: wrap; gap: .4rem 1.2rem; }
.scroll { overflow-x: auto; }
table { border-collapse: collapse; margin: .6rem 0 1rem; font-size: .85em; }
th, td { border: 1px solid var(--line); padding: .3rem .5rem; text-align: left; vertical-align: top; }
th { background: #f2f2f2; }
td.num, th.num { text-align: right; font-variant-numeric: tabular-nums; }
td.num { white-space: nowrap; }
td.pass { background: var(--pass); }
td.fail { background: var(--fail); font-weight: 600; }
td.muted { color: var(--muted); font-style: italic; }
figure { margin: 1rem 0 2rem; page-break-inside: avoid; break-inside: avoid; }
figure svg { width: 100%; height: auto; border: 1px solid var(--line); }
figcaption { font-size: .85em; color: var(--muted); }
pre { background: #f6f6f6; padding: .6rem; overflow-x: auto; }
.meta { color: var(--muted); }
@media print {
  body { max-width: none; padding: 0; font-size: 11px; }
  nav { display: none; }
  .scroll { overflow: visible; }
  table { page-break-inside: auto; }
  tr { page-break-inside: avoid; }
  td.pass, td.fail, th { -webkit-print-color-adjust: exact; print-color-adjust: exact; }
  h2 { page-break-after: avoid; }
}
"#;

/// The HTML page; charts drawn as SVG into it.
pub fn render(
    report: &Report,
    doc: &[Section],
    built: &[(String, Result<Chart, String>)],
) -> Result<String, ReportError> {
    let mut s =
        String::from("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n");
    s.push_str("<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n");
    s.push_str("<title>edgebench hardware-selection report</title>\n<style>");
    s.push_str(CSS);
    s.push_str("</style>\n</head>\n<body>\n<h1>edgebench hardware-selection report</h1>\n");
    s.push_str(&format!(
        "<p class=\"meta\">Written by edgebench {}. The same tables are in report.md.</p>\n<nav><ul>",
        html(&report.edgebench_version)
    ));
    for section in doc {
        s.push_str(&format!(
            "<li><a href=\"#{}\">{}</a></li>",
            html(&section.id),
            html(&section.title)
        ));
    }
    s.push_str("</ul></nav>\n");
    for section in doc {
        s.push_str(&format!(
            "<section id=\"{}\">\n<h2>{}</h2>\n",
            html(&section.id),
            html(&section.title)
        ));
        for b in &section.blocks {
            match b {
                Block::Para(p) => s.push_str(&format!("<p>{}</p>\n", html(p))),
                Block::List(items) => {
                    s.push_str("<ul>\n");
                    for i in items {
                        s.push_str(&format!("<li>{}</li>\n", html(i)));
                    }
                    s.push_str("</ul>\n");
                }
                Block::Pre(text) => s.push_str(&format!("<pre>{}</pre>\n", html(text))),
                Block::Table(t) => {
                    s.push_str("<div class=\"scroll\">\n");
                    s.push_str(&t.to_html());
                    s.push_str("</div>\n");
                }
                Block::Sub(title) => s.push_str(&format!("<h3>{}</h3>\n", html(title))),
                Block::Chart { stem, title, alt } => {
                    let chart = built
                        .iter()
                        .filter_map(|(_, c)| c.as_ref().ok())
                        .find(|c| &c.stem == stem);
                    let Some(chart) = chart else { continue };
                    let svg = charts::svg(chart).map_err(|message| ReportError::Chart {
                        name: stem.clone(),
                        message,
                    })?;
                    s.push_str(&format!(
                        "<figure id=\"chart-{}\" title=\"{}\">\n{}\n<figcaption>{}</figcaption>\n</figure>\n",
                        html(stem),
                        html(title),
                        accessible(&svg, alt),
                        html(alt)
                    ));
                }
            }
        }
        s.push_str("</section>\n");
    }
    s.push_str("</body>\n</html>\n");
    Ok(s)
}

/// The SVG with a role and label, and a viewBox so it scales with the page.
fn accessible(svg: &str, alt: &str) -> String {
    let body = svg.trim_start_matches(|c| c != '<');
    let body = body
        .strip_prefix("<?xml version=\"1.0\" encoding=\"UTF-8\"?>")
        .unwrap_or(body)
        .trim_start();
    match body.find("<svg") {
        Some(i) => {
            let rest = &body[i + 4..];
            let (w, h) = (attr(rest, "width"), attr(rest, "height"));
            let view_box = match (w, h) {
                (Some(w), Some(h)) if !rest.contains("viewBox") => {
                    format!(" viewBox=\"0 0 {w} {h}\"")
                }
                _ => String::new(),
            };
            format!(
                "{}<svg role=\"img\" aria-label=\"{}\"{view_box}{rest}",
                &body[..i],
                html(alt)
            )
        }
        None => body.to_owned(),
    }
}

/// The value of `name="..."` in the start tag at the beginning of `tag`.
fn attr<'a>(tag: &'a str, name: &str) -> Option<&'a str> {
    let end = tag.find('>')?;
    let head = &tag[..end];
    let key = format!("{name}=\"");
    let start = head.find(&key)? + key.len();
    let len = head[start..].find('"')?;
    Some(&head[start..start + len])
}
