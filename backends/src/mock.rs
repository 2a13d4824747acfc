//! A deterministic mock backend for fast CLI and statistics tests.
//!
//! It does no inference: each call advances a virtual clock by configured
//! costs, so every metric is exact and repeatable. It can also fail, hang or
//! crash the process on request, for the harness's reliability tests. It
//! exists beside the real-backend tests, never instead of them.
use std::str::FromStr;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use crate::backend::{Backend, BackendDescription, Clock, ContextSettings};
use crate::error::BackendError;

/// Where an injected fault happens.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Stage {
    /// In `prefill` (counted over all prefill calls, depth fills included).
    Prefill,
    /// In `decode` (counted over all decode calls).
    Decode,
}

/// What to do at the fault point.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Fault {
    /// Return an error.
    Fail,
    /// Sleep forever (for timeout tests).
    Hang,
    /// Abort the process (for crash-isolation tests).
    Crash,
    /// Write a line that is not a protocol event to stdout, then go on
    /// (for a sweep's protocol-error handling).
    Garble,
    /// Exit the process with code 3, as if it returned early without a result.
    Exit,
}

/// Mock costs and faults, parsed from a spec such as
/// `prefill_us=20,decode_us=1000,jitter_pct=10,fail=decode:5`.
#[derive(Debug, Clone, PartialEq)]
pub struct MockConfig {
    /// Virtual cost per prompt token, microseconds.
    pub prefill_us: f64,
    /// Virtual cost per decode step, microseconds.
    pub decode_us: f64,
    /// Deterministic per-step variation of decode cost, in percent (0 = none).
    pub jitter_pct: f64,
    /// Extra factor on every cost of the first `configure`d repetition
    /// (1.0 = none): models a cold first run.
    pub first_rep_factor: f64,
    /// Also sleep for real for the virtual time (for timeout tests).
    pub real_time: bool,
    /// Injected fault: what, where, and at which call (1-based).
    pub fault: Option<(Fault, Stage, u64)>,
}

impl Default for MockConfig {
    fn default() -> Self {
        MockConfig {
            prefill_us: 50.0,
            decode_us: 2000.0,
            jitter_pct: 0.0,
            first_rep_factor: 1.0,
            real_time: false,
            fault: None,
        }
    }
}

impl FromStr for MockConfig {
    type Err = BackendError;

    fn from_str(spec: &str) -> Result<Self, Self::Err> {
        let bad = |what: String| {
            BackendError::Options(format!(
                "--mock-spec: {what}; expected comma-separated key=value with keys \
                 prefill_us, decode_us, jitter_pct, first_rep_factor, real_time, \
                 and fail|hang|crash|garble|exit=prefill:N|decode:N"
            ))
        };
        let mut cfg = MockConfig::default();
        for item in spec.split(',').map(str::trim).filter(|s| !s.is_empty()) {
            let (key, value) = item
                .split_once('=')
                .ok_or_else(|| bad(format!("'{item}' has no '='")))?;
            let num = |v: &str| -> Result<f64, BackendError> {
                v.parse::<f64>()
                    .ok()
                    .filter(|x| x.is_finite() && *x >= 0.0)
                    .ok_or_else(|| bad(format!("{key}={v} is not a non-negative number")))
            };
            match key {
                "prefill_us" => cfg.prefill_us = num(value)?,
                "decode_us" => cfg.decode_us = num(value)?,
                "jitter_pct" => cfg.jitter_pct = num(value)?,
                "first_rep_factor" => cfg.first_rep_factor = num(value)?,
                "real_time" => cfg.real_time = value == "1" || value == "true",
                "fail" | "hang" | "crash" | "garble" | "exit" => {
                    let fault = match key {
                        "fail" => Fault::Fail,
                        "hang" => Fault::Hang,
                        "garble" => Fault::Garble,
                        "exit" => Fault::Exit,
                        _ => Fault::Crash,
                    };
                    let (stage, n) = value
                        .split_once(':')
                        .ok_or_else(|| bad(format!("{key}={value} needs stage:N")))?;
                    let stage = match stage {
                        "prefill" => Stage::Prefill,
                        "decode" => Stage::Decode,
                        other => return Err(bad(format!("unknown stage '{other}'"))),
                    };
                    let n: u64 = n
                        .parse()
                        .ok()
                        .filter(|n| *n >= 1)
                        .ok_or_else(|| bad(format!("{key}={value}: N must be >= 1")))?;
                    cfg.fault = Some((fault, stage, n));
                }
                other => return Err(bad(format!("unknown key '{other}'"))),
            }
        }
        Ok(cfg)
    }
}

/// The mock "engine" for one model.
#[derive(Debug)]
pub struct MockBackend {
    cfg: MockConfig,
    n_vocab: u32,
    bos: Option<u32>,
    clock: Arc<AtomicU64>,
    prefill_calls: u64,
    decode_calls: u64,
    clears: u64,
    last_token: u32,
    last_pos: u32,
    configured: bool,
}

impl MockBackend {
    /// A mock for a model with this vocabulary and BOS token.
    pub fn new(cfg: MockConfig, n_vocab: u32, bos: Option<u32>) -> Self {
        MockBackend {
            cfg,
            n_vocab: n_vocab.max(1),
            bos,
            clock: Arc::new(AtomicU64::new(0)),
            prefill_calls: 0,
            decode_calls: 0,
            clears: 0,
            last_token: 0,
            last_pos: 0,
            configured: false,
        }
    }

    fn fault_at(&self, stage: Stage, call: u64) -> Result<(), BackendError> {
        match self.cfg.fault {
            Some((fault, s, n)) if s == stage && n == call => match fault {
                Fault::Fail => Err(BackendError::Injected(format!("{stage:?} call {call}"))),
                Fault::Hang => loop {
                    std::thread::sleep(std::time::Duration::from_secs(3600));
                },
                Fault::Crash => std::process::abort(),
                Fault::Garble => {
                    use std::io::Write;
                    let mut out = std::io::stdout();
                    let _ = writeln!(out, "this is not a protocol event");
                    let _ = out.flush();
                    Ok(())
                }
                Fault::Exit => std::process::exit(3),
            },
            _ => Ok(()),
        }
    }

    fn spend(&self, micros: f64) {
        // The first repetition is the one after the first clear.
        let factor = if self.clears <= 1 {
            self.cfg.first_rep_factor
        } else {
            1.0
        };
        let ns = (micros * factor * 1000.0).round() as u64;
        self.clock.fetch_add(ns, Ordering::AcqRel);
        if self.cfg.real_time {
            std::thread::sleep(std::time::Duration::from_nanos(ns));
        }
    }
}

impl Backend for MockBackend {
    fn describe(&self) -> BackendDescription {
        BackendDescription {
            id: "mock".into(),
            version: env!("CARGO_PKG_VERSION").into(),
            build_features: vec![],
            device: "virtual".into(),
            execution_provider: None,
            warnings: vec![],
        }
    }

    fn n_vocab(&self) -> u32 {
        self.n_vocab
    }

    fn bos_token(&self) -> Option<u32> {
        self.bos
    }

    fn configure(&mut self, _settings: &ContextSettings) -> Result<(), BackendError> {
        self.configured = true;
        self.clears = 0;
        Ok(())
    }

    fn clear(&mut self) -> Result<(), BackendError> {
        if !self.configured {
            return Err(BackendError::Options("mock: clear before configure".into()));
        }
        self.clears += 1;
        Ok(())
    }

    fn prefill(&mut self, tokens: &[u32], start_pos: u32) -> Result<(), BackendError> {
        self.prefill_calls += 1;
        self.fault_at(Stage::Prefill, self.prefill_calls)?;
        self.spend(self.cfg.prefill_us * tokens.len() as f64);
        self.last_token = tokens.last().copied().unwrap_or(0);
        self.last_pos = start_pos + tokens.len() as u32;
        Ok(())
    }

    fn decode(&mut self, token: u32, pos: u32) -> Result<(), BackendError> {
        self.decode_calls += 1;
        self.fault_at(Stage::Decode, self.decode_calls)?;
        // Deterministic variation in [-jitter, +jitter] by step position.
        let wobble = ((pos as u64 * 7919) % 11) as f64 / 5.0 - 1.0;
        self.spend(self.cfg.decode_us * (1.0 + self.cfg.jitter_pct / 100.0 * wobble));
        self.last_token = token;
        self.last_pos = pos;
        Ok(())
    }

    fn synchronize(&mut self) {}

    fn next_token(&mut self) -> Result<u32, BackendError> {
        let mixed =
            (self.last_token as u64 * 31 + self.last_pos as u64 * 17 + 7) % self.n_vocab as u64;
        Ok(mixed as u32)
    }

    /// One-hot logits at the token `next_token` would pick, so conformance
    /// of mock against mock is exact and testable without a model.
    fn logits(&mut self, out: &mut Vec<f32>) -> Result<(), BackendError> {
        let next = self.next_token()? as usize;
        out.clear();
        out.resize(self.n_vocab as usize, 0.0);
        out[next] = 1.0;
        Ok(())
    }

    fn clock(&self) -> Clock {
        Clock::Virtual(Arc::clone(&self.clock))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ctx() -> ContextSettings {
        ContextSettings {
            n_ctx: 64,
            threads: 1,
            batch: 32,
            ubatch: 32,
            flash_attn: None,
            kv_type: None,
        }
    }

    #[test]
    fn spec_parses_and_rejects() {
        let c: MockConfig = "prefill_us=10, decode_us=100,fail=decode:3"
            .parse()
            .unwrap();
        assert_eq!(c.prefill_us, 10.0);
        assert_eq!(c.decode_us, 100.0);
        assert_eq!(c.fault, Some((Fault::Fail, Stage::Decode, 3)));
        for bad in [
            "decode_us",
            "decode_us=-1",
            "x=1",
            "fail=decode:0",
            "hang=middle:1",
        ] {
            let e = bad.parse::<MockConfig>().unwrap_err().to_string();
            assert!(e.contains("--mock-spec"), "{bad}: {e}");
        }
    }

    #[test]
    fn virtual_clock_advances_by_cost() {
        let cfg: MockConfig = "prefill_us=10,decode_us=100".parse().unwrap();
        let mut m = MockBackend::new(cfg, 100, Some(1));
        let clock = m.clock();
        m.configure(&ctx()).unwrap();
        m.clear().unwrap();
        m.prefill(&[1, 2, 3, 4], 0).unwrap();
        assert_eq!(clock.now_ns(), 40_000);
        m.decode(5, 4).unwrap();
        assert_eq!(clock.now_ns(), 140_000);
    }

    #[test]
    fn injected_failure_happens_at_the_named_call() {
        let cfg: MockConfig = "fail=decode:2".parse().unwrap();
        let mut m = MockBackend::new(cfg, 100, None);
        m.configure(&ctx()).unwrap();
        m.clear().unwrap();
        m.decode(1, 0).unwrap();
        assert!(matches!(m.decode(1, 1), Err(BackendError::Injected(_))));
    }
}
