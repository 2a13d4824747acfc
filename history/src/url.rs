//! Store locations: `sqlite:PATH`, a plain path (SQLite), or
//! `postgres://...` / `postgresql://...`; the default is
//! `$EDGEBENCH_HISTORY`, else `<data dir>/edgebench/history.sqlite`.
use std::fmt;
use std::path::PathBuf;
use std::str::FromStr;
use std::time::Duration;

use crate::error::HistoryError;

/// Environment variable naming the default store.
pub const ENV_STORE: &str = "EDGEBENCH_HISTORY";

/// Seconds to wait for a PostgreSQL server unless the URL says otherwise.
pub const DEFAULT_CONNECT_TIMEOUT_S: u64 = 10;

/// Where the history lives.
#[derive(Debug, Clone)]
pub enum StoreUrl {
    /// An SQLite file (created on first use).
    Sqlite(PathBuf),
    /// A PostgreSQL database: the parsed config and the URL, password hidden.
    Postgres(Box<postgres::Config>, String),
}

impl fmt::Display for StoreUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            StoreUrl::Sqlite(p) => write!(f, "sqlite:{}", p.display()),
            StoreUrl::Postgres(_, shown) => f.write_str(shown),
        }
    }
}

/// `url` with the password of its user-info part replaced by `***`, and any
/// other place the same password appears (4 characters or more) as well.
///
/// The user-info is taken to end at the last `@` of the URL: a password
/// typed with an unencoded `/`, `?` or `@` is hidden whole, not cut short
/// (a query holding an `@` is hidden too: over-hiding is the safe side).
pub fn redact(url: &str) -> String {
    let Some((scheme, rest)) = url.split_once("://") else {
        return url.to_string();
    };
    let Some(at) = rest.rfind('@') else {
        return url.to_string();
    };
    let (user_info, host_and_tail) = (&rest[..at], &rest[at + 1..]);
    let Some((user, password)) = user_info.split_once(':') else {
        return url.to_string();
    };
    // Where else the password shows: whole, or as a parser that stops at an
    // inner `@` would cut it.
    let mut secrets: Vec<&str> = password
        .match_indices('@')
        .map(|(i, _)| &password[..i])
        .collect();
    secrets.push(password);
    secrets.retain(|s| s.len() >= 4);
    secrets.sort_by_key(|s| std::cmp::Reverse(s.len()));
    let hide = |part: &str| {
        secrets.iter().fold(part.to_string(), |shown, secret| {
            shown.replace(secret, "***")
        })
    };
    format!(
        "{}://{}:***@{}",
        hide(scheme),
        hide(user),
        hide(host_and_tail)
    )
}

impl FromStr for StoreUrl {
    type Err = HistoryError;

    fn from_str(s: &str) -> Result<StoreUrl, HistoryError> {
        let bad = |reason: String| HistoryError::BadUrl {
            url: redact(s),
            reason,
        };
        if s.trim().is_empty() {
            return Err(bad(
                "empty; give sqlite:PATH, a file path or postgres://...".into(),
            ));
        }
        if s.starts_with("postgres://") || s.starts_with("postgresql://") {
            let mut config = postgres::Config::from_str(s).map_err(|e| {
                bad(format!(
                    "{e}; expected postgres://USER[:PASSWORD]@HOST[:PORT]/DATABASE"
                ))
            })?;
            if config.get_hosts().is_empty() {
                return Err(bad(
                    "no host; expected postgres://USER@HOST[:PORT]/DATABASE".into(),
                ));
            }
            if config.get_connect_timeout().is_none() {
                config.connect_timeout(Duration::from_secs(DEFAULT_CONNECT_TIMEOUT_S));
            }
            return Ok(StoreUrl::Postgres(Box::new(config), redact(s)));
        }
        if let Some(rest) = s.strip_prefix("sqlite:") {
            let path = rest.strip_prefix("//").unwrap_or(rest);
            if path.is_empty() {
                return Err(bad("no file after sqlite:; give sqlite:PATH".into()));
            }
            return Ok(StoreUrl::Sqlite(PathBuf::from(path)));
        }
        if let Some((scheme, _)) = redact(s).split_once("://") {
            return Err(bad(format!(
                "unknown scheme {scheme:?}; use sqlite:PATH, a file path, or postgres://..."
            )));
        }
        Ok(StoreUrl::Sqlite(PathBuf::from(s)))
    }
}

/// The store used when no `--store` is given: `$EDGEBENCH_HISTORY`, else
/// `<data dir>/edgebench/history.sqlite` (e.g. ~/.local/share on Linux).
pub fn default_store() -> Result<StoreUrl, HistoryError> {
    if let Ok(v) = std::env::var(ENV_STORE)
        && !v.is_empty()
    {
        return v.parse();
    }
    let dir = dirs::data_dir().ok_or(HistoryError::NoDefaultLocation)?;
    Ok(StoreUrl::Sqlite(
        dir.join("edgebench").join("history.sqlite"),
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn forms() {
        assert!(
            matches!("sqlite:/tmp/h.db".parse::<StoreUrl>(), Ok(StoreUrl::Sqlite(p)) if p == std::path::Path::new("/tmp/h.db"))
        );
        assert!(
            matches!("sqlite:///tmp/h.db".parse::<StoreUrl>(), Ok(StoreUrl::Sqlite(p)) if p == std::path::Path::new("/tmp/h.db"))
        );
        assert!(matches!(
            "h.sqlite".parse::<StoreUrl>(),
            Ok(StoreUrl::Sqlite(_))
        ));
        let pg: StoreUrl = "postgres://lab:secret@db.lab:5433/edgebench"
            .parse()
            .unwrap();
        assert_eq!(pg.to_string(), "postgres://lab:***@db.lab:5433/edgebench");
    }

    #[test]
    fn bad_urls_say_what_works() {
        for bad in ["mysql://x/y", "sqlite:", "postgres://u@h:notaport/db", ""] {
            let e = bad.parse::<StoreUrl>().unwrap_err().to_string();
            assert!(e.starts_with("store URL"), "{bad}: {e}");
        }
        let e = "postgres://u:pw@h:notaport/db"
            .parse::<StoreUrl>()
            .unwrap_err()
            .to_string();
        assert!(!e.contains("pw"), "{e}");
    }

    /// Found by the store_url fuzz target (fuzz/regressions/store_url): the
    /// password shown where it appeared a second time, and cut at a `/`.
    #[test]
    fn a_password_is_hidden_wherever_it_appears() {
        for (file, secret) in [
            ("password-twice", "s3cret"),
            ("password-in-scheme", "S3cret"),
            ("password-with-question-mark", "s?3cret"),
            ("password-with-at", "S3cret"),
        ] {
            let path = format!(
                "{}/../fuzz/regressions/store_url/{file}",
                env!("CARGO_MANIFEST_DIR")
            );
            let found = std::fs::read_to_string(&path).unwrap();
            assert!(found.contains(secret), "{file}");
            let e = found.parse::<StoreUrl>().unwrap_err().to_string();
            assert!(!e.contains(secret), "{file}: {e}");
        }
        assert_eq!(
            redact("postgres://lab:pa/s?s@db/edgebench?connect_timeout=5"),
            "postgres://lab:***@db/edgebench?connect_timeout=5"
        );
        assert_eq!(
            redact("postgres://lab:pw@db/edgebench?application_name=x@y"),
            "postgres://lab:***@y"
        );
        assert_eq!(
            redact("postgres://lab@db/edgebench"),
            "postgres://lab@db/edgebench"
        );
        assert_eq!(redact("sqlite:/tmp/x"), "sqlite:/tmp/x");
    }
}
