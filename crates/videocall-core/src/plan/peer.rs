//! The plan of one peer: everything its pipeline is built from, decided before any element
//! exists, and the session plans derived from it.

use std::time::Duration;

use crate::build::fec::{FecPlan, VIDEO_FEC_PT};
use crate::build::red::{AUDIO_RED_PT, RedPlan};
use crate::build::rtx::{
    AUDIO_REQUESTS, AUDIO_RTX_PT, RED_RTX_PT, RtxPlan, VIDEO_REQUESTS, VIDEO_RTX_PT,
};
use crate::build::session::{AacFormats, SessionPlan};
use crate::config::resilience::Resilience;
use crate::config::{AacPayload, Endpoints, Medium, PeerSecurity, RateControl, ResolvedMedia};
use crate::plan::media::*;
use crate::plan::rate::GccSettings;
use crate::plan::rate::video_rate_limits;

/// Everything a peer is built from, decided before any element exists.
#[derive(Debug, Clone)]
pub struct PeerPlan {
    /// Shown in front of reports when several peers share a process (the demo).
    pub label: Option<String>,
    pub endpoints: Endpoints,
    pub media: ResolvedMedia,
    pub video: VideoSettings,
    pub audio: AudioSettings,
    pub jitter_buffer: Duration,
    pub security: PeerSecurity,
    pub resilience: Resilience,
    /// What the peer's SDP says it sends, in place of our own formats.
    pub receive_caps: ReceiveCaps,
}

/// RTP caps of what the peer sends, from its SDP (`--peer-sdp`); `None` takes our own format
/// (and, for audio, either AAC format as the packets show).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ReceiveCaps {
    pub video: Option<String>,
    pub audio: Option<String>,
}

impl PeerPlan {
    /// Redundant audio, when on.
    pub fn red_plan(&self) -> Option<RedPlan> {
        self.resilience.audio_red.then(|| RedPlan {
            session: Medium::Audio.session_id(),
            pt: AUDIO_RED_PT,
            clock_rate: self.audio.rate,
            distance: 1,
        })
    }

    pub fn session(&self, medium: Medium) -> SessionPlan {
        let red = self.red_plan().filter(|_| medium == Medium::Audio);
        let (ports, rtp_caps, rtx) = match medium {
            Medium::Video => (
                self.endpoints.video,
                video_rtp_caps(&self.video),
                RtxPlan {
                    session: medium.session_id(),
                    pt: self.video.payload_type,
                    rtx_pt: VIDEO_RTX_PT,
                    clock_rate: VIDEO_CLOCK_RATE,
                    media: "video",
                    requests: VIDEO_REQUESTS,
                    also: None,
                },
            ),
            Medium::Audio => (
                self.endpoints.audio,
                audio_rtp_caps(&self.audio, self.audio.payload),
                RtxPlan {
                    session: medium.session_id(),
                    pt: self.audio.payload_type,
                    rtx_pt: AUDIO_RTX_PT,
                    clock_rate: self.audio.rate,
                    media: "audio",
                    requests: AUDIO_REQUESTS,
                    // While redundancy is on, RTX keeps and resends the RED packets.
                    also: red.map(|r| (r.pt, RED_RTX_PT)),
                },
            ),
        };
        let from_sdp = match medium {
            Medium::Video => self.receive_caps.video.clone(),
            Medium::Audio => self.receive_caps.audio.clone(),
        };
        SessionPlan {
            medium,
            local_ip: self.endpoints.local_ip,
            remote_ip: self.endpoints.remote_ip,
            ports,
            aac_formats: (medium == Medium::Audio && from_sdp.is_none()).then(|| AacFormats {
                generic: audio_rtp_caps(&self.audio, AacPayload::Generic),
                latm: audio_rtp_caps(&self.audio, AacPayload::Latm),
                socket: audio_socket_caps(&self.audio),
            }),
            rtp_caps: from_sdp.unwrap_or(rtp_caps),
            security: self.security.session(medium, &self.endpoints),
            rtx: self.resilience.rtx.then_some(rtx),
            red,
            // Video only: an audio packet is a whole frame, and its loss is concealed.
            fec: (medium == Medium::Video && self.resilience.fec_percent > 0).then(|| FecPlan {
                session: medium.session_id(),
                pt: VIDEO_FEC_PT,
                clock_rate: VIDEO_CLOCK_RATE,
                percent: self.resilience.fec_percent,
            }),
            // Transport-wide feedback and GCC's pacer on the video only: the audio's 64 kbit/s
            // is not worth adapting.
            gcc: (medium == Medium::Video && self.resilience.rate_control == RateControl::Gcc)
                .then(|| GccSettings::for_limits(video_rate_limits(&self.video))),
            rtcp_bytes_per_s: match medium {
                // rtpsession's unit; chosen by measurement: at 6000 regular reports were ~0.5 s
                // apart and NACK-driven early packets starved them; at 200 000 a NACK still
                // waited up to 20 ms (p90) for rtpsession's next early-feedback slot, and at
                // 5 % loss those waits made resends miss their deadline. Regular reports stay
                // at T_rr (250 ms): the RTCP actually sent is what feedback needs.
                Medium::Video | Medium::Audio => 1_000_000.0,
            },
        }
    }

    pub fn cname(&self) -> String {
        format!(
            "videocall-{}-{}@{}",
            std::process::id(),
            self.label.as_deref().unwrap_or("peer"),
            self.endpoints.local_ip
        )
    }
}
