//! The bench's two views of one result: a table for people and a JSON document whose shape
//! scripts can rely on (documented in docs/benchmarks.md).

use std::fmt::Write as _;

use serde::Serialize;

use super::BenchArgs;
use super::analyze::PeerResult;
use videocall_core::plan::media::{AudioSettings, VideoSettings};

/// Bumped when a field changes meaning or disappears.
pub const SCHEMA_VERSION: u32 = 1;

/// What was measured: the call's configuration.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Config {
    pub seconds: u32,
    pub jitter_buffer_ms: u64,
    pub video: String,
    pub audio: String,
    /// The arguments peer A ran `videocall` with (B's differ in ports and file names).
    pub call_args: Vec<String>,
    /// "SRTP <suite>" or "plain RTP".
    pub protection: String,
    pub transport: String,
    /// The relay's impairments per direction (`videocall relay` SPECs, as understood), or
    /// "none" for a direct call.
    pub network: String,
}

/// The whole bench result.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Document {
    pub schema_version: u32,
    pub config: Config,
    /// From the second peer's process start until it captured its first frame.
    pub second_peer_up_ms: Option<f64>,
    /// One entry per peer, as a receiver (latencies, first frame, bit rates) and as a process
    /// (CPU, memory).
    pub peers: [PeerResult; 2],
}

impl Document {
    pub fn new(
        args: &BenchArgs,
        forwarded: &[String],
        protection: &str,
        second_peer_up_ms: Option<f64>,
        peers: [PeerResult; 2],
    ) -> Document {
        let (v, a) = (VideoSettings::default(), AudioSettings::default());
        Document {
            schema_version: SCHEMA_VERSION,
            config: Config {
                seconds: args.seconds,
                jitter_buffer_ms: args.media.jitter_buffer_ms,
                video: format!(
                    "H.264 {}x{}@{} {} kbit/s, key frame every {} frames",
                    v.width, v.height, v.fps, v.bitrate_kbps, v.keyframe_interval
                ),
                audio: format!(
                    "AAC {} Hz {} ch {} kbit/s",
                    a.rate,
                    a.channels,
                    a.bitrate_bps / 1000
                ),
                call_args: forwarded.to_vec(),
                protection: protection.into(),
                transport: if args.network.any() {
                    "RTP/UDP over 127.0.0.1, two processes through a `videocall relay` process"
                        .into()
                } else {
                    "RTP/UDP over 127.0.0.1, two processes".into()
                },
                network: match args.network.directions() {
                    Ok((ab, ba)) if args.network.any() => {
                        format!("A to B: {}; B to A: {}", ab.describe(), ba.describe())
                    }
                    _ => "none".into(),
                },
            },
            second_peer_up_ms,
            peers,
        }
    }
}

fn num(v: Option<f64>) -> String {
    v.map_or("-".into(), |v| format!("{v:.0}"))
}

fn pct(v: Option<f64>) -> String {
    v.map_or("-".into(), |v| format!("{:.1}", v * 100.0))
}

fn kbps(list: &[f64]) -> String {
    if list.is_empty() {
        return "-".into();
    }
    list.iter()
        .map(|b| format!("{:.0}", b / 1000.0))
        .collect::<Vec<_>>()
        .join(" ")
}

/// One row of the table: its name, how to show one peer's value, and the target.
type Row = (
    &'static str,
    Box<dyn Fn(&PeerResult) -> String>,
    &'static str,
);

/// The human table: one row per figure, one column per receiving peer, and the target.
pub fn table(doc: &Document) -> String {
    let rows: Vec<Row> = vec![
        (
            "video latency p50/p95/max ms",
            Box::new(|p| {
                let l = &p.video_latency_ms;
                format!("{} / {} / {}", num(l.p50), num(l.p95), num(l.max))
            }),
            "<=50 / <=70",
        ),
        (
            "unreadable video stamps",
            Box::new(|p| {
                p.video_latency_ms
                    .unreadable_share
                    .map_or("-".into(), |s| format!("{:.1} %", s * 100.0))
            }),
            "",
        ),
        (
            "audio latency p50/p95 ms",
            Box::new(|p| {
                let l = &p.audio_latency_ms;
                format!("{} / {} ({} clicks)", num(l.p50), num(l.p95), l.clicks)
            }),
            "<=80",
        ),
        (
            "A/V offset ms (audio later +)",
            Box::new(|p| num(p.av_offset_ms)),
            "+-30",
        ),
        (
            "first frame / audio ms",
            Box::new(|p| format!("{} / {}", num(p.first_frame_ms), num(p.first_audio_ms))),
            "<=250 frame",
        ),
        (
            "CPU % of one core",
            Box::new(|p| format!("{:.1}", p.cpu_percent)),
            "<=12",
        ),
        (
            "peak RSS MiB",
            Box::new(|p| format!("{:.1}", p.peak_rss_mb)),
            "<=60",
        ),
        (
            "video kbit/s per 5 s window",
            Box::new(|p| kbps(&p.video_bitrate_bps)),
            "2000 +-10%",
        ),
        (
            "audio kbit/s per 5 s window",
            Box::new(|p| kbps(&p.audio_bitrate_bps)),
            "64 +-10%",
        ),
        (
            "frames sent -> rendered",
            Box::new(|p| format!("{} -> {}", p.frames_sent, p.frames_rendered)),
            "",
        ),
        (
            "frames rendered / intact %",
            Box::new(|p| {
                format!(
                    "{} / {}",
                    pct(p.frames_rendered_share),
                    pct(p.frames_intact_share)
                )
            }),
            ">=99 / >=98 (2% loss)",
        ),
        (
            "frozen / longest freeze ms",
            Box::new(|p| format!("{} / {}", num(p.frozen_ms), num(p.longest_freeze_ms))),
            "",
        ),
        (
            "longest audio gap ms",
            Box::new(|p| num(p.longest_audio_gap_ms)),
            "<=60",
        ),
    ];
    let mut out = String::new();
    let _ = writeln!(
        out,
        "videocall bench: {} s, jitter buffer {} ms, {}; {}; {}; second peer up after {} ms",
        doc.config.seconds,
        doc.config.jitter_buffer_ms,
        doc.config.video,
        doc.config.audio,
        doc.config.protection,
        num(doc.second_peer_up_ms)
    );
    if doc.config.network != "none" {
        let _ = writeln!(out, "network (relay): {}", doc.config.network);
    }
    let [a, b] = &doc.peers;
    let head_a = format!("{} (from {})", a.peer, a.receives_from);
    let head_b = format!("{} (from {})", b.peer, b.receives_from);
    let _ = writeln!(out, "{:<30} {:<24} {:<24} target", "", head_a, head_b);
    for (name, cell, target) in rows {
        let _ = writeln!(out, "{name:<30} {:<24} {:<24} {target}", cell(a), cell(b));
    }
    out.trim_end().to_string()
}
