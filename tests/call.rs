//! Real two-peer calls between `videocall` processes on 127.0.0.1, headless with test sources.

mod common;

use std::process::{Command, Stdio};

use common::*;
use serde_json::Value;

/// Average bit rate of `medium` between the snapshots at `from` and the last one.
fn bitrate_after(snaps: &[Value], medium: &str, from: f64) -> f64 {
    let start = at(snaps, from);
    let end = snaps.last().unwrap();
    let octets = num(end, medium, "octets_received") - num(start, medium, "octets_received");
    octets * 8.0 / (end["elapsed_s"].as_f64().unwrap() - start["elapsed_s"].as_f64().unwrap())
}

/// Checks one side's figures against the brief, after a 3 s start-up.
fn assert_call_meets_brief(snaps: &[Value], side: &str) {
    let last = snaps.last().unwrap();
    for medium in ["video", "audio"] {
        let received = num(last, medium, "packets_received");
        let pushed = num(last, medium, "packets_pushed");
        assert!(received > 0.0, "{side}: no {medium} received: {last}");
        assert!(
            (pushed - received).abs() <= received * 0.02,
            "{side}: {medium} pushed {pushed} vs received {received}"
        );
    }
    // One AAC frame a packet: what arrived was decoded and played.
    let played = num(last, "audio", "frames_played");
    let pushed = num(last, "audio", "packets_pushed");
    assert!(
        played >= 0.95 * pushed - 5.0,
        "{side}: {played} audio frames played of {pushed} packets"
    );
    let video = bitrate_after(snaps, "video", 3.0);
    assert!(
        (video - 2_000_000.0).abs() <= 300_000.0,
        "{side}: video bitrate {video} not within 2 Mbit/s ± 15%"
    );
    let audio = bitrate_after(snaps, "audio", 3.0);
    assert!(
        (audio - 64_000.0).abs() <= 9_600.0,
        "{side}: audio bitrate {audio} not within 64 kbit/s ± 15%"
    );
    let start = at(snaps, 3.0);
    let frames = num(last, "video", "frames_rendered") - num(start, "video", "frames_rendered");
    let secs = last["elapsed_s"].as_f64().unwrap() - start["elapsed_s"].as_f64().unwrap();
    assert!(
        frames / secs >= 0.9 * 25.0,
        "{side}: {frames} frames in {secs:.1} s is under 90% of 25/s"
    );
    assert!(
        last["video"]["rtt_ms"].as_f64().is_some(),
        "{side}: no RTT from RTCP: {last}"
    );
    assert!(last["video"]["jitter_ms"].as_f64().unwrap() >= 0.0);
}

#[test]
fn two_peers_exchange_video_and_audio_at_the_briefs_rates() {
    let _guard = media_lock();
    let dir = tempdir();
    let base = free_base();
    let (ja, jb) = (path(&dir, "a.json"), path(&dir, "b.json"));
    let a = spawn_peer(base, false, &ja, 9.0);
    let b = spawn_peer(base, true, &jb, 9.0);
    let out_a = finish(a, "A");
    finish(b, "B");
    assert_call_meets_brief(&snapshots(&ja), "A");
    assert_call_meets_brief(&snapshots(&jb), "B");
    let text = String::from_utf8_lossy(&out_a.stdout);
    assert!(
        text.contains("video ") && text.contains("audio ") && text.contains("fps"),
        "{text}"
    );
}

#[test]
fn answers_piped_to_the_prompts_start_a_call_and_bad_answers_are_asked_again() {
    let _guard = media_lock();
    let dir = tempdir();
    let base = free_base();
    let (ja, jb) = (path(&dir, "a.json"), path(&dir, "b.json"));
    let answers = format!(
        "{v}\nfive\n{vr}\n{a}\n{vr}\n{ar}\n10.255.255.254\n127.0.0.1\nnot-an-ip\n127.0.0.1\n",
        v = base,
        vr = base + 2,
        a = base + 4,
        ar = base + 6
    );
    let mut a = Command::new(bin())
        .args(media_args(&ja, 6.0))
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    {
        use std::io::Write;
        a.stdin
            .take()
            .unwrap()
            .write_all(answers.as_bytes())
            .unwrap();
    }
    // `videocall` with no command is `call`: the media flags above go to it.
    let b = spawn_peer(base, true, &jb, 6.0);
    let out = finish(a, "prompted peer");
    finish(b, "B");
    let text = String::from_utf8_lossy(&out.stdout);
    for expected in [
        "Set port video destination: ",
        "refused: 'five' is not a number",
        "refused: ",
        "clashes with the video reception port",
        "10.255.255.254 is not an address of this machine",
        "'not-an-ip' is not an IP address",
        "Set destination direction ip: ",
    ] {
        assert!(text.contains(expected), "missing {expected:?} in:\n{text}");
    }
    let last = snapshots(&ja).pop().expect("prompted peer reported");
    assert!(num(&last, "video", "frames_rendered") > 0.0, "{last}");
    assert!(num(&last, "audio", "packets_received") > 0.0, "{last}");
}

#[test]
fn a_peer_that_starts_three_seconds_late_joins_the_call() {
    let _guard = media_lock();
    let dir = tempdir();
    let base = free_base();
    let (ja, jb) = (path(&dir, "a.json"), path(&dir, "b.json"));
    let a = spawn_peer(base, false, &ja, 9.0);
    sleep(3.0);
    let b = spawn_peer(base, true, &jb, 60.0);
    sleep(5.0);
    // SIGTERM ends a call cleanly: exit 0 and a last report.
    sigterm(&b);
    let out_b = finish(b, "late peer");
    finish(a, "A");
    assert!(String::from_utf8_lossy(&out_b.stdout).contains("fps"));
    for (json, side) in [(&ja, "A"), (&jb, "B")] {
        let snaps = snapshots(json);
        let last = snaps.last().unwrap();
        assert!(
            num(last, "video", "frames_rendered") >= 50.0,
            "{side}: {last}"
        );
        assert!(
            num(last, "audio", "packets_pushed") > 100.0,
            "{side}: {last}"
        );
    }
}

#[test]
fn a_peer_killed_and_restarted_mid_call_shows_video_again() {
    let _guard = media_lock();
    let dir = tempdir();
    let base = free_base();
    let (ja, jb1, jb2) = (
        path(&dir, "a.json"),
        path(&dir, "b1.json"),
        path(&dir, "b2.json"),
    );
    let a = spawn_peer(base, false, &ja, 13.0);
    let mut b = spawn_peer(base, true, &jb1, 60.0);
    sleep(4.0);
    b.kill().unwrap();
    b.wait().unwrap();
    sleep(2.0);
    let b2 = spawn_peer(base, true, &jb2, 6.0);
    finish(b2, "restarted B");
    finish(a, "A (must survive the restart)");

    let snaps = snapshots(&ja);
    // While B was gone A rendered nothing new: proof that the kill took effect.
    let frames = |t: f64| num(at(&snaps, t), "video", "frames_rendered");
    assert!(
        frames(5.5) - frames(5.0) < 2.0,
        "frames still arriving while B was dead"
    );
    // B came back at 6 s of test time; A's clock started a little after the test's: 3 s grace.
    assert!(
        frames(9.0) - frames(6.0) >= 25.0,
        "video did not come back within 3 s of the restart: {} → {}",
        frames(6.0),
        frames(9.0)
    );
    let last = snaps.last().unwrap();
    assert!(
        num(last, "video", "packets_received") > num(at(&snaps, 5.5), "video", "packets_received")
    );
}

fn assert_one_line_error(out: &std::process::Output, code: i32, needle: &str) {
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(code), "stderr: {stderr}");
    assert_eq!(
        stderr.trim().lines().count(),
        1,
        "one line expected: {stderr}"
    );
    assert!(stderr.contains(needle), "{needle:?} not in {stderr}");
    assert!(!stderr.contains("panicked"));
}

#[test]
fn bad_input_is_one_line_and_a_non_zero_exit() {
    let base = free_base();
    let flags = |vr: u16, ar: u16, local: &str, remote: &str| -> Vec<String> {
        let mut v: Vec<String> = vec!["call".into(), "--no-prompt".into()];
        for (f, p) in [
            ("--video-dest-port", base),
            ("--video-recv-port", vr),
            ("--audio-dest-port", base + 4),
            ("--audio-recv-port", ar),
        ] {
            v.push(f.into());
            v.push(p.to_string());
        }
        v.extend(["--local-ip", local, "--remote-ip", remote].map(String::from));
        v.extend(
            [
                "--video-sink",
                "none",
                "--audio-sink",
                "none",
                "--duration",
                "2",
            ]
            .map(String::from),
        );
        v
    };
    let run = |args: Vec<String>| {
        let refs: Vec<&str> = args.iter().map(String::as_str).collect();
        run_with_input(&refs, "")
    };

    // A port already in use: an even one the kernel gave this test (RTP ports are even), so no
    // other test can hold it.
    let (taken, taken_port) = loop {
        let socket = std::net::UdpSocket::bind(("127.0.0.1", 0)).unwrap();
        let port = socket.local_addr().unwrap().port();
        if port.is_multiple_of(2) {
            break (socket, port);
        }
    };
    let out = run(flags(taken_port, base + 6, "127.0.0.1", "127.0.0.1"));
    assert_one_line_error(&out, 3, &format!("port {taken_port} on 127.0.0.1"));
    assert!(String::from_utf8_lossy(&out.stderr).contains("already in use"));
    drop(taken);

    // An invalid IP.
    let out = run(flags(base + 2, base + 6, "127.0.0.1", "999.1.1.1"));
    assert_one_line_error(&out, 2, "--remote-ip: '999.1.1.1' is not an IP address");

    // The same port twice.
    let out = run(flags(base + 2, base + 2, "127.0.0.1", "127.0.0.1"));
    assert_one_line_error(&out, 2, "--audio-recv-port");

    // A local IP that is not ours (TEST-NET-3: never ours, and nothing is sent to it).
    let out = run(flags(base + 2, base + 6, "203.0.113.7", "127.0.0.1"));
    assert_one_line_error(&out, 2, "203.0.113.7 is not an address of this machine");

    // A missing value with --no-prompt, and input that ends before the answers do.
    let out = run_with_input(&["call", "--no-prompt"], "");
    assert_one_line_error(&out, 2, "--video-dest-port is missing");
    let out = run_with_input(&[], "5000\n");
    assert_one_line_error(&out, 2, "input ended before 'Set port video reception'");

    // A bad option value.
    let out = run_with_input(&["call", "--video-sink", "tv"], "");
    assert_one_line_error(&out, 2, "--video-sink");
}

#[test]
fn a_missing_plugin_is_named_only_when_the_call_needs_it() {
    let _media = media_lock();
    // A plugin directory with every plugin but OpenH264, and a registry of its own.
    let dir = tempfile::tempdir().unwrap();
    let plugins = dir.path().join("plugins");
    std::fs::create_dir(&plugins).unwrap();
    for entry in std::fs::read_dir(plugin_dir()).unwrap() {
        let path = entry.unwrap().path();
        if path.file_name().unwrap() != "libgstopenh264.so" {
            std::os::unix::fs::symlink(&path, plugins.join(path.file_name().unwrap())).unwrap();
        }
    }
    let demo = |extra: &[&str]| {
        Command::new(bin())
            .args(["demo", "--insecure", "--duration", "2"])
            .args(["--video-sink", "none", "--audio-sink", "none"])
            .args(extra)
            .env("GST_PLUGIN_SYSTEM_PATH_1_0", &plugins)
            .env("GST_REGISTRY", dir.path().join("registry.bin"))
            .stdin(Stdio::null())
            .output()
            .unwrap()
    };
    // The default decoder choice may need OpenH264: refused up front, in one line.
    let out = demo(&[]);
    assert_one_line_error(&out, 4, "missing GStreamer element openh264dec");
    // FFmpeg's decoder alone does not: the call runs and shows video.
    let out = demo(&["--video-decoder", "libav"]);
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let fps: Vec<f64> = stdout
        .lines()
        .filter_map(|l| l.split(" fps").next()?.rsplit(' ').next()?.parse().ok())
        .collect();
    assert!(fps.iter().any(|f| *f > 10.0), "no video shown: {stdout}");
}
