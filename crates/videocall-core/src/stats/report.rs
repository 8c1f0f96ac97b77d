//! Views of a `Snapshot`: a compact text report for people and JSON lines for scripts.

use crate::security::exchange::ExchangeStatus;
use std::fmt::Write as _;

use serde::{Deserialize, Serialize};

use super::model::{Snapshot, StartupStats, StreamStats};

/// A bit rate in the unit that reads best.
pub fn format_bitrate(bps: f64) -> String {
    if bps >= 1_000_000.0 {
        format!("{:.2} Mbit/s", bps / 1_000_000.0)
    } else {
        format!("{:.1} kbit/s", bps / 1_000.0)
    }
}

/// A byte count in the unit that reads best.
pub fn format_bytes(octets: u64) -> String {
    let o = octets as f64;
    if o >= 1_000_000.0 {
        format!("{:.1} MB", o / 1_000_000.0)
    } else if o >= 1_000.0 {
        format!("{:.1} kB", o / 1_000.0)
    } else {
        format!("{octets} B")
    }
}

fn stream_line(name: &str, s: &StreamStats) -> String {
    let mut line = format!(
        "{name} {} avg ({} now) | {} pkts | {} | jitter {:.2} ms | pushed {} | lost {} | rtt {}",
        format_bitrate(s.avg_bitrate_bps),
        format_bitrate(s.bitrate_bps),
        s.packets_received,
        format_bytes(s.octets_received),
        s.jitter_ms,
        s.packets_pushed,
        s.packets_lost,
        s.rtt_ms.map_or("-".to_string(), |r| format!("{r:.1} ms")),
    );
    if let (Some(frames), Some(fps)) = (s.frames_rendered, s.fps) {
        let _ = write!(line, " | {frames} frames {fps:.1} fps");
    }
    let _ = write!(line, " | rejected {}", s.packets_rejected);
    if let (Some(requested), Some(repaired)) = (s.rtx_requested, s.rtx_repaired) {
        let _ = write!(line, " | rtx {repaired}/{requested}");
    }
    if let Some(recovered) = s.fec_recovered {
        let _ = write!(line, " | fec {recovered}");
    }
    if let Some(target) = s.send_target_kbps {
        let _ = write!(line, " | sending at {target} kbit/s");
    }
    line
}

/// The text report: one line per medium, prefixed with the peer's label when there is one.
pub fn text_report(label: Option<&str>, snap: &Snapshot) -> String {
    let prefix = match label {
        Some(l) => format!("[{l} {:>6.1}s]", snap.elapsed_s),
        None => format!("[{:>6.1}s]", snap.elapsed_s),
    };
    let keys = snap
        .key_exchange
        .as_ref()
        .map(|x| format!("{prefix} {}\n", key_exchange_line(x)))
        .unwrap_or_default();
    let startup = startup_line(&snap.startup)
        .map(|line| format!("\n{prefix} {line}"))
        .unwrap_or_default();
    format!(
        "{keys}{prefix} {}\n{prefix} {}{startup}",
        stream_line("video", &snap.video),
        stream_line("audio", &snap.audio)
    )
}

/// How the received video started, once its first frame is known: each step's time from the
/// start, the key frames, and the requests and decoder errors when there were any.
pub fn startup_line(s: &StartupStats) -> Option<String> {
    let first_frame = s.first_frame_ms?;
    let ms = |v: Option<f64>| v.map_or("-".to_string(), |v| format!("{v:.0} ms"));
    let mut line = format!(
        "start: packet {} | parameter sets {} | key frame {} | first frame {first_frame:.0} ms | {} key frames",
        ms(s.first_packet_ms),
        ms(s.parameter_sets_ms),
        ms(s.first_key_frame_ms),
        s.key_frames_received,
    );
    if s.key_frame_requests_sent + s.key_frame_requests_received > 0 {
        let _ = write!(
            line,
            " | key-frame requests {} sent, {} received",
            s.key_frame_requests_sent, s.key_frame_requests_received
        );
    }
    if s.decoder_errors > 0 {
        let _ = write!(line, " | decoder errors {}", s.decoder_errors);
    }
    Some(line)
}

/// The encrypted call's first line: whether keys are agreed, and the words to compare.
pub fn key_exchange_line(x: &ExchangeStatus) -> String {
    match (x.state.as_str(), &x.sas, x.epoch) {
        ("established", Some(sas), Some(epoch)) => format!(
            "keys: SRTP from the key exchange (epoch {epoch}) | words \"{sas}\": the peer must see the same"
        ),
        ("failed", ..) => format!(
            "keys: none, the key exchange failed {} time(s): the peer's passphrase (or --srtp-suite) differs",
            x.failed
        ),
        ("exchanging", ..) => "keys: exchanging with the peer".to_string(),
        _ => "keys: waiting for the peer's key exchange".to_string(),
    }
}

#[derive(Serialize)]
struct Labelled<'a> {
    #[serde(skip_serializing_if = "Option::is_none")]
    peer: Option<&'a str>,
    #[serde(flatten)]
    snapshot: &'a Snapshot,
}

/// A line [`json_line`] wrote, read back (by the bench): the snapshot and the peer's label.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ReportLine {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub peer: Option<String>,
    #[serde(flatten)]
    pub snapshot: Snapshot,
}

/// One JSON object (one line) per snapshot; `peer` is present only when labelled (the demo).
pub fn json_line(label: Option<&str>, snap: &Snapshot) -> String {
    serde_json::to_string(&Labelled {
        peer: label,
        snapshot: snap,
    })
    .expect("a snapshot always serializes")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn snap() -> Snapshot {
        Snapshot {
            elapsed_s: 4.0,
            key_exchange: None,
            startup: StartupStats::default(),
            video: StreamStats {
                avg_bitrate_bps: 2_010_000.0,
                bitrate_bps: 1_990_000.0,
                packets_received: 900,
                octets_received: 1_000_000,
                jitter_ms: 0.5,
                packets_pushed: 900,
                packets_lost: 0,
                rtt_ms: Some(0.25),
                packets_rejected: 3,
                frames_rendered: Some(100),
                fps: Some(25.0),
                ..Default::default()
            },
            audio: StreamStats {
                avg_bitrate_bps: 64_000.0,
                ..Default::default()
            },
            ..Default::default()
        }
    }

    #[test]
    fn text_shows_the_brief_figures() {
        let text = text_report(Some("A"), &snap());
        assert!(text.contains("video 2.01 Mbit/s avg (1.99 Mbit/s now) | 900 pkts | 1.0 MB | jitter 0.50 ms | pushed 900 | lost 0 | rtt 0.2 ms | 100 frames 25.0 fps"), "{text}");
        assert!(text.contains("audio 64.0 kbit/s avg"), "{text}");
        assert!(text.contains("25.0 fps | rejected 3\n"), "{text}");
        assert!(text.contains("rtt -"), "{text}");
        assert!(text.starts_with("[A    4.0s]"), "{text}");
    }

    #[test]
    fn the_start_line_comes_once_the_first_frame_is_known() {
        let mut s = snap();
        assert!(!text_report(None, &s).contains("start:"));
        s.startup = StartupStats {
            first_packet_ms: Some(41.4),
            parameter_sets_ms: Some(52.0),
            first_key_frame_ms: None,
            first_frame_ms: Some(98.6),
            key_frames_received: 4,
            ..Default::default()
        };
        let text = text_report(Some("B"), &s);
        assert!(
            text.ends_with("[B    4.0s] start: packet 41 ms | parameter sets 52 ms | key frame - | first frame 99 ms | 4 key frames"),
            "{text}"
        );
        s.startup.key_frame_requests_sent = 2;
        s.startup.decoder_errors = 3;
        let line = startup_line(&s.startup).unwrap();
        assert!(
            line.ends_with("| key-frame requests 2 sent, 0 received | decoder errors 3"),
            "{line}"
        );
    }

    #[test]
    fn json_has_the_documented_schema() {
        let v: serde_json::Value = serde_json::from_str(&json_line(None, &snap())).unwrap();
        assert_eq!(v["elapsed_s"], 4.0);
        for key in [
            "avg_bitrate_bps",
            "bitrate_bps",
            "packets_received",
            "octets_received",
            "jitter_ms",
            "packets_pushed",
            "packets_lost",
            "rtt_ms",
            "packets_rejected",
            "frames_rendered",
            "fps",
        ] {
            assert!(v["video"].get(key).is_some(), "video.{key}");
        }
        assert!(v["audio"]["rtt_ms"].is_null());
        for key in [
            "first_packet_ms",
            "parameter_sets_ms",
            "first_key_frame_ms",
            "first_frame_ms",
            "key_frames_received",
            "key_frame_requests_sent",
            "key_frame_requests_received",
            "decoder_errors",
        ] {
            assert!(v["startup"].get(key).is_some(), "startup.{key}");
        }
        assert!(v["audio"].get("fps").is_none());
        assert!(v.get("peer").is_none());
        let labelled: serde_json::Value =
            serde_json::from_str(&json_line(Some("B"), &snap())).unwrap();
        assert_eq!(labelled["peer"], "B");
    }

    #[test]
    fn a_json_line_reads_back_as_the_snapshot_it_was() {
        let mut full = snap();
        full.video.rtx_requested = Some(7);
        full.video.rtx_repaired = Some(6);
        full.video.send_target_kbps = Some(1800);
        full.audio.frames_played = Some(900);
        full.startup.first_frame_ms = Some(120.5);
        full.startup.key_frame_requests_received = 1;
        for label in [None, Some("A")] {
            let line = json_line(label, &full);
            let back: ReportLine = serde_json::from_str(&line).unwrap();
            assert_eq!(back.peer.as_deref(), label);
            assert_eq!(back.snapshot, full);
            assert_eq!(
                serde_json::to_string(&back).unwrap(),
                line,
                "the same shape"
            );
        }
    }
}
