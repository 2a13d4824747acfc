//! The PostgreSQL store for a device lab: the same tables as SQLite,
//! migrations serialised by an advisory lock so that devices finishing at
//! once do not race.
use edgebench_reports::compare::CaseKey;
use postgres::{Client, NoTls};

use crate::error::HistoryError;
use crate::row::{NewResult, POINTS_SQL, Point};
use crate::schema::{self, CREATE_MIGRATIONS_TABLE, Dialect, MIGRATIONS};
use crate::store::AddOutcome;

/// Advisory lock key held while migrating ("edgebench" in ASCII, truncated).
const MIGRATION_LOCK: i64 = 0x6564_6765_6265_6e63;

/// An open PostgreSQL store.
pub struct PostgresStore {
    shown: String,
    client: Client,
}

impl PostgresStore {
    /// Connects and migrates to the latest schema. `shown` is the URL with
    /// its password hidden, for messages.
    pub fn connect(config: &postgres::Config, shown: &str) -> Result<PostgresStore, HistoryError> {
        let client = config
            .connect(NoTls)
            .map_err(|source| HistoryError::PostgresConnect {
                url: shown.to_string(),
                source,
            })?;
        let mut store = PostgresStore {
            shown: shown.to_string(),
            client,
        };
        store.migrate()?;
        Ok(store)
    }

    fn migrate(&mut self) -> Result<(), HistoryError> {
        let shown = self.shown.clone();
        let err = |source| HistoryError::Postgres {
            url: shown.clone(),
            source,
        };
        let mut tx = self.client.transaction().map_err(err)?;
        tx.execute("SELECT pg_advisory_xact_lock($1)", &[&MIGRATION_LOCK])
            .map_err(err)?;
        tx.batch_execute(CREATE_MIGRATIONS_TABLE).map_err(err)?;
        let current: i64 = tx
            .query_one(
                "SELECT COALESCE(MAX(version), 0)::BIGINT FROM schema_migrations",
                &[],
            )
            .and_then(|r| r.try_get(0))
            .map_err(err)?;
        if current > schema::latest_version() {
            return Err(HistoryError::NewerStoreSchema {
                store: shown.clone(),
                found: current,
                known: schema::latest_version(),
            });
        }
        for m in MIGRATIONS.iter().filter(|m| m.version > current) {
            tx.batch_execute(&m.sql(Dialect::Postgres)).map_err(err)?;
            tx.execute(
                &schema::insert_migration_sql(Dialect::Postgres),
                &[&m.version, &m.description, &schema::now_unix_s()],
            )
            .map_err(err)?;
        }
        if current < schema::RESTATED_AT {
            let rows = tx
                .query("SELECT id, record_json FROM results ORDER BY id", &[])
                .map_err(err)?;
            for row in rows {
                let id: i64 = row.try_get(0).map_err(err)?;
                let json: String = row.try_get(1).map_err(err)?;
                let Some(new) = schema::restated(&json) else {
                    continue;
                };
                // The same record stored twice (once per schema) is kept once.
                let twin = tx
                    .query_opt(
                        "SELECT id FROM results WHERE content_sha256 = $1",
                        &[&new.content_sha256],
                    )
                    .map_err(err)?;
                if twin.is_some() {
                    tx.execute("DELETE FROM results WHERE id = $1", &[&id])
                        .map_err(err)?;
                } else {
                    tx.execute(
                        "UPDATE results SET workload = $1, record_json = $2, content_sha256 = $3 WHERE id = $4",
                        &[&new.workload, &new.record_json, &new.content_sha256, &id],
                    )
                    .map_err(err)?;
                }
            }
        }
        tx.commit().map_err(err)
    }

    /// Inserts `rows`, skipping those already stored.
    pub fn add(&mut self, rows: &[NewResult]) -> Result<AddOutcome, HistoryError> {
        let shown = self.shown.clone();
        let err = |source| HistoryError::Postgres {
            url: shown.clone(),
            source,
        };
        let mut tx = self.client.transaction().map_err(err)?;
        let insert_result = schema::insert_result_sql(Dialect::Postgres);
        let insert_measurement = schema::insert_measurement_sql(Dialect::Postgres);
        let mut out = AddOutcome::default();
        for row in rows {
            let inserted = tx
                .query_opt(
                    &insert_result,
                    &[
                        &row.content_sha256,
                        &row.key.device,
                        &row.key.model_sha256,
                        &row.model_label,
                        &row.key.backend,
                        &row.key.execution_provider,
                        &row.key.workload,
                        &row.timestamp,
                        &row.status,
                        &row.reason,
                        &row.edgebench_version,
                        &row.edgebench_commit,
                        &row.source,
                        &schema::now_unix_s(),
                        &row.record_json,
                    ],
                )
                .map_err(err)?;
            let Some(inserted) = inserted else {
                out.already_present += 1;
                continue;
            };
            let id: i64 = inserted.try_get(0).map_err(err)?;
            for m in &row.measurements {
                tx.execute(
                    &insert_measurement,
                    &[&id, &m.metric, &m.mean, &m.sd, &m.n, &m.p50],
                )
                .map_err(err)?;
            }
            out.added += 1;
        }
        tx.commit().map_err(err)?;
        Ok(out)
    }

    /// Every measurement of every ok result, oldest first.
    pub fn points(&mut self) -> Result<Vec<Point>, HistoryError> {
        let err = |source| HistoryError::Postgres {
            url: self.shown.clone(),
            source,
        };
        let rows = self.client.query(POINTS_SQL, &[]).map_err(err)?;
        // try_get, not get: a column altered by hand must be an error, not a panic.
        rows.iter()
            .map(|r| {
                Ok(Point {
                    key: CaseKey {
                        device: r.try_get(0)?,
                        model_sha256: r.try_get(1)?,
                        backend: r.try_get(2)?,
                        execution_provider: r.try_get(3)?,
                        workload: r.try_get(4)?,
                    },
                    model_label: r.try_get(5)?,
                    metric: r.try_get(6)?,
                    timestamp: r.try_get(7)?,
                    edgebench_commit: r.try_get(8)?,
                    mean: r.try_get(9)?,
                })
            })
            .collect::<Result<Vec<_>, postgres::Error>>()
            .map_err(err)
    }

    /// The schema version the database is at.
    pub fn schema_version(&mut self) -> Result<i64, HistoryError> {
        self.one("SELECT COALESCE(MAX(version), 0)::BIGINT FROM schema_migrations")
    }

    /// Number of stored results.
    pub fn result_count(&mut self) -> Result<i64, HistoryError> {
        self.one("SELECT COUNT(*)::BIGINT FROM results")
    }

    fn one(&mut self, sql: &str) -> Result<i64, HistoryError> {
        self.client
            .query_one(sql, &[])
            .and_then(|r| r.try_get(0))
            .map_err(|source| HistoryError::Postgres {
                url: self.shown.clone(),
                source,
            })
    }
}
