//! Calls through `videocall relay` on 127.0.0.1: two `videocall call` processes whose every
//! RTP/RTCP packet crosses an impaired relay process. Short runs, generous bounds; the
//! figures themselves are in docs/benchmarks-network.md.

mod common;

use std::path::Path;
use std::process::{Child, Command, Stdio};

use common::*;
use serde_json::Value;

/// Starts the relay for peers receiving at `peers` (A: +0/+4, B: +2/+6) on relay ports `relay`.
fn spawn_relay(relay: u16, peers: u16, both: &str, seconds: f64) -> Child {
    Command::new(bin())
        .args(["relay", "--port", &relay.to_string()])
        .args(["--a-video-port", &peers.to_string()])
        .args(["--a-audio-port", &(peers + 4).to_string()])
        .args(["--b-video-port", &(peers + 2).to_string()])
        .args(["--b-audio-port", &(peers + 6).to_string()])
        .args(["--both", both, "--duration", &seconds.to_string()])
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("relay starts")
}

/// One peer sending to the relay.
fn spawn_peer_via(
    relay: u16,
    peers: u16,
    side_b: bool,
    json: &Path,
    seconds: f64,
    extra: &[&str],
) -> Child {
    let (recv_video, dest_video) = if side_b {
        (peers + 2, relay + 4)
    } else {
        (peers, relay)
    };
    Command::new(bin())
        .args([
            "call",
            "--no-prompt",
            "--local-ip",
            "127.0.0.1",
            "--remote-ip",
            "127.0.0.1",
        ])
        .args(["--video-dest-port", &dest_video.to_string()])
        .args(["--video-recv-port", &recv_video.to_string()])
        .args(["--audio-dest-port", &(dest_video + 2).to_string()])
        .args(["--audio-recv-port", &(recv_video + 4).to_string()])
        .args(media_args(json, seconds))
        .args(extra)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("videocall starts")
}

/// Runs a call of `seconds` through a relay impairing both directions with `spec`; returns
/// both peers' snapshots and the relay's stderr.
fn call_through(spec: &str, seconds: f64, extra: &[&str]) -> (Vec<Value>, Vec<Value>, String) {
    let dir = tempdir();
    let (relay, peers) = (free_base(), free_base());
    let (ja, jb) = (path(&dir, "a.json"), path(&dir, "b.json"));
    let r = spawn_relay(relay, peers, spec, seconds + 1.0);
    sleep(0.3);
    let a = spawn_peer_via(relay, peers, false, &ja, seconds, extra);
    let b = spawn_peer_via(relay, peers, true, &jb, seconds, extra);
    finish(a, "A");
    finish(b, "B");
    let relay_out = finish(r, "relay");
    (
        snapshots(&ja),
        snapshots(&jb),
        String::from_utf8_lossy(&relay_out.stderr).into_owned(),
    )
}

fn elapsed(v: &Value) -> f64 {
    v["elapsed_s"].as_f64().unwrap()
}

/// Frames rendered per second between the snapshots at `from` and `to`.
fn fps_between(snaps: &[Value], from: f64, to: f64) -> f64 {
    let (a, b) = (at(snaps, from), at(snaps, to));
    (num(b, "video", "frames_rendered") - num(a, "video", "frames_rendered"))
        / (elapsed(b) - elapsed(a))
}

/// The relay lost video packets on the way to `side`, and the `repairs` counter of its last
/// snapshot shows some were made good.
fn assert_lost_and_repaired(side: &str, last: &Value, repairs: &str) {
    assert!(
        num(last, "video", "packets_lost") > 0.0,
        "{side}: the relay lost nothing: {last}"
    );
    assert!(
        num(last, "video", repairs) > 0.0,
        "{side}: no {repairs}: {last}"
    );
}

#[test]
fn two_percent_loss_is_repaired_and_video_keeps_its_frame_rate() {
    let _guard = media_lock();
    let (a, b, relay) = call_through(
        "loss=2,delay=10-20,reorder=no",
        9.0,
        &["--jitter-buffer-ms", "150"],
    );
    assert!(relay.contains("loss 2%"), "{relay}");
    for (side, snaps) in [("A", &a), ("B", &b)] {
        let last = snaps.last().unwrap();
        assert_lost_and_repaired(side, last, "rtx_repaired");
        let fps = fps_between(snaps, 3.0, elapsed(last) - 0.1);
        assert!(fps >= 20.0, "{side}: {fps:.1} frames/s at 2% loss");
        // Random loss that retransmission repairs is no reason to send less.
        let lowest = snaps
            .iter()
            .map(|s| num(s, "video", "send_target_kbps"))
            .fold(f64::INFINITY, f64::min);
        assert!(lowest >= 1900.0, "{side}: the rate fell to {lowest} kbit/s");
    }
}

#[test]
fn lost_audio_is_rebuilt_from_redundancy_without_asking_for_it() {
    let _guard = media_lock();
    let (a, b, relay) = call_through("loss=5,delay=10-20,reorder=no", 9.0, &[]);
    assert!(relay.contains("loss 5%"), "{relay}");
    for (side, snaps) in [("A", &a), ("B", &b)] {
        let last = snaps.last().unwrap();
        let lost = num(last, "audio", "packets_lost");
        let (pushed, received) = (
            num(last, "audio", "packets_pushed"),
            num(last, "audio", "packets_received"),
        );
        assert!(lost >= 5.0, "{side}: the relay dropped audio: {last}");
        // Rebuilt packets reach the depayloader without having been received: with RED the
        // jitter buffer pushed 10-22 more packets than arrived for 16-25 losses in 9 s; without
        // it 6 fewer (RTX repaired 7 of 26).
        assert!(
            pushed - received >= lost / 3.0,
            "{side}: {pushed} pushed, {received} received, {lost} lost: {last}"
        );
        // The peer saw our losses and turned redundancy on: about twice the audio on the wire.
        let bitrate = num(last, "audio", "bitrate_bps");
        assert!(
            bitrate > 100_000.0,
            "{side}: audio at {bitrate} bit/s: {last}"
        );
    }
}

#[test]
fn fec_parity_rebuilds_lost_packets_without_retransmission() {
    let _guard = media_lock();
    let (a, b, _) = call_through(
        "loss=3,delay=10-20,reorder=no",
        8.0,
        &[
            "--fec-percent",
            "50",
            "--no-rtx",
            "--fixed-jitter-buffer",
            "--jitter-buffer-ms",
            "100",
        ],
    );
    for (side, snaps) in [("A", &a), ("B", &b)] {
        let last = snaps.last().unwrap();
        assert_lost_and_repaired(side, last, "fec_recovered");
        assert!(last["video"]["rtx_requested"].is_null(), "{side}: {last}");
        let fps = fps_between(snaps, 3.0, elapsed(last) - 0.1);
        assert!(fps >= 10.0, "{side}: {fps:.1} frames/s with FEC at 3% loss");
    }
}

#[test]
fn video_resumes_after_a_three_second_outage() {
    let _guard = media_lock();
    let (a, b, relay) = call_through("outage=3+3", 10.0, &[]);
    assert!(
        relay.contains("outage") && relay.contains("network up"),
        "{relay}"
    );
    for (side, snaps) in [("A", &a), ("B", &b)] {
        let during = fps_between(snaps, 4.0, 5.5);
        assert!(
            during < 3.0,
            "{side}: {during:.1} frames/s during the outage"
        );
        let after = fps_between(snaps, 7.5, 9.5);
        assert!(
            after >= 15.0,
            "{side}: only {after:.1} frames/s after the network came back"
        );
    }
}

#[test]
fn the_loss_based_controller_goes_under_a_capped_link_and_stays_there() {
    let _guard = media_lock();
    // Capped from 2 s (relay time; the peers start ~0.3 s later).
    let (a, b, _) = call_through("cap=1000@2+30", 14.0, &["--rate-control", "loss"]);
    for (side, snaps) in [("A", &a), ("B", &b)] {
        let targets = |from: f64, to: f64| {
            snaps
                .iter()
                .filter(move |s| (from..=to).contains(&elapsed(s)))
                .map(|s| num(s, "video", "send_target_kbps"))
        };
        let all: Vec<f64> = targets(0.0, 99.0).collect();
        // Under the cap within 5 s of it (the bound; measured 1.3–2.8 s) ...
        assert!(
            targets(2.0, 7.0).any(|kbps| kbps <= 1000.0),
            "{side}: never under the 1000 kbit/s cap within 5 s: {all:?}"
        );
        // ... and no more than a slow probe above it afterwards (it climbs 1.5 %/s from 90 %
        // of what the link delivered).
        assert!(
            targets(7.0, 99.0).all(|kbps| kbps <= 1100.0),
            "{side}: back over the cap: {all:?}"
        );
        // The peer's loss from 5 s after the cap on: the target is < 2 % (measured 0.00 %);
        // 5 % catches a controller that keeps crossing the cap.
        let peer = if side == "A" { &b } else { &a };
        let (from, last) = (at(peer, 7.3), peer.last().unwrap());
        let lost = num(last, "video", "packets_lost") - num(from, "video", "packets_lost");
        let got = num(last, "video", "packets_received") - num(from, "video", "packets_received");
        let loss = lost / (lost + got);
        let peer_lost: Vec<(f64, f64)> = peer
            .iter()
            .map(|s| (elapsed(s), num(s, "video", "packets_lost")))
            .collect();
        assert!(
            loss < 0.05,
            "{side} sends: {:.1} % lost under the cap; targets {all:?}; peer's lost {peer_lost:?}",
            100.0 * loss
        );
        let fps = fps_between(snaps, 7.0, elapsed(last) - 0.1);
        assert!(fps >= 15.0, "{side}: {fps:.1} frames/s under the cap");
    }
}

#[test]
fn gcc_brings_the_sender_under_a_cap_within_seconds() {
    let _guard = media_lock();
    // Capped from 2 s (relay time; the peers start ~0.3 s later). Measured: under it 1.3 s
    // after the cap began (docs/benchmarks-network.md); 5 s is the bound.
    let (a, b, _) = call_through("cap=1000@2+30", 9.0, &["--rate-control", "gcc"]);
    for (side, snaps) in [("A", &a), ("B", &b)] {
        // Above the cap before it (it starts at 2000 kbit/s; a loaded machine's delay jitter
        // may already have cost a little), so going under it is the cap's doing.
        let before = num(at(snaps, 1.0), "video", "send_target_kbps");
        assert!(before > 1000.0, "{side}: {before} kbit/s before the cap");
        let under = snaps
            .iter()
            .filter(|s| (2.0..=7.0).contains(&elapsed(s)))
            .map(|s| num(s, "video", "send_target_kbps"))
            .find(|kbps| *kbps <= 1000.0);
        assert!(
            under.is_some(),
            "{side}: target never under the 1000 kbit/s cap within 5 s: {:?}",
            snaps
                .iter()
                .map(|s| num(s, "video", "send_target_kbps"))
                .collect::<Vec<_>>()
        );
        let last = snaps.last().unwrap();
        let fps = fps_between(snaps, 5.0, elapsed(last) - 0.1);
        assert!(fps >= 10.0, "{side}: {fps:.1} frames/s under the cap");
    }
}

#[test]
fn a_bad_impairment_is_one_line_and_exit_2() {
    let out = run_with_input(
        &[
            "relay",
            "--a-video-port",
            "5000",
            "--a-audio-port",
            "5004",
            "--b-video-port",
            "5100",
            "--b-audio-port",
            "5104",
            "--both",
            "loss=200",
        ],
        "",
    );
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("--both: loss=200") && err.lines().count() == 1,
        "{err}"
    );
}

/// Sends a burst of 150 datagrams of 1000 bytes into the relay's A → B video flow and returns
/// when each forwarded one arrived (seconds after the first).
fn burst_through_relay(spec: &str) -> Vec<f64> {
    use std::net::UdpSocket;
    use std::time::{Duration, Instant};
    // B's video port is bound before the relay starts, at the first base where it is free
    // (another process may take a port between `free_base`'s check and our bind).
    let (peers, rx) = std::iter::repeat_with(free_base)
        .take(20)
        .find_map(|base| {
            let rx = UdpSocket::bind(("127.0.0.1", base + 2)).ok()?;
            Some((base, rx))
        })
        .expect("bind B's video port");
    let relay = free_base();
    let r = spawn_relay(relay, peers, spec, 3.0);
    rx.set_read_timeout(Some(Duration::from_millis(800)))
        .unwrap();
    let tx = UdpSocket::bind("127.0.0.1:0").unwrap();
    sleep(0.5);
    for i in 0..150u32 {
        let mut datagram = vec![0u8; 1000];
        datagram[..4].copy_from_slice(&i.to_be_bytes());
        tx.send_to(&datagram, ("127.0.0.1", relay)).unwrap();
    }
    let mut arrivals = Vec::new();
    let mut buf = [0u8; 2048];
    let mut first: Option<Instant> = None;
    while rx.recv(&mut buf).is_ok() {
        let start = *first.get_or_insert_with(Instant::now);
        arrivals.push(start.elapsed().as_secs_f64());
    }
    finish(r, "relay");
    arrivals
}

#[test]
fn a_queueing_cap_spreads_a_burst_where_the_policer_drops_it() {
    let _guard = media_lock();
    // 150 kB at once into a 400 kbit/s link (50 kB/s, 20 ms a datagram). The 300 ms queue
    // holds 15 datagrams, each leaving 20 ms after the one before; the policer passes its
    // 250 ms bucket (12 datagrams) at once and drops the rest.
    for (spec, spread_ok, what) in [
        ("cap=400,queue=300", (0.15..10.0), "queue"),
        ("cap=400", (0.0..0.1), "policer"),
    ] {
        let arrivals = burst_through_relay(spec);
        let spread = arrivals.last().copied().unwrap_or(0.0);
        assert!(
            (4..=40).contains(&arrivals.len()) && spread_ok.contains(&spread),
            "the {what} let {} of 150 datagrams through, over {spread:.3} s",
            arrivals.len()
        );
    }
}
