//! Recording (`--record`, `--record-sent`): real demo calls on loopback write Matroska files,
//! read back with ffprobe and ffmpeg.

mod common;

use std::path::Path;
use std::process::{Command, Stdio};

use common::*;
use serde_json::Value;

/// What ffprobe reads back from one stream of a file (frames counted by decoding).
struct Stream {
    codec: String,
    width: u64,
    height: u64,
    frames: u64,
    /// Seconds between the first and the last packet.
    span: f64,
    /// Whether the first packet is a key frame.
    starts_with_key: bool,
}

fn ffprobe(args: &[&str], file: &Path) -> Value {
    let out = Command::new("ffprobe")
        .args(["-v", "error", "-of", "json"])
        .args(args)
        .arg(file)
        .output()
        .expect("ffprobe runs (scripts/setup.sh installs ffmpeg)");
    assert!(
        out.status.success(),
        "ffprobe {}: {}",
        file.display(),
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).expect("ffprobe writes JSON")
}

fn stream(file: &Path, index: &str) -> Stream {
    let info = ffprobe(
        &[
            "-count_frames",
            "-select_streams",
            index,
            "-show_entries",
            "stream=codec_name,width,height,nb_read_frames",
        ],
        file,
    );
    let s = &info["streams"][0];
    let packets = ffprobe(
        &[
            "-select_streams",
            index,
            "-show_entries",
            "packet=pts_time,flags",
        ],
        file,
    );
    let times: Vec<f64> = packets["packets"]
        .as_array()
        .expect("packets")
        .iter()
        .filter_map(|p| p["pts_time"].as_str()?.parse().ok())
        .collect();
    let first = times.iter().copied().fold(f64::MAX, f64::min);
    let last = times.iter().copied().fold(f64::MIN, f64::max);
    Stream {
        codec: s["codec_name"].as_str().unwrap_or_default().to_string(),
        width: s["width"].as_u64().unwrap_or(0),
        height: s["height"].as_u64().unwrap_or(0),
        frames: s["nb_read_frames"]
            .as_str()
            .and_then(|n| n.parse().ok())
            .unwrap_or(0),
        span: if times.is_empty() { 0.0 } else { last - first },
        starts_with_key: packets["packets"][0]["flags"]
            .as_str()
            .is_some_and(|f| f.starts_with('K')),
    }
}

/// The duration the muxer wrote at the end (absent in a file that was not finalised).
fn written_duration(file: &Path) -> Option<f64> {
    ffprobe(&["-show_entries", "format=duration"], file)["format"]["duration"]
        .as_str()?
        .parse()
        .ok()
}

/// Decodes the whole file; returns ffmpeg's error lines.
fn decode_errors(file: &Path, extra: &[&str]) -> String {
    let out = Command::new("ffmpeg")
        .args(["-v", "error", "-i"])
        .arg(file)
        .args(extra)
        .args(["-f", "null", "-"])
        .output()
        .expect("ffmpeg runs");
    assert!(out.status.success(), "ffmpeg failed on {}", file.display());
    String::from_utf8_lossy(&out.stderr).trim().to_string()
}

/// Checks a recording holds the call: H.264 640x480 with (nearly) every frame of its span,
/// AAC of about the same length, a written duration, and a clean decode.
fn assert_recording(file: &Path, rendered: Option<f64>) -> (u64, f64) {
    let video = stream(file, "v:0");
    let audio = stream(file, "a:0");
    let name = file.display();
    assert_eq!(video.codec, "h264", "{name}");
    assert_eq!((video.width, video.height), (640, 480), "{name}");
    assert_eq!(audio.codec, "aac", "{name}");
    assert!(
        video.starts_with_key,
        "{name}: the first frame is not a key frame"
    );
    // 25 frames/s from the first key frame on: every frame of the span is there.
    let expected = (video.span * 25.0).floor() + 1.0;
    assert!(
        video.frames as f64 >= 0.95 * expected,
        "{name}: {} frames over {:.2} s (expected {expected})",
        video.frames,
        video.span
    );
    if let Some(rendered) = rendered {
        assert!(
            video.frames as f64 >= 0.95 * rendered,
            "{name}: {} frames recorded, {rendered} rendered",
            video.frames
        );
    }
    // 1024 samples per AAC frame at 48 kHz.
    let audio_s = audio.frames as f64 * 1024.0 / 48_000.0;
    assert!(
        (audio_s - video.span).abs() < 1.0,
        "{name}: {audio_s:.2} s of audio, {:.2} s of video",
        video.span
    );
    let duration = written_duration(file).unwrap_or_else(|| panic!("{name}: no duration"));
    assert!((duration - video.span).abs() < 1.0, "{name}: {duration}");
    (video.frames, duration)
}

fn demo(dir: &tempfile::TempDir, seconds: Option<&str>) -> Command {
    let mut cmd = Command::new(bin());
    cmd.args([
        "demo",
        "--video-source",
        "test",
        "--audio-source",
        "test",
        "--video-sink",
        "none",
        "--audio-sink",
        "none",
        "--insecure",
        "--stats-interval",
        "1",
    ])
    .arg("--stats-json")
    .arg(path(dir, "stats.json"))
    .arg("--record")
    .arg(path(dir, "received.mkv"))
    .arg("--record-sent")
    .arg(path(dir, "sent.mkv"))
    .stdin(Stdio::null())
    .stdout(Stdio::piped())
    .stderr(Stdio::piped());
    if let Some(seconds) = seconds {
        cmd.args(["--duration", seconds]);
    }
    cmd
}

/// Frames A rendered by the end of the call, from its last report.
fn rendered_by(dir: &tempfile::TempDir, peer: &str) -> f64 {
    let snaps = snapshots(&path(dir, "stats.json"));
    let last = snaps
        .iter()
        .rev()
        .find(|s| s["peer"] == peer)
        .expect("a report of the peer");
    num(last, "video", "frames_rendered")
}

#[test]
fn a_call_records_both_directions_and_the_files_read_back() {
    let _lock = media_lock();
    let dir = tempdir();
    let out = demo(&dir, Some("10")).output().expect("demo runs");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{stderr}");
    assert!(stderr.contains("recorded what we received to"), "{stderr}");
    for peer in ["A", "B"] {
        let received = path(&dir, &format!("received.{peer}.mkv"));
        let rendered = rendered_by(&dir, peer);
        let (frames, duration) = assert_recording(&received, Some(rendered));
        eprintln!("{peer} received: {frames} frames in {duration:.2} s, {rendered} rendered");
        assert!(duration > 8.0, "{duration}");
        // Lip sync moves received video by up to 5 ms a frame (decision 17), so its frames are
        // not on an exact 40 ms grid and ffmpeg's default 1/25 s output clock can put two in one
        // tick (a muxer complaint, not a decoding error): every frame keeps its own timestamp.
        assert_eq!(
            decode_errors(
                &received,
                &["-fps_mode", "passthrough", "-enc_time_base:v", "-1"]
            ),
            "",
            "{}",
            received.display()
        );
        let sent = path(&dir, &format!("sent.{peer}.mkv"));
        let (frames, duration) = assert_recording(&sent, None);
        eprintln!("{peer} sent: {frames} frames in {duration:.2} s");
        assert_eq!(decode_errors(&sent, &[]), "", "{}", sent.display());
    }
}

#[test]
fn sigterm_ends_the_recording_with_its_duration_written() {
    let _lock = media_lock();
    let dir = tempdir();
    let child = demo(&dir, None).spawn().expect("demo starts");
    sleep(7.0);
    sigterm(&child);
    let out = finish(child, "demo");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("recorded what we sent to"), "{stderr}");
    let (_, duration) = assert_recording(&path(&dir, "received.A.mkv"), None);
    assert!(duration > 3.0, "{duration}");
}

#[test]
fn a_missing_directory_is_one_line_before_the_call() {
    let started = std::time::Instant::now();
    let out = Command::new(bin())
        .args([
            "demo",
            "--video-source",
            "test",
            "--audio-source",
            "test",
            "--video-sink",
            "none",
            "--audio-sink",
            "none",
            "--insecure",
            "--duration",
            "30",
            "--record",
            "/no/such/directory/call.mkv",
        ])
        .output()
        .expect("videocall runs");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    // The demo's banner, then the error as the one last line.
    let last = stderr.lines().last().unwrap_or_default();
    assert!(
        last.starts_with("videocall: --record: cannot write /no/such/directory/call.A.mkv"),
        "{stderr}"
    );
    assert_eq!(stderr.matches("--record").count(), 1, "{stderr}");
    assert!(started.elapsed().as_secs() < 20, "the call started");
}

#[test]
fn a_peer_that_sends_no_audio_is_recorded_whole() {
    let _lock = media_lock();
    let dir = tempdir();
    let base = free_base();
    let file = path(&dir, "video-only.mkv");
    let json = path(&dir, "stats.json");
    // A GStreamer sender of video only, to our video reception port (base + 2 for side A).
    let mut sender = Command::new("gst-launch-1.0")
        .args(["-q", "videotestsrc", "is-live=true", "!"])
        .arg("video/x-raw,width=640,height=480,framerate=25/1")
        .args(["!", "x264enc", "tune=zerolatency", "key-int-max=25", "!"])
        .args(["rtph264pay", "pt=96", "config-interval=1", "!", "udpsink"])
        .args(["host=127.0.0.1", &format!("port={}", base + 2)])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("gst-launch-1.0 runs (scripts/setup.sh installs gstreamer1.0-tools)");
    let record = file.display().to_string();
    let peer = spawn_side(base, false, &json, 10.0, None, &["--record", &record]);
    let out = finish(peer, "recording peer");
    let _ = sender.kill();
    let _ = sender.wait();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("no audio came in 3 s"), "{stderr}");
    let video = stream(&file, "v:0");
    let snaps = snapshots(&json);
    let rendered = num(snaps.last().unwrap(), "video", "frames_rendered");
    let expected = (video.span * 25.0).floor() + 1.0;
    eprintln!(
        "video only: {} frames over {:.2} s, {rendered} rendered",
        video.frames, video.span
    );
    assert!(video.starts_with_key);
    assert!(video.span > 8.0, "{:.2} s", video.span);
    assert!(video.frames as f64 >= 0.95 * expected, "{}", video.frames);
    assert!(video.frames as f64 >= 0.95 * rendered, "{}", video.frames);
    assert!(written_duration(&file).is_some());
}
