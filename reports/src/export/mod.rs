//! Exporters: turn result records into Markdown, JSON, JSON Lines or CSV text.
//!
//! One file per format; [`render`] is the single entry point, so adding a
//! format means a new variant of [`Format`] and a new file, nothing else.
use std::fmt;
use std::str::FromStr;

use thiserror::Error;

use crate::record::Record;

mod csv;
mod json;
mod jsonl;
mod md;

/// The output formats edgebench can export results to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Format {
    /// A Markdown table, one row per record, then failures and warnings.
    Md,
    /// A pretty-printed JSON array of full records (raw samples included).
    Json,
    /// JSON Lines: one compact full record per line.
    Jsonl,
    /// A flat CSV table: one row per record, one column per scalar.
    Csv,
}

impl Format {
    /// Every format, in the order they are listed to users.
    pub const ALL: [Format; 4] = [Format::Md, Format::Json, Format::Jsonl, Format::Csv];

    /// The name used on the command line, also the usual file extension.
    pub fn as_str(self) -> &'static str {
        match self {
            Format::Md => "md",
            Format::Json => "json",
            Format::Jsonl => "jsonl",
            Format::Csv => "csv",
        }
    }
}

impl fmt::Display for Format {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for Format {
    type Err = UnknownFormat;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Format::ALL
            .into_iter()
            .find(|f| f.as_str() == s)
            .ok_or_else(|| UnknownFormat {
                given: s.to_string(),
            })
    }
}

/// A format name that is not one of [`Format::ALL`].
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[error("unknown output format {given:?}; expected one of: md, json, jsonl, csv")]
pub struct UnknownFormat {
    /// What was given.
    pub given: String,
}

/// Why records could not be exported.
#[derive(Debug, Error)]
#[non_exhaustive]
pub enum ExportError {
    /// serde_json refused to serialise a record.
    #[error("cannot serialise results as {format}: {source}")]
    Serialize {
        /// The format being written.
        format: Format,
        /// What serde_json said.
        source: serde_json::Error,
    },
}

/// Renders `records` in `format`. The text always ends with a newline,
/// except JSON Lines of no records, which is empty.
pub fn render(records: &[Record], format: Format) -> Result<String, ExportError> {
    match format {
        Format::Md => Ok(md::render(records)),
        Format::Json => json::render(records),
        Format::Jsonl => jsonl::render(records),
        Format::Csv => Ok(csv::render(records)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip() {
        for f in Format::ALL {
            assert_eq!(f.to_string().parse::<Format>(), Ok(f));
        }
    }

    #[test]
    fn unknown_name_lists_allowed_values() {
        let err = "html".parse::<Format>().unwrap_err();
        let msg = err.to_string();
        assert!(msg.contains("\"html\""), "{msg}");
        for f in Format::ALL {
            assert!(msg.contains(f.as_str()), "{msg}");
        }
    }
}
