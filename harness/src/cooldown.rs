//! Cool-down gating (`[matrix] cooldown`): before a case, wait until the
//! hottest sensor is below the profile's limit, or give up after its
//! timeout and let the case run marked `invalid`.
use std::path::Path;
use std::time::{Duration, Instant};

use edgebench_devices::probe::temperatures_at;
use edgebench_devices::profile::Cooldown;
use edgebench_reports::{Record, Status};

/// How often the sensors are read while waiting.
const POLL: Duration = Duration::from_millis(250);

/// How a wait ended.
#[derive(Debug, Clone, PartialEq)]
pub enum Outcome {
    /// Below the limit after `waited_s`.
    Cool {
        /// Seconds waited.
        waited_s: f64,
    },
    /// The machine has no temperature sensor: nothing to wait for.
    NoSensor,
    /// Still too hot when the timeout passed.
    TimedOut {
        /// The hottest sensor's name.
        sensor: String,
        /// Its temperature then, °C.
        temp_c: f64,
    },
}

/// Waits (reading sensors under `root`) until the hottest sensor is below
/// `cd.max_temp_c` or `cd.timeout_s` passes.
pub fn wait(root: &Path, cd: &Cooldown) -> Outcome {
    let t0 = Instant::now();
    loop {
        let Some(hot) = temperatures_at(root)
            .into_iter()
            .max_by(|a, b| a.temp_c.total_cmp(&b.temp_c))
        else {
            return Outcome::NoSensor;
        };
        if hot.temp_c < cd.max_temp_c {
            return Outcome::Cool {
                waited_s: t0.elapsed().as_secs_f64(),
            };
        }
        if t0.elapsed().as_secs_f64() >= cd.timeout_s {
            return Outcome::TimedOut {
                sensor: hot.sensor,
                temp_c: hot.temp_c,
            };
        }
        std::thread::sleep(POLL);
    }
}

/// Marks the record as the wait requires: `invalid` after a timeout, a
/// warning when no sensor could be read.
pub fn apply(record: &mut Record, outcome: &Outcome, cd: &Cooldown) {
    match outcome {
        Outcome::Cool { waited_s } if *waited_s >= 1.0 => record.warnings.push(format!(
            "waited {waited_s:.0} s for the device to cool below {} °C before this case",
            cd.max_temp_c
        )),
        Outcome::Cool { .. } => {}
        Outcome::NoSensor => record.warnings.push(
            "[matrix] cooldown is set but this machine exposes no temperature sensor; the case \
             started without waiting"
                .into(),
        ),
        Outcome::TimedOut { sensor, temp_c } => {
            if record.status == Status::Ok {
                record.status = Status::Invalid;
                record.reason = Some(format!(
                    "the device did not cool below {} °C within the {:.0} s cool-down timeout \
                     ({sensor} at {temp_c:.1} °C); let it cool, raise [matrix] cooldown \
                     timeout_s, or improve cooling, then rerun with --resume",
                    cd.max_temp_c, cd.timeout_s
                ));
            }
        }
    }
}
