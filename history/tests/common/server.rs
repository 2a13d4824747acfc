//! A throw-away PostgreSQL server for tests: a fresh cluster in a temp
//! folder, on a free port of 127.0.0.1, its socket in that folder, stopped
//! on drop. PostgreSQL refuses to run as root, so as root (CI) it runs as
//! the `postgres` user that Debian's package creates. Shared by the history
//! crate's store tests and the harness's CLI tests (`#[path]` include).
#![allow(dead_code)]
use std::path::PathBuf;
use std::process::Command;

/// The newest /usr/lib/postgresql/<version>/bin holding initdb and pg_ctl.
pub fn server_bin() -> Option<PathBuf> {
    let mut found: Vec<(u32, PathBuf)> = std::fs::read_dir("/usr/lib/postgresql")
        .ok()?
        .filter_map(|e| e.ok())
        .filter_map(|e| {
            let version: u32 = e.file_name().to_str()?.split('.').next()?.parse().ok()?;
            let bin = e.path().join("bin");
            (bin.join("initdb").is_file() && bin.join("pg_ctl").is_file()).then_some((version, bin))
        })
        .collect();
    found.sort();
    found.pop().map(|(_, bin)| bin)
}

fn is_root() -> bool {
    Command::new("id")
        .arg("-u")
        .output()
        .is_ok_and(|o| String::from_utf8_lossy(&o.stdout).trim() == "0")
}

/// A running throw-away server.
pub struct Server {
    pub dir: tempfile::TempDir,
    bin: PathBuf,
    pub port: u16,
    as_postgres: bool,
    running: bool,
}

impl Server {
    fn command(&self, tool: &str) -> Command {
        let exe = self.bin.join(tool);
        if self.as_postgres {
            let mut c = Command::new("runuser");
            c.args(["-u", "postgres", "--"]).arg(exe);
            c
        } else {
            Command::new(exe)
        }
    }

    fn data(&self) -> PathBuf {
        self.dir.path().join("data")
    }

    pub fn start(bin: PathBuf) -> Server {
        let dir = tempfile::tempdir().expect("temp dir");
        let as_postgres = is_root();
        if as_postgres {
            let ok = Command::new("chown")
                .args(["-R", "postgres:postgres"])
                .arg(dir.path())
                .status()
                .is_ok_and(|s| s.success());
            assert!(
                ok,
                "cannot chown {} to the postgres user",
                dir.path().display()
            );
        }
        // A free port: bind port 0, read it, let it go.
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .and_then(|l| l.local_addr())
            .expect("a free port")
            .port();
        let mut server = Server {
            dir,
            bin,
            port,
            as_postgres,
            running: false,
        };
        let out = server
            .command("initdb")
            .arg("-D")
            .arg(server.data())
            .args(["-A", "trust", "-U", "edgebench", "-E", "UTF8", "--no-sync"])
            .output()
            .expect("run initdb");
        assert!(
            out.status.success(),
            "initdb failed: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        let opts = format!(
            "-p {port} -k {} -c listen_addresses=127.0.0.1 -c fsync=off",
            server.dir.path().display()
        );
        let out = server
            .command("pg_ctl")
            .arg("-D")
            .arg(server.data())
            .arg("-l")
            .arg(server.dir.path().join("server.log"))
            .args(["-w", "-t", "60", "-o", &opts, "start"])
            .output()
            .expect("run pg_ctl");
        let log = std::fs::read_to_string(server.dir.path().join("server.log")).unwrap_or_default();
        assert!(
            out.status.success(),
            "pg_ctl start failed: {}\n{log}",
            String::from_utf8_lossy(&out.stderr)
        );
        server.running = true;
        server
    }

    pub fn url(&self) -> String {
        format!("postgres://edgebench@127.0.0.1:{}/postgres", self.port)
    }

    pub fn stop(&mut self) {
        if self.running {
            let _ = self
                .command("pg_ctl")
                .arg("-D")
                .arg(self.data())
                .args(["-m", "immediate", "-w", "stop"])
                .output();
            self.running = false;
        }
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        self.stop();
    }
}

/// Skips a PostgreSQL test with its reason on stderr, or fails it where
/// `EDGEBENCH_REQUIRE_POSTGRES` is set (CI sets it: there the set-up
/// installs the server, so a skip would hide a broken install).
pub fn skip() {
    let why = skip_reason().unwrap_or_default();
    if std::env::var_os("EDGEBENCH_REQUIRE_POSTGRES").is_some() {
        panic!("PostgreSQL is required here (EDGEBENCH_REQUIRE_POSTGRES) but: {why}");
    }
    eprintln!("SKIPPED: {why}");
}

/// Why PostgreSQL tests are skipped here, or None when they can run.
pub fn skip_reason() -> Option<&'static str> {
    server_bin().is_none().then_some(
        "no PostgreSQL server under /usr/lib/postgresql/*/bin; run scripts/setup.sh \
         (installs Debian's postgresql package)",
    )
}
