//! JSON Lines export: one compact full record per line, each line ending in
//! a newline, so files can be appended to and concatenated.
use super::{ExportError, Format};
use crate::record::Record;

/// One compact JSON object per record, each followed by a newline.
pub(super) fn render(records: &[Record]) -> Result<String, ExportError> {
    let mut out = String::new();
    for record in records {
        let line = serde_json::to_string(record).map_err(|source| ExportError::Serialize {
            format: Format::Jsonl,
            source,
        })?;
        out.push_str(&line);
        out.push('\n');
    }
    Ok(out)
}
