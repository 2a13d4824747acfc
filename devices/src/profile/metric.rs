//! The metrics an SLO can name (`ttft_ms.p99`, `peak_rss_mb`, ...), parsed
//! from and written as their dotted names.
use serde::Serialize;

/// A per-case metric summarised over its samples (see the result record).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum SummaryMetric {
    /// Time to first token, milliseconds.
    TtftMs,
    /// Prompt tokens per second.
    PrefillTps,
    /// Decode tokens per second.
    DecodeTps,
    /// Inter-token latency (each decode step), milliseconds.
    ItlMs,
    /// End-to-end latency per repetition, milliseconds.
    E2eMs,
}

impl SummaryMetric {
    /// Every summarised metric, in documentation order.
    pub const ALL: [SummaryMetric; 5] = [
        SummaryMetric::TtftMs,
        SummaryMetric::ItlMs,
        SummaryMetric::E2eMs,
        SummaryMetric::DecodeTps,
        SummaryMetric::PrefillTps,
    ];

    /// The record's field name, e.g. `ttft_ms`.
    pub const fn as_str(self) -> &'static str {
        match self {
            SummaryMetric::TtftMs => "ttft_ms",
            SummaryMetric::PrefillTps => "prefill_tps",
            SummaryMetric::DecodeTps => "decode_tps",
            SummaryMetric::ItlMs => "itl_ms",
            SummaryMetric::E2eMs => "e2e_ms",
        }
    }

    /// The unit: `ms` or `tok/s`.
    pub const fn unit(self) -> &'static str {
        match self {
            SummaryMetric::TtftMs | SummaryMetric::ItlMs | SummaryMetric::E2eMs => "ms",
            SummaryMetric::PrefillTps | SummaryMetric::DecodeTps => "tok/s",
        }
    }

    const fn index(self) -> usize {
        match self {
            SummaryMetric::TtftMs => 0,
            SummaryMetric::ItlMs => 1,
            SummaryMetric::E2eMs => 2,
            SummaryMetric::DecodeTps => 3,
            SummaryMetric::PrefillTps => 4,
        }
    }
}

/// A statistic of a summarised metric.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Stat {
    /// Arithmetic mean (for rates: mean of per-repetition rates).
    Mean,
    /// Smallest sample.
    Min,
    /// Median.
    P50,
    /// 90th percentile.
    P90,
    /// 99th percentile.
    P99,
    /// Largest sample.
    Max,
}

impl Stat {
    /// Every statistic, in documentation order.
    pub const ALL: [Stat; 6] = [
        Stat::Mean,
        Stat::Min,
        Stat::P50,
        Stat::P90,
        Stat::P99,
        Stat::Max,
    ];

    /// The suffix after the dot: `mean`, `min`, `p50`, `p90`, `p99`, `max`.
    pub const fn as_str(self) -> &'static str {
        match self {
            Stat::Mean => "mean",
            Stat::Min => "min",
            Stat::P50 => "p50",
            Stat::P90 => "p90",
            Stat::P99 => "p99",
            Stat::Max => "max",
        }
    }

    const fn index(self) -> usize {
        match self {
            Stat::Mean => 0,
            Stat::Min => 1,
            Stat::P50 => 2,
            Stat::P90 => 3,
            Stat::P99 => 4,
            Stat::Max => 5,
        }
    }
}

/// Dotted names of the summarised metrics, `[metric][stat]` in `ALL` order.
const SUMMARY_NAMES: [[&str; 6]; 5] = [
    [
        "ttft_ms.mean",
        "ttft_ms.min",
        "ttft_ms.p50",
        "ttft_ms.p90",
        "ttft_ms.p99",
        "ttft_ms.max",
    ],
    [
        "itl_ms.mean",
        "itl_ms.min",
        "itl_ms.p50",
        "itl_ms.p90",
        "itl_ms.p99",
        "itl_ms.max",
    ],
    [
        "e2e_ms.mean",
        "e2e_ms.min",
        "e2e_ms.p50",
        "e2e_ms.p90",
        "e2e_ms.p99",
        "e2e_ms.max",
    ],
    [
        "decode_tps.mean",
        "decode_tps.min",
        "decode_tps.p50",
        "decode_tps.p90",
        "decode_tps.p99",
        "decode_tps.max",
    ],
    [
        "prefill_tps.mean",
        "prefill_tps.min",
        "prefill_tps.p50",
        "prefill_tps.p90",
        "prefill_tps.p99",
        "prefill_tps.max",
    ],
];

/// What an SLO measures.
///
/// Written in profiles as a dotted name: `<metric>.<stat>` for the summarised
/// metrics (`ttft_ms.p99`, `decode_tps.p50`, `prefill_tps.mean`), or one of
/// `peak_rss_mb`, `sustained_ratio`, `degradation_pct`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum SloMetric {
    /// A statistic of a summarised per-case metric.
    Summary(SummaryMetric, Stat),
    /// Peak resident memory of the measuring process, MiB (2^20 bytes).
    PeakRssMb,
    /// Sustained rate / peak rate of a sustained run (0..1).
    SustainedRatio,
    /// 100 x (1 - sustained / peak) of a sustained run.
    DegradationPct,
}

impl SloMetric {
    /// The dotted name, e.g. `ttft_ms.p99`.
    pub const fn as_str(self) -> &'static str {
        match self {
            SloMetric::Summary(m, s) => SUMMARY_NAMES[m.index()][s.index()],
            SloMetric::PeakRssMb => "peak_rss_mb",
            SloMetric::SustainedRatio => "sustained_ratio",
            SloMetric::DegradationPct => "degradation_pct",
        }
    }

    /// The metric named `name`, if it is one.
    pub fn parse(name: &str) -> Option<SloMetric> {
        SloMetric::all().into_iter().find(|m| m.as_str() == name)
    }

    /// Every metric an SLO can name, in documentation order.
    pub fn all() -> Vec<SloMetric> {
        let mut all: Vec<SloMetric> = SummaryMetric::ALL
            .into_iter()
            .flat_map(|m| Stat::ALL.into_iter().map(move |s| SloMetric::Summary(m, s)))
            .collect();
        all.extend([
            SloMetric::PeakRssMb,
            SloMetric::SustainedRatio,
            SloMetric::DegradationPct,
        ]);
        all
    }

    /// Whether the metric comes from sustained runs (kind `sustained`
    /// records) rather than from every case.
    pub const fn is_sustained(self) -> bool {
        matches!(self, SloMetric::SustainedRatio | SloMetric::DegradationPct)
    }

    /// The unit of the metric (and of an SLO's threshold on it).
    pub const fn unit(self) -> &'static str {
        match self {
            SloMetric::Summary(m, _) => m.unit(),
            SloMetric::PeakRssMb => "MiB",
            SloMetric::SustainedRatio => "ratio",
            SloMetric::DegradationPct => "%",
        }
    }
}

impl std::fmt::Display for SloMetric {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

impl Serialize for SloMetric {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_name_round_trips() {
        let all = SloMetric::all();
        assert_eq!(all.len(), 33);
        for m in all {
            assert_eq!(SloMetric::parse(m.as_str()), Some(m), "{m}");
        }
    }

    #[test]
    fn names_match_their_parts() {
        for m in SummaryMetric::ALL {
            for s in Stat::ALL {
                let name = SloMetric::Summary(m, s).as_str();
                assert_eq!(name, format!("{}.{}", m.as_str(), s.as_str()));
            }
        }
    }

    #[test]
    fn unknown_names_are_none() {
        assert_eq!(SloMetric::parse("ttft_ms"), None);
        assert_eq!(SloMetric::parse("ttft_ms.p95"), None);
        assert_eq!(SloMetric::parse("TTFT_MS.P99"), None);
    }
}
