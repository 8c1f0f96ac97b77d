//! The media plan: the call's settings as plain values, and the element chains they imply,
//! computed before any element exists. `build` is the only code that turns these into elements.

use super::{ElementSpec, names};
use crate::config::{AacPayload, AudioSink, AudioSource, VideoDecoder, VideoSink, VideoSource};

/// The brief's video: H.264 640x480 at 25 frames/s, 2 Mbit/s constant, a key frame each second.
#[derive(Debug, Clone, PartialEq)]
pub struct VideoSettings {
    pub width: u32,
    pub height: u32,
    pub fps: u32,
    pub bitrate_kbps: u32,
    /// Frames between key frames: one second's worth.
    pub keyframe_interval: u32,
    /// RTP payload type (dynamic range, RFC 3551 §6), H.264 per RFC 6184.
    pub payload_type: u8,
    /// Largest RTP packet, kept under common path MTUs (and room for SRTP/RTX overhead).
    pub mtu: u32,
    /// Which H.264 decoder receives.
    pub decoder: VideoDecoder,
    /// The encoder's VBV buffer in milliseconds of its rate: the largest burst a frame (or a
    /// rate change) may put on the path.
    pub vbv_ms: u32,
}

impl Default for VideoSettings {
    fn default() -> Self {
        VideoSettings {
            width: 640,
            height: 480,
            fps: 25,
            bitrate_kbps: 2000,
            keyframe_interval: 25,
            payload_type: 96,
            mtu: 1200,
            decoder: VideoDecoder::default(),
            vbv_ms: VBV_MS,
        }
    }
}

/// The brief's audio: 48 kHz F32LE stereo in, AAC-LC at a constant 64 kbit/s.
#[derive(Debug, Clone, PartialEq)]
pub struct AudioSettings {
    pub rate: u32,
    pub channels: u32,
    pub bitrate_bps: u32,
    /// RTP payload type of our AAC (either format).
    pub payload_type: u8,
    /// How we send AAC.
    pub payload: AacPayload,
    /// Samples per captured buffer: 10 ms keeps capture latency low.
    pub samples_per_buffer: u32,
}

impl Default for AudioSettings {
    fn default() -> Self {
        AudioSettings {
            rate: 48_000,
            channels: 2,
            bitrate_bps: 64_000,
            payload_type: 97,
            payload: AacPayload::Generic,
            samples_per_buffer: 480,
        }
    }
}

/// Three frames of VBV at 25 frames/s. CBR with filler keeps the buffer full, so each rate
/// decrease dumps the difference as filler at once: with a second of VBV, a cut from 2000 to
/// 600 kbit/s sent a 175 kB frame into a 1 Mbit/s bottleneck (1.4 s of it); with 120 ms the
/// burst is a few kB, and a key frame is at most 120 ms of the rate (a pacer at the source).
/// Measured in docs/decisions/0021-delay-based-rate-control.md.
pub const VBV_MS: u32 = 120;

/// RTP clock rate of H.264 video (RFC 6184 §8.2.1).
pub const VIDEO_CLOCK_RATE: u32 = 90_000;

/// The H.264 encoder and its low-latency settings. One table, so tuning happens in one place.
pub fn video_encoder(video: &VideoSettings) -> ElementSpec {
    ElementSpec::new("x264enc", names::VIDEO_ENCODER)
        .prop("tune", "zerolatency")
        .prop("speed-preset", "ultrafast")
        .prop("bitrate", video.bitrate_kbps)
        .prop("key-int-max", video.keyframe_interval)
        .prop("vbv-buf-capacity", video.vbv_ms)
        // CBR with filler data: the brief asks for 2 Mbit/s held constant, even when the
        // picture is easy to compress. Not NAL-HRD CBR: x264 refuses to change the VBV (so the
        // bit rate) of a running HRD stream, and rate adaptation needs exactly that.
        .prop("option-string", "filler=1")
        .prop("aud", false)
}

/// The AAC-LC encoder, held at the brief's 64 kbit/s. VisualOn's encoder rather than FFmpeg's
/// `avenc_aac`: it hands out each 1024-sample frame as soon as it is complete, where FFmpeg's
/// holds one frame back, which cut measured capture-to-playout audio latency by about 10 ms,
/// and the call then loads no FFmpeg at all (see `video_recv_chain`, docs/benchmarks.md).
pub fn audio_encoder(audio: &AudioSettings) -> ElementSpec {
    ElementSpec::new("voaacenc", names::AUDIO_ENCODER).prop("bitrate", audio.bitrate_bps)
}

/// The H.264 profile we send and expect, as an SDP `profile-level-id` would fix it. x264's
/// ultrafast preset only uses Constrained Baseline tools; saying so lets the decoder accept
/// the stream before it has parsed the first SPS.
pub const H264_PROFILE: &str = "constrained-baseline";

/// Caps that pin the encoder's output to [`H264_PROFILE`].
pub fn h264_caps() -> String {
    format!("video/x-h264,profile=(string){H264_PROFILE}")
}

/// Caps of the raw video we capture and encode.
pub fn raw_video_caps(video: &VideoSettings) -> String {
    format!(
        "video/x-raw,width={},height={},framerate={}/1",
        video.width, video.height, video.fps
    )
}

/// Caps of the raw audio we capture: the brief's F32LE, 48 kHz, stereo.
pub fn raw_audio_caps(audio: &AudioSettings) -> String {
    format!(
        "audio/x-raw,format=F32LE,layout=interleaved,rate={},channels={}",
        audio.rate, audio.channels
    )
}

/// Capture, scale to the plan's format, encode, packetize. Ends with the payloader.
pub fn video_send_chain(video: &VideoSettings, source: &VideoSource) -> Vec<ElementSpec> {
    let mut chain = match source {
        VideoSource::Camera(device) => vec![
            ElementSpec::new("v4l2src", names::VIDEO_SOURCE).prop("device", device.display()),
            ElementSpec::new("videoconvert", "video-src-convert"),
            ElementSpec::new("videoscale", "video-src-scale"),
            ElementSpec::new("videorate", "video-src-rate"),
        ],
        VideoSource::TestPattern => vec![
            ElementSpec::new("videotestsrc", names::VIDEO_SOURCE)
                .prop("is-live", true)
                .prop("pattern", "ball"),
        ],
    };
    chain.push(ElementSpec::new("capsfilter", "video-caps").prop("caps", raw_video_caps(video)));
    // `v` switches to the "video paused" picture (`plan::window::paused_picture_chain`, on
    // `sink_1`): the encoder keeps its rate and timing, and the peer sees a notice rather than
    // a frozen frame. Not synchronised: each live source runs on its own, and what is not
    // picked is dropped at once.
    chain.push(ElementSpec::new("input-selector", names::VIDEO_SELECT).prop("sync-streams", false));
    // What we send, also for the window's self-view (linked only when there is a window).
    chain.push(ElementSpec::new("tee", names::VIDEO_SEND_TEE).prop("allow-not-linked", true));
    chain.push(video_encoder(video));
    chain.push(ElementSpec::new("capsfilter", names::VIDEO_ENCODED_CAPS).prop("caps", h264_caps()));
    chain.push(
        ElementSpec::new("rtph264pay", names::VIDEO_PAYLOADER)
            .prop("pt", video.payload_type)
            .prop("mtu", video.mtu)
            // SPS/PPS with the key frame each second (and with every key frame asked for): a
            // peer that joins or restarts needs no out-of-band parameter sets. Not `-1`: that
            // repeats them before every IDR slice, and x264's sliced threads cut a frame in two
            // slices, so ffmpeg, ffplay and VLC split each key frame in two and concealed it.
            .prop("config-interval", 1)
            .prop("aggregate-mode", "zero-latency"),
    );
    chain
}

/// Capture as the brief's F32LE stereo, encode AAC, packetize. Ends with the payloader.
pub fn audio_send_chain(audio: &AudioSettings, source: AudioSource) -> Vec<ElementSpec> {
    let mut chain = match source {
        AudioSource::Microphone => vec![
            ElementSpec::new("pulsesrc", names::AUDIO_SOURCE),
            ElementSpec::new("audioconvert", "audio-src-convert"),
            ElementSpec::new("audioresample", "audio-src-resample"),
        ],
        AudioSource::Device(device) => vec![
            ElementSpec::new(device.factory(), names::AUDIO_SOURCE).prop("device", device.name()),
            ElementSpec::new("audioconvert", "audio-src-convert"),
            ElementSpec::new("audioresample", "audio-src-resample"),
        ],
        AudioSource::TestTone => vec![
            ElementSpec::new("audiotestsrc", names::AUDIO_SOURCE)
                .prop("is-live", true)
                .prop("wave", "sine")
                .prop("freq", 440)
                .prop("volume", 0.2)
                .prop("samplesperbuffer", audio.samples_per_buffer),
        ],
    };
    chain.push(ElementSpec::new("capsfilter", "audio-caps").prop("caps", raw_audio_caps(audio)));
    // `m` mutes here: the encoder gets silence with its timestamps, so the peer's audio clock
    // and lip sync hold, where sending nothing would leave a gap to conceal.
    chain.push(ElementSpec::new("volume", names::AUDIO_MUTE).prop("mute", false));
    chain.push(ElementSpec::new("audioconvert", "audio-enc-convert"));
    chain.push(audio_encoder(audio));
    chain.push(
        ElementSpec::new(audio.payload.payloader(), names::AUDIO_PAYLOADER)
            .prop("pt", audio.payload_type),
    );
    chain
}

/// Time a headless sink allows for rendering, added to the pipeline latency. GstBaseSink's
/// default (20 ms) is meant for real displays and sound cards; a sink that only counts needs
/// next to none, and every millisecond here is a millisecond of call latency
/// (docs/benchmarks.md).
pub const HEADLESS_PROCESSING_DEADLINE_NS: u64 = 2_000_000;

/// How late a headless video sink still renders a frame: GstVideoSink's default, which every
/// display sink has, so headless runs count what a window would show.
pub const VIDEO_MAX_LATENESS_NS: i64 = 20_000_000;

/// Depacketize, decode, render. Starts with the depayloader, ends with the sink. With
/// [`VideoDecoder::Auto`] the decoder is left out: it is chosen once the stream's profile is
/// known (`media::decoder_switch`), between [`video_depayloader`] and [`video_render_chain`].
///
/// Every sink is `async=false`: a sink that waits to preroll holds the whole pipeline in
/// PAUSED until every other sink has data too, so a peer that sends video but no audio we can
/// decode (a video-only sender, an audio format we do not take) would freeze our video after
/// its first frame.
pub fn video_recv_chain(video: &VideoSettings, sink: VideoSink) -> Vec<ElementSpec> {
    let mut chain = video_depayloader();
    chain.extend(video_decode_chain(video.decoder));
    chain.extend(video_render_chain(sink));
    chain
}

/// The H.264 depayloader, held to whole access units in AVC form: then its caps carry the
/// profile of the SPS it has seen (in byte-stream form they do not), which picks the decoder.
pub fn video_depayloader() -> Vec<ElementSpec> {
    vec![
        ElementSpec::new("rtph264depay", names::VIDEO_DEPAYLOADER)
            // Ask the sender for a key frame (PLI) instead of waiting for the next periodic one.
            .prop("request-keyframe", true)
            .prop("wait-for-keyframe", true),
        ElementSpec::new("capsfilter", "video-depay-caps")
            .prop("caps", "video/x-h264,stream-format=avc,alignment=au"),
    ]
}

/// The decoder's elements; none for [`VideoDecoder::Auto`] before it has chosen.
pub fn video_decode_chain(decoder: VideoDecoder) -> Vec<ElementSpec> {
    let Some(factory) = decoder.factory() else {
        return Vec::new();
    };
    let mut chain = Vec::new();
    if decoder == VideoDecoder::OpenH264 {
        // openh264dec takes byte-stream only.
        chain.push(ElementSpec::new("h264parse", "video-parse"));
        // It also insists on a profile it can decode: state it, so that a forced
        // `--video-decoder openh264` tries whatever comes.
        chain.push(ElementSpec::new("capssetter", "video-profile").prop("caps", h264_caps()));
    }
    chain.push(
        ElementSpec::new(factory, names::VIDEO_DECODER)
            // Garbage on the wire must not stop the call: never turn decode errors into a flow error.
            .prop("max-errors", -1),
    );
    chain
}

/// From decoded frames to the screen (or the counting sink).
pub fn video_render_chain(sink: VideoSink) -> Vec<ElementSpec> {
    let mut chain = Vec::new();
    match sink {
        VideoSink::Window(window) => {
            chain.push(ElementSpec::new("videoconvert", "video-sink-convert"));
            chain.push(
                ElementSpec::new(window.factory(), names::VIDEO_SINK)
                    .prop("sync", true)
                    .prop("async", false),
            );
        }
        VideoSink::Headless => chain.push(
            ElementSpec::new("fakesink", names::VIDEO_SINK)
                .prop("sync", true)
                .prop("async", false)
                // Drop frames that come too late to show, as a display's sink does.
                .prop("max-lateness", VIDEO_MAX_LATENESS_NS)
                .prop("processing-deadline", HEADLESS_PROCESSING_DEADLINE_NS)
                .prop("enable-last-sample", false),
        ),
    }
    chain
}

/// The AAC decoder.
pub fn audio_decode_chain() -> Vec<ElementSpec> {
    vec![ElementSpec::new("faad", "audio-dec").prop("max-errors", -1)]
}

/// The audio depayloading chains, one per AAC format, each fed by its own funnel
/// (`rtp::session`); their output meets in [`audio_recv_chain`]. Only RFC 3640 goes through
/// `aacparse`: after `rtpmp4adepay` it made `faad` fail on the first frame.
pub fn audio_depayloaders() -> Vec<Vec<ElementSpec>> {
    AacPayload::ALL
        .iter()
        .map(|p| {
            let mut chain = vec![ElementSpec::new(p.depayloader(), p.depayloader_name())];
            if *p == AacPayload::Generic {
                chain.push(ElementSpec::new("aacparse", "audio-parse"));
            }
            chain
        })
        .collect()
}

/// Joins the depayloaders' output, decodes, plays. Starts with the join, ends with the sink.
pub fn audio_recv_chain(sink: AudioSink) -> Vec<ElementSpec> {
    let mut chain = vec![ElementSpec::new("funnel", names::AUDIO_DEPAY_JOIN)];
    chain.extend(audio_decode_chain());
    match sink {
        AudioSink::Speaker => {
            chain.push(ElementSpec::new("audioconvert", "audio-sink-convert"));
            chain.push(ElementSpec::new("audioresample", "audio-sink-resample"));
            // The sound server's sink: the one the probe found working.
            chain.push(
                ElementSpec::new("pulsesink", names::AUDIO_SINK)
                    .prop("sync", true)
                    .prop("async", false),
            );
        }
        AudioSink::Headless => chain.push(
            ElementSpec::new("fakesink", names::AUDIO_SINK)
                .prop("sync", true)
                .prop("async", false)
                .prop("processing-deadline", HEADLESS_PROCESSING_DEADLINE_NS)
                .prop("enable-last-sample", false),
        ),
    }
    chain
}

/// RTP caps of the video we receive (RFC 6184, packetization-mode 1). `rtcp-fb-nack-pli` lets
/// the session turn the depayloader's key-frame requests into RTCP PLI.
pub fn video_rtp_caps(video: &VideoSettings) -> String {
    format!(
        "application/x-rtp,media=video,clock-rate={VIDEO_CLOCK_RATE},encoding-name=H264,\
         payload={},packetization-mode=(string)1,rtcp-fb-nack-pli=(boolean)true,\
         extmap-{TWCC_EXTENSION_ID}=(string)\"{TWCC_URI}\"",
        video.payload_type
    )
}

/// The transport-wide congestion control header extension (what an SDP `a=extmap` line would
/// say). Every receiver declares it, so its rtpsession reports arrival times to a sender that
/// runs GCC (`rtp::congestion`); a sender without GCC does not send it and nothing is reported.
pub const TWCC_URI: &str =
    "http://www.ietf.org/id/draft-holmer-rmcat-transport-wide-cc-extensions-01";
/// Its one-byte header extension id (RFC 8285).
pub const TWCC_EXTENSION_ID: u8 = 1;

/// RTP caps of the audio we receive in `format`. The AAC configuration is derived from the
/// plan both peers share, as an SDP offer would carry it.
pub fn audio_rtp_caps(audio: &AudioSettings, format: AacPayload) -> String {
    match format {
        AacPayload::Generic => generic_aac_rtp_caps(audio),
        AacPayload::Latm => format!(
            "application/x-rtp,media=audio,clock-rate={rate},encoding-name=MP4A-LATM,\
             encoding-params=(string){ch},payload={pt},cpresent=(string)0,config=(string){cfg}",
            rate = audio.rate,
            ch = audio.channels,
            pt = audio.payload_type,
            cfg = latm_stream_mux_config(audio.rate, audio.channels)
                .expect("the plan's sample rate is one AAC supports"),
        ),
    }
}

/// RTP caps of RFC 3640 AAC-hbr.
fn generic_aac_rtp_caps(audio: &AudioSettings) -> String {
    format!(
        "{},payload={}",
        generic_aac_caps_any_payload_type(audio),
        audio.payload_type
    )
}

/// The caps of our audio socket when the AAC format is told from the packets: RFC 3640 with no
/// payload type. rtpbin takes the socket's caps as the answer for the payload type they name
/// and never asks, so they name none; for a payload type nobody answers for, its payload
/// demuxer falls back on them, so they name a format whose depayloader (and guard) takes the
/// packets: caps without one failed the stream with not-negotiated.
pub fn audio_socket_caps(audio: &AudioSettings) -> String {
    generic_aac_caps_any_payload_type(audio)
}

fn generic_aac_caps_any_payload_type(audio: &AudioSettings) -> String {
    format!(
        "application/x-rtp,media=audio,clock-rate={rate},encoding-name=MPEG4-GENERIC,\
         encoding-params=(string){ch},streamtype=(string)5,profile-level-id=(string)1,\
         mode=(string)AAC-hbr,config=(string){cfg},sizelength=(string)13,indexlength=(string)3,\
         indexdeltalength=(string)3",
        rate = audio.rate,
        ch = audio.channels,
        cfg = aac_audio_specific_config(audio.rate, audio.channels)
            .expect("the plan's sample rate is one AAC supports"),
    )
}

/// The AAC-LC AudioSpecificConfig (ISO 14496-3 §1.6.2.1) as hex: 5 bits object type (2 = LC),
/// 4 bits sampling-frequency index, 4 bits channel configuration, 3 bits zero.
pub fn aac_audio_specific_config(rate: u32, channels: u32) -> Option<String> {
    let config = aac_lc_config_bits(rate, channels)?;
    Some(format!("{config:04x}"))
}

fn aac_lc_config_bits(rate: u32, channels: u32) -> Option<u16> {
    const RATES: [u32; 13] = [
        96000, 88200, 64000, 48000, 44100, 32000, 24000, 22050, 16000, 12000, 11025, 8000, 7350,
    ];
    let index = RATES.iter().position(|r| *r == rate)? as u16;
    if !(1..=7).contains(&channels) {
        return None;
    }
    Some((2 << 11) | (index << 7) | ((channels as u16) << 3))
}

/// The LATM StreamMuxConfig (ISO 14496-3 §1.7.3) of one AAC-LC program as hex, as
/// `rtpmp4apay` puts it in `config`: version 0, all streams same time framing, one subframe,
/// one program and layer, then the AudioSpecificConfig, padded to whole bytes.
pub fn latm_stream_mux_config(rate: u32, channels: u32) -> Option<String> {
    let asc = u32::from(aac_lc_config_bits(rate, channels)?);
    // 1 bit audioMuxVersion (0), 1 bit allStreamsSameTimeFraming (1), 6 bits numSubFrames
    // (0), 4 bits numProgram (0), 3 bits numLayer (0): 15 bits, then the 16-bit config.
    let bits: u32 = (1 << 30) | (asc << 1);
    Some(format!("{bits:08x}"))
}

#[cfg(test)]
mod tests {

    #[test]
    fn a_named_microphone_is_captured_by_its_systems_element() {
        let a = AudioSettings::default();
        let chain = audio_send_chain(&a, AudioSource::Device(AudioDevice::Alsa("hw:1".into())));
        assert_eq!(chain[0].factory, "alsasrc");
        assert!(
            chain[0]
                .props
                .iter()
                .any(|(k, v)| *k == "device" && v == "hw:1")
        );
        let chain = audio_send_chain(&a, AudioSource::Device(AudioDevice::Pulse("mic".into())));
        assert_eq!(chain[0].factory, "pulsesrc");
    }

    use super::*;
    use crate::config::*;

    #[test]
    fn aac_config_matches_the_encoders_for_48k_stereo() {
        // The encoders report codec_data 1190 for 48 kHz stereo LC.
        assert_eq!(aac_audio_specific_config(48000, 2).as_deref(), Some("1190"));
        assert_eq!(aac_audio_specific_config(44100, 1).as_deref(), Some("1208"));
        assert_eq!(aac_audio_specific_config(45000, 2), None);
        // What rtpmp4apay puts in its caps for voaacenc's 48 kHz stereo.
        assert_eq!(
            latm_stream_mux_config(48000, 2).as_deref(),
            Some("40002320")
        );
        assert_eq!(
            latm_stream_mux_config(44100, 2).as_deref(),
            Some("40002420")
        );
    }

    #[test]
    fn encoder_follows_the_brief() {
        let enc = video_encoder(&VideoSettings::default());
        assert_eq!(enc.get("bitrate"), Some("2000"));
        assert_eq!(enc.get("key-int-max"), Some("25"));
        assert_eq!(enc.get("tune"), Some("zerolatency"));
        assert_eq!(
            audio_encoder(&AudioSettings::default()).get("bitrate"),
            Some("64000")
        );
        assert!(raw_audio_caps(&AudioSettings::default()).contains("F32LE"));
        assert!(
            raw_video_caps(&VideoSettings::default())
                .contains("width=640,height=480,framerate=25/1")
        );
    }

    #[test]
    fn chains_end_at_payloader_and_start_at_depayloader() {
        let v = VideoSettings::default();
        let a = AudioSettings::default();
        for chain in [
            video_send_chain(&v, &VideoSource::TestPattern),
            video_send_chain(&v, &VideoSource::Camera("/dev/video0".into())),
        ] {
            assert_eq!(chain.last().unwrap().name, "video-pay");
        }
        assert_eq!(
            audio_send_chain(&a, AudioSource::TestTone)
                .last()
                .unwrap()
                .name,
            "audio-pay"
        );
        assert_eq!(
            video_recv_chain(&VideoSettings::default(), VideoSink::Headless)[0].name,
            "video-depay"
        );
        assert_eq!(audio_depayloaders()[0][0].name, "audio-depay");
        assert_eq!(audio_depayloaders()[1][0].factory, "rtpmp4adepay");
        assert_eq!(
            video_recv_chain(
                &VideoSettings::default(),
                VideoSink::Window(WindowSink::XImage)
            )
            .last()
            .unwrap()
            .name,
            "video-sink"
        );
    }

    #[test]
    fn the_decoder_follows_the_announced_profile() {
        assert_eq!(
            decoder_for_profile(Some("constrained-baseline")),
            VideoDecoder::OpenH264
        );
        for other in ["baseline", "main", "high", "high-4:4:4"] {
            assert_eq!(
                decoder_for_profile(Some(other)),
                VideoDecoder::Libav,
                "{other}"
            );
        }
        assert_eq!(decoder_for_profile(None), VideoDecoder::Libav);
        assert_eq!(video_decode_chain(VideoDecoder::Auto), []);
        assert_eq!(
            video_decode_chain(VideoDecoder::Libav)[0].factory,
            "avdec_h264"
        );
    }

    #[test]
    fn window_sinks_follow_the_display() {
        use crate::config::WindowSink::{self, *};
        assert_eq!(WindowSink::candidates(false, true), [XImage, Gl]);
        assert_eq!(WindowSink::candidates(true, false), [Wayland, Gl]);
        assert_eq!(WindowSink::candidates(true, true), [Wayland, XImage, Gl]);
        assert!(WindowSink::candidates(false, false).is_empty());
        let chain = video_recv_chain(&VideoSettings::default(), VideoSink::Window(XImage));
        assert_eq!(chain.last().unwrap().factory, "ximagesink");
        assert!(chain.iter().all(|e| e.factory != "autovideosink"));
    }

    #[test]
    fn sender_and_receiver_agree_on_the_h264_profile() {
        let send = video_send_chain(&VideoSettings::default(), &VideoSource::TestPattern);
        let recv = video_recv_chain(&VideoSettings::default(), VideoSink::Headless);
        let caps_of = |chain: &[ElementSpec], name: &str| {
            chain
                .iter()
                .find(|e| e.name == name)
                .and_then(|e| e.get("caps"))
                .map(String::from)
        };
        assert_eq!(caps_of(&send, "video-enc-caps"), Some(h264_caps()));
        let openh264 = VideoSettings {
            decoder: VideoDecoder::OpenH264,
            ..VideoSettings::default()
        };
        let recv_openh264 = video_recv_chain(&openh264, VideoSink::Headless);
        assert_eq!(caps_of(&recv_openh264, "video-profile"), Some(h264_caps()));
        // FFmpeg's decoder takes any profile: nothing pins it.
        let libav = video_decode_chain(VideoDecoder::Libav);
        assert_eq!(caps_of(&libav, "video-profile"), None);
        assert_eq!(caps_of(&recv, "video-profile"), None);
        assert!(
            recv.iter().all(|e| e.name != "video-dec"),
            "auto: chosen later"
        );
        assert!(h264_caps().contains("constrained-baseline"));
    }

    #[test]
    fn receive_caps_carry_payload_and_config() {
        let caps = audio_rtp_caps(&AudioSettings::default(), AacPayload::Generic);
        assert!(caps.contains("payload=97"));
        assert!(caps.contains("config=(string)1190"));
        let latm = audio_rtp_caps(&AudioSettings::default(), AacPayload::Latm);
        assert!(latm.contains("MP4A-LATM") && latm.contains("config=(string)40002320"));
        assert!(video_rtp_caps(&VideoSettings::default()).contains("encoding-name=H264"));
    }
}
