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
