//! The store tests on an SQLite file, and what SQLite-specific can go wrong.
mod common;
use edgebench_history::{HistoryError, Store, StoreUrl};

#[test]
fn sqlite_store_passes_the_store_tests() {
    let dir = tempfile::tempdir().unwrap();
    // A folder that does not exist yet is created.
    let url: StoreUrl = format!("sqlite:{}/sub/history.sqlite", dir.path().display())
        .parse()
        .unwrap();
    common::exercise(&url);
    common::exercise_quality(&url);
}

#[test]
fn a_plain_path_is_sqlite() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("h.db");
    let url: StoreUrl = path.display().to_string().parse().unwrap();
    Store::open(&url).unwrap();
    assert!(path.is_file());
}

#[test]
fn a_store_from_a_newer_edgebench_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("h.db");
    let url = StoreUrl::Sqlite(path.clone());
    drop(Store::open(&url).unwrap());
    let conn = rusqlite::Connection::open(&path).unwrap();
    conn.execute(
        "INSERT INTO schema_migrations (version, description, applied_unix_s) VALUES (99, 'future', 0)",
        [],
    )
    .unwrap();
    drop(conn);
    let err = Store::open(&url).err().unwrap();
    assert!(
        matches!(err, HistoryError::NewerStoreSchema { found: 99, .. }),
        "{err}"
    );
    assert!(err.to_string().contains("upgrade edgebench"), "{err}");
}

#[test]
fn a_file_that_is_not_a_database_is_named() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("notes.txt");
    std::fs::write(
        &path,
        "this is not sqlite, just text that is long enough to have a header",
    )
    .unwrap();
    let err = Store::open(&StoreUrl::Sqlite(path.clone()))
        .err()
        .unwrap()
        .to_string();
    assert!(err.contains("notes.txt"), "{err}");
}

/// A store written by a build before record schema 2 keeps its series
/// across the upgrade (see `common::schema_1_row`).
#[test]
fn a_store_of_schema_1_records_keeps_its_series_across_the_upgrade() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("h.db");
    let url = StoreUrl::Sqlite(path.clone());
    let records = common::schema_1_store(&url);
    let conn = rusqlite::Connection::open(&path).unwrap();
    let rows: Vec<(i64, String, String)> = conn
        .prepare("SELECT id, record_json, workload FROM results")
        .unwrap()
        .query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap();
    for (id, json, workload) in rows {
        let (json, workload, hash) = common::schema_1_row(&json, &workload);
        conn.execute(
            "UPDATE results SET record_json = ?1, workload = ?2, content_sha256 = ?3 WHERE id = ?4",
            rusqlite::params![json, workload, hash, id],
        )
        .unwrap();
    }
    conn.execute("DELETE FROM schema_migrations WHERE version >= 2", [])
        .unwrap();
    drop(conn);
    common::check_upgraded(&url, &records);
}
