//! Statistics as plain data: one snapshot per interval, rendered as text or JSON by `report`.
//! Field names are the JSON schema documented in the README.

use serde::Serialize;

/// One medium's receive statistics at one instant.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct StreamStats {
    /// Received payload bit rate since the stream started.
    pub avg_bitrate_bps: f64,
    /// Received payload bit rate over the last interval.
    pub bitrate_bps: f64,
    pub packets_received: u64,
    /// RTP payload octets received (RFC 3550 §6.4.1 counts payload octets).
    pub octets_received: u64,
    /// RFC 3550 interarrival jitter of the current sender, in milliseconds.
    pub jitter_ms: f64,
    /// Packets the jitter buffer pushed on to the depayloader.
    pub packets_pushed: u64,
    /// Packets expected but not received (RFC 3550 cumulative lost, never negative).
    pub packets_lost: u64,
    /// Round-trip time from RTCP (LSR/DLSR), once known.
    pub rtt_ms: Option<f64>,
    /// Datagrams on our ports dropped unread: from an address other than the peer's, or too big.
    pub packets_rejected: u64,
    /// RTP packets dropped because their sender's format is one we cannot play (another
    /// payload type, a stream that is not ours).
    pub packets_unplayable: u64,
    /// Frames the video sink rendered (video only).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub frames_rendered: Option<u64>,
    /// AAC frames the audio sink played (audio only): decoded sound, not just packets.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub frames_played: Option<u64>,
    /// Frames rendered per second over the last interval (video only).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub fps: Option<f64>,
    /// Lost packets we asked the peer to resend (RTX, RFC 4588), when retransmission is on.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub rtx_requested: Option<u64>,
    /// Resent packets that arrived and filled a gap.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub rtx_repaired: Option<u64>,
    /// Lost packets rebuilt from FEC parity (ULPFEC), when FEC is on.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub fec_recovered: Option<u64>,
    /// The bit rate our encoder is set to now (video, with rate adaptation).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub send_target_kbps: Option<u32>,
}

/// Both media at one instant of the call.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct Snapshot {
    /// Seconds since the call started.
    pub elapsed_s: f64,
    pub video: StreamStats,
    pub audio: StreamStats,
}

/// What one poll read from one sender (SSRC) of one session.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct SourceSample {
    pub ssrc: u32,
    pub packets_received: u64,
    pub octets_received: u64,
    pub jitter_ms: f64,
    pub packets_lost: i64,
    /// Round-trip time the peer's last report block let us compute.
    pub rtt_ms: Option<f64>,
}

/// What one poll read for one medium: the session's remote senders, the jitter buffers' pushed
/// counts per SSRC, and the sink's rendered count.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct MediumSample {
    pub sources: Vec<SourceSample>,
    pub pushed: Vec<(u32, u64)>,
    pub rendered: Option<u64>,
    /// Datagrams the peer-only filter dropped on this medium's two ports (a total).
    pub rejected: u64,
    /// RTP packets of senders whose format we cannot play, dropped (a total).
    pub unplayable: u64,
    /// The audio sink's played count (audio only).
    pub played: Option<u64>,
}

/// One poll of both media.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct RawSample {
    pub video: MediumSample,
    pub audio: MediumSample,
}
