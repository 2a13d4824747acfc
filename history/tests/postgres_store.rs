//! The store tests against a real PostgreSQL server that this test starts:
//! a fresh cluster in a temp folder, on a free private port, its socket in
//! that folder, stopped at the end. PostgreSQL refuses to run as root, so as
//! root (CI) the server runs as the `postgres` user that Debian's package
//! creates. Skipped, saying why, only where no server binaries exist
//! (scripts/setup.sh installs them).
mod common;
use edgebench_history::{HistoryError, Store, StoreUrl};

use common::server::{Server, server_bin};

fn socket_dir_ok(p: &std::path::Path) -> bool {
    // Unix socket paths are limited to ~107 bytes.
    p.as_os_str().len() < 80
}

#[test]
fn postgres_store_passes_the_store_tests_and_a_stopped_server_is_a_clear_error() {
    let Some(bin) = server_bin() else {
        common::server::skip();
        return;
    };
    let mut server = Server::start(bin);
    assert!(socket_dir_ok(server.dir.path()));
    let url: StoreUrl = server.url().parse().unwrap();
    common::exercise(&url);
    common::exercise_quality(&url);

    // A second client migrating the same database finds it up to date.
    let mut again = Store::open(&url).unwrap();
    assert_eq!(again.result_count().unwrap(), 44);
    drop(again);

    server.stop();
    let err = Store::open(&url).err().expect("the server is down");
    assert!(matches!(err, HistoryError::PostgresConnect { .. }), "{err}");
    let msg = err.to_string();
    assert!(
        msg.contains("cannot connect") && msg.contains(&server.port.to_string()),
        "{msg}"
    );
}

/// The schema-1 upgrade on PostgreSQL: the same rows restated by the same
/// migration, through this store's SQL.
#[test]
fn a_postgres_store_of_schema_1_records_keeps_its_series_across_the_upgrade() {
    let Some(bin) = server_bin() else {
        common::server::skip();
        return;
    };
    let mut server = Server::start(bin);
    let url: StoreUrl = server.url().parse().unwrap();
    let records = common::schema_1_store(&url);
    let mut client = postgres::Client::connect(&server.url(), postgres::NoTls).unwrap();
    let rows = client
        .query("SELECT id, record_json, workload FROM results", &[])
        .unwrap();
    for row in rows {
        let id: i64 = row.get(0);
        let (json, workload, hash) = common::schema_1_row(row.get(1), row.get(2));
        client
            .execute(
                "UPDATE results SET record_json = $1, workload = $2, content_sha256 = $3 WHERE id = $4",
                &[&json, &workload, &hash, &id],
            )
            .unwrap();
    }
    client
        .execute("DELETE FROM schema_migrations WHERE version >= 2", &[])
        .unwrap();
    drop(client);
    common::check_upgraded(&url, &records);
    server.stop();
}
