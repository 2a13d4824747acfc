//! Why a history command could not do its work.
use std::path::PathBuf;

use thiserror::Error;

/// Errors of the history store and its inputs.
#[derive(Debug, Error)]
#[non_exhaustive]
pub enum HistoryError {
    /// `--store` (or EDGEBENCH_HISTORY) is not a store URL this build knows.
    #[error("store URL {url}: {reason}")]
    BadUrl {
        /// The URL as given, password hidden.
        url: String,
        /// What is wrong and what would work.
        reason: String,
    },
    /// No default store location exists (no data directory).
    #[error("no data directory for the default store; give --store PATH or set EDGEBENCH_HISTORY")]
    NoDefaultLocation,
    /// The SQLite file could not be opened or created.
    #[error("cannot open the SQLite store {}: {source}", .path.display())]
    SqliteOpen {
        /// The file.
        path: PathBuf,
        /// What SQLite said.
        source: rusqlite::Error,
    },
    /// A statement on the SQLite store failed.
    #[error("SQLite store {}: {source}", .path.display())]
    Sqlite {
        /// The file.
        path: PathBuf,
        /// What SQLite said.
        source: rusqlite::Error,
    },
    /// The PostgreSQL server could not be reached or refused the login.
    #[error(
        "cannot connect to the PostgreSQL store {url}: {source}; check that the server is \
         running and the URL's host, port, user, password and database"
    )]
    PostgresConnect {
        /// The URL, password hidden.
        url: String,
        /// What the client said.
        source: postgres::Error,
    },
    /// A statement on the PostgreSQL store failed.
    #[error("PostgreSQL store {url}: {source}")]
    Postgres {
        /// The URL, password hidden.
        url: String,
        /// What the server said.
        source: postgres::Error,
    },
    /// The store was migrated by a newer edgebench.
    #[error(
        "store {store} has schema version {found}, newer than this edgebench knows ({known}); \
         upgrade edgebench"
    )]
    NewerStoreSchema {
        /// The store, as a URL.
        store: String,
        /// Its version.
        found: i64,
        /// The newest this build knows.
        known: i64,
    },
    /// A stored record could not be encoded.
    #[error("cannot encode a record: {0}")]
    Encode(#[from] serde_json::Error),
    /// `--since` is not a date.
    #[error(
        "--since {0}: not a date; give YYYY-MM-DD or an RFC 3339 time such as 2026-11-21T00:00:00Z"
    )]
    BadSince(String),
}
