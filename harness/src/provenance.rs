//! Where a result came from: the edgebench build and the wall-clock time.
use std::time::SystemTime;

use edgebench_reports::record::ToolInfo;

/// The edgebench build running now (version, commit and dirty flag from build.rs).
pub fn tool_info() -> ToolInfo {
    let commit = env!("EDGEBENCH_GIT_COMMIT");
    let dirty = env!("EDGEBENCH_GIT_DIRTY");
    ToolInfo {
        version: env!("CARGO_PKG_VERSION").to_string(),
        commit: (!commit.is_empty()).then(|| commit.to_string()),
        dirty: match dirty {
            "true" => Some(true),
            "false" => Some(false),
            _ => None,
        },
    }
}

/// RFC 3339 UTC timestamp with milliseconds, e.g. "2026-11-21T06:30:00.123Z".
pub fn timestamp(t: SystemTime) -> String {
    humantime::format_rfc3339_millis(t).to_string()
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::{Duration, UNIX_EPOCH};

    #[test]
    fn rfc3339_millis_utc() {
        // Checked with Python: datetime.fromtimestamp(1795000000.123, timezone.utc)
        let t = UNIX_EPOCH + Duration::from_millis(1_795_000_000_123);
        assert_eq!(timestamp(t), "2026-11-18T11:06:40.123Z");
    }
}
