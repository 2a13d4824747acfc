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

/// A store written by a build before record schema 2 (its rows hold
/// version 1 records, keyed `pp64+tg16 t=...`) is restated when opened: one
/// series before and after the upgrade, so a regression across the upgrade
/// is still found, and the old records added again are recognised.
#[test]
fn a_store_of_schema_1_records_keeps_its_series_across_the_upgrade() {
    use sha2::{Digest, Sha256};
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("h.db");
    let url = StoreUrl::Sqlite(path.clone());
    let records = common::nightly(40, 30, 8.0, 7);
    let mut store = Store::open(&url).unwrap();
    store.add(&records[..30], "old.json").unwrap();
    drop(store);
    // Make it what the old build wrote: version 1 records and keys, store
    // schema 1.
    let conn = rusqlite::Connection::open(&path).unwrap();
    let rows: Vec<(i64, String, String)> = conn
        .prepare("SELECT id, record_json, workload FROM results")
        .unwrap()
        .query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap();
    for (id, json, workload) in rows {
        let mut v: serde_json::Value = serde_json::from_str(&json).unwrap();
        v["schema_version"] = 1.into();
        v["workload"]["test"] = "pp64+tg16".into();
        v["workload"].as_object_mut().unwrap().remove("shape");
        let old_json = serde_json::to_string(&v).unwrap();
        let hash: String = Sha256::digest(old_json.as_bytes())
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect();
        assert!(workload.starts_with("req64+16 t="), "{workload}");
        conn.execute(
            "UPDATE results SET record_json = ?1, workload = ?2, content_sha256 = ?3 WHERE id = ?4",
            rusqlite::params![
                old_json,
                workload.replace("req64+16", "pp64+tg16"),
                hash,
                id
            ],
        )
        .unwrap();
    }
    conn.execute("DELETE FROM schema_migrations WHERE version >= 2", [])
        .unwrap();
    drop(conn);

    let mut store = Store::open(&url).unwrap();
    assert_eq!(
        store.schema_version().unwrap(),
        edgebench_history::schema::latest_version()
    );
    let out = store.add(&records[..30], "again.json").unwrap();
    assert_eq!(
        (out.added, out.already_present),
        (0, 30),
        "old rows recognised"
    );
    store.add(&records[30..], "new.json").unwrap();
    let points = store.points().unwrap();
    let report = edgebench_history::check::check(&points, &Default::default());
    assert_eq!(report.series, 2, "decode_tps and ttft_ms, one series each");
    assert_eq!(report.regressions.len(), 2, "{report:?}");
    assert!(
        report
            .regressions
            .iter()
            .all(|r| r.run_index.abs_diff(30) <= 1)
    );
}
