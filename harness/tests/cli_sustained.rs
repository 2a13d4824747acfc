//! `edgebench sustained` end to end on the mock backend, with telemetry read
//! from a fixture sysfs tree that a test thread heats up and throttles while
//! the run goes on; and its bad-input errors.
mod common;

use std::io::{BufRead, BufReader, Read};
use std::path::Path;
use std::process::Stdio;
use std::thread;
use std::time::Duration;

use common::edgebench;
use predicates::str::contains;

/// A small x86-like sysfs: one thermal zone, one cpufreq policy at its max,
/// thermal-throttle counters and a RAPL package counter.
fn write_tree(root: &Path) {
    let w = |rel: &str, text: &str| {
        let p = root.join(rel);
        std::fs::create_dir_all(p.parent().unwrap()).unwrap();
        std::fs::write(p, text).unwrap();
    };
    w("sys/class/thermal/thermal_zone0/type", "x86_pkg_temp\n");
    w("sys/class/thermal/thermal_zone0/temp", "50000\n");
    w(
        "sys/class/thermal/thermal_zone0/trip_point_0_temp",
        "95000\n",
    );
    w(
        "sys/class/thermal/thermal_zone0/trip_point_0_type",
        "passive\n",
    );
    w(
        "sys/devices/system/cpu/cpufreq/policy0/scaling_cur_freq",
        "3000000\n",
    );
    w(
        "sys/devices/system/cpu/cpufreq/policy0/cpuinfo_max_freq",
        "3000000\n",
    );
    w(
        "sys/devices/system/cpu/cpufreq/policy0/scaling_governor",
        "performance\n",
    );
    w(
        "sys/devices/system/cpu/cpu0/thermal_throttle/core_throttle_count",
        "0\n",
    );
    w("sys/class/powercap/intel-rapl:0/name", "package-0\n");
    w("sys/class/powercap/intel-rapl:0/energy_uj", "1000000\n");
    w(
        "sys/class/powercap/intel-rapl:0/max_energy_range_uj",
        "262143328850\n",
    );
}

#[test]
fn heating_and_throttling_are_seen_end_to_end() {
    let tmp = tempfile::tempdir().unwrap();
    let root = tmp.path().join("root");
    write_tree(&root);
    let out = tmp.path().join("sustained.json");
    let cache = tmp.path().join("cache");
    let mut child = std::process::Command::new(assert_cmd::cargo::cargo_bin("edgebench"))
        .env("EDGEBENCH_CACHE_DIR", &cache)
        .args(["sustained", "-b", "mock", "-p", "8", "-n", "16", "-t", "1"])
        .args(["--mock-spec", "prefill_us=100,decode_us=5000"])
        .args([
            "--duration",
            "3s",
            "--window",
            "250ms",
            "--telemetry-hz",
            "20",
        ])
        .args(["--cooldown-watch", "--cooldown-timeout", "5s"])
        .arg("--sysfs-root")
        .arg(&root)
        .arg("--out")
        .arg(&out)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    // The heater's clock starts when the run says it starts, not when the
    // process is spawned: a busy CI machine can take a while to start it.
    let mut stderr = BufReader::new(child.stderr.take().unwrap());
    let mut seen = String::new();
    loop {
        let mut line = String::new();
        if stderr.read_line(&mut line).unwrap() == 0 {
            panic!("the run ended before it started: {seen}");
        }
        seen.push_str(&line);
        if line.contains("sustained run of") {
            break;
        }
    }
    let stderr_rest = thread::spawn(move || {
        let mut rest = String::new();
        stderr.read_to_string(&mut rest).unwrap();
        rest
    });
    // Heats up and throttles from 1.5 s, draws 20 W throughout, and cools
    // back down at 3.5 s (after the 3 s run) so the recovery is seen.
    // Each file is replaced by a rename, as a sysfs read never sees a file
    // half written (a plain write truncates first, and a read in between
    // would find the sensor missing).
    let heater_root = root.clone();
    let staging = tmp.path().join("staging");
    let heater = thread::spawn(move || {
        let w = |rel: &str, text: String| {
            std::fs::write(&staging, text).unwrap();
            std::fs::rename(&staging, heater_root.join(rel)).unwrap();
        };
        for step in 0..=40u64 {
            let t = step as f64 * 0.1;
            let temp_mc = if t < 1.5 {
                50_000
            } else if t < 3.5 {
                85_000
            } else {
                50_500
            };
            w(
                "sys/class/thermal/thermal_zone0/temp",
                format!("{temp_mc}\n"),
            );
            if (1.5..3.5).contains(&t) {
                w(
                    "sys/devices/system/cpu/cpufreq/policy0/scaling_cur_freq",
                    "1500000\n".into(),
                );
                w(
                    "sys/devices/system/cpu/cpu0/thermal_throttle/core_throttle_count",
                    format!("{step}\n"),
                );
            }
            // 20 W: 2 J every 0.1 s.
            w(
                "sys/class/powercap/intel-rapl:0/energy_uj",
                format!("{}\n", 1_000_000 + 2_000_000 * step),
            );
            thread::sleep(Duration::from_millis(100));
        }
    });
    let mut stdout = String::new();
    child
        .stdout
        .take()
        .unwrap()
        .read_to_string(&mut stdout)
        .unwrap();
    let status = child.wait().unwrap();
    let stderr = stderr_rest.join().unwrap();
    assert!(status.success(), "{status}: {seen}{stderr}");
    assert!(stdout.contains("| peak |"), "{stdout}");
    heater.join().unwrap();
    let r: serde_json::Value = serde_json::from_slice(&std::fs::read(&out).unwrap()).unwrap();
    assert_eq!(r["kind"], "sustained");
    assert_eq!(r["status"], "ok", "{}", r["reason"]);
    assert_eq!(r["thermal_at_start"][0]["temp_c"], 50.0);
    let snap = &r["telemetry_at_start"];
    assert_eq!(snap["clocks"][0]["value"], 3000.0);
    assert_eq!(snap["governors"][0], "performance");
    let run = &r["sustained"];
    let windows = run["windows"].as_array().unwrap();
    assert!(windows.len() >= 10, "{} windows", windows.len());
    let first = &windows[0];
    let hot = windows
        .iter()
        .find(|w| w["end_s"].as_f64().unwrap() > 2.0 && w["end_s"].as_f64().unwrap() <= 3.0)
        .unwrap();
    assert_eq!(first["temp_max_c"], 50.0);
    assert_eq!(hot["temp_max_c"], 85.0);
    assert_eq!(first["throttled"], false);
    assert_eq!(hot["throttled"], true);
    assert_eq!(hot["cpu_mhz"], 1500.0);
    let s = &run["summary"];
    let frac = s["throttled_fraction"].as_f64().unwrap();
    assert!(frac > 0.2 && frac < 0.8, "throttled fraction {frac}");
    let signals: Vec<&str> = s["throttle_signals"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_str().unwrap())
        .collect();
    assert!(signals.contains(&"cpufreq/policy0"), "{signals:?}");
    assert!(signals.contains(&"throttle/core_count"), "{signals:?}");
    let e = &s["energy"];
    let watts = e["mean_power_w"].as_f64().unwrap();
    assert!((watts - 20.0).abs() < 4.0, "mean power {watts} W");
    assert!(e["per_token_j"].as_f64().unwrap() > 0.0);
    let recovery = s["recovery_s"]
        .as_f64()
        .expect("cooled down within the timeout");
    assert!(recovery < 5.0, "{recovery}");
    // The mock decodes at a steady 200 tok/s: no degradation to speak of.
    let peak = s["peak_tps"].as_f64().unwrap();
    assert!((150.0..=210.0).contains(&peak), "peak {peak}");
    assert!(s["degradation_pct"].as_f64().unwrap().abs() < 10.0);
    // The telemetry series is in the record, temperature column and all.
    let tel = &run["telemetry"];
    assert!(tel["t_s"].as_array().unwrap().len() >= 40);
    assert_eq!(tel["channels"][0]["name"], "thermal/x86_pkg_temp");
}

#[test]
fn machine_without_sensors_reports_rates_only() {
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("s.json");
    edgebench(&tmp.path().join("cache"))
        .args(["sustained", "-b", "mock", "-p", "8", "-n", "8", "-t", "1"])
        .args([
            "--mock-spec",
            "decode_us=2000",
            "--duration",
            "1s",
            "--window",
            "8tok",
        ])
        .arg("--sysfs-root")
        .arg(tmp.path())
        .arg("--out")
        .arg(&out)
        .assert()
        .success();
    let r: serde_json::Value = serde_json::from_slice(&std::fs::read(&out).unwrap()).unwrap();
    let s = &r["sustained"]["summary"];
    assert!(s["throttled_fraction"].is_null());
    assert!(s["energy"].is_null());
    assert_eq!(r["sustained"]["settings"]["window_tokens"], 8);
    let w = &r["sustained"]["windows"][0];
    assert!(w["temp_max_c"].is_null() && w["throttled"].is_null());
    assert!(r["thermal_at_start"].as_array().unwrap().is_empty());
}

#[test]
fn bad_flags_are_named() {
    let tmp = tempfile::tempdir().unwrap();
    let cache = tmp.path().join("cache");
    let cases: &[(&[&str], &str)] = &[
        (&["--duration", "0s"], "--duration"),
        (&["--duration", "5s", "--window", "10s"], "--window"),
        (&["--telemetry-hz", "0"], "--telemetry-hz"),
        (&["-n", "1"], "--n-gen"),
        (&["-m", "/nonexistent/model.gguf"], "no such file"),
        (&["--window", "1tok"], "at least 2 tokens"),
        (&["--duration", "soon"], "give a duration"),
        (&["--out", "/nonexistent-dir/x.json"], "does not exist"),
    ];
    for (args, expect) in cases {
        edgebench(&cache)
            .args(["sustained", "-b", "mock"])
            .args(*args)
            .assert()
            .code(2)
            .stderr(contains(*expect));
    }
}
