//! Why a profile was refused, with `file:line:col` positions computed from
//! byte offsets, and toml/serde messages reworded to say what is allowed.
use std::fmt;
use std::ops::Range;
use std::path::PathBuf;

use thiserror::Error;

/// A profile could not be read, parsed or validated.
#[derive(Debug, Error)]
#[non_exhaustive]
pub enum ProfileError {
    /// The file could not be read.
    #[error("cannot read profile {}: {source}; check the path (shipped profiles are in profiles/)", .path.display())]
    Read {
        /// The profile file.
        path: PathBuf,
        /// What the OS said.
        source: std::io::Error,
    },
    /// The text is not TOML, or a key or a type is wrong. Stops at the first
    /// such problem (the TOML reader cannot go on past it).
    #[error("{origin}{}: {message}{}", Pos(*.line, *.col), Snippet(.snippet))]
    Syntax {
        /// The profile's name in messages (its path, or `<embedded>/local.toml`).
        origin: String,
        /// Line, from 1 (0 when the reader gave no position).
        line: usize,
        /// Column in characters, from 1 (0 when the reader gave no position).
        col: usize,
        /// What is wrong and what is allowed.
        message: String,
        /// The offending line with a caret under the column (may be empty).
        snippet: String,
    },
    /// The profile parsed but says impossible or inconsistent things; every
    /// problem found is listed, each as `file:line:col: key: what; allowed`.
    #[error("{origin}: {} problem{} in the profile:{}", .problems.len(), if .problems.len() == 1 { "" } else { "s" }, Lines(.problems))]
    Invalid {
        /// The profile's name in messages.
        origin: String,
        /// One message per problem, in file order.
        problems: Vec<String>,
    },
}

struct Pos(usize, usize);

impl fmt::Display for Pos {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.0 == 0 {
            Ok(())
        } else {
            write!(f, ":{}:{}", self.0, self.1)
        }
    }
}

struct Snippet<'a>(&'a str);

impl fmt::Display for Snippet<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.0.is_empty() {
            Ok(())
        } else {
            write!(f, "\n{}", self.0)
        }
    }
}

struct Lines<'a>(&'a [String]);

impl fmt::Display for Lines<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for p in self.0 {
            write!(f, "\n  {p}")?;
        }
        Ok(())
    }
}

/// 1-based (line, column in characters) of byte `offset` in `text`; an
/// offset past the end or inside a character is clamped.
pub(crate) fn line_col(text: &str, offset: usize) -> (usize, usize) {
    let mut offset = offset.min(text.len());
    while !text.is_char_boundary(offset) {
        offset -= 1;
    }
    let before = &text[..offset];
    let line = before.matches('\n').count() + 1;
    let line_start = before.rfind('\n').map_or(0, |i| i + 1);
    let col = text[line_start..offset].chars().count() + 1;
    (line, col)
}

/// The line holding `span` with carets under it, e.g.
/// ```text
///    12 | foo = 1
///       | ^^^
/// ```
pub(crate) fn snippet(text: &str, span: &Range<usize>) -> String {
    let (line, col) = line_col(text, span.start);
    let Some(content) = text.lines().nth(line - 1) else {
        return String::new();
    };
    let content = content.trim_end_matches('\r');
    let width = text
        .get(span.start..span.end.min(text.len()))
        .map_or(1, |s| s.lines().next().unwrap_or("").chars().count())
        .clamp(1, content.chars().count().saturating_sub(col - 1).max(1));
    let gutter = line.to_string().len();
    format!(
        "{line:>w$} | {content}\n{blank:>w$} | {pad}{carets}",
        w = gutter + 2,
        blank = "",
        pad = " ".repeat(col - 1),
        carets = "^".repeat(width),
    )
}

/// The `[section]` or `[[section]]` header the byte `offset` falls under, as
/// written (None before the first header).
pub(crate) fn section_at(text: &str, offset: usize) -> Option<String> {
    let end = offset.min(text.len());
    let end = (0..=end).rev().find(|&i| text.is_char_boundary(i))?;
    text[..end]
        .lines()
        .rev()
        .map(str::trim)
        .find(|l| l.starts_with('['))
        .map(|l| match l.find(']') {
            Some(i) if l[i + 1..].starts_with(']') => l[..i + 2].to_owned(),
            Some(i) => l[..i + 1].to_owned(),
            None => l.to_owned(),
        })
}

/// Where byte `offset` is, for a message: "`key` in [section]" when it is
/// a value after `key =`, "[section]" when it is a key, "the top level" for
/// a table header or anything before the first header.
pub(crate) fn place_at(text: &str, offset: usize) -> String {
    let mut offset = offset.min(text.len());
    while !text.is_char_boundary(offset) {
        offset -= 1;
    }
    let line_start = text[..offset].rfind('\n').map_or(0, |i| i + 1);
    let line = text[line_start..].lines().next().unwrap_or("");
    if line.trim_start().starts_with('[') && !text[line_start..offset].contains('=') {
        return "the top level".to_owned();
    }
    let header = section_at(text, line_start).unwrap_or_else(|| "the top level".to_owned());
    let prefix = &text[line_start..offset];
    match prefix.split_once('=') {
        Some((key, _)) if !key.trim().is_empty() => format!("`{}` in {header}", key.trim()),
        _ => header,
    }
}

/// Rewords a toml/serde message as "what is wrong; what is allowed".
pub(crate) fn reword(message: &str, section: Option<&str>) -> String {
    let msg = message.trim_end();
    let place = section.map(|s| format!(" in {s}")).unwrap_or_default();
    // A value error names its key: "wrong type for `threads` in [matrix]".
    let for_place = match section {
        Some(s) if s.starts_with('`') => format!(" for {s}"),
        _ => place.clone(),
    };
    if let Some(rest) = msg.strip_prefix("unknown field `") {
        let (key, allowed) = rest.split_once('`').unwrap_or((rest, ""));
        let allowed = allowed.trim_start_matches(',').trim();
        let allowed = if let Some(list) = allowed.strip_prefix("expected one of ") {
            format!("allowed keys here: {list}")
        } else if let Some(list) = allowed.strip_prefix("expected ") {
            format!("allowed keys here: {list}")
        } else {
            "this table takes no keys".to_owned()
        };
        return format!(
            "unknown key `{key}`{place}; {allowed} (see docs/profiles.md; keys are case-sensitive)"
        );
    }
    if let Some(rest) = msg.strip_prefix("missing field `") {
        let key = rest.split('`').next().unwrap_or(rest);
        return format!("missing key `{key}`{place}; add it (see docs/profiles.md)");
    }
    if let Some(rest) = msg.strip_prefix("invalid type: ") {
        let (found, expected) = rest
            .split_once(", expected ")
            .unwrap_or((rest, "another type"));
        let expected = match expected {
            "a sequence" => "an array, e.g. `[2, 4]` or `[\"llama.cpp\"]`",
            "a map" => "a table",
            "a string" => "a string in quotes",
            "u32" | "u64" => "a whole number >= 0",
            "f64" => "a number",
            other => other,
        };
        return format!("wrong type{for_place}: found {found}; expected {expected}");
    }
    if let Some(rest) = msg.strip_prefix("invalid value: ") {
        let (found, expected) = rest
            .split_once(", expected ")
            .unwrap_or((rest, "another value"));
        let expected = match expected {
            "u32" => "a whole number from 0 to 4294967295",
            "u64" => "a whole number >= 0",
            other => other,
        };
        return format!("invalid value{for_place}: {found}; expected {expected}");
    }
    if msg.starts_with("duplicate key") {
        return format!("{msg}{place}; write each key once");
    }
    if let Some(rest) = msg.strip_prefix("invalid length ") {
        return format!("invalid length{place}: {rest}");
    }
    // A TOML syntax error: "unclosed table, expected `]`".
    match msg.split_once(", expected ") {
        Some((what, expected)) => format!("{what}; expected {expected}"),
        None => msg.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn line_col_counts_from_one_in_characters() {
        let t = "a = 1\nbé = 2\n";
        assert_eq!(line_col(t, 0), (1, 1));
        assert_eq!(line_col(t, 6), (2, 1));
        // 'é' is two bytes; the '=' after "bé " is the 4th character.
        assert_eq!(line_col(t, 10), (2, 4));
        assert_eq!(line_col(t, 999), (3, 1));
    }

    #[test]
    fn section_is_the_nearest_header_above() {
        let t = "x = 1\n[device]\nname = 1\n[[model]]\nid = 2\n";
        assert_eq!(section_at(t, 2), None);
        assert_eq!(section_at(t, 16).as_deref(), Some("[device]"));
        assert_eq!(section_at(t, t.len() - 2).as_deref(), Some("[[model]]"));
    }

    #[test]
    fn unknown_field_lists_allowed_keys() {
        let m = reword(
            "unknown field `nme`, expected `name` or `class`",
            Some("[device]"),
        );
        assert!(m.starts_with("unknown key `nme` in [device]; "), "{m}");
        let m = reword("unknown field `x`, expected one of `a`, `b`", None);
        assert!(m.contains("allowed keys here: `a`, `b`"), "{m}");
    }

    #[test]
    fn snippet_points_at_the_column() {
        let t = "a = 1\nfoo = 2\n";
        assert_eq!(snippet(t, &(6..9)), "  2 | foo = 2\n    | ^^^");
    }
}
