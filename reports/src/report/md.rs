//! report.md: the sections as GitHub-flavoured Markdown, charts as PNG
//! files in `charts/` beside it.
use super::Report;
use super::doc::{Block, Section};

/// The Markdown page.
pub fn render(report: &Report, doc: &[Section]) -> String {
    let mut s = String::from("# edgebench hardware-selection report\n\n");
    s.push_str(&format!(
        "Written by edgebench {}. The same content, with charts inline, is in report.html.\n",
        report.edgebench_version
    ));
    for section in doc {
        s.push_str(&format!("\n## {}\n", section.title));
        for b in &section.blocks {
            s.push('\n');
            match b {
                Block::Para(p) => {
                    s.push_str(p);
                    s.push('\n');
                }
                Block::List(items) => {
                    for i in items {
                        s.push_str(&format!("- {}\n", i.replace('\n', " ")));
                    }
                }
                Block::Pre(text) => {
                    s.push_str("```text\n");
                    s.push_str(text);
                    if !text.ends_with('\n') {
                        s.push('\n');
                    }
                    s.push_str("```\n");
                }
                Block::Table(t) => s.push_str(&t.to_md()),
                Block::Chart { stem, title, alt } => {
                    s.push_str(&format!("### {title}\n\n![{alt}](charts/{stem}.png)\n"));
                }
                Block::Sub(title) => s.push_str(&format!("### {title}\n")),
            }
        }
    }
    s
}
