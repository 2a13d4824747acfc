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

    // A second client migrating the same database finds it up to date.
    let mut again = Store::open(&url).unwrap();
    assert_eq!(again.result_count().unwrap(), 41);
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
