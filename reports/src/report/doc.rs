//! The report as a document of sections and blocks, built once and
//! rendered to Markdown and to HTML, so both hold the same content.
use super::table::Table;

/// A part of a section.
#[derive(Debug, Clone, PartialEq)]
pub enum Block {
    /// A paragraph of plain text.
    Para(String),
    /// A bulleted list.
    List(Vec<String>),
    /// Preformatted text (formulas).
    Pre(String),
    /// A table.
    Table(Table),
    /// A chart, by its file stem, with its title and alt text.
    Chart {
        /// File stem (`decode-tps`): `charts/<stem>.png` beside report.md.
        stem: String,
        /// Title shown above it.
        title: String,
        /// Text alternative.
        alt: String,
    },
    /// A smaller heading inside a section.
    Sub(String),
}

/// A titled section.
#[derive(Debug, Clone, PartialEq)]
pub struct Section {
    /// Its heading.
    pub title: String,
    /// Its id in the HTML page (anchor).
    pub id: String,
    /// Its content.
    pub blocks: Vec<Block>,
}

impl Section {
    /// An empty section.
    pub fn new(title: &str, id: &str) -> Section {
        Section {
            title: title.to_owned(),
            id: id.to_owned(),
            blocks: Vec::new(),
        }
    }

    /// Adds a paragraph.
    pub fn para(&mut self, s: impl Into<String>) {
        self.blocks.push(Block::Para(s.into()));
    }

    /// Adds a block.
    pub fn push(&mut self, b: Block) {
        self.blocks.push(b);
    }
}
