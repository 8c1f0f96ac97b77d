//! Send-side rate adaptation of the video. Two controllers, chosen with the hidden
//! `--rate-control` (docs/benchmarks-network.md, "Rate adaptation", has the measurements):
//! `controller` is our loss-based one over RTCP receiver reports (pure, tested), fed by
//! `feedback`; `gcc` maps GStreamer's Google Congestion Control estimate (`rtpgccbwe`, wired by
//! `rtp::congestion`) to the encoder. `adapter` reads either from the pipeline on the main
//! loop's timer; nothing here touches buffers.

pub mod adapter;
pub mod controller;
pub mod feedback;
pub mod gcc;

pub use controller::{RateController, RateLimits, TICK_S};

/// Which controller sets the video bit rate.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, clap::ValueEnum)]
pub enum RateControl {
    /// Google Congestion Control (`rtpgccbwe`) over transport-wide congestion control feedback.
    /// On a capped link it gets under the cap and back to full rate sooner than `Loss`, but on
    /// random loss it collapses the rate (2 Mbit/s → ~200 kbit/s in 40 s at 5 % loss), its
    /// pacer delays retransmissions (fewer frames rendered at 2 % and 5 % loss) and costs 1–2
    /// points of CPU (docs/benchmarks-network.md, "Rate adaptation").
    Gcc,
    /// Our loss-based controller over RTCP receiver reports (`controller`): the default, from
    /// those measurements.
    #[default]
    Loss,
    /// A fixed bit rate.
    Off,
}

impl RateControl {
    /// The name `--rate-control` takes.
    pub fn name(self) -> &'static str {
        match self {
            RateControl::Gcc => "gcc",
            RateControl::Loss => "loss",
            RateControl::Off => "off",
        }
    }
}
