//! The plan of one peer: everything its pipeline is built from, decided before any element
//! exists, and the session plans derived from it.

use std::time::Duration;

use super::fec::{FecPlan, VIDEO_FEC_PT};
use super::record::{Direction, RecordFiles, RecordingPlan, recordings, tap_after};
use super::red::{AUDIO_RED_PT, RedPlan};
use super::rtx::{AUDIO_REQUESTS, AUDIO_RTX_PT, RED_RTX_PT, RtxPlan, VIDEO_REQUESTS, VIDEO_RTX_PT};
use super::session::RtpBinSettings;
use super::session::{AacFormats, SessionPlan};
use super::{ElementSpec, names};
use crate::config::VideoSink;
use crate::config::resilience::Resilience;
use crate::config::{
    AacPayload, CallConfig, Endpoints, Medium, PeerSecurity, RateControl, ResolvedMedia,
    VideoDecoder,
};
use crate::plan::echo::{cancel_on_send, echo_cancellation, probe_before_sink};
use crate::plan::media::*;
use crate::plan::rate::GccSettings;
use crate::plan::rate::video_rate_limits;
use crate::plan::window::{WindowPlan, paused_picture_chain, self_view_chain, window_plan};
use crate::security::{CallPassword, SrtpSuite};

/// What the machine and the user supply beyond the configuration: the devices found, the
/// exchange's password (or the SDES keys), the formats the peer's SDP announces.
#[derive(Debug, Clone)]
pub struct Found {
    pub media: ResolvedMedia,
    pub security: PeerSecurity,
    pub receive_caps: ReceiveCaps,
}

/// The plan of a peer (`label` names it when a process runs several, as the demo does).
pub fn plan(label: Option<&str>, config: &CallConfig, found: Found) -> PeerPlan {
    let options = &config.options;
    let video = VideoSettings {
        decoder: options.video_decoder,
        ..VideoSettings::default()
    };
    let window = match found.media.video_sink {
        VideoSink::Window(sink) => Some(window_plan(sink, config.endpoints.remote_ip, &video)),
        VideoSink::Headless => None,
    };
    let echo_cancel = echo_cancellation(
        options.echo_cancel,
        &found.media.audio_source,
        found.media.audio_sink,
    );
    PeerPlan {
        label: label.map(String::from),
        endpoints: config.endpoints,
        media: found.media,
        video,
        audio: AudioSettings {
            payload: options.audio_payload,
            ..AudioSettings::default()
        },
        jitter_buffer: options.jitter_buffer,
        window,
        echo_cancel,
        security: found.security,
        resilience: options.resilience.clone(),
        receive_caps: found.receive_caps,
        record: options.record.for_peer(label),
    }
}

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
    /// The call window, when video shows in one.
    pub window: Option<WindowPlan>,
    /// Echo cancellation on the microphone (`plan::echo`).
    pub echo_cancel: bool,
    pub security: PeerSecurity,
    pub resilience: Resilience,
    /// What the peer's SDP says it sends, in place of our own formats.
    pub receive_caps: ReceiveCaps,
    /// The files this peer records to (`--record`, `--record-sent`).
    pub record: RecordFiles,
}

/// The key exchange as planned (`security::exchange`, `build::key_exchange`).
#[derive(Debug, Clone, PartialEq)]
pub struct ExchangePlan {
    pub suite: SrtpSuite,
    pub password: CallPassword,
    /// The session whose RTP socket carries the exchange.
    pub session: u32,
    /// Where the exchange's datagrams go: the peer's RTP reception port of that session.
    pub peer: std::net::SocketAddr,
    pub rekey_after_packets: u64,
    /// Lock each socket to the peer's (address, port) seen in authenticated traffic.
    pub lock_sources: bool,
}

/// RTP caps of what the peer sends, from its SDP (`--peer-sdp`); `None` takes our own format
/// (and, for audio, either AAC format as the packets show).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ReceiveCaps {
    pub video: Option<String>,
    pub audio: Option<String>,
}

/// How received video reaches its sink.
#[derive(Debug, Clone, PartialEq)]
pub enum VideoReceive {
    /// The depayloader, then the decoder the stream's profile asks for (one of `decoders`, put
    /// in by `build::decoder_switch`), then the render chain.
    ByProfile {
        depayloader: Vec<ElementSpec>,
        decoders: Vec<Vec<ElementSpec>>,
        render: Vec<ElementSpec>,
    },
    /// One chain from the depayloader to the sink.
    Fixed(Vec<ElementSpec>),
}

impl VideoReceive {
    fn specs(&self) -> Vec<&ElementSpec> {
        match self {
            VideoReceive::ByProfile {
                depayloader,
                decoders,
                render,
            } => depayloader
                .iter()
                .chain(decoders.iter().flatten())
                .chain(render)
                .collect(),
            VideoReceive::Fixed(chain) => chain.iter().collect(),
        }
    }
}

/// A peer's media chains, planned.
#[derive(Debug, Clone, PartialEq)]
pub struct MediaChains {
    /// Source to payloader.
    pub video_send: Vec<ElementSpec>,
    /// The "video paused" picture, into the send chain's selector.
    pub video_paused: Vec<ElementSpec>,
    /// From the send chain's tee to the window's overlay, when there is a window.
    pub self_view: Option<Vec<ElementSpec>>,
    pub audio_send: Vec<ElementSpec>,
    pub video_receive: VideoReceive,
    /// One depayloading chain per AAC format we take; each feeds `audio_receive`'s head.
    pub audio_depayloaders: Vec<Vec<ElementSpec>>,
    /// From the join of the depayloaders to the sink.
    pub audio_receive: Vec<ElementSpec>,
}

impl MediaChains {
    fn specs(&self) -> impl Iterator<Item = &ElementSpec> {
        self.video_send
            .iter()
            .chain(&self.video_paused)
            .chain(self.self_view.iter().flatten())
            .chain(&self.audio_send)
            .chain(self.video_receive.specs())
            .chain(self.audio_depayloaders.iter().flatten())
            .chain(&self.audio_receive)
    }
}

impl PeerPlan {
    /// The settings of the peer's one `rtpbin`.
    pub fn rtpbin(&self) -> RtpBinSettings {
        RtpBinSettings {
            latency: self.jitter_buffer,
            cname: self.cname(),
            retransmission: self.resilience.rtx,
            tool: if self.resilience.audio_red {
                super::red::TOOL
            } else {
                "videocall"
            },
        }
    }

    /// The media chains, with a tee wherever a recording taps them.
    pub fn chains(&self) -> MediaChains {
        let render = match &self.window {
            Some(window) => crate::plan::window::render_chain(window),
            None => video_render_chain(self.media.video_sink),
        };
        let taps: Vec<String> = self
            .recordings()
            .iter()
            .flat_map(|r| r.branches.iter().map(|(tee, _)| tee.clone()))
            .collect();
        let tee =
            |direction: Direction, medium: Medium| names::record_tee(direction.name(), medium);
        let mut video_send = video_send_chain(&self.video, &self.media.video_source);
        tap_after(
            &mut video_send,
            names::VIDEO_ENCODED_CAPS,
            &tee(Direction::Sent, Medium::Video),
            &taps,
        );
        let mut audio_send = audio_send_chain(&self.audio, self.media.audio_source.clone());
        let mut audio_receive = audio_recv_chain(self.media.audio_sink);
        if self.echo_cancel {
            audio_send = cancel_on_send(&self.audio, audio_send);
            audio_receive = probe_before_sink(&self.audio, audio_receive);
        }
        tap_after(
            &mut audio_send,
            names::AUDIO_ENCODER,
            &tee(Direction::Sent, Medium::Audio),
            &taps,
        );
        let mut video_receive = match self.video.decoder {
            VideoDecoder::Auto => VideoReceive::ByProfile {
                depayloader: video_depayloader(),
                decoders: [VideoDecoder::OpenH264, VideoDecoder::Libav]
                    .map(video_decode_chain)
                    .to_vec(),
                render,
            },
            _ => {
                let mut chain = video_depayloader();
                chain.extend(video_decode_chain(self.video.decoder));
                chain.extend(render);
                VideoReceive::Fixed(chain)
            }
        };
        let (VideoReceive::ByProfile {
            depayloader: depayloaded,
            ..
        }
        | VideoReceive::Fixed(depayloaded)) = &mut video_receive;
        // After the depayloader, before its caps filter: the recording's h264parse takes the
        // AVC access units the filter asks for.
        tap_after(
            depayloaded,
            names::VIDEO_DEPAYLOADER,
            &tee(Direction::Received, Medium::Video),
            &taps,
        );
        // After the join of both AAC depayloaders: the recording takes either format.
        tap_after(
            &mut audio_receive,
            names::AUDIO_DEPAY_JOIN,
            &tee(Direction::Received, Medium::Audio),
            &taps,
        );
        MediaChains {
            video_send,
            video_paused: paused_picture_chain(&self.video),
            self_view: self.window.as_ref().map(|w| self_view_chain(w.inset)),
            audio_send,
            video_receive,
            audio_depayloaders: audio_depayloaders(),
            audio_receive,
        }
    }

    /// The recordings this peer makes.
    pub fn recordings(&self) -> Vec<RecordingPlan> {
        recordings(&self.record)
    }

    /// Both sessions, video first.
    pub fn sessions(&self) -> [SessionPlan; 2] {
        [self.session(Medium::Video), self.session(Medium::Audio)]
    }

    /// Whether video waits for late repairs longer than it is shown (`build::repair_hold`):
    /// with retransmission and the adaptive latency only.
    pub fn repair_hold(&self) -> bool {
        self.resilience.rtx && self.resilience.adaptive_jitter_buffer && self.resilience.repair_hold
    }

    /// The key exchange of an encrypted call: on the video session's RTP ports. None with
    /// SDES keying (`--sdp-crypto`): the keys are in the plan from the start.
    pub fn exchange(&self) -> Option<ExchangePlan> {
        if self.security.sdes.is_some() {
            return None;
        }
        let (suite, password) = self.security.srtp.clone()?;
        Some(ExchangePlan {
            suite,
            password,
            session: Medium::Video.session_id(),
            peer: std::net::SocketAddr::new(
                self.endpoints.remote_ip,
                self.endpoints.video.dest_rtp,
            ),
            rekey_after_packets: self.security.rekey_after_packets,
            lock_sources: !self.security.accept_any_source,
        })
    }

    /// The rtpbin signal on which a new receiver gets a key frame at once. In an encrypted call
    /// only authenticated packets reach the session, so a new SSRC is a real sender. In a plain
    /// call anyone can make one up with a single packet: the key frame waits until rtpsession
    /// has validated the sender (packets in sequence).
    pub fn key_frame_signal(&self) -> &'static str {
        match self.security.srtp {
            Some(_) => "on-new-ssrc",
            None => "on-ssrc-validated",
        }
    }

    /// Every element factory this peer makes, sorted: checked before anything is built, so a
    /// missing plugin is one line naming them all.
    pub fn required_elements(&self) -> Vec<&'static str> {
        let mut factories: Vec<&'static str> = self.chains().specs().map(|s| s.factory).collect();
        factories.push("rtpbin");
        for recording in self.recordings() {
            factories.extend(recording.factories());
        }
        for session in self.sessions() {
            factories.extend(session.factories());
        }
        factories.sort_unstable();
        factories.dedup();
        factories
    }

    /// Redundant audio, when on.
    pub fn red_plan(&self) -> Option<RedPlan> {
        self.resilience.audio_red.then(|| RedPlan {
            session: Medium::Audio.session_id(),
            pt: AUDIO_RED_PT,
            clock_rate: self.audio.rate,
            distance: 1,
        })
    }

    fn session(&self, medium: Medium) -> SessionPlan {
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
            twcc: medium == Medium::Video && self.resilience.rate_control.uses_twcc(),
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

    fn cname(&self) -> String {
        format!(
            "videocall-{}-{}@{}",
            std::process::id(),
            self.label.as_deref().unwrap_or("peer"),
            self.endpoints.local_ip
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::cli::MediaArgs;
    use crate::config::{
        AudioSink, AudioSource, ProtectionChoice, VideoSink, VideoSource, loopback_pair,
    };

    fn config() -> CallConfig {
        CallConfig {
            endpoints: loopback_pair(30_000).0,
            options: MediaArgs::default().options().unwrap(),
            protection: ProtectionChoice {
                passphrase_file: None,
                insecure: true,
                suite: SrtpSuite::AesGcm128,
                accept_any_source: false,
                sdp_crypto: false,
                rekey_after_packets: 1 << 30,
            },
            sdp_out: None,
            peer_sdp: None,
            bench_probe: None,
        }
    }

    fn found(security: PeerSecurity) -> Found {
        Found {
            media: ResolvedMedia {
                video_source: VideoSource::TestPattern,
                audio_source: AudioSource::TestTone,
                video_sink: VideoSink::Headless,
                audio_sink: AudioSink::Headless,
            },
            security,
            receive_caps: ReceiveCaps::default(),
        }
    }

    fn has(plan: &PeerPlan, factory: &str) -> bool {
        plan.required_elements().contains(&factory)
    }

    #[test]
    fn recordings_tap_the_chains_after_depayloading_and_encoding_only_when_asked() {
        let names_of = |chain: &[ElementSpec]| -> Vec<String> {
            chain.iter().map(|s| s.name.clone()).collect()
        };
        let plain = plan(None, &config(), found(PeerSecurity::default()));
        assert!(plain.recordings().is_empty() && !has(&plain, "matroskamux"));
        let mut recorded = config();
        recorded.options.record = RecordFiles {
            received: Some("/tmp/in.mkv".into()),
            sent: Some("/tmp/out.mkv".into()),
        };
        let plan = plan(Some("A"), &recorded, found(PeerSecurity::default()));
        assert_eq!(plan.recordings().len(), 2);
        assert_eq!(
            plan.recordings()[0].path,
            std::path::Path::new("/tmp/in.A.mkv")
        );
        for factory in [
            "tee",
            "matroskamux",
            "filesink",
            "h264parse",
            "aacparse",
            "queue",
        ] {
            assert!(has(&plan, factory), "{factory}");
        }
        let chains = plan.chains();
        let VideoReceive::ByProfile { depayloader, .. } = &chains.video_receive else {
            panic!("auto decoder");
        };
        assert_eq!(
            names_of(depayloader),
            [
                "video-depay",
                "record-received-video-tee",
                "video-depay-caps"
            ]
        );
        assert_eq!(chains.audio_receive[1].name, "record-received-audio-tee");
        let send = names_of(&chains.video_send);
        let at = send
            .iter()
            .position(|n| n == "record-sent-video-tee")
            .unwrap();
        assert_eq!(send[at - 1], "video-enc-caps");
        assert_eq!(send[at + 1], "video-pay");
        let audio = names_of(&chains.audio_send);
        assert_eq!(
            &audio[audio.len() - 3..],
            ["audio-enc", "record-sent-audio-tee", "audio-pay"]
        );
        // Only the received side asked for: no tee in the send chains.
        recorded.options.record.sent = None;
        let received_only = super::plan(None, &recorded, found(PeerSecurity::default()));
        let chains = received_only.chains();
        let recording_tee = |s: &ElementSpec| s.factory == "tee" && s.name.starts_with("record-");
        assert!(!chains.video_send.iter().any(recording_tee));
        assert!(!chains.audio_send.iter().any(recording_tee));
    }

    #[test]
    fn the_default_call_needs_what_it_makes_and_nothing_else() {
        let plan = plan(None, &config(), found(PeerSecurity::default()));
        for factory in [
            "rtpbin",
            "videotestsrc",
            "x264enc",
            "rtph264pay",
            "rtph264depay",
            "openh264dec",
            "avdec_h264",
            "h264parse",
            "capssetter",
            "voaacenc",
            "rtpmp4gpay",
            "rtpmp4gdepay",
            "rtpmp4adepay",
            "faad",
            "rtprtxsend",
            "rtprtxreceive",
            "rtpredenc",
            "rtpreddec",
            "funnel",
            "udpsrc",
            "udpsink",
            "fakesink",
        ] {
            assert!(has(&plan, factory), "{factory}");
        }
        for factory in [
            "srtpenc",
            "rtpulpfecenc",
            "rtpgccbwe",
            "rtpmp4apay",
            "pulsesrc",
        ] {
            assert!(!has(&plan, factory), "{factory}");
        }
        assert!(matches!(
            plan.chains().video_receive,
            VideoReceive::ByProfile { .. }
        ));
        assert!(plan.repair_hold());
    }

    #[test]
    fn a_window_brings_the_overlay_and_self_view_and_a_microphone_with_a_speaker_the_canceller() {
        let headless = plan(None, &config(), found(PeerSecurity::default()));
        assert_eq!(headless.window, None);
        assert!(!headless.echo_cancel);
        assert!(headless.chains().self_view.is_none());
        // Pause and mute work headless too: the paused picture and the mute switch are planned.
        for factory in ["input-selector", "textoverlay", "volume"] {
            assert!(has(&headless, factory), "{factory}");
        }
        for factory in ["overlaycomposition", "webrtcdsp", "webrtcechoprobe"] {
            assert!(!has(&headless, factory), "{factory}");
        }
        let mut desktop = found(PeerSecurity::default());
        desktop.media.video_sink = VideoSink::Window(crate::config::WindowSink::XImage);
        desktop.media.audio_source = AudioSource::Microphone;
        desktop.media.audio_sink = AudioSink::Speaker;
        let config = config();
        let with_window = plan(None, &config, desktop.clone());
        let window = with_window.window.as_ref().expect("a window");
        assert_eq!(
            window.title,
            format!("videocall - {}", config.endpoints.remote_ip)
        );
        assert!(with_window.echo_cancel);
        for factory in [
            "overlaycomposition",
            "appsink",
            "taginject",
            "ximagesink",
            "webrtcdsp",
            "webrtcechoprobe",
        ] {
            assert!(has(&with_window, factory), "{factory}");
        }
        assert!(with_window.chains().self_view.is_some());
        let mut no_echo = config.clone();
        no_echo.options.echo_cancel = false;
        let plain = plan(None, &no_echo, desktop);
        assert!(!plain.echo_cancel && !has(&plain, "webrtcdsp"));
    }

    #[test]
    fn each_option_brings_its_elements() {
        let mut config = config();
        let r = &mut config.options.resilience;
        (r.fec_percent, r.rate_control, r.audio_red) = (20, RateControl::Gcc, false);
        config.options.audio_payload = AacPayload::Latm;
        config.options.video_decoder = VideoDecoder::Libav;
        let keys = CallPassword::from_passphrase("pw").unwrap();
        let security = PeerSecurity {
            srtp: Some((SrtpSuite::AesGcm128, keys)),
            ..Default::default()
        };
        let plan = plan(None, &config, found(security));
        for factory in [
            "srtpenc",
            "srtpdec",
            "rtpulpfecenc",
            "rtpulpfecdec",
            "rtpgccbwe",
            "rtpmp4apay",
            "avdec_h264",
        ] {
            assert!(has(&plan, factory), "{factory}");
        }
        for factory in ["openh264dec", "rtpredenc", "rtpmp4gpay"] {
            assert!(!has(&plan, factory), "{factory}");
        }
        let VideoReceive::Fixed(chain) = plan.chains().video_receive else {
            panic!("a fixed decoder is one chain")
        };
        assert!(chain.iter().any(|e| e.factory == "avdec_h264"));
    }

    #[test]
    fn protection_and_repair_go_to_the_medium_they_serve() {
        let mut config = config();
        config.options.resilience.fec_percent = 10;
        config.options.resilience.rate_control = RateControl::Gcc;
        let [video, audio] = plan(None, &config, found(PeerSecurity::default())).sessions();
        assert!(
            video.fec.is_some() && audio.fec.is_none(),
            "FEC on video only"
        );
        assert!(
            video.gcc.is_some() && audio.gcc.is_none(),
            "GCC on video only"
        );
        assert!(
            video.red.is_none() && audio.red.is_some(),
            "RED on audio only"
        );
        // While RED is on, RTX also keeps and resends the RED packets.
        assert_eq!(
            audio.rtx.and_then(|r| r.also),
            Some((AUDIO_RED_PT, RED_RTX_PT))
        );
        assert_eq!(video.security.only_from, Some(config.endpoints.remote_ip));
    }

    #[test]
    fn plain_calls_send_key_frames_to_validated_senders_only() {
        let plain = plan(None, &config(), found(PeerSecurity::default()));
        assert_eq!(plain.key_frame_signal(), "on-ssrc-validated");
        let keys = CallPassword::from_passphrase("pw").unwrap();
        let security = PeerSecurity {
            srtp: Some((SrtpSuite::AesGcm128, keys)),
            ..Default::default()
        };
        let encrypted = plan(None, &config(), found(security));
        assert_eq!(encrypted.key_frame_signal(), "on-new-ssrc");
        assert!(plain.exchange().is_none() && plain.sessions()[0].send_gates().is_none());
        let exchange = encrypted
            .exchange()
            .expect("an encrypted call exchanges keys");
        assert_eq!(exchange.session, Medium::Video.session_id());
        assert_eq!(exchange.peer.port(), config().endpoints.video.dest_rtp);
        assert!(exchange.lock_sources);
        for session in encrypted.sessions() {
            let gates = session.send_gates().expect("encrypted sessions are gated");
            assert!(gates.iter().all(|g| g.factory == "valve"));
        }
    }

    #[test]
    fn sdes_keying_runs_no_exchange_and_sends_at_once() {
        let suite = SrtpSuite::AesCm128HmacSha1_80;
        let peer_video = crate::security::SrtpKey::random(suite);
        let keys = crate::security::SdesKeys::fresh(suite, Some(peer_video.clone()), None);
        let security = PeerSecurity {
            srtp: Some((suite, CallPassword::from_passphrase("pw").unwrap())),
            sdes: Some(keys.clone()),
            ..Default::default()
        };
        let sdes = plan(None, &config(), found(security));
        assert!(sdes.exchange().is_none(), "no exchange with SDES keys");
        assert_eq!(sdes.key_frame_signal(), "on-new-ssrc");
        let [video, audio] = sdes.sessions();
        assert!(video.send_gates().is_none() && audio.send_gates().is_none());
        assert_eq!(video.security.srtp, Some(suite));
        assert_eq!(video.security.sdes.as_ref(), Some(&keys.video));
        assert_eq!(video.security.sdes.unwrap().recv, Some(peer_video));
        assert_eq!(audio.security.sdes, Some(keys.audio));
        assert!(has(&sdes, "srtpenc") && has(&sdes, "srtpdec"));
        assert!(!has(&sdes, "valve"), "nothing is gated");
    }

    #[test]
    fn the_repair_hold_needs_retransmission_and_the_adaptive_latency() {
        for (rtx, adaptive, hold, expected) in [
            (true, true, true, true),
            (false, true, true, false),
            (true, false, true, false),
            (true, true, false, false),
        ] {
            let mut config = config();
            let r = &mut config.options.resilience;
            (r.rtx, r.adaptive_jitter_buffer, r.repair_hold) = (rtx, adaptive, hold);
            let plan = plan(None, &config, found(PeerSecurity::default()));
            assert_eq!(plan.repair_hold(), expected, "{rtx} {adaptive} {hold}");
        }
    }
}
