//! The store's tables, as versioned migrations applied in order and
//! recorded in `schema_migrations`, and the statements that fill them.
//! SQLite and PostgreSQL get the same tables and columns from one text;
//! only the row-id types and bind parameters are spelled per dialect.
//!
//! ```text
//! results       one row per stored record: identity, status, timestamp,
//!               the record's content hash (unique: adding twice is a no-op)
//!               and the whole record as JSON
//! measurements  one row per (result, metric): mean, sd, n, p50
//! ```

/// The SQL dialects a store speaks. The tables are written once, in
/// [`Migration::ddl`]; only the row-id types differ per dialect.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Dialect {
    /// The embedded SQLite store.
    Sqlite,
    /// A PostgreSQL server.
    Postgres,
}

impl Dialect {
    /// An auto-assigned 64-bit row id that is the primary key.
    fn row_id(self) -> &'static str {
        match self {
            Dialect::Sqlite => "INTEGER PRIMARY KEY AUTOINCREMENT",
            Dialect::Postgres => "BIGSERIAL PRIMARY KEY",
        }
    }

    /// A column holding such a row id. SQLite spells it INTEGER (its
    /// 64-bit integer); PostgreSQL's INTEGER would be 32-bit.
    fn row_id_ref(self) -> &'static str {
        match self {
            Dialect::Sqlite => "INTEGER",
            Dialect::Postgres => "BIGINT",
        }
    }

    /// The `n`th bind parameter (1-based): `?n` or `$n`.
    fn param(self, n: usize) -> String {
        match self {
            Dialect::Sqlite => format!("?{n}"),
            Dialect::Postgres => format!("${n}"),
        }
    }

    /// `?1, ?2, ...` or `$1, $2, ...` for `count` parameters.
    fn params(self, count: usize) -> String {
        (1..=count)
            .map(|n| self.param(n))
            .collect::<Vec<_>>()
            .join(", ")
    }
}

/// One schema step.
pub struct Migration {
    /// Version it brings the store to (1, 2, ...).
    pub version: i64,
    /// What it does.
    pub description: &'static str,
    /// The SQL for both dialects, with `{row_id}` and `{row_id_ref}` where
    /// [`Dialect`] spells the row-id types.
    pub ddl: &'static str,
}

impl Migration {
    /// The SQL of this step in `dialect`.
    pub fn sql(&self, dialect: Dialect) -> String {
        self.ddl
            .replace("{row_id}", dialect.row_id())
            .replace("{row_id_ref}", dialect.row_id_ref())
    }
}

/// Every migration, oldest first. Add new ones at the end; never edit a
/// released one (the test below pins their SQL).
pub const MIGRATIONS: &[Migration] = &[
    Migration {
        version: 1,
        description: "results and measurements",
        ddl: "
        CREATE TABLE results (
            id {row_id},
            content_sha256 TEXT NOT NULL UNIQUE,
            device TEXT NOT NULL,
            model_sha256 TEXT NOT NULL,
            model_label TEXT NOT NULL,
            backend TEXT NOT NULL,
            execution_provider TEXT,
            workload TEXT NOT NULL,
            timestamp TEXT NOT NULL,
            status TEXT NOT NULL,
            reason TEXT,
            edgebench_version TEXT NOT NULL,
            edgebench_commit TEXT,
            source TEXT NOT NULL,
            added_unix_s BIGINT NOT NULL,
            record_json TEXT NOT NULL
        );
        CREATE INDEX results_series ON results (device, model_sha256, backend, workload, timestamp);
        CREATE TABLE measurements (
            result_id {row_id_ref} NOT NULL REFERENCES results (id) ON DELETE CASCADE,
            metric TEXT NOT NULL,
            mean DOUBLE PRECISION NOT NULL,
            sd DOUBLE PRECISION,
            n BIGINT NOT NULL,
            p50 DOUBLE PRECISION NOT NULL,
            PRIMARY KEY (result_id, metric)
        );",
    },
    Migration {
        version: 2,
        description: "results restated at record schema 2 (test shapes): see restated()",
        // No DDL: the stores rewrite each row with [`restated`] in the same
        // transaction, because the new keys come from Rust, not SQL.
        ddl: "",
    },
];

/// The store version from which rows hold record schema 2 and its keys.
pub const RESTATED_AT: i64 = 2;

/// A stored row as this build would write it.
#[derive(Debug, Clone, PartialEq)]
pub struct Restated {
    /// The case key's workload (e.g. `req512+128 t=2 b=2048 ub=512 ctx=640`).
    pub workload: String,
    /// The record's JSON at the current record schema.
    pub record_json: String,
    /// Its sha256.
    pub content_sha256: String,
}

/// A row stored by an older build, restated as this build writes it: the
/// record read back through the record migrations (record schema 1 to 2
/// renames edgebench's request test `pp512+tg128` to `req512+128`), its
/// JSON, content hash and workload key recomputed. Without this a nightly
/// series would split in two at the upgrade (`pp512+tg128 t=2 ...` before,
/// `req512+128 t=2 ...` after) and lose its history. None when the row is
/// already current, or cannot be read (it is then left as it is).
pub fn restated(record_json: &str) -> Option<Restated> {
    let records =
        edgebench_reports::load::parse_records(record_json, std::path::Path::new("store row"))
            .ok()?;
    let [record] = records.as_slice() else {
        return None;
    };
    let row = crate::row::NewResult::of(record, "").ok()?;
    (row.record_json != record_json).then_some(Restated {
        workload: row.key.workload,
        record_json: row.record_json,
        content_sha256: row.content_sha256,
    })
}

/// The columns `add` fills in `results`, in bind order.
const RESULT_COLUMNS: &str = "content_sha256, device, model_sha256, model_label,
    backend, execution_provider, workload, timestamp, status, reason,
    edgebench_version, edgebench_commit, source, added_unix_s, record_json";

/// Inserts one result unless its content hash is stored already; returns
/// the new row's id (no row when it was present).
pub fn insert_result_sql(dialect: Dialect) -> String {
    let count = RESULT_COLUMNS.split(',').count();
    format!(
        "INSERT INTO results ({RESULT_COLUMNS}) VALUES ({})
         ON CONFLICT (content_sha256) DO NOTHING RETURNING id",
        dialect.params(count)
    )
}

/// Inserts one measurement of a result.
pub fn insert_measurement_sql(dialect: Dialect) -> String {
    format!(
        "INSERT INTO measurements (result_id, metric, mean, sd, n, p50) VALUES ({})",
        dialect.params(6)
    )
}

/// Records that a migration was applied.
pub fn insert_migration_sql(dialect: Dialect) -> String {
    format!(
        "INSERT INTO schema_migrations (version, description, applied_unix_s) VALUES ({})",
        dialect.params(3)
    )
}

/// The newest schema version this build knows.
pub fn latest_version() -> i64 {
    MIGRATIONS.last().map_or(0, |m| m.version)
}

/// Creates the bookkeeping table (both dialects accept this SQL).
pub const CREATE_MIGRATIONS_TABLE: &str = "CREATE TABLE IF NOT EXISTS schema_migrations (
    version BIGINT PRIMARY KEY,
    description TEXT NOT NULL,
    applied_unix_s BIGINT NOT NULL
)";

/// Seconds since the Unix epoch, now (0 if the clock is before 1970).
pub fn now_unix_s() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_secs()).unwrap_or(i64::MAX))
}

#[cfg(test)]
mod tests {
    use super::*;
    use sha2::{Digest, Sha256};

    fn sha256_hex(text: &str) -> String {
        Sha256::digest(text.as_bytes())
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect()
    }

    /// Stores in the field were created by this exact SQL; a changed text
    /// would give new stores a different schema than old ones.
    #[test]
    fn released_migrations_are_unchanged() {
        let v1 = &MIGRATIONS[0];
        assert_eq!(
            sha256_hex(&v1.sql(Dialect::Sqlite)),
            "3ef0dd1e7a5689363b570fff5fca02d49cc84f99a4adf621e3c7cc08040ca3e2"
        );
        assert_eq!(
            sha256_hex(&v1.sql(Dialect::Postgres)),
            "add21769fcf4a50095e6f2d6dabb2a497e83635c55a29e822013301cadb265d7"
        );
    }

    #[test]
    fn inserts_bind_one_parameter_per_column() {
        let sql = insert_result_sql(Dialect::Postgres);
        assert!(sql.contains("$15)") && !sql.contains("$16"), "{sql}");
        let sql = insert_result_sql(Dialect::Sqlite);
        assert!(sql.contains("?1, ?2") && sql.contains("?15)"), "{sql}");
    }
}
