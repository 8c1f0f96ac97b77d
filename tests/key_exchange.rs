//! The key exchange of encrypted calls, between real `videocall` processes on 127.0.0.1:
//! fresh keys per call (a recorded call plays nothing in a later one), a man in the middle
//! with the wrong passphrase gets no media and is reported, restarts and re-keys keep the call
//! going, and loss, garbage and floods neither stop nor wedge it (docs/security.md).

mod common;

use std::net::UdpSocket;
use std::process::{Child, Command};
use std::time::{Duration, Instant};

use common::*;
use serde_json::Value;
use videocall_core::security::exchange::wire::is_exchange;
use videocall_core::security::exchange::{Exchange, Message};
use videocall_core::security::{CallPassword, SrtpSuite};

fn frames(snap: &Value) -> f64 {
    num(snap, "video", "frames_rendered")
}

fn exchange(snap: &Value) -> &Value {
    &snap["key_exchange"]
}

fn stderr(out: &std::process::Output) -> String {
    String::from_utf8_lossy(&out.stderr).to_string()
}

/// When a peer's reports first show a rendered frame (seconds of its clock).
fn first_frame_s(snaps: &[Value]) -> Option<f64> {
    snaps
        .iter()
        .find(|s| frames(s) > 0.0)
        .map(|s| s["elapsed_s"].as_f64().unwrap())
}

/// Frames rendered between `from` and `to` seconds of a peer's clock.
fn frames_between(snaps: &[Value], from: f64, to: f64) -> f64 {
    frames(at(snaps, to)) - frames(at(snaps, from))
}

/// A direct encrypted call's peer: A receives at base + 2, B at base.
fn peer(base: u16, side_b: bool, json: &std::path::Path, secs: f64, extra: &[&str]) -> Child {
    spawn_side(base, side_b, json, secs, Some("correct horse"), extra)
}

fn fuzz(ports: &str, only: &str, count: u32, rate: u32) -> Child {
    Command::new(bin())
        .args([
            "fuzz",
            "--ports",
            ports,
            "--from",
            "127.0.0.1",
            "--only",
            only,
        ])
        .args(["--count", &count.to_string(), "--rate", &rate.to_string()])
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("fuzzer starts")
}

#[test]
fn a_recorded_call_replayed_into_a_later_call_plays_nothing_and_is_rejected() {
    let _guard = media_lock();
    let dir = tempdir();
    let (base, b_base) = (free_base(), free_base());
    // Call 1: everything A sends goes through a recording tap to B.
    let tap = Tap::start(base, Some(b_base));
    let a = spawn_at(base + 2, base, &path(&dir, "a1.json"), 5.0, Some("pw"), &[]);
    let b = spawn_at(
        b_base,
        base + 2,
        &path(&dir, "b1.json"),
        5.0,
        Some("pw"),
        &[],
    );
    finish(a, "A, call 1");
    finish(b, "B, call 1");
    let recording = tap.finish();
    let b1 = snapshots(&path(&dir, "b1.json"));
    assert!(frames(b1.last().unwrap()) > 50.0, "call 1 played");
    assert!(
        recording.len() > 500,
        "{} datagrams recorded",
        recording.len()
    );

    // Call 2: B again, same passphrase and ports; the recording plays from the peer's address
    // at its own pace, and no A runs.
    let jb2 = path(&dir, "b2.json");
    let b2 = spawn_at(b_base, base + 2, &jb2, 6.0, Some("pw"), &[]);
    sleep(0.5);
    let replayer = UdpSocket::bind("127.0.0.1:0").unwrap();
    let start = Instant::now();
    for d in &recording {
        if let Some(wait) = d.at.checked_sub(start.elapsed()) {
            std::thread::sleep(wait);
        }
        let _ = replayer.send_to(&d.bytes, ("127.0.0.1", b_base + d.offset));
    }
    let out = finish(b2, "B, call 2");
    let last = snapshots(&jb2).last().unwrap().clone();
    assert_eq!(frames(&last), 0.0, "a replayed frame was shown: {last}");
    assert_eq!(num(&last, "audio", "frames_played"), 0.0, "{last}");
    let rejected = num(&last, "video", "packets_rejected");
    assert!(rejected > 300.0, "the replay was not counted: {last}");
    assert_ne!(exchange(&last)["state"], "established", "{last}");
    assert!(
        exchange(&last)["ignored"].as_f64().unwrap() >= 1.0,
        "{last}"
    );
    assert!(!stderr(&out).contains("keys agreed"), "{}", stderr(&out));
}

/// A man in the middle who runs the exchange with both peers, with a wrong passphrase: it
/// counts every RTP/RTCP datagram the peers send it.
fn middleman(a_side: u16, a_recv: u16, b_side: u16, b_recv: u16, secs: f64) -> usize {
    let t0 = Instant::now();
    let password = CallPassword::from_passphrase("guess").unwrap();
    let mut media = 0;
    let mut sides: Vec<(Vec<UdpSocket>, u16, Exchange)> = [(a_side, a_recv), (b_side, b_recv)]
        .into_iter()
        .map(|(listen, recv)| {
            let sockets = PORT_OFFSETS
                .iter()
                .map(|off| {
                    let s = UdpSocket::bind(("127.0.0.1", listen + off)).unwrap();
                    s.set_nonblocking(true).unwrap();
                    s
                })
                .collect();
            let machine = Exchange::new(
                password.clone(),
                SrtpSuite::AesGcm128,
                Exchange::random_instance(),
                t0,
            );
            (sockets, recv, machine)
        })
        .collect();
    let mut buf = vec![0u8; 65536];
    while t0.elapsed().as_secs_f64() < secs {
        for (sockets, recv, machine) in &mut sides {
            let mut replies: Vec<Message> = machine.poll(Instant::now());
            for socket in sockets.iter() {
                while let Ok(n) = socket.recv(&mut buf) {
                    if is_exchange(&buf[..n]) {
                        replies.extend(machine.receive(Instant::now(), &buf[..n]).send);
                    } else if buf[0] & 0xc0 == 0x80 {
                        media += 1;
                    }
                }
            }
            for m in replies {
                let _ = sockets[0].send_to(&m.encode(), ("127.0.0.1", *recv));
            }
        }
        std::thread::sleep(Duration::from_millis(2));
    }
    media
}

#[test]
fn a_middleman_with_a_wrong_passphrase_gets_no_media_and_both_peers_say_so() {
    let _guard = media_lock();
    let dir = tempdir();
    let (base, b_base, m_b) = (free_base(), free_base(), free_base());
    // A sends to the middleman at base, B to it at m_b; each thinks it talks to the other.
    let mitm = std::thread::spawn(move || middleman(base, base + 2, m_b, b_base, 5.0));
    let a = spawn_at(base + 2, base, &path(&dir, "a.json"), 4.0, Some("pw"), &[]);
    let b = spawn_at(b_base, m_b, &path(&dir, "b.json"), 4.0, Some("pw"), &[]);
    let (out_a, out_b) = (finish(a, "A"), finish(b, "B"));
    let media = mitm.join().unwrap();
    assert_eq!(media, 0, "the middleman got RTP or RTCP");
    for (out, side) in [(&out_a, "A"), (&out_b, "B")] {
        assert!(
            stderr(out).contains("the key exchange failed: the peer's passphrase differs"),
            "{side}: {}",
            stderr(out)
        );
    }
    let last = snapshots(&path(&dir, "a.json")).last().unwrap().clone();
    assert_eq!(exchange(&last)["state"], "failed", "{last}");
}

#[test]
fn a_restarted_peer_re_keys_and_video_is_back_within_two_seconds() {
    let _guard = media_lock();
    let dir = tempdir();
    let base = free_base();
    let (ja, jb2) = (path(&dir, "a.json"), path(&dir, "b2.json"));
    let a_started = Instant::now();
    let a = peer(base, false, &ja, 10.0, &[]);
    let mut b = peer(base, true, &path(&dir, "b1.json"), 60.0, &[]);
    sleep(3.5);
    b.kill().unwrap();
    b.wait().unwrap();
    sleep(1.0);
    let restart_at = a_started.elapsed().as_secs_f64();
    let b2 = peer(base, true, &jb2, 5.0, &[]);
    finish(b2, "restarted B");
    finish(a, "A");
    let (a_snaps, b2_snaps) = (snapshots(&ja), snapshots(&jb2));
    let first_frame = first_frame_s(&b2_snaps);
    assert!(
        first_frame.is_some_and(|t| t <= 2.0),
        "the restarted peer's first frame at {first_frame:?} s"
    );
    assert!(
        exchange(b2_snaps.last().unwrap())["keyed_ms"]
            .as_f64()
            .is_some_and(|ms| ms < 1000.0),
        "{}",
        b2_snaps.last().unwrap()
    );
    // A's clock started after a_started: restart_at is at or after B2's start on it.
    let back = frames_between(&a_snaps, restart_at, restart_at + 2.0);
    assert!(
        back >= 10.0,
        "A rendered {back} frames in the 2 s after the restart"
    );
    assert!(
        frames_between(&a_snaps, 4.0, 4.4) < 2.0,
        "B's kill took no effect"
    );
}

#[test]
fn the_exchange_completes_within_a_second_under_five_percent_loss() {
    let _guard = media_lock();
    let dir = tempdir();
    let (relay, peers) = (free_base(), free_base());
    let spec = "loss=5,delay=5-10,reorder=no";
    let r = Command::new(bin())
        .args(["relay", "--port", &relay.to_string()])
        .args(["--a-video-port", &peers.to_string()])
        .args(["--a-audio-port", &(peers + 4).to_string()])
        .args(["--b-video-port", &(peers + 2).to_string()])
        .args(["--b-audio-port", &(peers + 6).to_string()])
        .args(["--both", spec, "--duration", "9"])
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    sleep(0.5);
    let mut keyed = Vec::new();
    // Several calls, the later peer measured each time (the earlier one waits for it).
    for round in 0..3 {
        let jb = path(&dir, &format!("b{round}.json"));
        let a = spawn_at(peers, relay, &path(&dir, "a.json"), 2.0, Some("pw"), &[]);
        sleep(0.3);
        let b = spawn_at(peers + 2, relay + 4, &jb, 1.7, Some("pw"), &[]);
        finish(a, "A");
        finish(b, "B");
        let last = snapshots(&jb).last().unwrap().clone();
        keyed.push(exchange(&last)["keyed_ms"].as_f64());
    }
    finish(r, "relay");
    assert!(
        keyed.iter().all(|ms| ms.is_some_and(|ms| ms <= 1000.0)),
        "keys after {keyed:?} ms"
    );
}

#[test]
fn garbage_and_forged_exchange_messages_never_wedge_the_call() {
    let _guard = media_lock();
    let dir = tempdir();
    let base = free_base();
    let (ja, jb) = (path(&dir, "a.json"), path(&dir, "b.json"));
    let a = peer(base, false, &ja, 9.0, &[]);
    let b_started = Instant::now();
    let b = peer(base, true, &jb, 9.0, &[]);
    sleep(2.0);
    let before = snapshots(&jb).last().unwrap().clone();
    assert_eq!(exchange(&before)["state"], "established", "{before}");
    // 2000 datagrams/s at B's video RTP port (the exchange's) for 3 s, from the peer's address.
    let f = fuzz(
        &base.to_string(),
        "ExchangeGarbage,ExchangeForged",
        6000,
        2000,
    );
    let f = f.wait_with_output().unwrap();
    assert!(f.status.success(), "{}", stderr(&f));
    let fuzz_end = b_started.elapsed().as_secs_f64();
    finish(a, "A");
    finish(b, "B");
    let snaps = snapshots(&jb);
    let last = snaps.last().unwrap();
    assert_eq!(exchange(last)["sas"], exchange(&before)["sas"], "{last}");
    assert_eq!(exchange(last)["epoch"], 0, "{last}");
    assert!(
        exchange(last)["malformed"].as_f64().unwrap() > 2000.0,
        "{last}"
    );
    assert!(
        exchange(last)["ignored"].as_f64().unwrap() > 100.0,
        "{last}"
    );
    let fps = frames_between(&snaps, 2.0, fuzz_end.min(8.0)) / (fuzz_end.min(8.0) - 2.0);
    assert!(fps >= 20.0, "{fps:.1} fps during the flood: {last}");
}

#[test]
fn a_flood_of_spoofed_ssrcs_does_not_stop_a_peer_restart() {
    let _guard = media_lock();
    let dir = tempdir();
    let base = free_base();
    let (jb, ja2) = (path(&dir, "b.json"), path(&dir, "a2.json"));
    let mut a = peer(base, false, &path(&dir, "a1.json"), 60.0, &[]);
    let b_started = Instant::now();
    let b = peer(base, true, &jb, 10.0, &[]);
    sleep(1.5);
    // New SSRCs every third packet at B's RTP ports, from the peer's own address, for 6 s.
    let ports = format!("{},{}", base, base + 4);
    let flood = fuzz(&ports, "NewSsrcs", 15000, 2500);
    sleep(1.0);
    a.kill().unwrap();
    a.wait().unwrap();
    sleep(0.5);
    let restart_at = b_started.elapsed().as_secs_f64();
    let a2 = peer(base, false, &ja2, 5.0, &[]);
    let flood = flood.wait_with_output().unwrap();
    assert!(flood.status.success(), "{}", stderr(&flood));
    finish(a2, "restarted A");
    finish(b, "B");
    let (b_snaps, a2_snaps) = (snapshots(&jb), snapshots(&ja2));
    let back = frames_between(&b_snaps, restart_at, restart_at + 2.0);
    assert!(
        back >= 10.0,
        "B rendered {back} frames in the 2 s after A restarted"
    );
    let first = first_frame_s(&a2_snaps);
    assert!(
        first.is_some_and(|t| t <= 2.0),
        "A2's first frame at {first:?} s"
    );
}

#[test]
fn a_forced_small_key_limit_re_keys_again_and_again_without_a_break() {
    let _guard = media_lock();
    let dir = tempdir();
    let base = free_base();
    let (ja, jb) = (path(&dir, "a.json"), path(&dir, "b.json"));
    let a = peer(base, false, &ja, 9.0, &["--rekey-after-packets", "400"]);
    let b = peer(base, true, &jb, 9.0, &[]);
    let (out_a, out_b) = (finish(a, "A"), finish(b, "B"));
    for (json, out, side) in [(&ja, &out_a, "A"), (&jb, &out_b, "B")] {
        let snaps = snapshots(json);
        let last = snaps.last().unwrap();
        let epoch = exchange(last)["epoch"].as_f64().unwrap_or(0.0);
        assert!(epoch >= 3.0, "{side}: epoch {epoch}: {last}");
        assert!(stderr(out).contains("new keys agreed"), "{side}");
        // Video kept coming through every re-key: no second without frames.
        for t in 1..8 {
            let t = f64::from(t);
            let n = frames_between(&snaps, t, t + 1.0);
            assert!(
                n >= 15.0,
                "{side}: {n} frames between {t} and {} s",
                t + 1.0
            );
        }
    }
}

#[test]
fn an_encrypted_call_over_ipv6_agrees_on_keys_and_plays() {
    let _guard = media_lock();
    let dir = tempdir();
    let base = free_base();
    let side = |recv: u16, dest: u16, json: &std::path::Path| {
        let mut args = ports_args(recv, dest);
        for ip in args.iter_mut().filter(|a| *a == "127.0.0.1") {
            *ip = "::1".into();
        }
        Command::new(bin())
            .args(["call", "--no-prompt"])
            .args(args)
            .args(media_args(json, 4.0))
            .env("VIDEOCALL_PASSPHRASE", "six")
            .stdin(std::process::Stdio::null())
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::piped())
            .spawn()
            .expect("videocall starts")
    };
    let (ja, jb) = (path(&dir, "a.json"), path(&dir, "b.json"));
    let a = side(base + 2, base, &ja);
    let b = side(base, base + 2, &jb);
    finish(a, "A");
    finish(b, "B");
    let (la, lb) = (
        snapshots(&ja).last().unwrap().clone(),
        snapshots(&jb).last().unwrap().clone(),
    );
    for last in [&la, &lb] {
        assert_eq!(exchange(last)["state"], "established", "{last}");
        assert!(frames(last) > 50.0, "{last}");
    }
    assert_eq!(exchange(&la)["sas"], exchange(&lb)["sas"]);
}
