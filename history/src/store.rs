//! The store, whichever database holds it: add records, read points back.
use edgebench_reports::Record;
use edgebench_reports::quality::QualityRecord;

use crate::error::HistoryError;
use crate::postgres_store::PostgresStore;
use crate::row::{NewResult, Point};
use crate::sqlite_store::SqliteStore;
use crate::url::StoreUrl;

/// What an `add` did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct AddOutcome {
    /// Records stored now.
    pub added: usize,
    /// Records the store already held (same content), left alone.
    pub already_present: usize,
}

/// An open store.
pub enum Store {
    /// An SQLite file.
    Sqlite(SqliteStore),
    /// A PostgreSQL database.
    Postgres(PostgresStore),
}

impl Store {
    /// Opens (creating and migrating when needed) the store at `url`.
    pub fn open(url: &StoreUrl) -> Result<Store, HistoryError> {
        Ok(match url {
            StoreUrl::Sqlite(path) => Store::Sqlite(SqliteStore::open(path)?),
            StoreUrl::Postgres(config, shown) => {
                Store::Postgres(PostgresStore::connect(config, shown)?)
            }
        })
    }

    /// Stores `records` read from `source` in one transaction; records
    /// already present (same content hash) are skipped.
    pub fn add(&mut self, records: &[Record], source: &str) -> Result<AddOutcome, HistoryError> {
        let rows = records
            .iter()
            .map(|r| NewResult::of(r, source))
            .collect::<Result<Vec<_>, _>>()?;
        match self {
            Store::Sqlite(s) => s.add(&rows),
            Store::Postgres(s) => s.add(&rows),
        }
    }

    /// Stores the quality records `quality` read from `source` (each model
    /// and backend a result of its own, see [`NewResult::of_quality`]);
    /// `device` keys records that name none.
    pub fn add_quality(
        &mut self,
        quality: &[QualityRecord],
        device: &str,
        source: &str,
    ) -> Result<AddOutcome, HistoryError> {
        let mut rows = vec![];
        for q in quality {
            rows.extend(NewResult::of_quality(q, device, source)?);
        }
        match self {
            Store::Sqlite(s) => s.add(&rows),
            Store::Postgres(s) => s.add(&rows),
        }
    }

    /// Every measurement of every `ok` result, oldest run first.
    pub fn points(&mut self) -> Result<Vec<Point>, HistoryError> {
        match self {
            Store::Sqlite(s) => s.points(),
            Store::Postgres(s) => s.points(),
        }
    }

    /// The schema version the store is at.
    pub fn schema_version(&mut self) -> Result<i64, HistoryError> {
        match self {
            Store::Sqlite(s) => s.schema_version(),
            Store::Postgres(s) => s.schema_version(),
        }
    }

    /// Number of stored results (any status).
    pub fn result_count(&mut self) -> Result<i64, HistoryError> {
        match self {
            Store::Sqlite(s) => s.result_count(),
            Store::Postgres(s) => s.result_count(),
        }
    }
}
