//! One medium's RTP session as planned: sockets, the caps of what arrives, protection, and the
//! extra elements rtpbin asks for (RTX, FEC, RED, GCC's pacer).

use std::net::IpAddr;
use std::time::Duration;

use super::fec::FecPlan;
use super::rate::GccSettings;
use super::red::RedPlan;
use super::rtx::RtxPlan;
use super::{ElementSpec, names};
use crate::config::{Medium, SessionSecurity, StreamPorts};

/// Settings of the whole `rtpbin`, shared by both sessions.
#[derive(Debug, Clone, PartialEq)]
pub struct RtpBinSettings {
    /// Jitter-buffer latency.
    pub latency: Duration,
    /// RTCP SDES CNAME: unique per peer, so a restarted peer is a new participant.
    pub cname: String,
    /// Ask for lost packets to be resent (RFC 4588 RTX, NACK-driven).
    pub retransmission: bool,
    /// RTCP SDES TOOL: our name, and what our receiver takes beyond the standard (`red::TOOL`).
    pub tool: &'static str,
}

/// One medium's transport: where to receive, where to send, and the caps of what arrives.
#[derive(Debug, Clone, PartialEq)]
pub struct SessionPlan {
    pub medium: Medium,
    pub local_ip: IpAddr,
    pub remote_ip: IpAddr,
    pub ports: StreamPorts,
    /// Caps of the RTP we receive (what an SDP answer would say).
    pub rtp_caps: String,
    /// Audio without an SDP: the caps of either AAC format, chosen by what the peer sends.
    pub aac_formats: Option<AacFormats>,
    /// SRTP (suite, SDES keys) and the peer-only filter (see `security`).
    pub security: SessionSecurity,
    /// Retransmission of lost packets (RFC 4588), both ways, when set.
    pub rtx: Option<RtxPlan>,
    /// Forward error correction (ULPFEC), both ways, when set.
    pub fec: Option<FecPlan>,
    /// Redundant audio (RED), both ways, when set.
    pub red: Option<RedPlan>,
    /// Google Congestion Control of what we send (`rtpgccbwe`), when set.
    pub gcc: Option<GccSettings>,
    /// Our packets carry transport-wide sequence numbers, so the peer reports each one's
    /// arrival (`build::congestion`): the input of the delay-based controller and of GCC.
    pub twcc: bool,
    /// RTCP budget (rtpsession's `rtcp-fraction` as an absolute value). Under AVPF there is no
    /// 5 s minimum, so this sets how soon NACKs, PLIs and receiver reports (the rate
    /// controller's input) reach the sender: at rtpbin's default a NACK waited up to 0.5 s.
    pub rtcp_bytes_per_s: f64,
}

impl SessionPlan {
    /// The UDP elements of this session, with their settings.
    pub fn udp_elements(&self) -> [ElementSpec; 4] {
        let id = self.medium.session_id();
        let local = self.local_ip.to_string();
        let remote = self.remote_ip.to_string();
        let udpsrc = |name: String, port: u16, caps: Option<&str>| {
            let mut props = vec![
                ("address", local.clone()),
                ("port", port.to_string()),
                // Never share our port with another process: a second binder would steal packets.
                ("reuse", "false".to_string()),
            ];
            if let Some(caps) = caps {
                props.push(("caps", caps.to_string()));
            }
            ElementSpec {
                factory: "udpsrc",
                name,
                props,
            }
        };
        let udpsink = |name: String, port: u16| ElementSpec {
            factory: "udpsink",
            name,
            props: vec![
                ("host", remote.clone()),
                ("port", port.to_string()),
                ("bind-address", local.clone()),
                // Send as soon as rtpbin hands a packet over; pacing is the encoder's business,
                // and RTCP must not wait for preroll.
                ("sync", "false".to_string()),
                ("async", "false".to_string()),
            ],
        };
        let socket_caps = self
            .aac_formats
            .as_ref()
            .map_or(&self.rtp_caps, |formats| &formats.socket);
        let (rtp_caps, rtcp_caps) = match &self.security.srtp {
            Some(_) => {
                let (rtp, rtcp) = encrypted_caps(socket_caps);
                (rtp, Some(rtcp))
            }
            None => (socket_caps.clone(), None),
        };
        [
            udpsrc(names::udpsrc_rtp(id), self.ports.recv_rtp, Some(&rtp_caps)),
            udpsrc(names::udpsrc_rtcp(id), self.ports.recv_rtcp(), rtcp_caps),
            udpsink(names::udpsink_rtp(id), self.ports.dest_rtp),
            udpsink(names::udpsink_rtcp(id), self.ports.dest_rtcp()),
        ]
    }
}

/// The receive caps of both AAC formats (`media::plan::audio_rtp_caps`).
#[derive(Debug, Clone, PartialEq)]
pub struct AacFormats {
    pub generic: String,
    pub latm: String,
    /// The socket's caps (`media::plan::audio_socket_caps`).
    pub socket: String,
}

/// Senders kept per session at once (`rtpbin`'s `max-streams`).
pub const MAX_STREAMS: u32 = 16;

/// How often full RTCP reports go out at most (RFC 4585 T_rr_interval).
pub const RTCP_REPORT_INTERVAL: Duration = Duration::from_millis(250);

impl SessionPlan {
    /// What goes between the payloader and rtpsession, in order: RED wrapping, FEC parity,
    /// then the RTX history (so resent packets carry the sequence numbers the receiver saw),
    /// then GCC's pacer right before rtpsession as webrtcbin places it (resends are paced too,
    /// and it gets rtpsession's transport-wide feedback events first).
    pub fn aux_sender(&self) -> Vec<ElementSpec> {
        let session = self.medium.session_id();
        [
            self.red.map(|red| red.encoder_spec()),
            self.fec.map(|fec| fec.encoder_spec()),
            self.rtx.map(|rtx| rtx.sender_spec()),
            self.gcc.map(|gcc| gcc.estimator_spec(session)),
        ]
        .into_iter()
        .flatten()
        .collect()
    }

    /// What goes between the socket and the jitter buffer: RTX restoration, then RED
    /// unwrapping.
    pub fn aux_receiver(&self) -> Vec<ElementSpec> {
        [
            self.rtx.map(|rtx| rtx.receiver_spec()),
            self.red.map(|red| red.decoder_spec()),
        ]
        .into_iter()
        .flatten()
        .collect()
    }

    /// Every element factory this session makes, for the start-up check.
    pub fn factories(&self) -> Vec<&'static str> {
        let mut factories: Vec<&'static str> = self
            .udp_elements()
            .iter()
            .chain(&self.aux_sender())
            .chain(&self.aux_receiver())
            .map(|spec| spec.factory)
            .collect();
        factories.push(crate::plan::names::factory::FUNNEL);
        if let Some(fec) = self.fec {
            factories.push(fec.decoder_spec().factory);
        }
        if self.security.srtp.is_some() {
            factories.extend(["srtpenc", "srtpdec"]);
        }
        if let Some(gates) = self.send_gates() {
            factories.extend(gates.map(|g| g.factory));
        }
        factories
    }

    /// An encrypted session's gates before its RTP and RTCP senders, closed until the key
    /// exchange gives keys (`build::key_exchange` opens them). None with SDES keys, which are
    /// there from the start.
    pub fn send_gates(&self) -> Option<[ElementSpec; 2]> {
        self.security.srtp?;
        if self.security.sdes.is_some() {
            return None;
        }
        let id = self.medium.session_id();
        let gate = |rtcp| ElementSpec {
            factory: "valve",
            name: names::send_gate(id, rtcp),
            props: vec![("drop", "true".to_string())],
        };
        Some([gate(false), gate(true)])
    }
}

/// The caps our receiving `udpsrc`s announce when the session is encrypted: `srtpdec` takes
/// `application/x-srtp`/`x-srtcp` and hands `application/x-rtp` on to the session.
pub fn encrypted_caps(rtp_caps: &str) -> (String, &'static str) {
    let rest = rtp_caps
        .strip_prefix("application/x-rtp")
        .unwrap_or(rtp_caps);
    (format!("application/x-srtp{rest}"), "application/x-srtcp")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::StreamPorts;
    use crate::plan::red::RedPlan;
    use crate::plan::rtx::{self, RtxPlan};

    fn names(specs: &[ElementSpec]) -> Vec<&str> {
        specs.iter().map(|s| s.name.as_str()).collect()
    }

    fn video_plan() -> SessionPlan {
        SessionPlan {
            medium: Medium::Video,
            local_ip: "127.0.0.1".parse().unwrap(),
            remote_ip: "127.0.0.2".parse().unwrap(),
            ports: StreamPorts {
                dest_rtp: 6000,
                recv_rtp: 7000,
            },
            rtp_caps: "application/x-rtp".into(),
            aac_formats: None,
            security: Default::default(),
            rtx: None,
            fec: None,
            red: None,
            gcc: None,
            twcc: false,
            rtcp_bytes_per_s: 1000.0,
        }
    }

    #[test]
    fn the_aux_sender_chains_rtx_before_gccs_pacer() {
        let rtx = RtxPlan::video_example();
        let gcc = GccSettings::for_limits(crate::plan::rate::RateLimits {
            min_kbps: 150,
            max_kbps: 2000,
        });
        let plan = SessionPlan {
            rtx: Some(rtx),
            gcc: Some(gcc),
            ..video_plan()
        };
        assert_eq!(names(&plan.aux_sender()), ["rtx-send-0", "gcc-bwe-0"]);
        assert_eq!(
            plan.aux_sender()[1].get("max-bitrate"),
            Some(gcc.max_bps.to_string().as_str())
        );
        // GCC alone; and the receiver never gets the pacer.
        let gcc_only = SessionPlan {
            gcc: Some(gcc),
            ..video_plan()
        };
        assert_eq!(gcc_only.aux_sender().len(), 1);
        assert!(gcc_only.aux_receiver().is_empty());
        assert!(video_plan().aux_sender().is_empty());
    }

    #[test]
    fn redundant_audio_is_wrapped_before_the_rtx_history_and_unwrapped_after_rtx() {
        let red = RedPlan {
            session: 1,
            pt: crate::plan::red::AUDIO_RED_PT,
            clock_rate: 48_000,
            distance: 1,
        };
        // RTX keeps and resends the RED packets: its media payload type is RED's.
        let rtx = RtxPlan {
            session: 1,
            pt: red.pt,
            rtx_pt: rtx::AUDIO_RTX_PT,
            clock_rate: 48_000,
            media: "audio",
            requests: rtx::AUDIO_REQUESTS,
            also: None,
        };
        let plan = SessionPlan {
            medium: Medium::Audio,
            rtx: Some(rtx),
            red: Some(red),
            ..video_plan()
        };
        assert_eq!(names(&plan.aux_sender()), ["red-enc-1", "rtx-send-1"]);
        assert_eq!(names(&plan.aux_receiver()), ["rtx-recv-1", "red-dec-1"]);
    }

    #[test]
    fn udp_plan_follows_the_port_convention() {
        let plan = SessionPlan {
            medium: Medium::Audio,
            ..video_plan()
        };
        let [rtp_in, rtcp_in, rtp_out, rtcp_out] = plan.udp_elements();
        assert_eq!(rtp_in.name, "udpsrc-rtp-1");
        assert_eq!(rtp_in.get("port"), Some("7000"));
        assert_eq!(rtcp_in.get("port"), Some("7001"));
        assert_eq!(rtp_out.get("port"), Some("6000"));
        assert_eq!(rtcp_out.get("port"), Some("6001"));
        assert_eq!(rtcp_out.get("host"), Some("127.0.0.2"));
        assert_eq!(rtp_in.get("reuse"), Some("false"));
    }
}
