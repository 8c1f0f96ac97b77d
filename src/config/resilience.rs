//! Switches for the loss repair and adaptation features. All are on by default; turning one off
//! exists to measure what it pays for (docs/benchmarks-network.md), so the flags are hidden.

use std::path::PathBuf;

use clap::Args;

/// Video FEC overhead by default (docs/benchmarks-network.md: what it buys at 2 % and 5 % loss).
pub const DEFAULT_FEC_PERCENT: u32 = 0;

/// The flags (hidden from `--help`).
#[derive(Debug, Clone, Default, Args)]
pub struct ResilienceArgs {
    /// Do not ask for lost packets to be resent (RTX).
    #[arg(long, hide = true)]
    pub no_rtx: bool,
    /// Video FEC overhead: ULPFEC parity packets per 100 media packets (0 = no FEC).
    #[arg(long, hide = true, value_name = "PERCENT", default_value_t = DEFAULT_FEC_PERCENT,
          value_parser = clap::value_parser!(u32).range(0..=100))]
    pub fec_percent: u32,
    /// Keep the jitter buffer at --jitter-buffer-ms whatever the network shows.
    #[arg(long, hide = true)]
    pub fixed_jitter_buffer: bool,
    /// Keep the video bit rate fixed whatever the receiver reports.
    #[arg(long, hide = true)]
    pub no_rate_adaptation: bool,
    /// Send numbered test frames and write one line per received frame (number, PSNR, intact,
    /// arrival time) to FILE; the demo writes FILE.A and FILE.B.
    #[arg(long, hide = true, value_name = "FILE")]
    pub quality_log: Option<PathBuf>,
}

/// The validated switches.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Resilience {
    pub rtx: bool,
    /// ULPFEC parity per 100 video packets; 0 is off.
    pub fec_percent: u32,
    pub rate_adaptation: bool,
    /// Let the jitter buffer grow to what the path needs (`rtp::latency`).
    pub adaptive_jitter_buffer: bool,
    pub quality_log: Option<PathBuf>,
}

impl Default for Resilience {
    fn default() -> Self {
        ResilienceArgs::default().resilience()
    }
}

impl ResilienceArgs {
    pub fn resilience(&self) -> Resilience {
        Resilience {
            rtx: !self.no_rtx,
            fec_percent: self.fec_percent,
            rate_adaptation: !self.no_rate_adaptation,
            adaptive_jitter_buffer: !self.fixed_jitter_buffer,
            quality_log: self.quality_log.clone(),
        }
    }
}
