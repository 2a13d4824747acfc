//! Allocation-free reads of one number from a sysfs file, for the sampler's
//! steady state: a stack buffer, no String, no Vec. (std turns a path shorter
//! than 384 bytes into a C string on the stack, so `File::open` does not
//! allocate either.)
use std::io::Read;
use std::path::Path;

/// Bytes read at most: a sysfs number is far shorter.
const BUF: usize = 64;

/// The file's first token parsed as a decimal integer (or hex with `radix`
/// 16, with or without a leading "0x"); `None` if absent, unreadable or not a
/// number.
pub(crate) fn read_int(path: &Path, radix: u32) -> Option<i64> {
    let mut buf = [0u8; BUF];
    let mut file = std::fs::File::open(path).ok()?;
    let mut len = 0;
    while len < BUF {
        match file.read(&mut buf[len..]) {
            Ok(0) => break,
            Ok(n) => len += n,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
            Err(_) => return None,
        }
    }
    parse_int(&buf[..len], radix)
}

/// Parses the first whitespace-separated token of `bytes`.
pub(crate) fn parse_int(bytes: &[u8], radix: u32) -> Option<i64> {
    let text = std::str::from_utf8(bytes).ok()?;
    let token = text
        .trim_matches(|c: char| c == '\0' || c.is_whitespace())
        .split_whitespace()
        .next()?;
    let token = if radix == 16 {
        token
            .strip_prefix("0x")
            .or_else(|| token.strip_prefix("0X"))
            .unwrap_or(token)
    } else {
        token
    };
    i64::from_str_radix(token, radix).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_in_sysfs_formats() {
        assert_eq!(parse_int(b"45000\n", 10), Some(45000));
        assert_eq!(parse_int(b"-5\n", 10), Some(-5));
        assert_eq!(parse_int(b"0x50005\n", 16), Some(0x50005));
        assert_eq!(parse_int(b"50005\n", 16), Some(0x50005));
        assert_eq!(parse_int(b"throttled=0x0\n", 16), None);
        assert_eq!(parse_int(b"", 10), None);
        assert_eq!(parse_int(b"hot", 10), None);
        assert_eq!(parse_int(b"\xff\xfe", 10), None);
        // GPU load on Jetson is "412\n"; devfreq cur_freq is Hz.
        assert_eq!(parse_int(b"1300500000 \n", 10), Some(1_300_500_000));
    }

    #[test]
    fn absent_and_directory_are_none() {
        let dir = tempfile::tempdir().unwrap();
        assert_eq!(read_int(&dir.path().join("absent"), 10), None);
        assert_eq!(read_int(dir.path(), 10), None);
        std::fs::write(dir.path().join("t"), "51234\n").unwrap();
        assert_eq!(read_int(&dir.path().join("t"), 10), Some(51234));
    }
}
