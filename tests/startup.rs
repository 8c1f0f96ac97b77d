//! Start-up figures of real calls: two peers on loopback, the JSON snapshots' `startup` object
//! read back. Both peers at once (the demo, plain and encrypted), and a peer that joins a
//! running call late, which needs a key frame from a sender that is past its first one.

mod common;

use std::process::{Command, Stdio};

use common::*;
use serde_json::Value;

/// A start-up time in milliseconds, `None` while unknown (`null`).
fn ms(snap: &Value, key: &str) -> Option<f64> {
    snap["startup"][key].as_f64()
}

fn count(snap: &Value, key: &str) -> u64 {
    snap["startup"][key]
        .as_u64()
        .unwrap_or_else(|| panic!("startup.{key} is a count: {snap}"))
}

/// The figures are there, in the order the pipeline makes them, and within `bound_ms`.
fn assert_started(snap: &Value, who: &str, bound_ms: f64) {
    let [packet, params, key, frame] = [
        "first_packet_ms",
        "parameter_sets_ms",
        "first_key_frame_ms",
        "first_frame_ms",
    ]
    .map(|k| ms(snap, k).unwrap_or_else(|| panic!("{who}: no startup.{k}: {snap}")));
    assert!(
        packet <= params && params <= key && key <= frame,
        "{who}: packet {packet} ≤ parameter sets {params} ≤ key frame {key} ≤ frame {frame}"
    );
    assert!(frame < bound_ms, "{who}: first frame after {frame} ms");
    assert!(count(snap, "key_frames_received") >= 1, "{who}: {snap}");
    assert_eq!(
        count(snap, "decoder_errors"),
        0,
        "{who}: a clean path: {snap}"
    );
}

/// Runs the demo for a few seconds and returns its last snapshot per peer and its text output.
fn demo(passphrase: Option<&str>) -> ([Value; 2], String) {
    let dir = tempdir();
    let json = path(&dir, "demo.json");
    let mut cmd = Command::new(bin());
    cmd.args(["demo", "--duration", "4", "--stats-interval", "0.5"])
        .args(["--video-source", "test", "--audio-source", "test"])
        .args(["--video-sink", "none", "--audio-sink", "none"])
        .arg("--stats-json")
        .arg(&json)
        .stdin(Stdio::null());
    match passphrase {
        Some(p) => cmd.env("VIDEOCALL_PASSPHRASE", p),
        None => cmd.arg("--insecure"),
    };
    let out = cmd.output().expect("the demo runs");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let snaps = snapshots(&json);
    let last = |peer: &str| {
        snaps
            .iter()
            .rev()
            .find(|s| s["peer"] == peer)
            .unwrap_or_else(|| panic!("no snapshot of {peer}"))
            .clone()
    };
    (
        [last("A"), last("B")],
        String::from_utf8_lossy(&out.stdout).into_owned(),
    )
}

#[test]
fn both_peers_report_an_ordered_start_in_json_and_text() {
    let _guard = media_lock();
    let ([a, b], text) = demo(None);
    // Generous: a loaded machine running a debug build; the bench measures the real figure.
    assert_started(&a, "A", 3000.0);
    assert_started(&b, "B", 3000.0);
    assert!(text.contains("start: packet "), "{text}");
    assert!(text.contains("first frame "), "{text}");
}

#[test]
fn an_encrypted_call_reports_its_start_after_the_key_exchange() {
    let _guard = media_lock();
    let ([a, b], _) = demo(Some("correct horse battery staple"));
    for (snap, who) in [(&a, "A"), (&b, "B")] {
        assert_eq!(
            snap["key_exchange"]["state"], "established",
            "{who}: {snap}"
        );
        assert_started(snap, who, 3000.0);
    }
}

#[test]
fn a_late_joiner_gets_a_key_frame_and_the_request_is_counted_on_both_sides() {
    let _guard = media_lock();
    let dir = tempdir();
    let base = free_base();
    let (ja, jb) = (path(&dir, "a.json"), path(&dir, "b.json"));
    let a = spawn_peer(base, false, &ja, 8.0);
    sleep(3.0);
    let b = spawn_peer(base, true, &jb, 4.0);
    finish(b, "late peer");
    finish(a, "A");
    let (a, b) = (
        snapshots(&ja).last().cloned().unwrap(),
        snapshots(&jb).last().cloned().unwrap(),
    );
    // B joins a sender already past its first key frame: its first frame still comes well
    // within the periodic key frame's second (A answers B's request, or B's appearance).
    assert_started(&b, "B", 3000.0);
    let b_wait = ms(&b, "first_frame_ms").unwrap() - ms(&b, "first_packet_ms").unwrap();
    assert!(
        b_wait < 1500.0,
        "B waited {b_wait} ms after its first packet"
    );
    // A counts from its own start: B's first packet came three seconds in.
    let a_packet = ms(&a, "first_packet_ms").expect("A received B's video");
    assert!(a_packet >= 2500.0, "A's first packet at {a_packet} ms");
    assert_started(&a, "A", 8000.0);
    // Every request B sent reached A on loopback, and the late joiner needed one or got a key
    // frame without asking.
    let (sent, received) = (
        count(&b, "key_frame_requests_sent"),
        count(&a, "key_frame_requests_received"),
    );
    assert!(received >= sent, "B sent {sent}, A received {received}");
    assert!(
        received >= 1 || count(&b, "key_frames_received") >= 1,
        "A: {a}\nB: {b}"
    );
}
