//! The embedded SQLite store: one file, created and migrated on first use.
use std::path::{Path, PathBuf};

use edgebench_reports::compare::CaseKey;
use rusqlite::{Connection, OptionalExtension, params};

use crate::error::HistoryError;
use crate::row::{NewResult, POINTS_SQL, Point};
use crate::schema::{self, CREATE_MIGRATIONS_TABLE, Dialect, MIGRATIONS};
use crate::store::AddOutcome;

/// An open SQLite store.
pub struct SqliteStore {
    path: PathBuf,
    conn: Connection,
}

impl SqliteStore {
    /// Opens the file at `path` (creating it and its folder), migrated to
    /// the latest schema.
    pub fn open(path: &Path) -> Result<SqliteStore, HistoryError> {
        let open_err = |source| HistoryError::SqliteOpen {
            path: path.to_path_buf(),
            source,
        };
        if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty())
            && !dir.is_dir()
        {
            std::fs::create_dir_all(dir).map_err(|e| {
                open_err(rusqlite::Error::InvalidPath(
                    format!("cannot create the folder {}: {e}", dir.display()).into(),
                ))
            })?;
        }
        let conn = Connection::open(path).map_err(open_err)?;
        // Several devices' jobs may add at once on a shared disk: wait for
        // the lock rather than fail.
        conn.busy_timeout(std::time::Duration::from_secs(30))
            .map_err(open_err)?;
        conn.execute_batch("PRAGMA foreign_keys = ON;")
            .map_err(open_err)?;
        let mut store = SqliteStore {
            path: path.to_path_buf(),
            conn,
        };
        store.migrate()?;
        Ok(store)
    }

    fn err(&self, source: rusqlite::Error) -> HistoryError {
        HistoryError::Sqlite {
            path: self.path.clone(),
            source,
        }
    }

    fn migrate(&mut self) -> Result<(), HistoryError> {
        let path = self.path.clone();
        let err = |source| HistoryError::Sqlite {
            path: path.clone(),
            source,
        };
        let tx = self
            .conn
            .transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)
            .map_err(err)?;
        tx.execute_batch(CREATE_MIGRATIONS_TABLE).map_err(err)?;
        let current: i64 = tx
            .query_row(
                "SELECT COALESCE(MAX(version), 0) FROM schema_migrations",
                [],
                |r| r.get(0),
            )
            .map_err(err)?;
        if current > schema::latest_version() {
            return Err(HistoryError::NewerStoreSchema {
                store: format!("sqlite:{}", path.display()),
                found: current,
                known: schema::latest_version(),
            });
        }
        for m in MIGRATIONS.iter().filter(|m| m.version > current) {
            tx.execute_batch(&m.sql(Dialect::Sqlite)).map_err(err)?;
            tx.execute(
                &schema::insert_migration_sql(Dialect::Sqlite),
                params![m.version, m.description, schema::now_unix_s()],
            )
            .map_err(err)?;
        }
        if current < schema::RESTATED_AT {
            let rows: Vec<(i64, String)> = tx
                .prepare("SELECT id, record_json FROM results ORDER BY id")
                .and_then(|mut st| {
                    st.query_map([], |r| Ok((r.get(0)?, r.get(1)?)))?
                        .collect::<Result<_, _>>()
                })
                .map_err(err)?;
            for (id, json) in rows {
                let Some(new) = schema::restated(&json) else {
                    continue;
                };
                // The same record stored twice (once per schema) is kept once.
                let twin: Option<i64> = tx
                    .query_row(
                        "SELECT id FROM results WHERE content_sha256 = ?1",
                        params![new.content_sha256],
                        |r| r.get(0),
                    )
                    .optional()
                    .map_err(err)?;
                if twin.is_some() {
                    tx.execute("DELETE FROM results WHERE id = ?1", params![id])
                        .map_err(err)?;
                } else {
                    tx.execute(
                        "UPDATE results SET workload = ?1, record_json = ?2, content_sha256 = ?3 WHERE id = ?4",
                        params![new.workload, new.record_json, new.content_sha256, id],
                    )
                    .map_err(err)?;
                }
            }
        }
        tx.commit().map_err(err)
    }

    /// Inserts `rows`, skipping those already stored.
    pub fn add(&mut self, rows: &[NewResult]) -> Result<AddOutcome, HistoryError> {
        let path = self.path.clone();
        let err = |source| HistoryError::Sqlite {
            path: path.clone(),
            source,
        };
        let tx = self.conn.transaction().map_err(err)?;
        let insert_result = schema::insert_result_sql(Dialect::Sqlite);
        let insert_measurement = schema::insert_measurement_sql(Dialect::Sqlite);
        let mut out = AddOutcome::default();
        for row in rows {
            let id: Option<i64> = tx
                .query_row(
                    &insert_result,
                    params![
                        row.content_sha256,
                        row.key.device,
                        row.key.model_sha256,
                        row.model_label,
                        row.key.backend,
                        row.key.execution_provider,
                        row.key.workload,
                        row.timestamp,
                        row.status,
                        row.reason,
                        row.edgebench_version,
                        row.edgebench_commit,
                        row.source,
                        schema::now_unix_s(),
                        row.record_json,
                    ],
                    |r| r.get(0),
                )
                .optional()
                .map_err(err)?;
            let Some(id) = id else {
                out.already_present += 1;
                continue;
            };
            for m in &row.measurements {
                tx.execute(
                    &insert_measurement,
                    params![id, m.metric, m.mean, m.sd, m.n, m.p50],
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
        let mut stmt = self.conn.prepare(POINTS_SQL).map_err(|e| self.err(e))?;
        let rows = stmt
            .query_map([], |r| {
                Ok(Point {
                    key: CaseKey {
                        device: r.get(0)?,
                        model_sha256: r.get(1)?,
                        backend: r.get(2)?,
                        execution_provider: r.get(3)?,
                        workload: r.get(4)?,
                    },
                    model_label: r.get(5)?,
                    metric: r.get(6)?,
                    timestamp: r.get(7)?,
                    edgebench_commit: r.get(8)?,
                    mean: r.get(9)?,
                })
            })
            .and_then(|rows| rows.collect::<Result<Vec<_>, _>>());
        drop(stmt);
        rows.map_err(|e| self.err(e))
    }

    /// The schema version the file is at.
    pub fn schema_version(&mut self) -> Result<i64, HistoryError> {
        self.conn
            .query_row("SELECT MAX(version) FROM schema_migrations", [], |r| {
                r.get(0)
            })
            .map_err(|e| self.err(e))
    }

    /// Number of stored results.
    pub fn result_count(&mut self) -> Result<i64, HistoryError> {
        self.conn
            .query_row("SELECT COUNT(*) FROM results", [], |r| r.get(0))
            .map_err(|e| self.err(e))
    }
}
