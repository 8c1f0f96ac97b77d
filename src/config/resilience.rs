//! Switches for the loss repair and adaptation features. All are on by default; turning one off
//! exists to measure what it pays for (docs/benchmarks-network.md), so the flags are hidden.

use std::path::PathBuf;

use clap::Args;

/// The flags (hidden from `--help`).
#[derive(Debug, Clone, Default, Args)]
pub struct ResilienceArgs {
    /// Do not ask for lost packets to be resent (RTX).
    #[arg(long, hide = true)]
    pub no_rtx: bool,
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
    pub rate_adaptation: bool,
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
            rate_adaptation: !self.no_rate_adaptation,
            quality_log: self.quality_log.clone(),
        }
    }
}
