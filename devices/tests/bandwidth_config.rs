//! Thread-count parsing and the settings a bandwidth run refuses, with the
//! messages a user sees.

use edgebench_devices::bandwidth::{BandwidthConfig, BandwidthError, parse_thread_list};

#[test]
fn thread_lists_parse() {
    assert_eq!(parse_thread_list("4", 8).unwrap(), vec![4]);
    assert_eq!(parse_thread_list("1, 2,4", 8).unwrap(), vec![1, 2, 4]);
    assert_eq!(parse_thread_list("8", 8).unwrap(), vec![8]);
}

#[test]
fn zero_threads_is_refused() {
    let err = parse_thread_list("1,0", 8).unwrap_err();
    assert!(matches!(err, BandwidthError::ZeroThreads));
    assert_eq!(err.to_string(), "-t/--threads must be >= 1");
}

#[test]
fn more_threads_than_cpus_names_both_numbers() {
    let err = parse_thread_list("2,9", 8).unwrap_err();
    assert!(matches!(
        err,
        BandwidthError::TooManyThreads {
            threads: 9,
            cpus: 8
        }
    ));
    let msg = err.to_string();
    assert!(
        msg.contains("-t/--threads 9") && msg.contains("8 logical CPUs"),
        "{msg}"
    );
}

#[test]
fn garbage_is_refused() {
    for bad in ["", "x", "1,,2", "-1", "2.5", "1;2"] {
        let err = parse_thread_list(bad, 8).unwrap_err();
        assert!(err.to_string().contains("-t/--threads"), "{bad:?}: {err}");
    }
}

#[test]
fn config_validation() {
    let ok = BandwidthConfig {
        threads: 2,
        array_bytes: None,
        iterations: 10,
    };
    ok.validate(4, Some(16 << 30), 128 << 20).unwrap();
    ok.validate(4, None, 128 << 20).unwrap();

    let zero = BandwidthConfig {
        threads: 0,
        ..ok.clone()
    };
    assert!(matches!(
        zero.validate(4, None, 1 << 20),
        Err(BandwidthError::ZeroThreads)
    ));

    let many = BandwidthConfig {
        threads: 5,
        ..ok.clone()
    };
    let err = many.validate(4, None, 1 << 20).unwrap_err();
    assert!(err.to_string().contains("5") && err.to_string().contains("4 logical CPUs"));

    let few = BandwidthConfig {
        iterations: 9,
        ..ok.clone()
    };
    let err = few.validate(4, None, 1 << 20).unwrap_err();
    assert!(matches!(
        err,
        BandwidthError::TooFewIterations { iterations: 9 }
    ));
    assert!(err.to_string().contains("at least 10"), "{err}");

    // 3 x 1 GiB does not fit in half of 4 GiB.
    let err = ok.validate(4, Some(4 << 30), 1 << 30).unwrap_err();
    assert!(matches!(err, BandwidthError::ArrayTooBig { .. }));
    assert!(err.to_string().contains("--size-mb"), "{err}");

    let err = ok.validate(4, None, 8).unwrap_err();
    assert!(matches!(err, BandwidthError::ArrayTooSmall { .. }));
    assert!(err.to_string().contains("--size-mb"), "{err}");
}

#[test]
fn size_mb_is_mib_per_array() {
    assert_eq!(BandwidthConfig::size_mb_to_bytes(64), 64 << 20);
}
