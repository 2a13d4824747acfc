//! Number and text formatting shared by the Markdown and HTML renderings.

/// A number with precision that suits its size: 2048, 1234.5, 12.35, 0.123.
pub fn num(x: f64) -> String {
    let a = x.abs();
    if !x.is_finite() {
        "n/a".to_owned()
    } else if x.fract() == 0.0 && a < 1e15 {
        format!("{x:.0}")
    } else if a >= 1000.0 {
        format!("{x:.1}")
    } else if a >= 1.0 {
        format!("{x:.2}")
    } else if a >= 0.001 {
        format!("{x:.3}")
    } else {
        format!("{x:.2e}")
    }
}

/// An optional number, `-` when absent.
pub fn opt(x: Option<f64>) -> String {
    x.map_or_else(|| "-".to_owned(), num)
}

/// US dollars with thousands separators and cents below 1000: $1,999.00,
/// $22,251, -$20,451.
pub fn usd(x: f64) -> String {
    if !x.is_finite() {
        return "n/a".to_owned();
    }
    let sign = if x < 0.0 { "-" } else { "" };
    let a = x.abs();
    if a < 1.0 {
        return format!("{sign}${a:.4}");
    }
    if a < 1000.0 {
        return format!("{sign}${a:.2}");
    }
    format!("{sign}${}", thousands(a.round()))
}

/// An input exactly as given (shortest round-trip form), in dollars:
/// $0.00125, $1999.99, -$3.
pub fn usd_exact(x: f64) -> String {
    if x < 0.0 {
        format!("-${}", -x)
    } else {
        format!("${x}")
    }
}

/// An optional amount in dollars, `-` when absent.
pub fn opt_usd(x: Option<f64>) -> String {
    x.map_or_else(|| "-".to_owned(), usd)
}

/// A whole number with comma separators: 1,236,167.
pub fn thousands(x: f64) -> String {
    if !x.is_finite() {
        return "n/a".to_owned();
    }
    let digits = format!("{:.0}", x.abs());
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i) % 3 == 0 {
            out.push(',');
        }
        out.push(c);
    }
    if x < 0.0 { format!("-{out}") } else { out }
}

/// A signed number: +12.5, -3.
pub fn signed(x: f64) -> String {
    if x < 0.0 {
        format!("-{}", num(-x))
    } else {
        format!("+{}", num(x))
    }
}

/// A Markdown table cell: pipes escaped, line breaks flattened.
pub fn md_cell(s: &str) -> String {
    s.replace('|', "\\|").replace(['\n', '\r'], " ")
}

/// Text escaped for HTML element content and attribute values.
pub fn html(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            _ => out.push(c),
        }
    }
    out
}

/// Bytes as GiB with one decimal (2^30 bytes).
pub fn gib(bytes: u64) -> String {
    format!("{:.1} GiB", bytes as f64 / (1u64 << 30) as f64)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn money_and_counts() {
        assert_eq!(usd(22251.0), "$22,251");
        assert_eq!(usd(-20451.0), "-$20,451");
        assert_eq!(usd(48.2877), "$48.29");
        assert_eq!(usd(0.0005), "$0.0005");
        assert_eq!(thousands(1_236_166.67), "1,236,167");
        assert_eq!(thousands(999.0), "999");
        assert_eq!(html("<a&\"b\">"), "&lt;a&amp;&quot;b&quot;&gt;");
    }
}
