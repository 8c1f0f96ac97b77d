//! The range the video's bit rate may move in, and the settings of GStreamer's congestion
//! controller derived from it.

use super::media::VideoSettings;
use super::{ElementSpec, names};

/// Limits and starting point of the controller.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct RateLimits {
    pub min_kbps: u32,
    pub max_kbps: u32,
}

/// The least video bit rate the controller goes down to: below it 640x480 is not worth
/// watching, and the audio still gets through.
const MIN_VIDEO_KBPS: u32 = 150;

/// The range the video's rate controller works in: from [`MIN_VIDEO_KBPS`] to the plan's rate.
pub fn video_rate_limits(video: &VideoSettings) -> RateLimits {
    RateLimits {
        min_kbps: MIN_VIDEO_KBPS,
        max_kbps: video.bitrate_kbps,
    }
}

/// Share of the estimate the encoder gets: the rest carries RTP headers (about 2 % at 1200-byte
/// packets) and retransmissions, so the pacer does not queue behind a full-rate encoder.
pub const ENCODER_SHARE: f64 = 0.9;

/// `rtpgccbwe`'s bit-rate properties (bit/s), derived from the encoder's limits.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct GccSettings {
    pub min_bps: u32,
    /// Where the estimate starts: the call begins at full rate, like the loss-based controller.
    pub start_bps: u32,
    pub max_bps: u32,
}

impl GccSettings {
    /// Bounds that let the encoder reach exactly `limits` when the estimate is at its bounds.
    pub fn for_limits(limits: RateLimits) -> GccSettings {
        let session_bps = |kbps: u32| (f64::from(kbps) * 1000.0 / ENCODER_SHARE).ceil() as u32;
        GccSettings {
            min_bps: session_bps(limits.min_kbps),
            start_bps: session_bps(limits.max_kbps),
            max_bps: session_bps(limits.max_kbps),
        }
    }
}

impl GccSettings {
    /// `rtpgccbwe` for `session`, starting at and bounded by these settings.
    pub fn estimator_spec(&self, session: u32) -> ElementSpec {
        ElementSpec::new("rtpgccbwe", names::gcc_estimator(session))
            .prop("min-bitrate", self.min_bps)
            .prop("max-bitrate", self.max_bps)
            .prop("estimated-bitrate", self.start_bps)
    }
}
