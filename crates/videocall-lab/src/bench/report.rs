//! The bench's two views of one result: a table for people and a JSON document whose shape
//! scripts can rely on (documented in docs/benchmarks.md).

use std::fmt::Write as _;

use serde::Serialize;

use super::BenchArgs;
use super::analyze::PeerResult;
use super::scorecard::ScenarioResult;
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

/// What a scorecard measured with.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ScorecardConfig {
    /// The arguments peer A of the first scenario ran `videocall` with.
    pub call_args: Vec<String>,
    /// `--congestion-control` or `--rate-control` as given, or "default".
    pub controller: String,
    /// `--short`: the CI timings.
    pub short: bool,
}

/// The whole scorecard (`kind` tells it from a bench document).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Scorecard {
    pub schema_version: u32,
    pub kind: &'static str,
    pub config: ScorecardConfig,
    pub scenarios: Vec<ScenarioResult>,
}

impl Scorecard {
    pub fn new(config: ScorecardConfig, scenarios: Vec<ScenarioResult>) -> Scorecard {
        Scorecard {
            schema_version: SCHEMA_VERSION,
            kind: "scorecard",
            config,
            scenarios,
        }
    }
}

fn opt(v: Option<f64>, digits: usize) -> String {
    v.map_or("-".into(), |v| format!("{v:.digits$}"))
}

/// A figure of a capped scenario that was never reached shows as "never".
fn capped(v: Option<f64>, cap: bool) -> String {
    match (v, cap) {
        (Some(v), _) => format!("{v:.1}"),
        (None, true) => "never".into(),
        (None, false) => "-".into(),
    }
}

/// The scorecard for people: two rows per scenario (one per receiving peer) and a line of
/// its targets, each against the worse direction.
pub fn scorecard_table(doc: &Scorecard) -> String {
    let mut out = String::new();
    let _ = writeln!(
        out,
        "videocall bench --scorecard: controller {}{}; times in s from the relay's start",
        doc.config.controller,
        if doc.config.short { ", short" } else { "" }
    );
    let head = [
        "scenario",
        "receiver",
        "link",
        "lat p50/p95",
        "p95-path",
        "freeze",
        "min",
        "rendered",
        "intact",
        "recovery",
        "settle",
        "loss",
        "send min",
        "video",
    ];
    let units = [
        "", "", "share", "ms", "ms", "ms", "fps", "%", "%", "s", "s", "%", "kbit/s", "kbit/s",
    ];
    let widths = [11, 9, 6, 12, 9, 7, 4, 9, 7, 9, 7, 6, 9, 7];
    let row = |cells: &[String]| {
        let mut line = String::new();
        for (cell, w) in cells.iter().zip(widths) {
            let _ = write!(line, "{cell:<w$} ");
        }
        line.trim_end().to_string()
    };
    let _ = writeln!(out, "{}", row(&head.map(String::from)));
    let _ = writeln!(out, "{}", row(&units.map(String::from)));
    for s in &doc.scenarios {
        let is_capped = s.cap.is_some();
        for (i, p) in s.peers.iter().enumerate() {
            let l = &p.video_latency_ms;
            let cells = [
                if i == 0 {
                    s.name.clone()
                } else {
                    String::new()
                },
                format!("{} from {}", p.peer, p.receives_from),
                opt(p.link_share, 2),
                format!("{}/{}", opt(l.p50, 0), opt(l.p95, 0)),
                opt(p.p95_over_path_ms, 0),
                opt(p.longest_freeze_ms, 0),
                p.min_fps.map_or("-".into(), |f| f.to_string()),
                opt(p.rendered_share.map(|v| v * 100.0), 1),
                opt(p.intact_share.map(|v| v * 100.0), 1),
                capped(p.recovery_s, is_capped),
                capped(p.settle_s, is_capped),
                opt(p.loss_after_adaptation.map(|v| v * 100.0), 1),
                p.send_kbps_min.map_or("-".into(), |k| k.to_string()),
                opt(p.video_kbps_mean, 0),
            ];
            let _ = writeln!(out, "{}", row(&cells));
        }
        let targets: Vec<String> = s
            .targets
            .iter()
            .map(|t| {
                let mark = if t.met { "✓" } else { "✗" };
                let (value, bound) = (t.figure.show(t.value), t.figure.show(Some(t.bound)));
                format!("{mark} {} {value} {} {bound}", t.name, t.op)
            })
            .collect();
        let _ = writeln!(
            out,
            "{:<11} targets ({}, {} s): {}",
            "",
            s.spec,
            s.seconds,
            targets.join(" | ")
        );
    }
    out.trim_end().to_string()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::bench::scorecard::{self, Figure, PeerFigures, Target};

    #[test]
    fn the_scorecard_table_marks_targets_and_says_never() {
        let peer = |name: &str, from: &str, recovery_s| PeerFigures {
            peer: name.into(),
            receives_from: from.into(),
            link_share: Some(0.85),
            recovery_s,
            ..PeerFigures::default()
        };
        let target = |figure: Figure, value, met| Target {
            figure,
            name: figure.name(),
            op: ">=",
            value,
            bound: 0.8,
            met,
        };
        let doc = Scorecard::new(
            ScorecardConfig {
                call_args: vec![],
                controller: "gcc".into(),
                short: true,
            },
            vec![ScenarioResult {
                name: "policed".into(),
                spec: "cap=1000@3+8".into(),
                seconds: 16,
                cap: scorecard::scenarios(true)[0].cap(),
                peers: [peer("A", "B", Some(2.5)), peer("B", "A", None)],
                targets: vec![
                    target(Figure::LinkShare, Some(0.85), true),
                    target(Figure::Recovery, None, false),
                ],
            }],
        );
        let table = scorecard_table(&doc);
        assert!(table.contains("controller gcc, short"), "{table}");
        let rows: Vec<&str> = table.lines().collect();
        assert!(rows[3].starts_with("policed     A from B  0.85"), "{table}");
        assert!(
            rows[3].contains("2.5") && rows[4].contains("never"),
            "{table}"
        );
        assert!(
            rows[5].contains("✓ link_share 0.85 >= 0.80 | ✗ recovery_s never >= 0.8 s"),
            "{table}"
        );
        let json = serde_json::to_value(&doc).unwrap();
        assert_eq!(json["kind"], "scorecard");
        assert_eq!(
            json["scenarios"][0]["cap"]["queue_ms"],
            serde_json::Value::Null
        );
        assert!(json["scenarios"][0]["targets"][0].get("figure").is_none());
    }
}
