//! Statistics as plain data: what one poll of the running pipeline read (`RawSample`, the
//! adapter's input) and the snapshot computed from polls (`Snapshot`, rendered as text or JSON
//! by `report`). Snapshot field names are the JSON schema documented in the README.

use crate::security::exchange::ExchangeStatus;
use serde::{Deserialize, Serialize};

use crate::config::{AacPayload, Medium};

/// One medium's receive statistics at one instant.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
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
    /// Datagrams on our ports dropped unread: from an address other than the peer's, too big,
    /// or (encrypted) with no key or failing authentication.
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
    /// What we send of this medium and what the peer's receiver reports say about it, once
    /// rtpsession knows our sender.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sent: Option<SentReport>,
}

/// Our side of one medium: what we send, and the peer's receiver reports about it.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct SentReport {
    /// rtpsession's estimate of our sending bit rate.
    pub bitrate_bps: f64,
    /// RTP packets we sent so far.
    pub packets_sent: u64,
    /// Packets of ours the peer reports lost (RFC 3550 cumulative lost, never negative).
    pub peer_packets_lost: u64,
    /// The share of our packets the peer lost between its last two reports, in percent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub peer_loss_pct: Option<f64>,
}

/// Both media at one instant of the call.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Snapshot {
    /// Seconds since the call started.
    pub elapsed_s: f64,
    pub video: StreamStats,
    pub audio: StreamStats,
    /// The key exchange of an encrypted call: its state and the words to compare.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub key_exchange: Option<ExchangeStatus>,
    /// We send silence instead of the microphone (`m`).
    #[serde(default)]
    pub microphone_muted: bool,
    /// We send the "video paused" picture instead of the camera (`v`).
    #[serde(default)]
    pub camera_paused: bool,
    /// How the received video started: the first frame's path and the key frames it needed.
    #[serde(default)]
    pub startup: StartupStats,
}

/// The received video's start, as first-class figures: a slow first frame or a lost key frame
/// is what users of every peer tool complain about, and each step says where the time went.
/// Times are milliseconds from this peer's start (`null` until the thing happens); counts are
/// totals since the start.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct StartupStats {
    /// The first RTP packet of the peer's video accepted by the session (after SRTP and the
    /// peer-only filter): its jitter buffer was created.
    pub first_packet_ms: Option<f64>,
    /// The depayloader had the H.264 parameter sets (SPS and PPS): it could state its caps.
    pub parameter_sets_ms: Option<f64>,
    /// The first key frame (IDR access unit) left the depayloader.
    pub first_key_frame_ms: Option<f64>,
    /// The first decoded frame reached the video sink.
    pub first_frame_ms: Option<f64>,
    /// Key frames (IDR access units) received.
    pub key_frames_received: u64,
    /// Key-frame requests (RTCP PLI and FIR) we sent the peer: our decoder needed a key frame.
    pub key_frame_requests_sent: u64,
    /// Key-frame requests the peer sent us.
    pub key_frame_requests_received: u64,
    /// Frames the decoder flagged as decoded with errors (concealed).
    pub decoder_errors: u64,
}

impl StartupStats {
    /// True when the figures that are known come in the order the pipeline makes them: packet,
    /// parameter sets, key frame, decoded frame.
    pub fn is_ordered(&self) -> bool {
        let known: Vec<f64> = [
            self.first_packet_ms,
            self.parameter_sets_ms,
            self.first_key_frame_ms,
            self.first_frame_ms,
        ]
        .into_iter()
        .flatten()
        .collect();
        known.windows(2).all(|w| w[0] <= w[1])
    }
}

/// Key-frame requests of one session, from rtpsession's source statistics (PLI and FIR).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct KeyFrameRequests {
    pub sent: u64,
    pub received: u64,
}

/// What one poll read from one sender (SSRC) of one session.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct SourceSample {
    pub ssrc: u32,
    pub packets_received: u64,
    pub octets_received: u64,
    pub jitter_ms: f64,
    pub packets_lost: i64,
    /// Round-trip time the peer's last report block let us compute.
    pub rtt_ms: Option<f64>,
}

/// What one report block of the peer's RTCP says about one of our streams, cumulative since
/// the stream started.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Feedback {
    /// Extended highest sequence number received (RFC 3550 §6.4.1): packets expected so far,
    /// up to a constant.
    pub highest_seq: u64,
    /// Cumulative number of packets lost.
    pub lost: i64,
    /// When the report arrived (seconds on any clock shared by the reports of one call), for the
    /// rate the peer received between two reports; `None` uses the ticks' spacing.
    pub received_at_s: Option<f64>,
}

/// What rtpsession measures of our own sender.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct SentStats {
    /// rtpsession's estimate of the sender's bit rate (kbit/s).
    pub kbps: f64,
    /// Mean payload bytes per RTP packet so far.
    pub mean_packet_bytes: Option<f64>,
    /// RTP packets sent so far (the re-key counts them).
    #[serde(default)]
    pub packets: u64,
}

/// Retransmission counters of one session, from our receiver's point of view.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct RtxCounts {
    /// Packets we asked the peer to resend.
    pub requested: u64,
    /// Resent packets that arrived and matched a request (the repairs).
    pub repaired: u64,
}

/// The SRTP decoder's totals (`srtpdec`'s `recv-count` and `recv-drop-count`).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct SrtpCounts {
    pub received: u64,
    pub dropped: u64,
}

/// Datagrams on a plain session's RTCP socket: whole plain RTCP compounds, and datagrams that
/// look like SRTCP (`plain_watch`). Zero on an encrypted session.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct RtcpKindCounts {
    pub plain: u64,
    pub encrypted: u64,
}

/// What one poll read for one medium (one rtpbin session): the peer's senders and what became
/// of their packets, what the peer reports about ours, and the counters of the elements that
/// protect and repair the stream. `Option`s are `None` where the call does not have the thing.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct MediumSample {
    /// The peer's senders in the session (media streams only, not their RTX streams).
    pub sources: Vec<SourceSample>,
    /// The jitter buffers' pushed counts, per SSRC.
    pub pushed: Vec<(u32, u64)>,
    /// The video sink's rendered count (video only).
    pub rendered: Option<u64>,
    /// Datagrams the peer-only filter dropped on this medium's two ports (a total).
    pub rejected: u64,
    /// SRTP packets that found no key: before the exchange, or from a plain peer (a total).
    #[serde(default)]
    pub unkeyed: u64,
    /// Key-exchange datagrams at a plain session: the peer encrypts (a total).
    #[serde(default)]
    pub stray_exchange: u64,
    /// RTP packets of senders whose format we cannot play, dropped (a total).
    pub unplayable: u64,
    /// The audio sink's played count (audio only).
    pub played: Option<u64>,
    /// The SSRC our payloader sends with.
    pub our_ssrc: Option<u32>,
    /// rtpsession's statistics of our sender `our_ssrc`.
    pub sent: Option<SentStats>,
    /// The latest report block the peer sent about each of our SSRCs (media and RTX), by SSRC.
    pub feedback: Vec<(u32, Feedback)>,
    /// The peer's latest SDES TOOL item in this session (what it says it takes).
    pub peer_tool: Option<String>,
    /// Retransmission counters, when the call resends lost packets.
    pub rtx: Option<RtxCounts>,
    /// Lost packets the FEC decoder rebuilt, when the call has FEC (video).
    pub fec_recovered: Option<u64>,
    /// The encoder's bit rate now (kbit/s), when the rate adapts (video).
    pub send_target_kbps: Option<u32>,
    /// `rtpgccbwe`'s estimate of the session's rate (bit/s), when GCC runs.
    pub gcc_estimate_bps: Option<u32>,
    /// The SRTP decoder's totals, once it exists (encrypted calls).
    pub srtp: Option<SrtpCounts>,
    /// What arrives on the RTCP socket of a plain session.
    pub rtcp_kinds: RtcpKindCounts,
    /// The AAC format the peer's sender settled on (audio received without an SDP).
    #[serde(with = "aac_format")]
    pub aac_format: Option<AacPayload>,
    /// Key-frame requests sent and received in this session (video).
    #[serde(default)]
    pub key_frame_requests: KeyFrameRequests,
}

impl MediumSample {
    /// The peer's latest report about `ssrc`.
    pub fn feedback_about(&self, ssrc: u32) -> Option<Feedback> {
        self.feedback
            .iter()
            .find(|(about, _)| *about == ssrc)
            .map(|(_, fb)| *fb)
    }

    /// The peer's latest report about the stream our payloader sends.
    pub fn our_feedback(&self) -> Option<Feedback> {
        self.our_ssrc.and_then(|ssrc| self.feedback_about(ssrc))
    }
}

/// One poll of both media.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct RawSample {
    pub video: MediumSample,
    pub audio: MediumSample,
    /// The key exchange, in an encrypted call.
    #[serde(default)]
    pub exchange: Option<ExchangeStatus>,
    /// The received video's start so far (the requests are the video sample's).
    #[serde(default)]
    pub startup: StartupStats,
}

impl RawSample {
    /// The sample of `medium`.
    pub fn medium(&self, medium: Medium) -> &MediumSample {
        match medium {
            Medium::Video => &self.video,
            Medium::Audio => &self.audio,
        }
    }
}

/// One line of a `--record-samples` trace: a poll and when it was taken (seconds since the
/// call started).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RecordedSample {
    pub now: f64,
    pub sample: RawSample,
}

/// The AAC format by its user-facing name (`generic`, `latm`).
mod aac_format {
    use serde::{Deserialize, Deserializer, Serializer};

    use crate::config::AacPayload;

    pub fn serialize<S: Serializer>(format: &Option<AacPayload>, s: S) -> Result<S::Ok, S::Error> {
        match format {
            Some(format) => s.serialize_some(format.name()),
            None => s.serialize_none(),
        }
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Option<AacPayload>, D::Error> {
        let Some(name) = Option::<String>::deserialize(d)? else {
            return Ok(None);
        };
        AacPayload::ALL
            .into_iter()
            .find(|format| format.name() == name)
            .map(Some)
            .ok_or_else(|| serde::de::Error::custom(format!("unknown AAC format {name}")))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_sample_survives_a_json_round_trip() {
        let mut sample = RawSample::default();
        sample.audio.aac_format = Some(AacPayload::Latm);
        sample.video.feedback = vec![(
            7,
            Feedback {
                highest_seq: 70_000,
                lost: -2,
                received_at_s: Some(1.25),
            },
        )];
        sample.video.our_ssrc = Some(7);
        sample.video.rtx = Some(RtxCounts {
            requested: 3,
            repaired: 2,
        });
        let line = serde_json::to_string(&RecordedSample { now: 0.5, sample }).unwrap();
        assert!(line.contains(r#""aac_format":"latm""#), "{line}");
        let back: RecordedSample = serde_json::from_str(&line).unwrap();
        assert_eq!(back.now, 0.5);
        assert_eq!(back.sample.audio.aac_format, Some(AacPayload::Latm));
        assert_eq!(back.sample.video.our_feedback().unwrap().lost, -2);
        assert_eq!(back.sample.audio.our_feedback(), None);
    }

    #[test]
    fn startup_figures_are_ordered_when_each_comes_after_the_one_before() {
        let mut s = StartupStats::default();
        assert!(s.is_ordered(), "nothing known yet");
        s.first_packet_ms = Some(40.0);
        s.first_frame_ms = Some(90.0);
        assert!(s.is_ordered(), "gaps are skipped");
        s.first_key_frame_ms = Some(95.0);
        assert!(!s.is_ordered(), "a frame decoded before its key frame");
        s.first_key_frame_ms = Some(60.0);
        s.parameter_sets_ms = Some(60.0);
        assert!(s.is_ordered());
    }
}
