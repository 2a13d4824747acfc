//! The background sampler: one thread reading every source at a fixed rate
//! into a table reserved up front, so the steady state allocates nothing and
//! costs the measured work as little as possible.
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::mpsc::{self, RecvTimeoutError};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use super::channels::{ChannelKind, TelemetrySeries};
use super::sources::Sources;

/// The sampler could not start.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum SamplerError {
    /// The rate is not a positive finite number, or above 100 Hz.
    #[error("telemetry rate {0} Hz is out of range; give a rate above 0 and at most 100 Hz")]
    Rate(f64),
    /// The operating system refused a thread.
    #[error("could not start the telemetry thread: {0}")]
    Thread(std::io::Error),
}

/// A running sampler; [`Sampler::finish`] stops it and returns the series.
#[derive(Debug)]
pub struct Sampler {
    stop: mpsc::Sender<()>,
    handle: Option<JoinHandle<TelemetrySeries>>,
    hottest_bits: Arc<AtomicU64>,
}

impl Sampler {
    /// Starts sampling `sources` at `hz`, times measured from `origin`, with
    /// room reserved for `expected_s` seconds of samples (more still fits,
    /// at the cost of a reallocation).
    pub fn start(
        mut sources: Sources,
        hz: f64,
        origin: Instant,
        expected_s: f64,
    ) -> Result<Sampler, SamplerError> {
        if !(hz.is_finite() && hz > 0.0 && hz <= 100.0) {
            return Err(SamplerError::Rate(hz));
        }
        let (stop, stop_rx) = mpsc::channel::<()>();
        let hottest_bits = Arc::new(AtomicU64::new(f64::NAN.to_bits()));
        let hottest = Arc::clone(&hottest_bits);
        let handle = std::thread::Builder::new()
            .name("edgebench-telemetry".into())
            .spawn(move || {
                sources.reset_counters();
                let channels = sources.channels().to_vec();
                let width = channels.len();
                let temps: Vec<usize> = (0..width)
                    .filter(|&c| channels[c].kind == ChannelKind::Temperature)
                    .collect();
                let rows_expected = (expected_s.max(1.0) * hz).ceil() as usize + 16;
                let mut values: Vec<f64> = Vec::with_capacity(rows_expected * width);
                let mut t_s: Vec<f64> = Vec::with_capacity(rows_expected);
                let mut row = vec![f64::NAN; width];
                let period = Duration::from_secs_f64(1.0 / hz);
                let mut late = 0u32;
                let mut next = Instant::now();
                loop {
                    let now = Instant::now();
                    if let Some(&prev) = t_s.last()
                        && now.duration_since(origin).as_secs_f64() - prev > 1.5 / hz
                    {
                        late += 1;
                    }
                    sources.read(&mut row);
                    t_s.push(now.saturating_duration_since(origin).as_secs_f64());
                    values.extend_from_slice(&row);
                    let hot = temps
                        .iter()
                        .map(|&c| row[c])
                        .filter(|v| !v.is_nan())
                        .fold(f64::NAN, f64::max);
                    hottest.store(hot.to_bits(), Ordering::Relaxed);
                    next += period;
                    let wait = next.saturating_duration_since(Instant::now());
                    match stop_rx.recv_timeout(wait) {
                        Err(RecvTimeoutError::Timeout) => {}
                        Ok(()) | Err(RecvTimeoutError::Disconnected) => break,
                    }
                    if next < Instant::now() {
                        // Fell behind (a suspended machine): restart the grid.
                        next = Instant::now();
                    }
                }
                let rows = values
                    .chunks(width.max(1))
                    .take(t_s.len())
                    .map(|r| {
                        r.iter()
                            .map(|&v| (!v.is_nan()).then_some(v))
                            .collect::<Vec<_>>()
                    })
                    .collect::<Vec<_>>();
                let rows = if width == 0 {
                    vec![Vec::new(); t_s.len()]
                } else {
                    rows
                };
                TelemetrySeries {
                    hz,
                    channels,
                    t_s,
                    rows,
                    late_samples: late,
                    sampler_cpu_s: thread_cpu_s(),
                }
            })
            .map_err(SamplerError::Thread)?;
        Ok(Sampler {
            stop,
            handle: Some(handle),
            hottest_bits,
        })
    }

    /// The hottest temperature of the latest sample, °C (None without sensors).
    pub fn hottest_c(&self) -> Option<f64> {
        let v = f64::from_bits(self.hottest_bits.load(Ordering::Relaxed));
        (!v.is_nan()).then_some(v)
    }

    /// Stops the thread and returns what it sampled (one last sample is
    /// taken when the stop arrives between two ticks only if it was due).
    pub fn finish(mut self) -> TelemetrySeries {
        let _ = self.stop.send(());
        self.handle
            .take()
            .and_then(|h| h.join().ok())
            .unwrap_or_default()
    }
}

impl Drop for Sampler {
    fn drop(&mut self) {
        let _ = self.stop.send(());
        if let Some(h) = self.handle.take() {
            let _ = h.join();
        }
    }
}

/// CPU time the calling thread has used, seconds.
fn thread_cpu_s() -> Option<f64> {
    let mut ts = libc::timespec {
        tv_sec: 0,
        tv_nsec: 0,
    };
    // SAFETY: clock_gettime writes one timespec we own.
    let rc = unsafe { libc::clock_gettime(libc::CLOCK_THREAD_CPUTIME_ID, &mut ts) };
    (rc == 0).then(|| ts.tv_sec as f64 + ts.tv_nsec as f64 / 1e9)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rates_out_of_range_are_refused() {
        let dir = tempfile::tempdir().unwrap();
        for hz in [0.0, -1.0, f64::NAN, 1000.0] {
            let s = Sources::discover_at(dir.path());
            assert!(matches!(
                Sampler::start(s, hz, Instant::now(), 1.0),
                Err(SamplerError::Rate(_))
            ));
        }
    }

    #[test]
    fn no_sensors_still_gives_timed_empty_rows() {
        let dir = tempfile::tempdir().unwrap();
        let s = Sources::discover_at(dir.path());
        let sampler = Sampler::start(s, 50.0, Instant::now(), 1.0).unwrap();
        std::thread::sleep(Duration::from_millis(120));
        assert_eq!(sampler.hottest_c(), None);
        let series = sampler.finish();
        assert!(series.channels.is_empty());
        assert!(series.t_s.len() >= 2, "{:?}", series.t_s);
        assert_eq!(series.rows.len(), series.t_s.len());
        assert!(series.t_s.windows(2).all(|w| w[1] > w[0]));
    }
}
