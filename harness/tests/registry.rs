//! One registry of backends: the ids a profile may name (devices) are the
//! backends edgebench has (backends), and `--help` lists them all.
mod common;

use std::collections::BTreeSet;

use edgebench_backends::BackendKind;
use edgebench_devices::profile::KNOWN_BACKENDS;

#[test]
fn profile_backend_ids_are_the_registry() {
    let profile: BTreeSet<&str> = KNOWN_BACKENDS.iter().copied().collect();
    let registry: BTreeSet<&str> = BackendKind::ALL.iter().map(|k| k.id()).collect();
    assert_eq!(profile, registry);
    assert_eq!(
        KNOWN_BACKENDS.len(),
        BackendKind::ALL.len(),
        "an id listed twice"
    );
    for id in KNOWN_BACKENDS {
        let kind: BackendKind = id.parse().unwrap();
        assert_eq!(kind.id(), id, "a profile id must be the canonical one");
    }
}

#[test]
fn help_of_backend_flags_lists_every_backend() {
    let tmp = tempfile::tempdir().unwrap();
    for cmd in ["run", "sustained"] {
        let out = common::edgebench(tmp.path())
            .args([cmd, "--help"])
            .output()
            .unwrap();
        let help = String::from_utf8_lossy(&out.stdout);
        for k in BackendKind::ALL {
            assert!(
                help.contains(k.id()),
                "{cmd} --help lacks {}:\n{help}",
                k.id()
            );
        }
    }
}
