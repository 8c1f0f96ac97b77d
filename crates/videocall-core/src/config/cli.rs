//! The command line. Doc comments here are the `--help` text.

use std::io::IsTerminal;
use std::path::PathBuf;
use std::str::FromStr;
use std::time::Duration;

use clap::Args;

use super::prompt::GivenAnswers;
use super::record::RecordFiles;
use super::{CallOptions, JsonTarget, ReportTarget};
use crate::config::{
    AacPayload, AudioSinkChoice, AudioSourceChoice, VideoDecoder, VideoSinkChoice,
    VideoSourceChoice,
};
use crate::error::AppError;

/// The jitter buffer's latency when the user sets none (docs/decisions/0011-jitter-buffer-floor-20-ms.md).
pub const DEFAULT_JITTER_BUFFER_MS: u64 = 20;

/// Where to send and receive: the six questions as flags.
#[derive(Debug, Default, Args)]
pub struct CallArgs {
    /// Port the peer receives our video RTP on (its RTCP: port + 1).
    #[arg(long, value_name = "PORT")]
    pub video_dest_port: Option<String>,
    /// Port we receive the peer's video RTP on (RTCP: port + 1).
    #[arg(long, value_name = "PORT")]
    pub video_recv_port: Option<String>,
    /// Port the peer receives our audio RTP on (its RTCP: port + 1).
    #[arg(long, value_name = "PORT")]
    pub audio_dest_port: Option<String>,
    /// Port we receive the peer's audio RTP on (RTCP: port + 1).
    #[arg(long, value_name = "PORT")]
    pub audio_recv_port: Option<String>,
    /// This machine's address, the one the peer sends to (IPv4 or IPv6).
    #[arg(long, value_name = "IP")]
    pub local_ip: Option<String>,
    /// The peer's address.
    #[arg(long, value_name = "IP")]
    pub remote_ip: Option<String>,
    /// Fail instead of asking when a value is missing.
    #[arg(long)]
    pub no_prompt: bool,
    /// Write an SDP of what we send to FILE once the call starts, for ffplay, ffmpeg or VLC
    /// on the peer's machine (`ffplay -protocol_whitelist file,udp,rtp -i FILE`).
    #[arg(long, value_name = "FILE")]
    pub sdp: Option<PathBuf>,
    /// Read the peer's SDP (e.g. from `ffmpeg -sdp_file`): our reception ports, our address
    /// and the formats the peer sends come from it.
    #[arg(long, value_name = "FILE")]
    pub peer_sdp: Option<PathBuf>,
    /// Bench meters: stamp sent media, read it at render time, log to FILE (used by `bench`).
    #[arg(long, value_name = "FILE", hide = true)]
    pub bench_probe: Option<PathBuf>,
    #[command(flatten)]
    pub file: FileArgs,
    #[command(flatten)]
    pub media: MediaArgs,
}

/// Saved values: the config file and its profiles (docs/decisions/0027-config-and-profiles.md).
#[derive(Debug, Default, Args)]
pub struct FileArgs {
    /// Read defaults and profiles from FILE [default: $XDG_CONFIG_HOME/videocall/config.toml,
    /// else ~/.config/videocall/config.toml].
    #[arg(long, value_name = "FILE")]
    pub config: Option<PathBuf>,
    /// Do not read the default config file.
    #[arg(long)]
    pub no_config: bool,
    /// Take the six values (and any media options) from [profiles.NAME] of the config file;
    /// flags given still win.
    #[arg(long, value_name = "NAME")]
    pub profile: Option<String>,
    /// Once the six values are known, save them as [profiles.NAME] in the config file.
    #[arg(long, value_name = "NAME")]
    pub save_profile: Option<String>,
    /// The config file's [call] values for the six questions: the prompts offer them.
    #[arg(skip)]
    pub prompt_defaults: GivenAnswers,
}

impl FileArgs {
    /// The file `--save-profile` writes: `--config FILE`, else the default file.
    pub fn save_path(&self) -> Result<Option<PathBuf>, AppError> {
        if self.save_profile.is_none() {
            return Ok(None);
        }
        match (&self.config, self.no_config) {
            (Some(path), _) => Ok(Some(path.clone())),
            (None, true) => Err(AppError::Input(
                "--save-profile with --no-config: give --config FILE to say where to save".into(),
            )),
            (None, false) => super::config_file::default_path().map(Some).ok_or_else(|| {
                AppError::Input(
                    "--save-profile: no config directory (HOME unset): give --config FILE".into(),
                )
            }),
        }
    }
}

impl CallArgs {
    /// The flag answers, in the order of the questions.
    pub fn given(&self) -> GivenAnswers {
        [
            self.video_dest_port.clone(),
            self.video_recv_port.clone(),
            self.audio_dest_port.clone(),
            self.audio_recv_port.clone(),
            self.local_ip.clone(),
            self.remote_ip.clone(),
        ]
    }
}

#[derive(Debug, Args)]
pub struct DemoArgs {
    #[command(flatten)]
    pub media: MediaArgs,
}

/// Media, timing and reporting options shared by every command that runs a call.
#[derive(Debug, Args)]
pub struct MediaArgs {
    /// Video to send: auto (camera if any, else test pattern), camera, test, or a device path.
    #[arg(long, default_value = "auto", value_parser = parse_video_source)]
    pub video_source: VideoSourceChoice,
    /// Audio to send: auto (microphone if any, else test tone), mic (the default input), test,
    /// or one device as `videocall devices` lists it: pulse:NAME or alsa:DEVICE.
    #[arg(long, default_value = "auto", value_parser = parse_audio_source)]
    pub audio_source: AudioSourceChoice,
    /// Where to show video: auto (a window if there is a display), window, none.
    #[arg(long, default_value = "auto", value_parser = parse_video_sink)]
    pub video_sink: VideoSinkChoice,
    /// Where to play audio: auto (the default output if any), speaker, none.
    #[arg(long, default_value = "auto", value_parser = parse_audio_sink)]
    pub audio_sink: AudioSinkChoice,
    /// Jitter-buffer latency in milliseconds.
    #[arg(long, value_name = "MS", default_value_t = DEFAULT_JITTER_BUFFER_MS)]
    pub jitter_buffer_ms: u64,
    /// H.264 decoder: auto (openh264 for Constrained Baseline, which we send, libav for every
    /// other profile), openh264 (Constrained Baseline only, 35 MB less; the GStreamer 1.22
    /// element grows about 2 kB/s) or libav (FFmpeg: every profile, flat memory).
    #[arg(long, default_value = "auto", value_parser = parse_video_decoder)]
    pub video_decoder: VideoDecoder,
    /// How our AAC goes on the wire: generic (RFC 3640 mpeg4-generic) or latm (RFC 6416
    /// MP4A-LATM, for receivers built on rtpmp4adepay or ffmpeg -latm). We receive both.
    #[arg(long, default_value = "generic", value_parser = parse_audio_payload)]
    pub audio_payload: AacPayload,
    /// Seconds between connection reports [default: 2, or 1 with the terminal dashboard].
    #[arg(long, value_name = "SECONDS", value_parser = parse_seconds)]
    pub stats_interval: Option<Duration>,
    /// Plain report lines even when standard output is a terminal (no dashboard).
    #[arg(long)]
    pub plain: bool,
    /// Also write one JSON object per report to FILE ('-' for standard output).
    #[arg(long, value_name = "FILE")]
    pub stats_json: Option<String>,
    /// When the call ends, write a report page to FILE (HTML, self-contained): a summary and
    /// charts of bit rate, loss, jitter, RTT and frame rate over the whole call. The file is
    /// created before the call starts.
    #[arg(long, value_name = "FILE")]
    pub report: Option<PathBuf>,
    /// End the call after this many seconds (default: until Ctrl-C or SIGTERM).
    #[arg(long, value_name = "SECONDS", value_parser = parse_seconds)]
    pub duration: Option<Duration>,
    /// Leave the microphone as it is: no echo cancellation or noise suppression (they are on
    /// when a microphone and a speaker are both in use).
    #[arg(long)]
    pub no_echo_cancel: bool,
    /// Write what each adaptation tick read from the pipeline to FILE, one JSON line per tick
    /// (`{"now": seconds, "sample": …}`), for replaying through the adapter; the demo writes
    /// FILE.A and FILE.B.
    #[arg(long, value_name = "FILE", hide = true)]
    pub record_samples: Option<PathBuf>,
    /// Record what we receive from the peer to FILE (Matroska: H.264 and AAC as they came,
    /// not re-encoded); the demo writes FILE's name with .A and .B before the extension.
    #[arg(long, value_name = "FILE.mkv")]
    pub record: Option<PathBuf>,
    /// Record what we send (our encoded camera and microphone) to FILE, as --record does.
    #[arg(long, value_name = "FILE.mkv")]
    pub record_sent: Option<PathBuf>,
    #[command(flatten)]
    pub security: super::security_args::SecurityArgs,
    #[command(flatten)]
    pub resilience: super::resilience::ResilienceArgs,
}

impl Default for MediaArgs {
    fn default() -> Self {
        MediaArgs {
            video_source: VideoSourceChoice::Auto,
            audio_source: AudioSourceChoice::Auto,
            video_sink: VideoSinkChoice::Auto,
            audio_sink: AudioSinkChoice::Auto,
            jitter_buffer_ms: DEFAULT_JITTER_BUFFER_MS,
            video_decoder: VideoDecoder::default(),
            audio_payload: AacPayload::default(),
            stats_interval: None,
            plain: false,
            stats_json: None,
            report: None,
            duration: None,
            record_samples: None,
            no_echo_cancel: false,
            record: None,
            record_sent: None,
            security: Default::default(),
            resilience: Default::default(),
        }
    }
}

impl MediaArgs {
    /// The validated call options.
    pub fn options(&self) -> Result<CallOptions, AppError> {
        if self.jitter_buffer_ms > 10_000 {
            return Err(AppError::Input(format!(
                "--jitter-buffer-ms: {} is more than 10 seconds",
                self.jitter_buffer_ms
            )));
        }
        let stats_json = self.stats_json.as_deref().map(|f| match f {
            "-" => JsonTarget::Stdout,
            path => JsonTarget::File(PathBuf::from(path)),
        });
        let dashboard = wants_dashboard(
            self.plain,
            stats_json == Some(JsonTarget::Stdout),
            std::io::stdout().is_terminal(),
        );
        let record = RecordFiles {
            received: self.record.clone(),
            sent: self.record_sent.clone(),
        };
        if record.received.is_some() && record.received == record.sent {
            return Err(AppError::Input(
                "--record and --record-sent name the same file".into(),
            ));
        }
        Ok(CallOptions {
            video_source: self.video_source.clone(),
            audio_source: self.audio_source.clone(),
            video_sink: self.video_sink,
            audio_sink: self.audio_sink,
            jitter_buffer: Duration::from_millis(self.jitter_buffer_ms),
            video_decoder: self.video_decoder,
            audio_payload: self.audio_payload,
            stats_interval: self
                .stats_interval
                .unwrap_or(default_stats_interval(dashboard)),
            dashboard,
            stats_json,
            report: self.report.clone().map(|path| ReportTarget {
                path,
                about: Vec::new(),
            }),
            duration: self.duration,
            record_samples: self.record_samples.clone(),
            echo_cancel: !self.no_echo_cancel,
            record,
            resilience: self.resilience.resilience(),
        })
    }
}

/// The live dashboard replaces the text lines when standard output is a terminal that JSON
/// does not take, unless `--plain` asks for lines.
pub fn wants_dashboard(plain: bool, json_to_stdout: bool, stdout_is_terminal: bool) -> bool {
    stdout_is_terminal && !plain && !json_to_stdout
}

/// Seconds between reports when `--stats-interval` is not given: lines every 2 s read well in
/// a scrolling log; the dashboard redraws in place, so 1 s shows changes as they happen.
pub fn default_stats_interval(dashboard: bool) -> Duration {
    Duration::from_secs(if dashboard { 1 } else { 2 })
}

fn parse_seconds(text: &str) -> Result<Duration, String> {
    let secs = f64::from_str(text).map_err(|_| format!("'{text}' is not a number of seconds"))?;
    if !(secs > 0.0 && secs <= 1e7) {
        return Err(format!("{text} must be more than 0 seconds"));
    }
    Ok(Duration::from_secs_f64(secs))
}

fn parse_video_source(text: &str) -> Result<VideoSourceChoice, String> {
    [
        VideoSourceChoice::Auto,
        VideoSourceChoice::Camera,
        VideoSourceChoice::Test,
    ]
    .into_iter()
    .find(|c| c.arg() == text)
    .or_else(|| {
        text.starts_with("/dev/")
            .then(|| VideoSourceChoice::Device(PathBuf::from(text)))
    })
    .ok_or_else(|| format!("'{text}': use auto, camera, test or /dev/videoN"))
}

fn parse_audio_source(text: &str) -> Result<AudioSourceChoice, String> {
    AudioSourceChoice::ALL
        .into_iter()
        .find(|c| c.arg() == text)
        .or_else(|| crate::config::AudioDevice::parse(text).map(AudioSourceChoice::Device))
        .ok_or_else(|| format!("'{text}': use auto, mic, test, pulse:NAME or alsa:DEVICE"))
}

fn parse_video_sink(text: &str) -> Result<VideoSinkChoice, String> {
    VideoSinkChoice::ALL
        .into_iter()
        .find(|c| c.name() == text)
        .ok_or_else(|| format!("'{text}': use auto, window or none"))
}

fn parse_audio_payload(text: &str) -> Result<AacPayload, String> {
    AacPayload::ALL
        .into_iter()
        .find(|p| p.name() == text)
        .ok_or_else(|| format!("'{text}': use generic or latm"))
}

fn parse_video_decoder(text: &str) -> Result<VideoDecoder, String> {
    VideoDecoder::ALL
        .into_iter()
        .find(|d| d.name() == text)
        .ok_or_else(|| format!("'{text}': use auto, openh264 or libav"))
}

fn parse_audio_sink(text: &str) -> Result<AudioSinkChoice, String> {
    AudioSinkChoice::ALL
        .into_iter()
        .find(|c| c.name() == text)
        .ok_or_else(|| format!("'{text}': use auto, speaker or none"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_dashboard_needs_a_terminal_of_its_own() {
        assert!(wants_dashboard(false, false, true));
        assert!(!wants_dashboard(true, false, true), "--plain");
        assert!(!wants_dashboard(false, true, true), "JSON on stdout");
        assert!(!wants_dashboard(false, false, false), "a pipe or a file");
        assert_eq!(default_stats_interval(true), Duration::from_secs(1));
        assert_eq!(default_stats_interval(false), Duration::from_secs(2));
    }
}
