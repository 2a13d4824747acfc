//! report.html: one self-contained page. Inline CSS, inline SVG charts and
//! one small inline script (sortable, filterable tables), no network: it
//! opens from disk, reads completely with scripts off, and prints as it
//! shows.
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
th.sort { cursor: pointer; user-select: none; }
th.sort::after { content: " ↕"; color: var(--muted); font-weight: normal; }
th[aria-sort="ascending"]::after { content: " ▲"; color: var(--fg); }
th[aria-sort="descending"]::after { content: " ▼"; color: var(--fg); }
input.filter { display: block; margin: .6rem 0 -.2rem; padding: .25rem .4rem; width: 18rem; max-width: 100%; font: inherit; font-size: .85em; }
td details summary { cursor: pointer; list-style: none; }
td details summary::-webkit-details-marker { display: none; }
td details[open] summary { margin-bottom: .3rem; }
td.pass details, td.fail details { font-weight: normal; }
@media print {
  body { max-width: none; padding: 0; font-size: 11px; }
  nav, input.filter { display: none; }
  th.sort::after { content: ""; }
  .scroll { overflow: visible; }
  table { page-break-inside: auto; }
  tr { page-break-inside: avoid; }
  td.pass, td.fail, th { -webkit-print-color-adjust: exact; print-color-adjust: exact; }
  h2 { page-break-after: avoid; }
}
"#;

/// Sorts a `table.sortable` by a clicked (or Enter-pressed) heading, by
/// each cell's `data-sort` number, else the number its text starts with,
/// else its text; numbers before text; a second click reverses. Puts a
/// filter box before each such table that hides rows not containing the
/// text typed. Without it the tables are complete, in the report's order.
const SCRIPT: &str = r#"
(function () {
  "use strict";
  function key(td) {
    if (!td) return "";
    var s = td.getAttribute("data-sort");
    if (s !== null) return parseFloat(s);
    var t = td.textContent.trim();
    var x = parseFloat(t.replace(/^[$~≈]/, "").replace(/,/g, ""));
    return isNaN(x) ? t.toLowerCase() : x;
  }
  function cmp(x, y) {
    var nx = typeof x === "number", ny = typeof y === "number";
    if (nx && ny) return x - y;
    if (nx) return -1;
    if (ny) return 1;
    return x < y ? -1 : x > y ? 1 : 0;
  }
  var tables = document.querySelectorAll("table.sortable");
  Array.prototype.forEach.call(tables, function (table) {
    var head = table.tHead && table.tHead.rows[0];
    var body = table.tBodies[0];
    if (!head || !body) return;
    Array.prototype.forEach.call(head.cells, function (th, i) {
      th.classList.add("sort");
      th.tabIndex = 0;
      th.setAttribute("aria-sort", "none");
      th.title = "Sort by this column";
      function sort() {
        var up = th.getAttribute("aria-sort") !== "ascending";
        Array.prototype.forEach.call(head.cells, function (h) { h.setAttribute("aria-sort", "none"); });
        th.setAttribute("aria-sort", up ? "ascending" : "descending");
        var rows = Array.prototype.slice.call(body.rows);
        rows.sort(function (a, b) {
          var c = cmp(key(a.cells[i]), key(b.cells[i]));
          return up ? c : -c;
        });
        rows.forEach(function (r) { body.appendChild(r); });
      }
      th.addEventListener("click", sort);
      th.addEventListener("keydown", function (e) { if (e.key === "Enter") sort(); });
    });
    var box = document.createElement("input");
    box.type = "search";
    box.className = "filter";
    box.placeholder = "Filter rows";
    box.setAttribute("aria-label", "Filter the rows of the next table");
    box.addEventListener("input", function () {
      var q = box.value.trim().toLowerCase();
      Array.prototype.forEach.call(body.rows, function (r) {
        r.hidden = q !== "" && r.textContent.toLowerCase().indexOf(q) < 0;
      });
    });
    var host = table.parentNode.classList.contains("scroll") ? table.parentNode : table;
    host.parentNode.insertBefore(box, host);
  });
})();
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
    s.push_str("<script>");
    s.push_str(SCRIPT);
    s.push_str("</script>\n</body>\n</html>\n");
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
