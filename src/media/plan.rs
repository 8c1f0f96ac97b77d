//! The media plan: the call's settings as plain values, and the element chains they imply,
//! computed before any element exists. `build` is the only code that turns these into elements.

use std::path::PathBuf;

/// What the user asked for as the video source.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum VideoSourceChoice {
    /// The camera when there is one, otherwise the test pattern.
    Auto,
    Camera,
    Test,
    Device(PathBuf),
}

/// What the user asked for as the audio source.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AudioSourceChoice {
    Auto,
    Mic,
    Test,
}

/// Where received video goes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum VideoSinkChoice {
    Auto,
    Window,
    None,
}

/// Where received audio goes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AudioSinkChoice {
    Auto,
    Speaker,
    None,
}

/// The video source after probing the machine.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum VideoSource {
    Camera(PathBuf),
    TestPattern,
}

/// The audio source after probing the machine.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AudioSource {
    Microphone,
    TestTone,
}

/// The video sink after probing the machine.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum VideoSink {
    Window,
    Headless,
}

/// The audio sink after probing the machine.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AudioSink {
    Speaker,
    Headless,
}

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
}

/// The H.264 decoders GStreamer 1.22 offers here, with their measured trade-off
/// (docs/benchmarks.md, docs/security.md).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum VideoDecoder {
    /// Cisco's OpenH264 (`openh264dec`): loads no FFmpeg, about 35 MB less per peer, but the
    /// 1.22 element grows by about 2 kB/s (reproduced with gst-launch alone).
    #[default]
    OpenH264,
    /// FFmpeg's decoder (`avdec_h264`): flat memory over long calls, about 35 MB more.
    Libav,
}

impl VideoDecoder {
    /// Every choice, for parsing.
    pub const ALL: [VideoDecoder; 2] = [VideoDecoder::OpenH264, VideoDecoder::Libav];

    /// The name a user gives (`--video-decoder`).
    pub fn name(self) -> &'static str {
        match self {
            VideoDecoder::OpenH264 => "openh264",
            VideoDecoder::Libav => "libav",
        }
    }

    /// The GStreamer factory of this decoder.
    pub fn factory(self) -> &'static str {
        match self {
            VideoDecoder::OpenH264 => "openh264dec",
            VideoDecoder::Libav => "avdec_h264",
        }
    }
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
        }
    }
}

/// The brief's audio: 48 kHz F32LE stereo in, AAC-LC at a constant 64 kbit/s.
#[derive(Debug, Clone, PartialEq)]
pub struct AudioSettings {
    pub rate: u32,
    pub channels: u32,
    pub bitrate_bps: u32,
    /// RTP payload type, AAC per RFC 3640 (mpeg4-generic, AAC-hbr).
    pub payload_type: u8,
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
            samples_per_buffer: 480,
        }
    }
}

/// RTP clock rate of H.264 video (RFC 6184 §8.2.1).
pub const VIDEO_CLOCK_RATE: u32 = 90_000;

/// One element to create: its factory, its name in the pipeline and its properties, each given
/// as the string GStreamer would parse (so enums and caps need no special casing).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ElementSpec {
    pub factory: &'static str,
    pub name: String,
    pub props: Vec<(&'static str, String)>,
}

impl ElementSpec {
    fn new(factory: &'static str, name: impl Into<String>) -> Self {
        ElementSpec {
            factory,
            name: name.into(),
            props: Vec::new(),
        }
    }

    fn prop(mut self, key: &'static str, value: impl ToString) -> Self {
        self.props.push((key, value.to_string()));
        self
    }

    /// The value planned for property `key`, if any.
    #[cfg(test)]
    pub fn get(&self, key: &str) -> Option<&str> {
        self.props
            .iter()
            .find(|(k, _)| *k == key)
            .map(|(_, v)| v.as_str())
    }
}

/// The H.264 encoder and its low-latency settings. One table, so tuning happens in one place.
pub fn video_encoder(video: &VideoSettings) -> ElementSpec {
    ElementSpec::new("x264enc", "video-enc")
        .prop("tune", "zerolatency")
        .prop("speed-preset", "ultrafast")
        .prop("bitrate", video.bitrate_kbps)
        .prop("key-int-max", video.keyframe_interval)
        // One second of VBV is what lets CBR hold the rate per frame without starving key frames.
        .prop("vbv-buf-capacity", 1000)
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
    ElementSpec::new("voaacenc", "audio-enc").prop("bitrate", audio.bitrate_bps)
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
            ElementSpec::new("v4l2src", "video-src").prop("device", device.display()),
            ElementSpec::new("videoconvert", "video-src-convert"),
            ElementSpec::new("videoscale", "video-src-scale"),
            ElementSpec::new("videorate", "video-src-rate"),
        ],
        VideoSource::TestPattern => vec![
            ElementSpec::new("videotestsrc", "video-src")
                .prop("is-live", true)
                .prop("pattern", "ball"),
        ],
    };
    chain.push(ElementSpec::new("capsfilter", "video-caps").prop("caps", raw_video_caps(video)));
    chain.push(video_encoder(video));
    chain.push(ElementSpec::new("capsfilter", "video-enc-caps").prop("caps", h264_caps()));
    chain.push(
        ElementSpec::new("rtph264pay", "video-pay")
            .prop("pt", video.payload_type)
            .prop("mtu", video.mtu)
            // SPS/PPS before every key frame: a peer that joins or restarts needs no out-of-band
            // parameter sets.
            .prop("config-interval", -1)
            .prop("aggregate-mode", "zero-latency"),
    );
    chain
}

/// Capture as the brief's F32LE stereo, encode AAC, packetize. Ends with the payloader.
pub fn audio_send_chain(audio: &AudioSettings, source: AudioSource) -> Vec<ElementSpec> {
    let mut chain = match source {
        AudioSource::Microphone => vec![
            ElementSpec::new("autoaudiosrc", "audio-src"),
            ElementSpec::new("audioconvert", "audio-src-convert"),
            ElementSpec::new("audioresample", "audio-src-resample"),
        ],
        AudioSource::TestTone => vec![
            ElementSpec::new("audiotestsrc", "audio-src")
                .prop("is-live", true)
                .prop("wave", "sine")
                .prop("freq", 440)
                .prop("volume", 0.2)
                .prop("samplesperbuffer", audio.samples_per_buffer),
        ],
    };
    chain.push(ElementSpec::new("capsfilter", "audio-caps").prop("caps", raw_audio_caps(audio)));
    chain.push(ElementSpec::new("audioconvert", "audio-enc-convert"));
    chain.push(audio_encoder(audio));
    chain.push(ElementSpec::new("rtpmp4gpay", "audio-pay").prop("pt", audio.payload_type));
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

/// Depacketize, decode, render. Starts with the depayloader, ends with the sink.
pub fn video_recv_chain(video: &VideoSettings, sink: VideoSink) -> Vec<ElementSpec> {
    let mut chain = vec![
        ElementSpec::new("rtph264depay", "video-depay")
            // Ask the sender for a key frame (PLI) instead of waiting for the next periodic one.
            .prop("request-keyframe", true)
            .prop("wait-for-keyframe", true),
        // RTP caps carry no SPS, so the depayloader's caps lack the profile openh264dec
        // insists on: state the one the plan sends.
        ElementSpec::new("capssetter", "video-profile").prop("caps", h264_caps()),
        // By default Cisco's OpenH264 rather than FFmpeg's avdec_h264: the same decoding at a
        // fraction of the memory (libav pulls in about 170 shared libraries; measured peak RSS
        // per peer 70 MB with it, 35 MB without, docs/benchmarks.md).
        ElementSpec::new(video.decoder.factory(), "video-dec")
            // Garbage on the wire must not stop the call: never turn decode errors into a flow error.
            .prop("max-errors", -1),
    ];
    match sink {
        VideoSink::Window => {
            chain.push(ElementSpec::new("videoconvert", "video-sink-convert"));
            chain.push(ElementSpec::new("autovideosink", "video-sink").prop("sync", true));
        }
        VideoSink::Headless => chain.push(
            ElementSpec::new("fakesink", "video-sink")
                .prop("sync", true)
                // Drop frames that come too late to show, as a display's sink does.
                .prop("max-lateness", VIDEO_MAX_LATENESS_NS)
                .prop("processing-deadline", HEADLESS_PROCESSING_DEADLINE_NS)
                .prop("enable-last-sample", false),
        ),
    }
    chain
}

/// Depacketize, decode, play. Starts with the depayloader, ends with the sink.
pub fn audio_recv_chain(sink: AudioSink) -> Vec<ElementSpec> {
    let mut chain = vec![
        ElementSpec::new("rtpmp4gdepay", "audio-depay"),
        ElementSpec::new("aacparse", "audio-parse"),
        ElementSpec::new("faad", "audio-dec").prop("max-errors", -1),
    ];
    match sink {
        AudioSink::Speaker => {
            chain.push(ElementSpec::new("audioconvert", "audio-sink-convert"));
            chain.push(ElementSpec::new("audioresample", "audio-sink-resample"));
            chain.push(ElementSpec::new("autoaudiosink", "audio-sink").prop("sync", true));
        }
        AudioSink::Headless => chain.push(
            ElementSpec::new("fakesink", "audio-sink")
                .prop("sync", true)
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

/// RTP caps of the audio we receive (RFC 3640 AAC-hbr). The AudioSpecificConfig is derived from
/// the plan both peers share, as an SDP offer would carry it.
pub fn audio_rtp_caps(audio: &AudioSettings) -> String {
    format!(
        "application/x-rtp,media=audio,clock-rate={rate},encoding-name=MPEG4-GENERIC,\
         encoding-params=(string){ch},payload={pt},streamtype=(string)5,profile-level-id=(string)1,\
         mode=(string)AAC-hbr,config=(string){cfg},sizelength=(string)13,indexlength=(string)3,\
         indexdeltalength=(string)3",
        rate = audio.rate,
        ch = audio.channels,
        pt = audio.payload_type,
        cfg = aac_audio_specific_config(audio.rate, audio.channels)
            .expect("the plan's sample rate is one AAC supports"),
    )
}

/// The AAC-LC AudioSpecificConfig (ISO 14496-3 §1.6.2.1) as hex: 5 bits object type (2 = LC),
/// 4 bits sampling-frequency index, 4 bits channel configuration, 3 bits zero.
pub fn aac_audio_specific_config(rate: u32, channels: u32) -> Option<String> {
    const RATES: [u32; 13] = [
        96000, 88200, 64000, 48000, 44100, 32000, 24000, 22050, 16000, 12000, 11025, 8000, 7350,
    ];
    let index = RATES.iter().position(|r| *r == rate)? as u16;
    if !(1..=7).contains(&channels) {
        return None;
    }
    let config: u16 = (2 << 11) | (index << 7) | ((channels as u16) << 3);
    Some(format!("{config:04x}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn aac_config_matches_the_encoders_for_48k_stereo() {
        // The encoders report codec_data 1190 for 48 kHz stereo LC.
        assert_eq!(aac_audio_specific_config(48000, 2).as_deref(), Some("1190"));
        assert_eq!(aac_audio_specific_config(44100, 1).as_deref(), Some("1208"));
        assert_eq!(aac_audio_specific_config(45000, 2), None);
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
        assert_eq!(audio_recv_chain(AudioSink::Speaker)[0].name, "audio-depay");
        assert_eq!(
            video_recv_chain(&VideoSettings::default(), VideoSink::Window)
                .last()
                .unwrap()
                .name,
            "video-sink"
        );
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
        assert_eq!(caps_of(&recv, "video-profile"), Some(h264_caps()));
        assert!(h264_caps().contains("constrained-baseline"));
    }

    #[test]
    fn receive_caps_carry_payload_and_config() {
        let caps = audio_rtp_caps(&AudioSettings::default());
        assert!(caps.contains("payload=97"));
        assert!(caps.contains("config=(string)1190"));
        assert!(video_rtp_caps(&VideoSettings::default()).contains("encoding-name=H264"));
    }

    #[test]
    fn video_receive_caps_declare_the_twcc_extension() {
        gst::init().unwrap();
        let caps: gst::Caps = video_rtp_caps(&VideoSettings::default()).parse().unwrap();
        let s = caps.structure(0).unwrap();
        let field = format!("extmap-{TWCC_EXTENSION_ID}");
        assert_eq!(s.get::<&str>(field.as_str()).unwrap(), TWCC_URI);
        assert_eq!(s.get::<i32>("payload").unwrap(), 96);
    }
}
