//! The user's choices as values: the two media, what to capture and where to play, the codecs' wire
//! formats and how the video rate is controlled. Nothing here touches GStreamer.

use std::path::PathBuf;

/// The two media of a call; the session id is fixed per medium.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Medium {
    Video,
    Audio,
}

impl Medium {
    /// The rtpbin session id of this medium.
    pub fn session_id(self) -> u32 {
        match self {
            Medium::Video => 0,
            Medium::Audio => 1,
        }
    }

    pub fn name(self) -> &'static str {
        match self {
            Medium::Video => "video",
            Medium::Audio => "audio",
        }
    }
}

/// What the user asked for as the video source.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum VideoSourceChoice {
    /// The camera when there is one, otherwise the test pattern.
    Auto,
    Camera,
    Test,
    Device(PathBuf),
}

impl VideoSourceChoice {
    /// The value `--video-source` takes for this choice.
    pub fn arg(&self) -> String {
        match self {
            VideoSourceChoice::Auto => "auto".into(),
            VideoSourceChoice::Camera => "camera".into(),
            VideoSourceChoice::Test => "test".into(),
            VideoSourceChoice::Device(path) => path.display().to_string(),
        }
    }
}

/// One capture device of a sound system, as `videocall devices` lists it: the value
/// `--audio-source pulse:NAME` or `alsa:DEVICE` takes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AudioDevice {
    /// A PulseAudio (or PipeWire-Pulse) source by name.
    Pulse(String),
    /// An ALSA device string (`hw:1`, `plughw:CARD=Mic`).
    Alsa(String),
}

impl AudioDevice {
    /// `pulse:NAME` or `alsa:DEVICE`; anything else is not a device.
    pub fn parse(text: &str) -> Option<AudioDevice> {
        let (system, name) = text.split_once(':')?;
        if name.is_empty() {
            return None;
        }
        match system {
            "pulse" => Some(AudioDevice::Pulse(name.into())),
            "alsa" => Some(AudioDevice::Alsa(name.into())),
            _ => None,
        }
    }

    /// The value `--audio-source` takes for it.
    pub fn arg(&self) -> String {
        match self {
            AudioDevice::Pulse(name) => format!("pulse:{name}"),
            AudioDevice::Alsa(name) => format!("alsa:{name}"),
        }
    }

    /// The element that captures from it.
    pub fn factory(&self) -> &'static str {
        match self {
            AudioDevice::Pulse(_) => "pulsesrc",
            AudioDevice::Alsa(_) => "alsasrc",
        }
    }

    /// Its name, the element's `device` property.
    pub fn name(&self) -> &str {
        match self {
            AudioDevice::Pulse(name) | AudioDevice::Alsa(name) => name,
        }
    }
}

/// What the user asked for as the audio source.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AudioSourceChoice {
    Auto,
    Mic,
    Test,
    /// One named capture device.
    Device(AudioDevice),
}

impl AudioSourceChoice {
    /// The choices named by a word.
    pub const ALL: [AudioSourceChoice; 3] = [
        AudioSourceChoice::Auto,
        AudioSourceChoice::Mic,
        AudioSourceChoice::Test,
    ];

    /// The value `--audio-source` takes.
    pub fn arg(&self) -> String {
        match self {
            AudioSourceChoice::Auto => "auto".into(),
            AudioSourceChoice::Mic => "mic".into(),
            AudioSourceChoice::Test => "test".into(),
            AudioSourceChoice::Device(device) => device.arg(),
        }
    }
}

/// Where received video goes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum VideoSinkChoice {
    Auto,
    Window,
    None,
}

impl VideoSinkChoice {
    pub const ALL: [VideoSinkChoice; 3] = [
        VideoSinkChoice::Auto,
        VideoSinkChoice::Window,
        VideoSinkChoice::None,
    ];

    /// The value `--video-sink` takes.
    pub fn name(self) -> &'static str {
        match self {
            VideoSinkChoice::Auto => "auto",
            VideoSinkChoice::Window => "window",
            VideoSinkChoice::None => "none",
        }
    }
}

/// Where received audio goes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AudioSinkChoice {
    Auto,
    Speaker,
    None,
}

impl AudioSinkChoice {
    pub const ALL: [AudioSinkChoice; 3] = [
        AudioSinkChoice::Auto,
        AudioSinkChoice::Speaker,
        AudioSinkChoice::None,
    ];

    /// The value `--audio-sink` takes.
    pub fn name(self) -> &'static str {
        match self {
            AudioSinkChoice::Auto => "auto",
            AudioSinkChoice::Speaker => "speaker",
            AudioSinkChoice::None => "none",
        }
    }
}

/// The video source after probing the machine.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum VideoSource {
    Camera(PathBuf),
    TestPattern,
}

/// The audio source after probing the machine.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AudioSource {
    /// The sound server's default input.
    Microphone,
    TestTone,
    /// A capture device named with `--audio-source pulse:NAME|alsa:DEVICE`.
    Device(AudioDevice),
}

/// The video sink after probing the machine.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum VideoSink {
    Window(WindowSink),
    Headless,
}

/// A display sink, chosen for the display the machine has (never `autovideosink`, whose
/// pick among whatever sinks are installed crashed on a desktop without X11/GL sinks).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum WindowSink {
    /// X11 without GL: works on every X server, Xvfb included.
    XImage,
    /// Wayland's own sink.
    Wayland,
    /// OpenGL, on X11 (GLX) or Wayland (EGL).
    Gl,
}

impl WindowSink {
    /// The GStreamer factory of this sink.
    pub fn factory(self) -> &'static str {
        match self {
            WindowSink::XImage => "ximagesink",
            WindowSink::Wayland => "waylandsink",
            WindowSink::Gl => "glimagesink",
        }
    }

    /// The sinks worth trying for a display, best first: the display server's own sink, then
    /// GL. `wayland` and `x11` say which display variables are set.
    pub fn candidates(wayland: bool, x11: bool) -> Vec<WindowSink> {
        let mut sinks = Vec::new();
        if wayland {
            sinks.push(WindowSink::Wayland);
        }
        if x11 {
            sinks.push(WindowSink::XImage);
        }
        if wayland || x11 {
            sinks.push(WindowSink::Gl);
        }
        sinks
    }
}

/// The audio sink after probing the machine.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AudioSink {
    Speaker,
    Headless,
}

/// The H.264 decoders GStreamer 1.22 offers here, with their measured trade-off
/// (docs/interop.md, docs/security.md).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum VideoDecoder {
    /// Chosen by the profile the peer's parameter sets announce ([`decoder_for_profile`]):
    /// OpenH264 for Constrained Baseline (what videocall sends), FFmpeg's for the rest.
    #[default]
    Auto,
    /// Cisco's OpenH264 (`openh264dec`): loads no FFmpeg, about 35 MB less per peer and a
    /// faster first frame, but it decodes Constrained Baseline only, and the 1.22 element grows
    /// by about 2 kB/s.
    OpenH264,
    /// FFmpeg's decoder (`avdec_h264`): every profile (Baseline, Main, High), flat memory over
    /// long calls.
    Libav,
}

impl VideoDecoder {
    /// Every choice, for parsing.
    pub const ALL: [VideoDecoder; 3] = [
        VideoDecoder::Auto,
        VideoDecoder::OpenH264,
        VideoDecoder::Libav,
    ];

    /// The name a user gives (`--video-decoder`).
    pub fn name(self) -> &'static str {
        match self {
            VideoDecoder::Auto => "auto",
            VideoDecoder::OpenH264 => "openh264",
            VideoDecoder::Libav => "libav",
        }
    }

    /// The GStreamer factory of this decoder; `None` until `Auto` has chosen.
    pub fn factory(self) -> Option<&'static str> {
        match self {
            VideoDecoder::Auto => None,
            VideoDecoder::OpenH264 => Some("openh264dec"),
            VideoDecoder::Libav => Some("avdec_h264"),
        }
    }
}

/// The decoder for a stream whose SPS announces `profile` (the depayloader's caps): OpenH264
/// takes Constrained Baseline only; anything else, or a stream that does not say, goes to
/// FFmpeg's decoder, which takes every profile.
pub fn decoder_for_profile(profile: Option<&str>) -> VideoDecoder {
    match profile {
        Some("constrained-baseline") => VideoDecoder::OpenH264,
        _ => VideoDecoder::Libav,
    }
}

/// How AAC travels in RTP. Both are standard and both are received; they differ in who can
/// play them: ffmpeg and GStreamer's `rtpmp4gdepay` take RFC 3640, receivers built on
/// `rtpmp4apay`/`rtpmp4adepay` (and ffmpeg's `-latm`) take RFC 6416.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum AacPayload {
    /// RFC 3640 `mpeg4-generic`, AAC-hbr: 16-bit AU headers (13-bit size, 3-bit index).
    #[default]
    Generic,
    /// RFC 6416 `MP4A-LATM` with the configuration out of band (`cpresent=0`).
    Latm,
}

impl AacPayload {
    /// Every format, for parsing.
    pub const ALL: [AacPayload; 2] = [AacPayload::Generic, AacPayload::Latm];

    /// The name a user gives (`--audio-payload`).
    pub fn name(self) -> &'static str {
        match self {
            AacPayload::Generic => "generic",
            AacPayload::Latm => "latm",
        }
    }

    /// Its payloader.
    pub fn payloader(self) -> &'static str {
        match self {
            AacPayload::Generic => "rtpmp4gpay",
            AacPayload::Latm => "rtpmp4apay",
        }
    }

    /// Its depayloader.
    pub fn depayloader(self) -> &'static str {
        match self {
            AacPayload::Generic => "rtpmp4gdepay",
            AacPayload::Latm => "rtpmp4adepay",
        }
    }

    /// The name of its depayloader in the pipeline.
    pub fn depayloader_name(self) -> &'static str {
        match self {
            AacPayload::Generic => "audio-depay",
            AacPayload::Latm => "audio-depay-latm",
        }
    }

    /// The one line that tells the user which format the peer sends.
    pub fn describe(self) -> &'static str {
        match self {
            AacPayload::Generic => "AAC as RFC 3640 mpeg4-generic",
            AacPayload::Latm => "AAC as RFC 6416 MP4A-LATM",
        }
    }
}

/// Which controller sets the video bit rate.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, clap::ValueEnum)]
pub enum RateControl {
    /// Our delay-based controller over transport-wide feedback (`adapt::delay`), the default:
    /// it sees the bottleneck's queue grow before the queue overflows, and falls back to
    /// `Loss` when the peer sends no such feedback (an older videocall, ffmpeg, a stock
    /// GStreamer receiver). The congestion scorecard behind the choice is in
    /// docs/decisions/0021-delay-based-rate-control.md.
    #[default]
    Delay,
    /// Google Congestion Control (`rtpgccbwe`) over transport-wide congestion control feedback.
    /// On a capped link it gets under the cap and back to full rate sooner than `Loss`, but on
    /// random loss it collapses the rate (2 Mbit/s → ~200 kbit/s in 40 s at 5 % loss), its
    /// pacer delays retransmissions (fewer frames rendered at 2 % and 5 % loss) and costs 1–2
    /// points of CPU (docs/decisions/0013-loss-based-rate-control.md).
    Gcc,
    /// Our loss-based controller over RTCP receiver reports (`adapt::rate`): it waits for a
    /// bottleneck's queue to overflow.
    Loss,
    /// A fixed bit rate.
    Off,
}

impl RateControl {
    /// Whether our packets carry transport-wide sequence numbers for the peer's feedback.
    pub fn uses_twcc(self) -> bool {
        matches!(self, RateControl::Delay | RateControl::Gcc)
    }

    /// The name `--congestion-control` takes.
    pub fn name(self) -> &'static str {
        match self {
            RateControl::Delay => "delay",
            RateControl::Gcc => "gcc",
            RateControl::Loss => "loss",
            RateControl::Off => "off",
        }
    }
}

/// The sources and sinks a call will use, after probing.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ResolvedMedia {
    pub video_source: VideoSource,
    pub audio_source: AudioSource,
    pub video_sink: VideoSink,
    pub audio_sink: AudioSink,
}

impl ResolvedMedia {
    /// One line that says what the call captures and where it plays.
    pub fn describe(&self) -> String {
        let vs = match &self.video_source {
            VideoSource::Camera(d) => format!("camera {}", d.display()),
            VideoSource::TestPattern => "test pattern".into(),
        };
        let aus = match &self.audio_source {
            AudioSource::Microphone => "microphone".to_string(),
            AudioSource::TestTone => "test tone".to_string(),
            AudioSource::Device(device) => format!("microphone {}", device.arg()),
        };
        let vk = match self.video_sink {
            VideoSink::Window(sink) => sink.factory(),
            VideoSink::Headless => "no window (headless)",
        };
        let ak = match self.audio_sink {
            AudioSink::Speaker => "speaker",
            AudioSink::Headless => "no speaker (headless)",
        };
        format!("sending {vs} + {aus}; showing on {vk}, playing on {ak}")
    }
}
