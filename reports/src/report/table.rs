//! A table both renderings share, so report.md and report.html hold the
//! same figures.
use super::fmt::{html, md_cell};

/// How a cell reads at a glance.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Tone {
    /// Plain.
    Plain,
    /// Passed.
    Pass,
    /// Failed.
    Fail,
    /// Not applicable / not run.
    Muted,
}

/// One cell: one or more lines of text.
#[derive(Debug, Clone, PartialEq)]
pub struct Cell {
    /// The lines.
    pub lines: Vec<String>,
    /// Its tone.
    pub tone: Tone,
    /// The full text behind a compact cell: report.md shows it instead of
    /// `lines`; report.html shows `lines` and this on hover (title) and on
    /// a click (details).
    pub detail: Vec<String>,
    /// The value a column sort uses (report.html), when the text does not
    /// start with it.
    pub sort: Option<f64>,
}

impl Cell {
    /// A plain one-line cell.
    pub fn text(s: impl Into<String>) -> Cell {
        Cell {
            lines: vec![s.into()],
            tone: Tone::Plain,
            detail: Vec::new(),
            sort: None,
        }
    }

    /// A cell of lines with a tone.
    pub fn lines(lines: Vec<String>, tone: Tone) -> Cell {
        Cell {
            lines,
            tone,
            detail: Vec::new(),
            sort: None,
        }
    }

    /// A compact cell with the full text behind it.
    pub fn compact(lines: Vec<String>, tone: Tone, detail: Vec<String>) -> Cell {
        Cell {
            lines,
            tone,
            detail,
            sort: None,
        }
    }

    /// The same cell, sorted by `x` in report.html.
    pub fn sorted_by(mut self, x: Option<f64>) -> Cell {
        self.sort = x.filter(|x| x.is_finite());
        self
    }
}

impl From<String> for Cell {
    fn from(s: String) -> Cell {
        Cell::text(s)
    }
}

impl From<&str> for Cell {
    fn from(s: &str) -> Cell {
        Cell::text(s)
    }
}

/// A table: headers, which columns are numeric (right-aligned), rows.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Table {
    /// Column headings.
    pub headers: Vec<String>,
    /// Right-align this column.
    pub numeric: Vec<bool>,
    /// The rows; each as long as `headers`.
    pub rows: Vec<Vec<Cell>>,
}

impl Table {
    /// A table with these headings; a heading starting with `>` is numeric
    /// (the `>` is dropped).
    pub fn new(headers: &[&str]) -> Table {
        Table {
            headers: headers
                .iter()
                .map(|h| h.trim_start_matches('>').to_owned())
                .collect(),
            numeric: headers.iter().map(|h| h.starts_with('>')).collect(),
            rows: Vec::new(),
        }
    }

    /// Adds a row.
    pub fn row(&mut self, cells: Vec<Cell>) {
        self.rows.push(cells);
    }

    /// GitHub-flavoured Markdown; lines within a cell joined by `<br>`.
    pub fn to_md(&self) -> String {
        let mut s = String::new();
        s.push_str(&format!(
            "| {} |\n",
            self.headers
                .iter()
                .map(|h| md_cell(h))
                .collect::<Vec<_>>()
                .join(" | ")
        ));
        s.push_str(&format!(
            "|{}\n",
            self.numeric
                .iter()
                .map(|n| if *n { " ---: |" } else { " --- |" })
                .collect::<String>()
        ));
        for row in &self.rows {
            let cells: Vec<String> = row
                .iter()
                .map(|c| {
                    // Tone is in the words (PASS, FAIL); bold would not
                    // survive the line breaks.
                    let lines = if c.detail.is_empty() {
                        &c.lines
                    } else {
                        &c.detail
                    };
                    lines
                        .iter()
                        .map(|l| md_cell(l))
                        .collect::<Vec<_>>()
                        .join("<br>")
                })
                .collect();
            s.push_str(&format!("| {} |\n", cells.join(" | ")));
        }
        s
    }

    /// An HTML table; cells carry a class for their tone. Tables of two
    /// rows or more are `sortable`: the page's script sorts them by a
    /// clicked heading and filters their rows (without the script they
    /// read as plain tables).
    pub fn to_html(&self) -> String {
        let mut s = if self.rows.len() >= 2 {
            String::from("<table class=\"sortable\">\n<thead><tr>")
        } else {
            String::from("<table>\n<thead><tr>")
        };
        for (h, n) in self.headers.iter().zip(&self.numeric) {
            let class = if *n { " class=\"num\"" } else { "" };
            s.push_str(&format!("<th{class}>{}</th>", html(h)));
        }
        s.push_str("</tr></thead>\n<tbody>\n");
        for row in &self.rows {
            s.push_str("<tr>");
            for (i, c) in row.iter().enumerate() {
                let mut classes = Vec::new();
                if self.numeric.get(i).copied().unwrap_or(false) {
                    classes.push("num");
                }
                match c.tone {
                    Tone::Pass => classes.push("pass"),
                    Tone::Fail => classes.push("fail"),
                    Tone::Muted => classes.push("muted"),
                    Tone::Plain => {}
                }
                let class = if classes.is_empty() {
                    String::new()
                } else {
                    format!(" class=\"{}\"", classes.join(" "))
                };
                let join = |lines: &[String]| {
                    lines
                        .iter()
                        .map(|l| html(l))
                        .collect::<Vec<_>>()
                        .join("<br>")
                };
                let sort = c
                    .sort
                    .map_or_else(String::new, |x| format!(" data-sort=\"{x}\""));
                if c.detail.is_empty() {
                    s.push_str(&format!("<td{class}{sort}>{}</td>", join(&c.lines)));
                } else {
                    s.push_str(&format!(
                        "<td{class}{sort} title=\"{}\"><details><summary>{}</summary>{}</details></td>",
                        html(&c.detail.join("\n")),
                        join(&c.lines),
                        join(&c.detail)
                    ));
                }
            }
            s.push_str("</tr>\n");
        }
        s.push_str("</tbody>\n</table>\n");
        s
    }
}
