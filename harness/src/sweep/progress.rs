//! A sweep's progress: a bar on a terminal, plain lines otherwise.
use std::io::IsTerminal;

use edgebench_reports::Record;

/// Cases done out of the plan's total.
pub struct Progress {
    bar: Option<indicatif::ProgressBar>,
    done: u64,
    total: u64,
}

impl Progress {
    /// Starts at `already` of `total` (a resumed sweep's finished cases).
    pub fn new(total: u64, already: u64) -> Progress {
        let bar = std::io::stderr().is_terminal().then(|| {
            let bar = indicatif::ProgressBar::new(total);
            if let Ok(style) = indicatif::ProgressStyle::with_template(
                "{bar:30} {pos}/{len} cases, ETA {eta} {msg}",
            ) {
                bar.set_style(style);
            }
            bar.set_position(already);
            bar
        });
        if already > 0 {
            eprintln!("edgebench: resuming; {already} of {total} case(s) already done");
        }
        Progress {
            bar,
            done: already,
            total,
        }
    }

    /// One more case ended with `r`.
    pub fn case_done(&mut self, key: &str, r: &Record) {
        self.done += 1;
        let decode = r
            .metrics
            .decode_tps
            .as_ref()
            .map(|s| format!(", decode {:.1} t/s", s.mean))
            .unwrap_or_default();
        let line = format!(
            "[{}/{}] {key}: {}{decode}",
            self.done,
            self.total,
            r.status.as_str()
        );
        match &self.bar {
            Some(bar) => {
                bar.println(line);
                bar.inc(1);
            }
            None => eprintln!("{line}"),
        }
    }

    /// Clears the bar.
    pub fn finish(&self) {
        if let Some(bar) = &self.bar {
            bar.finish_and_clear();
        }
    }
}
