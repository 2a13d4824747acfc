//! A missing ONNX Runtime library is `ep_unavailable` (so sweeps record it
//! as such), every time it is asked for, not a load error of the model.
//!
//! Its own test binary: the runtime is loaded once per process, and this
//! process must never find the real one.

use edgebench_backends::BackendError;
use edgebench_backends::onnx::{OnnxBackend, OnnxOptions, runtime_info};

#[test]
fn missing_library_is_ep_unavailable_every_time() {
    let dir = tempfile::tempdir().unwrap();
    let bogus = dir.path().join("libonnxruntime.so.1.31.1");
    // SAFETY: the only test in this binary, run before anything reads the
    // environment or starts threads that could.
    unsafe { std::env::set_var("ORT_DYLIB_PATH", &bogus) };
    for _ in 0..2 {
        let e = runtime_info().unwrap_err();
        assert!(
            matches!(&e, BackendError::EpUnavailable { backend, detail }
                if backend == "onnx" && detail.contains("libonnxruntime.so.1.31.1")),
            "{e:?}"
        );
        assert!(e.to_string().contains("ep_unavailable"), "{e}");
        let e = OnnxBackend::load(&dir.path().join("m.onnx"), &OnnxOptions::default())
            .err()
            .expect("no runtime");
        assert!(matches!(e, BackendError::EpUnavailable { .. }), "{e:?}");
    }
}
