//! Switches for the loss repair and adaptation features. All are on by default; turning one off
//! exists to measure what it pays for (docs/benchmarks-network.md), so the flags are hidden.

use std::path::PathBuf;

use clap::Args;

use crate::config::RateControl;

/// Video FEC overhead by default: none (docs/decisions/0008-no-fec-by-default.md).
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
    /// Send audio without redundancy (RED): a lost audio packet waits for RTX.
    #[arg(long, hide = true)]
    pub no_audio_red: bool,
    /// Let video wait for a late repair no longer than it waits to be shown.
    #[arg(long, hide = true)]
    pub no_repair_hold: bool,
    /// Keep the jitter buffer at --jitter-buffer-ms whatever the network shows.
    #[arg(long, hide = true)]
    pub fixed_jitter_buffer: bool,
    /// How the video bit rate follows the network: `delay` (queue growth and loss from the
    /// peer's transport-wide feedback; loss-based when the peer sends none), `gcc` (GStreamer's
    /// Google Congestion Control), `loss` (receiver reports' loss) or `off` (fixed).
    #[arg(
        long = "congestion-control",
        alias = "rate-control",
        value_enum,
        value_name = "CONTROLLER"
    )]
    pub rate_control: Option<RateControl>,
    /// Keep the video bit rate fixed: the same as `--congestion-control off`.
    #[arg(long, hide = true, conflicts_with = "rate_control")]
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
    pub rate_control: RateControl,
    /// ULPFEC parity per 100 video packets; 0 is off.
    pub fec_percent: u32,
    /// Let the jitter buffer grow to what the path needs (`rtp::latency`).
    pub adaptive_jitter_buffer: bool,
    /// Every audio packet repeats the one before (`rtp::red`).
    pub audio_red: bool,
    /// Video waits for late repairs longer than it waits to be shown (`rtp::repair_hold`).
    pub repair_hold: bool,
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
            rate_control: match (self.no_rate_adaptation, self.rate_control) {
                (true, _) => RateControl::Off,
                (false, choice) => choice.unwrap_or_default(),
            },
            fec_percent: self.fec_percent,
            adaptive_jitter_buffer: !self.fixed_jitter_buffer,
            audio_red: !self.no_audio_red,
            repair_hold: !self.no_repair_hold,
            quality_log: self.quality_log.clone(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::Parser;

    #[derive(Parser)]
    struct Flags {
        #[command(flatten)]
        resilience: ResilienceArgs,
    }

    fn parse(args: &[&str]) -> Result<Resilience, clap::Error> {
        let argv = std::iter::once("videocall").chain(args.iter().copied());
        Flags::try_parse_from(argv).map(|f| f.resilience.resilience())
    }

    #[test]
    fn the_rate_controller_is_chosen_by_name_or_switched_off() {
        assert_eq!(parse(&[]).unwrap().rate_control, RateControl::default());
        for control in [RateControl::Gcc, RateControl::Loss, RateControl::Off] {
            let chosen = parse(&["--rate-control", control.name()]).unwrap();
            assert_eq!(chosen.rate_control, control);
        }
        let off = parse(&["--no-rate-adaptation"]).unwrap();
        assert_eq!(off.rate_control, RateControl::Off);
        assert!(parse(&["--no-rate-adaptation", "--rate-control", "gcc"]).is_err());
        assert!(parse(&["--rate-control", "bbr"]).is_err());
    }
}
