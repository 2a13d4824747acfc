//! The store's tables, as versioned migrations applied in order and
//! recorded in `schema_migrations`. SQLite and PostgreSQL get the same
//! tables and columns; only the column types are spelled per dialect.
//!
//! ```text
//! results       one row per stored record: identity, status, timestamp,
//!               the record's content hash (unique: adding twice is a no-op)
//!               and the whole record as JSON
//! measurements  one row per (result, metric): mean, sd, n, p50
//! ```

/// One schema step.
pub struct Migration {
    /// Version it brings the store to (1, 2, ...).
    pub version: i64,
    /// What it does.
    pub description: &'static str,
    /// The SQL for SQLite.
    pub sqlite: &'static str,
    /// The SQL for PostgreSQL.
    pub postgres: &'static str,
}

/// Every migration, oldest first. Add new ones at the end; never edit a
/// released one.
pub const MIGRATIONS: &[Migration] = &[Migration {
    version: 1,
    description: "results and measurements",
    sqlite: "
        CREATE TABLE results (
            id INTEGER PRIMARY KEY AUTOINCREMENT,
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
            result_id INTEGER NOT NULL REFERENCES results (id) ON DELETE CASCADE,
            metric TEXT NOT NULL,
            mean DOUBLE PRECISION NOT NULL,
            sd DOUBLE PRECISION,
            n BIGINT NOT NULL,
            p50 DOUBLE PRECISION NOT NULL,
            PRIMARY KEY (result_id, metric)
        );",
    postgres: "
        CREATE TABLE results (
            id BIGSERIAL PRIMARY KEY,
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
            result_id BIGINT NOT NULL REFERENCES results (id) ON DELETE CASCADE,
            metric TEXT NOT NULL,
            mean DOUBLE PRECISION NOT NULL,
            sd DOUBLE PRECISION,
            n BIGINT NOT NULL,
            p50 DOUBLE PRECISION NOT NULL,
            PRIMARY KEY (result_id, metric)
        );",
}];

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
