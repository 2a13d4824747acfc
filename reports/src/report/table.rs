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
}

impl Cell {
    /// A plain one-line cell.
    pub fn text(s: impl Into<String>) -> Cell {
        Cell {
            lines: vec![s.into()],
            tone: Tone::Plain,
        }
    }

    /// A cell of lines with a tone.
    pub fn lines(lines: Vec<String>, tone: Tone) -> Cell {
        Cell { lines, tone }
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
                    c.lines
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

    /// An HTML table; cells carry a class for their tone.
    pub fn to_html(&self) -> String {
        let mut s = String::from("<table>\n<thead><tr>");
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
                let text = c
                    .lines
                    .iter()
                    .map(|l| html(l))
                    .collect::<Vec<_>>()
                    .join("<br>");
                s.push_str(&format!("<td{class}>{text}</td>"));
            }
            s.push_str("</tr>\n");
        }
        s.push_str("</tbody>\n</table>\n");
        s
    }
}
