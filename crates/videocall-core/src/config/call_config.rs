//! A call's whole configuration as one value, and the one way to hand it to a child process:
//! `CallConfig::to_args` gives the `videocall call` flags that parse back into the same value.

use std::path::PathBuf;

use super::cli::CallArgs;
use super::security_args::{DEFAULT_REKEY_AFTER_PACKETS, ProtectionChoice};
use super::{CallOptions, Endpoints, JsonTarget, Question};

/// Where a call sends and receives, and every choice about it, validated. The passphrase is not
/// in it (only where it comes from).
#[derive(Debug, Clone, PartialEq)]
pub struct CallConfig {
    pub endpoints: Endpoints,
    pub options: CallOptions,
    pub protection: ProtectionChoice,
    /// Where to write the SDP of what we send (`--sdp`).
    pub sdp_out: Option<PathBuf>,
    /// The peer's SDP (`--peer-sdp`).
    pub peer_sdp: Option<PathBuf>,
    /// The lab's latency probe log (hidden `--bench-probe`).
    pub bench_probe: Option<PathBuf>,
}

impl CallConfig {
    /// The configuration `args` give, with the `endpoints` their answers (or the prompts, or the
    /// peer's SDP) settled on and the `options` they validated to (`MediaArgs::options`).
    pub fn new(args: &CallArgs, endpoints: Endpoints, options: CallOptions) -> CallConfig {
        CallConfig {
            endpoints,
            options,
            protection: args.media.security.choice(),
            sdp_out: args.sdp.clone(),
            peer_sdp: args.peer_sdp.clone(),
            bench_probe: args.bench_probe.clone(),
        }
    }

    /// The arguments of `videocall` that run this call without asking anything:
    /// `call --no-prompt`, `--no-config` (the child runs this call, not the user's file's) and
    /// one flag per value.
    pub fn to_args(&self) -> Vec<String> {
        let mut args = Args(vec![
            "call".into(),
            "--no-prompt".into(),
            "--no-config".into(),
        ]);
        args.0.extend(self.endpoints.to_args());
        let o = &self.options;
        args.value("--video-source", o.video_source.arg());
        args.value("--audio-source", o.audio_source.arg());
        args.value("--video-sink", o.video_sink.name());
        args.value("--audio-sink", o.audio_sink.name());
        args.value("--jitter-buffer-ms", o.jitter_buffer.as_millis());
        args.value("--video-decoder", o.video_decoder.name());
        args.value("--audio-payload", o.audio_payload.name());
        args.value("--stats-interval", o.stats_interval.as_secs_f64());
        args.switch("--plain", !o.dashboard);
        if let Some(target) = &o.stats_json {
            args.value(
                "--stats-json",
                match target {
                    JsonTarget::Stdout => "-".into(),
                    JsonTarget::File(path) => path.display().to_string(),
                },
            );
        }
        if let Some(report) = &o.report {
            args.value("--report", report.path.display());
        }
        if let Some(duration) = o.duration {
            args.value("--duration", duration.as_secs_f64());
        }
        args.switch("--no-echo-cancel", !o.echo_cancel);
        let p = &self.protection;
        if let Some(file) = &p.passphrase_file {
            args.value("--passphrase-file", file.display());
        }
        args.switch("--insecure", p.insecure);
        args.value("--srtp-suite", p.suite.name());
        args.switch("--accept-any-source", p.accept_any_source);
        args.switch("--sdp-crypto", p.sdp_crypto);
        if p.rekey_after_packets != DEFAULT_REKEY_AFTER_PACKETS {
            args.value("--rekey-after-packets", p.rekey_after_packets);
        }
        let r = &o.resilience;
        args.switch("--no-rtx", !r.rtx);
        args.value("--fec-percent", r.fec_percent);
        args.switch("--no-audio-red", !r.audio_red);
        args.switch("--no-repair-hold", !r.repair_hold);
        args.switch("--fixed-jitter-buffer", !r.adaptive_jitter_buffer);
        args.value("--congestion-control", r.rate_control.name());
        if let Some(path) = &r.quality_log {
            args.value("--quality-log", path.display());
        }
        if let Some(path) = &o.record_samples {
            args.value("--record-samples", path.display());
        }
        for (flag, path) in [
            ("--record", &o.record.received),
            ("--record-sent", &o.record.sent),
        ] {
            if let Some(path) = path {
                args.value(flag, path.display());
            }
        }
        for (flag, path) in [
            ("--sdp", &self.sdp_out),
            ("--peer-sdp", &self.peer_sdp),
            ("--bench-probe", &self.bench_probe),
        ] {
            if let Some(path) = path {
                args.value(flag, path.display());
            }
        }
        args.0
    }
}

impl Endpoints {
    /// The six answers as `call` flags, in the order of the questions.
    pub fn to_args(&self) -> Vec<String> {
        let answers = [
            self.video.dest_rtp.to_string(),
            self.video.recv_rtp.to_string(),
            self.audio.dest_rtp.to_string(),
            self.audio.recv_rtp.to_string(),
            self.local_ip.to_string(),
            self.remote_ip.to_string(),
        ];
        let mut args = Args(Vec::new());
        for (question, answer) in Question::ALL.into_iter().zip(answers) {
            args.value(question.flag(), answer);
        }
        args.0
    }
}

/// An argument list being written.
struct Args(Vec<String>);

impl Args {
    fn value(&mut self, flag: &str, value: impl std::fmt::Display) {
        self.0.extend([flag.to_string(), value.to_string()]);
    }

    fn switch(&mut self, flag: &str, on: bool) {
        if on {
            self.0.push(flag.to_string());
        }
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use clap::Parser;

    use super::*;
    use crate::config::resilience::Resilience;
    use crate::config::{
        AacPayload, AudioSinkChoice, AudioSourceChoice, RateControl, ReportTarget, StreamPorts,
        VideoDecoder, VideoSinkChoice, VideoSourceChoice, prompt,
    };
    use crate::security::SrtpSuite;

    #[derive(Parser)]
    struct Call {
        #[command(flatten)]
        args: CallArgs,
    }

    fn parse(args: &[String]) -> CallConfig {
        assert_eq!(args[..2], ["call", "--no-prompt"]);
        let call = Call::try_parse_from(
            std::iter::once("videocall").chain(args[1..].iter().map(String::as_str)),
        )
        .unwrap_or_else(|e| panic!("{e}: {args:?}"));
        assert!(call.args.no_prompt);
        let endpoints = prompt::collect_endpoints(
            &call.args.given(),
            false,
            &mut std::io::empty(),
            &mut std::io::sink(),
            &|ip| ip.is_loopback(),
        )
        .unwrap();
        CallConfig::new(&call.args, endpoints, call.args.media.options().unwrap())
    }

    fn endpoints() -> Endpoints {
        Endpoints {
            local_ip: "127.0.0.1".parse().unwrap(),
            remote_ip: "127.0.0.2".parse().unwrap(),
            video: StreamPorts {
                dest_rtp: 5000,
                recv_rtp: 6000,
            },
            audio: StreamPorts {
                dest_rtp: 5002,
                recv_rtp: 6002,
            },
        }
    }

    #[test]
    fn the_defaults_go_through_the_flags_unchanged() {
        let call = Call::try_parse_from(["videocall"]).unwrap();
        let config = CallConfig::new(&call.args, endpoints(), call.args.media.options().unwrap());
        assert_eq!(parse(&config.to_args()), config);
    }

    #[test]
    fn every_value_goes_through_the_flags_unchanged() {
        let config = CallConfig {
            endpoints: endpoints(),
            options: CallOptions {
                video_source: VideoSourceChoice::Device("/dev/video3".into()),
                audio_source: AudioSourceChoice::Mic,
                video_sink: VideoSinkChoice::Window,
                audio_sink: AudioSinkChoice::None,
                jitter_buffer: Duration::from_millis(35),
                video_decoder: VideoDecoder::Libav,
                audio_payload: AacPayload::Latm,
                stats_interval: Duration::from_secs_f64(0.25),
                dashboard: false,
                stats_json: Some(JsonTarget::File("/tmp/a b.json".into())),
                report: Some(ReportTarget {
                    path: "/tmp/call report.html".into(),
                    about: Vec::new(),
                }),
                duration: Some(Duration::from_secs_f64(12.5)),
                record_samples: Some("/tmp/samples.jsonl".into()),
                echo_cancel: false,
                record: crate::config::record::RecordFiles {
                    received: Some("/tmp/in.mkv".into()),
                    sent: Some("/tmp/out.mkv".into()),
                },
                resilience: Resilience {
                    rtx: false,
                    rate_control: RateControl::Gcc,
                    fec_percent: 20,
                    adaptive_jitter_buffer: false,
                    audio_red: false,
                    repair_hold: false,
                    quality_log: Some("/tmp/q.log".into()),
                },
            },
            protection: ProtectionChoice {
                passphrase_file: Some("/tmp/pass".into()),
                insecure: false,
                suite: SrtpSuite::AesCm128HmacSha1_80,
                accept_any_source: true,
                sdp_crypto: true,
                rekey_after_packets: 500,
            },
            sdp_out: Some("/tmp/out.sdp".into()),
            peer_sdp: Some("/tmp/peer.sdp".into()),
            bench_probe: Some("/tmp/probe.log".into()),
        };
        assert_eq!(parse(&config.to_args()), config);
        let mut other = config.clone();
        other.options.video_source = VideoSourceChoice::Camera;
        other.options.stats_json = Some(JsonTarget::Stdout);
        other.protection.passphrase_file = None;
        other.protection.insecure = true;
        assert_eq!(parse(&other.to_args()), other);
    }
}
