//! Request lengths of a load run, shared by `edgebench load`'s flags and
//! the profile's `[load]` keys (docs/load.md): a token count fixed or drawn
//! from a range (`128`, `32-256`), or a trace file of JSON lines, each
//! `{"prompt_len": P, "gen_len": G}`, replayed in order.
use std::path::Path;
use std::str::FromStr;

use crate::limits::MAX_TOKENS;

/// A token count: `lo == hi` for a fixed one, else drawn uniformly from
/// `lo..=hi` per request.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
pub struct LenRange {
    /// Fewest tokens.
    pub lo: u32,
    /// Most tokens.
    pub hi: u32,
}

impl LenRange {
    /// A fixed count.
    pub fn fixed(n: u32) -> LenRange {
        LenRange { lo: n, hi: n }
    }

    /// Whether every request gets the same count.
    pub fn is_fixed(&self) -> bool {
        self.lo == self.hi
    }
}

impl std::fmt::Display for LenRange {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        if self.is_fixed() {
            write!(f, "{}", self.lo)
        } else {
            write!(f, "{}-{}", self.lo, self.hi)
        }
    }
}

impl FromStr for LenRange {
    type Err = String;

    /// `N` or `MIN-MAX`, each 1 to [`MAX_TOKENS`], MIN at most MAX.
    fn from_str(s: &str) -> Result<LenRange, String> {
        let num = |t: &str| -> Result<u32, String> {
            let n: u32 = t.trim().parse().map_err(|_| {
                format!("`{s}`: give a token count (128) or a range (32-256) of whole numbers")
            })?;
            if !(1..=MAX_TOKENS).contains(&n) {
                return Err(format!("`{s}`: each count must be 1 to {MAX_TOKENS}"));
            }
            Ok(n)
        };
        let r = match s.split_once('-') {
            None => LenRange::fixed(num(s)?),
            Some((a, b)) => LenRange {
                lo: num(a)?,
                hi: num(b)?,
            },
        };
        if r.lo > r.hi {
            return Err(format!(
                "`{s}`: the range's first count is above its second"
            ));
        }
        Ok(r)
    }
}

/// Checks a cap on the tokens of one batched step (`--step-tokens`,
/// `[load] step_tokens`) against the largest concurrency it serves: a
/// step holds each running request's next token and a prompt chunk, so
/// above concurrency 1 it must be larger than the concurrency. The error
/// says what to give, for the caller to prefix with its flag or key.
pub fn check_step_tokens(n: u32, most_concurrency: u32) -> Result<(), String> {
    if !(2..=MAX_TOKENS).contains(&n) {
        return Err(format!(
            "is {n}; give 2 to {MAX_TOKENS} tokens per batched step"
        ));
    }
    if most_concurrency > 1 && n <= most_concurrency {
        return Err(format!(
            "is {n} at concurrency {most_concurrency}: a step holds each running request's next \
             token and a prompt chunk; give at least {}",
            most_concurrency + 1
        ));
    }
    Ok(())
}

/// One line of a trace file.
#[derive(serde::Deserialize)]
struct TraceLine {
    prompt_len: u32,
    gen_len: u32,
}

/// Parses a trace: one JSON object per line with `prompt_len` and
/// `gen_len` (each 1 to [`MAX_TOKENS`]; other fields are ignored, so a
/// trace exported with timestamps or ids reads as it is); blank lines
/// are skipped. The error names the line (from 1) and what to fix.
pub fn parse_trace(text: &str) -> Result<Vec<(u32, u32)>, String> {
    let mut out = vec![];
    for (i, line) in text.lines().enumerate() {
        let line = line.trim();
        if line.is_empty() {
            continue;
        }
        let at = i + 1;
        let t: TraceLine = serde_json::from_str(line).map_err(|e| {
            format!(
                "line {at}: {e}; each line must be a JSON object like \
                 {{\"prompt_len\": 128, \"gen_len\": 64}}"
            )
        })?;
        for (key, v) in [("prompt_len", t.prompt_len), ("gen_len", t.gen_len)] {
            if !(1..=MAX_TOKENS).contains(&v) {
                return Err(format!("line {at}: {key} is {v}; give 1 to {MAX_TOKENS}"));
            }
        }
        out.push((t.prompt_len, t.gen_len));
    }
    if out.is_empty() {
        return Err("has no requests; give one JSON object per line".into());
    }
    Ok(out)
}

/// Reads and parses the trace at `path`; the error names the file (and
/// the line, as `path:line`).
pub fn read_trace(path: &Path) -> Result<Vec<(u32, u32)>, String> {
    let text = std::fs::read_to_string(path)
        .map_err(|e| format!("{}: {e}; give an existing JSONL trace file", path.display()))?;
    parse_trace(&text).map_err(|e| match e.strip_prefix("line ") {
        Some(rest) => format!("{}:{rest}", path.display()),
        None => format!("{} {e}", path.display()),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_and_ranges_parse_and_bad_ones_say_why() {
        assert_eq!("128".parse::<LenRange>(), Ok(LenRange::fixed(128)));
        assert_eq!(
            "32-256".parse::<LenRange>(),
            Ok(LenRange { lo: 32, hi: 256 })
        );
        assert_eq!(LenRange { lo: 32, hi: 256 }.to_string(), "32-256");
        for bad in ["0", "256-32", "a-3", "", "5-", "1-99999999"] {
            let e = bad.parse::<LenRange>().unwrap_err();
            assert!(e.contains(&format!("`{bad}`")), "{e}");
        }
    }

    #[test]
    fn a_trace_reads_and_a_bad_line_is_named() {
        let t = "{\"prompt_len\": 10, \"gen_len\": 4, \"ts\": 1.5}\n\n{\"prompt_len\":3,\"gen_len\":1}\n";
        assert_eq!(parse_trace(t).unwrap(), vec![(10, 4), (3, 1)]);
        let e = parse_trace("{\"prompt_len\": 10, \"gen_len\": 4}\n{\"prompt_len\": 10}\n")
            .unwrap_err();
        assert!(e.starts_with("line 2: missing field `gen_len`"), "{e}");
        let e = parse_trace("{\"prompt_len\": 0, \"gen_len\": 4}").unwrap_err();
        assert!(e.starts_with("line 1: prompt_len is 0"), "{e}");
        assert!(parse_trace("\n\n").unwrap_err().contains("no requests"));
        let e = read_trace(Path::new("/nonexistent/t.jsonl")).unwrap_err();
        assert!(e.starts_with("/nonexistent/t.jsonl: "), "{e}");
    }

    #[test]
    fn the_shipped_mix_parses() {
        let mix = include_str!("../../profiles/traces/chat-mix.jsonl");
        let t = parse_trace(mix).unwrap();
        assert_eq!(t.len(), 24);
    }
}
