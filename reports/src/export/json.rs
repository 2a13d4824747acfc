//! JSON export: a pretty-printed array of full records, raw samples included.
use super::{ExportError, Format};
use crate::record::Record;

/// The records as one pretty JSON array followed by a newline.
pub(super) fn render(records: &[Record]) -> Result<String, ExportError> {
    let mut out =
        serde_json::to_string_pretty(records).map_err(|source| ExportError::Serialize {
            format: Format::Json,
            source,
        })?;
    out.push('\n');
    Ok(out)
}
