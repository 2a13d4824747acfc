//! The history store location parser (`StoreUrl::from_str`: `sqlite:PATH`, a
//! path, `postgres://...`) and the password redaction used in every message
//! that shows a URL.
#![no_main]

use std::str::FromStr;

use edgebench_history::StoreUrl;
use edgebench_history::url::redact;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(s) = std::str::from_utf8(data) else {
        return;
    };
    // The form every message and record shows: a password in the input
    // never survives it, whichever way the user-info is delimited. (Checked
    // where the answer is unambiguous: one `://` after a valid scheme, and
    // a password of 4 or more characters without `/`, `:` or the `*`
    // that redaction writes.)
    let shown = redact(s);
    if one_url(s) {
        for pw in passwords(s) {
            // The `***@` redaction writes is cut out first, so a password
            // made of what surrounds it does not count as shown.
            const CUT: char = '\u{10FFFF}';
            if pw.len() >= 4 && !pw.contains(['/', ':', '*', CUT]) {
                let visible = shown.replace("***@", &CUT.to_string());
                assert!(!visible.contains(pw), "password {pw:?} shown in {shown:?}");
            }
        }
    }
    match StoreUrl::from_str(s) {
        Ok(url) => {
            let _ = url.to_string();
        }
        Err(e) => {
            let msg = e.to_string();
            assert!(!msg.trim().is_empty());
            // The message shows the URL only in its redacted form.
            if shown != s {
                assert!(!msg.contains(s), "the raw URL in {msg:?}");
            }
        }
    }
});

/// The password of `scheme://user:password@host...` as a URL parser would
/// cut it (user-info before the first `/`) and as a user may have typed it
/// (everything up to the last `@` before the query).
fn passwords(s: &str) -> Vec<&str> {
    let Some((_, rest)) = s.split_once("://") else {
        return vec![];
    };
    let mut out = vec![];
    let authority = rest.split('/').next().unwrap_or("");
    if let Some((info, _)) = authority.rsplit_once('@')
        && let Some((_, pw)) = info.split_once(':')
    {
        out.push(pw);
    }
    let before_query = rest.split('?').next().unwrap_or("");
    if let Some((info, _)) = before_query.rsplit_once('@')
        && let Some((_, pw)) = info.split_once(':')
    {
        out.push(pw);
    }
    out
}

/// `scheme://...` with a valid URL scheme and no second `://`.
fn one_url(s: &str) -> bool {
    s.matches("://").count() == 1
        && s.split_once("://").is_some_and(|(scheme, _)| {
            scheme.starts_with(|c: char| c.is_ascii_alphabetic())
                && scheme
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || matches!(c, '+' | '-' | '.'))
        })
}
