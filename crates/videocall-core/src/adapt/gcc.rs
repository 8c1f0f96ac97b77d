//! Following Google Congestion Control (draft-ietf-rmcat-gcc-02) as GStreamer implements it in
//! `rtpgccbwe` (gst-plugins-rs): the receiver's rtpsession sends transport-wide congestion
//! control feedback (arrival time of every packet), the sender's `rtpgccbwe` estimates the
//! link's rate from delay trends and loss, and paces the session's packets at that estimate.
//! What is ours is only the mapping between the estimate and the encoder: the estimate covers
//! the whole session (media, RTX, RTP headers), so the encoder gets a share of it, and the
//! element's bounds are the encoder's bounds scaled back up. Pure, so it is unit-tested here;
//! `rtp::congestion` wires the element, `rate::adapter` reads the estimate.

use crate::plan::rate::{ENCODER_SHARE, RateLimits};

/// The encoder's bit rate (kbit/s) for an estimate of `estimate_bps` for the whole session.
pub fn encoder_kbps(estimate_bps: u32, limits: RateLimits) -> u32 {
    let kbps = (f64::from(estimate_bps) * ENCODER_SHARE / 1000.0).round() as u32;
    kbps.clamp(limits.min_kbps, limits.max_kbps)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::plan::rate::GccSettings;

    const LIMITS: RateLimits = RateLimits {
        min_kbps: 150,
        max_kbps: 2000,
    };

    #[test]
    fn the_estimate_at_its_bounds_gives_the_encoder_its_bounds() {
        let s = GccSettings::for_limits(LIMITS);
        assert_eq!(s.start_bps, s.max_bps);
        assert_eq!(encoder_kbps(s.max_bps, LIMITS), 2000);
        assert_eq!(encoder_kbps(s.min_bps, LIMITS), 150);
        assert!(s.min_bps < s.max_bps);
    }

    #[test]
    fn the_encoder_leaves_room_for_overhead_under_the_estimate() {
        // A 1 Mbit/s link: the encoder gets 900 kbit/s, RTP and RTX fit in the rest.
        assert_eq!(encoder_kbps(1_000_000, LIMITS), 900);
        // Estimates outside the bounds (rtpgccbwe's defaults before it is configured) are
        // clamped to what the encoder may do.
        assert_eq!(encoder_kbps(8_192_000, LIMITS), 2000);
        assert_eq!(encoder_kbps(1000, LIMITS), 150);
    }
}
