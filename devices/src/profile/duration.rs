//! Durations in profiles: a number of seconds (`600`, `2.5`) or a string of
//! number-unit parts with units `h`, `m`, `s`, `ms` (`"10m"`, `"1h30m"`,
//! `"2m 30s"`, `"500ms"`).

/// What a duration string may look like, for error messages.
pub(crate) const DURATION_SYNTAX: &str = "a number of seconds (e.g. 600) or a string such as \"10m\", \"90s\", \"1h30m\", \"500ms\" (units h, m, s, ms)";

/// Seconds in `text`, or what is wrong with it.
pub(crate) fn parse_duration_s(text: &str) -> Result<f64, String> {
    let mut rest = text.trim();
    if rest.is_empty() {
        return Err(format!("is empty; write {DURATION_SYNTAX}"));
    }
    let mut total = 0.0;
    while !rest.is_empty() {
        let num_len = rest
            .find(|c: char| !(c.is_ascii_digit() || c == '.'))
            .unwrap_or(rest.len());
        let number: f64 = rest[..num_len]
            .parse()
            .map_err(|_| format!("`{text}` is not a duration; write {DURATION_SYNTAX}"))?;
        rest = &rest[num_len..];
        let unit_len = rest
            .find(|c: char| !c.is_ascii_alphabetic())
            .unwrap_or(rest.len());
        let scale = match &rest[..unit_len] {
            "h" => 3600.0,
            "m" => 60.0,
            "s" => 1.0,
            "ms" => 0.001,
            "" => {
                return Err(format!(
                    "`{text}` has a number without a unit; write {DURATION_SYNTAX}"
                ));
            }
            unit => {
                return Err(format!(
                    "`{text}`: unknown unit `{unit}`; write {DURATION_SYNTAX}"
                ));
            }
        };
        total += number * scale;
        rest = rest[unit_len..].trim_start();
    }
    Ok(total)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn units_and_sums() {
        assert_eq!(parse_duration_s("10m"), Ok(600.0));
        assert_eq!(parse_duration_s("5s"), Ok(5.0));
        assert_eq!(parse_duration_s("1h30m"), Ok(5400.0));
        assert_eq!(parse_duration_s(" 2m 30s "), Ok(150.0));
        assert_eq!(parse_duration_s("500ms"), Ok(0.5));
        assert_eq!(parse_duration_s("1.5s"), Ok(1.5));
    }

    #[test]
    fn malformed_strings_say_what_is_allowed() {
        for bad in ["", "10", "10 minutes", "m", "1.2.3s", "-5s", "5d"] {
            let e = parse_duration_s(bad).unwrap_err();
            assert!(e.contains("\"10m\""), "{bad}: {e}");
        }
    }
}
