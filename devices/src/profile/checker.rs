//! Collects profile problems, each with its key path and `file:line:col`,
//! and checks the value shapes every section shares (text, numbers,
//! durations, lists of whole numbers).
use std::fmt::Display;
use std::ops::Range;

use super::duration::parse_duration_s;
use super::error::{ProfileError, line_col};
use super::raw::{RawDuration, S};

/// Collects problems as `origin:line:col: key: message`.
pub(crate) struct Checker<'a> {
    origin: &'a str,
    text: &'a str,
    problems: Vec<(usize, String)>,
}

impl<'a> Checker<'a> {
    pub(crate) fn new(origin: &'a str, text: &'a str) -> Self {
        Checker {
            origin,
            text,
            problems: Vec::new(),
        }
    }

    /// Records a problem at `span` (None: no position, e.g. a missing table).
    pub(crate) fn add(&mut self, span: Option<Range<usize>>, key: &str, msg: impl Display) {
        let (offset, line) = match span {
            Some(s) => {
                let (l, c) = line_col(self.text, s.start);
                (s.start, format!("{}:{l}:{c}: {key}: {msg}", self.origin))
            }
            None => (0, format!("{}: {key}: {msg}", self.origin)),
        };
        self.problems.push((offset, line));
    }

    /// A key the table at `table` must have.
    pub(crate) fn require<T>(
        &mut self,
        v: Option<S<T>>,
        table: &Range<usize>,
        key: &str,
        what: &str,
    ) -> Option<S<T>> {
        if v.is_none() {
            self.add(Some(table.clone()), key, format!("missing; add {what}"));
        }
        v
    }

    /// A string that, when given, must not be blank.
    pub(crate) fn text(&mut self, v: Option<S<String>>, key: &str) -> Option<String> {
        let v = v?;
        if v.get_ref().trim().is_empty() {
            self.add(
                Some(v.span()),
                key,
                "is empty; write a value or leave the key out",
            );
            return None;
        }
        Some(v.into_inner())
    }

    /// A number that, when given, must be finite and `> 0` (or `>= 0` when
    /// `zero_ok`).
    pub(crate) fn number(&mut self, v: Option<S<f64>>, key: &str, zero_ok: bool) -> Option<f64> {
        let v = v?;
        let x = *v.get_ref();
        let ok = x.is_finite() && if zero_ok { x >= 0.0 } else { x > 0.0 };
        if !ok {
            let allowed = if zero_ok { ">= 0" } else { "> 0" };
            self.add(
                Some(v.span()),
                key,
                format!("is {x}; it must be a finite number {allowed}"),
            );
            return None;
        }
        Some(x)
    }

    /// A duration in seconds (number or "10m" string), `> 0` and at most
    /// [`crate::limits::MAX_DURATION_S`].
    pub(crate) fn duration(&mut self, v: Option<S<RawDuration>>, key: &str) -> Option<f64> {
        let v = v?;
        let span = v.span();
        let seconds = match v.into_inner() {
            RawDuration::Seconds(s) => s,
            RawDuration::Text(t) => match parse_duration_s(&t) {
                Ok(s) => s,
                Err(e) => {
                    self.add(Some(span), key, e);
                    return None;
                }
            },
        };
        if !(seconds.is_finite() && seconds > 0.0) {
            self.add(
                Some(span),
                key,
                format!("is {seconds} s; it must be longer than 0"),
            );
            return None;
        }
        if seconds > crate::limits::MAX_DURATION_S {
            self.add(
                Some(span),
                key,
                format!(
                    "is {seconds} s; it must be at most 7 days ({} s)",
                    crate::limits::MAX_DURATION_S
                ),
            );
            return None;
        }
        Some(seconds)
    }

    /// A whole number in `min..=max` (`default` when absent).
    pub(crate) fn bounded(
        &mut self,
        v: Option<S<u32>>,
        key: &str,
        (min, max): (u32, u32),
        default: u32,
    ) -> Option<u32> {
        let Some(v) = v else {
            return Some(default);
        };
        let n = *v.get_ref();
        let problem = if n < min && min == 1 {
            format!("is {n}; it must be at least 1")
        } else if !(min..=max).contains(&n) {
            format!("is {n}; it must be from {min} to {max}")
        } else {
            return Some(n);
        };
        self.add(Some(v.span()), key, problem);
        None
    }

    /// The collected problems in file order, or None when there are none.
    pub(crate) fn finish(mut self) -> Result<(), ProfileError> {
        if self.problems.is_empty() {
            return Ok(());
        }
        self.problems.sort_by_key(|(offset, _)| *offset);
        Err(ProfileError::Invalid {
            origin: self.origin.to_owned(),
            problems: self.problems.into_iter().map(|(_, p)| p).collect(),
        })
    }
}

/// Checks a list of whole numbers: present (when `default` is None), not
/// empty, each in `min..=max`, no repeats.
pub(crate) fn int_list(
    c: &mut Checker,
    v: Option<S<Vec<S<u32>>>>,
    table: &Range<usize>,
    key: &str,
    (min, max): (u32, u32),
    default: Option<Vec<u32>>,
) -> Option<Vec<u32>> {
    let Some(v) = v else {
        if default.is_none() {
            c.add(
                Some(table.clone()),
                key,
                format!(
                    "missing; add an array of whole numbers >= {min}, e.g. {key_short} = [{ex}]",
                    key_short = key.rsplit('.').next().unwrap_or(key),
                    ex = min.max(1)
                ),
            );
        }
        return default;
    };
    let span = v.span();
    let items = v.into_inner();
    if items.is_empty() {
        c.add(
            Some(span),
            key,
            format!("is empty; give at least one whole number >= {min}"),
        );
        return None;
    }
    let mut out: Vec<u32> = Vec::new();
    let mut ok = true;
    for (j, x) in items.into_iter().enumerate() {
        let n = *x.get_ref();
        if n < min {
            c.add(
                Some(x.span()),
                &format!("{key}[{j}]"),
                format!("is {n}; it must be >= {min}"),
            );
            ok = false;
        } else if n > max {
            c.add(
                Some(x.span()),
                &format!("{key}[{j}]"),
                format!("is {n}; it must be at most {max}"),
            );
            ok = false;
        } else if out.contains(&n) {
            c.add(
                Some(x.span()),
                &format!("{key}[{j}]"),
                format!("{n} is listed twice; list each value once"),
            );
            ok = false;
        } else {
            out.push(n);
        }
    }
    ok.then_some(out)
}
