//! Third-party peers on 127.0.0.1: GStreamer's own command-line pipelines sending to and
//! receiving from `videocall`, and a call shown in a real window under Xvfb.

mod common;

use std::path::Path;
use std::process::{Child, Command, Output, Stdio};

use common::*;
use serde_json::Value;

/// Starts `gst-launch-1.0` with a pipeline description (split on whitespace; caps in quotes
/// are passed as one argument each by the caller).
fn gst_launch(args: &[String]) -> Child {
    Command::new("gst-launch-1.0")
        .args(args)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("gst-launch-1.0 runs (scripts/setup.sh installs gstreamer1.0-tools)")
}

fn words(text: &str) -> Vec<String> {
    text.split_whitespace().map(String::from).collect()
}

/// Stops a child with SIGINT (gst-launch then ends cleanly) and collects its output.
fn interrupt(child: Child) -> Output {
    // SAFETY: kill(2) on our own child's pid.
    unsafe { libc::kill(child.id() as i32, libc::SIGINT) };
    child.wait_with_output().expect("child ends")
}

/// One `videocall` side at `base` (side B), headless, plain, with `extra` flags.
fn spawn_videocall(base: u16, json: &Path, seconds: f64, extra: &[&str]) -> Child {
    let mut flags = vec!["--insecure"];
    flags.extend_from_slice(extra);
    spawn_peer_with(base, true, json, seconds, &flags)
}

fn elapsed(v: &Value) -> f64 {
    v["elapsed_s"].as_f64().unwrap()
}

/// Frames per second rendered between `from` seconds and the last snapshot.
fn fps_after(snaps: &[Value], from: f64) -> f64 {
    let (start, end) = (at(snaps, from), snaps.last().unwrap());
    let frames = num(end, "video", "frames_rendered") - num(start, "video", "frames_rendered");
    frames / (elapsed(end) - elapsed(start))
}

/// A sender built from stock GStreamer elements, H.264 High profile with parameter sets before
/// every IDR slice, to B's video port; with RTCP (rtpbin) it also sends LATM audio.
fn stock_sender(base: u16, with_rtcp: bool) -> Child {
    // Side B receives video on base, audio on base + 4.
    let video = "videotestsrc is-live=true pattern=ball ! video/x-raw,width=640,height=480,framerate=25/1 \
                 ! x264enc tune=zerolatency key-int-max=25 ! video/x-h264,profile=high \
                 ! rtph264pay pt=96 config-interval=-1";
    let description = if with_rtcp {
        format!(
            "rtpbin name=rb {video} ! rb.send_rtp_sink_0 \
             rb.send_rtp_src_0 ! udpsink host=127.0.0.1 port={v} \
             rb.send_rtcp_src_0 ! udpsink host=127.0.0.1 port={vc} sync=false async=false \
             audiotestsrc is-live=true ! audio/x-raw,rate=48000,channels=2 ! audioconvert \
             ! avenc_aac bitrate=64000 ! rtpmp4apay pt=97 ! rb.send_rtp_sink_1 \
             rb.send_rtp_src_1 ! udpsink host=127.0.0.1 port={a} \
             rb.send_rtcp_src_1 ! udpsink host=127.0.0.1 port={ac} sync=false async=false",
            v = base,
            vc = base + 1,
            a = base + 4,
            ac = base + 5
        )
    } else {
        format!("{video} ! udpsink host=127.0.0.1 port={base}")
    };
    gst_launch(&words(&format!("-q {description}")))
}

#[test]
fn a_stock_gstreamer_sender_of_high_profile_is_shown_with_and_without_rtcp() {
    let _guard = media_lock();
    for with_rtcp in [false, true] {
        let dir = tempdir();
        let base = free_base();
        let json = path(&dir, "b.json");
        let b = spawn_videocall(base, &json, 9.0, &[]);
        sleep(1.0);
        let sender = stock_sender(base, with_rtcp);
        let out = finish(b, "videocall");
        let sent = interrupt(sender);
        let snaps = snapshots(&json);
        let fps = fps_after(&snaps, 4.0);
        // The sender started 1 s in and sends a key frame each second: the first frame is
        // due within a key-frame interval and 300 ms (one 0.5 s report of slack).
        let first = snaps
            .iter()
            .find(|s| num(s, "video", "frames_rendered") > 0.0)
            .map(elapsed);
        assert!(
            first.is_some_and(|t| t <= 1.0 + 1.3 + 0.5),
            "first frame at {first:?} s"
        );
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(
            fps >= 20.0,
            "with RTCP {with_rtcp}: {fps:.1} fps; videocall: {err}; sender: {}",
            String::from_utf8_lossy(&sent.stderr)
        );
        if with_rtcp {
            let last = snaps.last().unwrap();
            // 47 AAC frames a second: decoded and played, not just received.
            assert!(num(last, "audio", "frames_played") > 150.0, "{last}");
            assert!(
                err.contains("the peer sends AAC as RFC 6416 MP4A-LATM"),
                "{err}"
            );
        }
    }
}

/// The command line of a stock rtpbin receiver (defaults: 200 ms latency, lip sync), with
/// fakesinks that print each buffer they render.
fn stock_receiver(base: u16, latm: bool) -> Child {
    // Side A sends video to base, audio to base + 4.
    let audio_caps = if latm {
        "application/x-rtp,media=audio,clock-rate=48000,encoding-name=MP4A-LATM,payload=97,\
         cpresent=(string)0,config=(string)40002320"
    } else {
        "application/x-rtp,media=audio,clock-rate=48000,encoding-name=MPEG4-GENERIC,payload=97,\
         mode=(string)AAC-hbr,config=(string)1190,sizelength=(string)13,indexlength=(string)3,\
         indexdeltalength=(string)3,streamtype=(string)5"
    };
    let audio_depay = if latm {
        "rtpmp4adepay"
    } else {
        "rtpmp4gdepay ! aacparse"
    };
    let description = format!(
        "-v rtpbin name=rb \
         udpsrc port={v} caps=application/x-rtp,media=video,clock-rate=90000,encoding-name=H264,payload=96 \
         ! rb.recv_rtp_sink_0 udpsrc port={vc} ! rb.recv_rtcp_sink_0 \
         udpsrc port={a} caps={audio_caps} ! rb.recv_rtp_sink_1 udpsrc port={ac} ! rb.recv_rtcp_sink_1 \
         rb. ! rtph264depay ! avdec_h264 ! videoconvert ! fakesink name=vsink sync=true silent=false \
         rb. ! {audio_depay} ! avdec_aac ! audioconvert ! fakesink name=asink sync=true silent=false",
        v = base,
        vc = base + 1,
        a = base + 4,
        ac = base + 5
    );
    gst_launch(&words(&description))
}

/// Buffers a named fakesink rendered, from gst-launch's `-v` output.
fn rendered(out: &Output, sink: &str) -> usize {
    let needle = format!("{sink}: last-message = chain");
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .filter(|l| l.contains(&needle))
        .count()
}

#[test]
fn a_stock_gstreamer_receiver_plays_our_video_and_audio_in_both_aac_formats() {
    let _guard = media_lock();
    for latm in [false, true] {
        let dir = tempdir();
        let base = free_base();
        let receiver = stock_receiver(base, latm);
        sleep(0.5);
        let json = path(&dir, "a.json");
        let payload = if latm { "latm" } else { "generic" };
        let a = Command::new(bin())
            .args(["call", "--no-prompt", "--insecure"])
            .args(endpoint_args(base, false))
            .args(media_args(&json, 7.0))
            .args(["--audio-payload", payload])
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        finish(a, "videocall");
        let out = interrupt(receiver);
        let (frames, audio) = (rendered(&out, "vsink"), rendered(&out, "asink"));
        // 7 s at 25 frames/s and 47 AAC frames/s, less the receiver's 200 ms and start-up.
        assert!(
            frames >= 125,
            "{payload}: {frames} frames: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        assert!(audio >= 200, "{payload}: {audio} audio buffers");
        // The stock receiver sends no transport-wide feedback (its caps declare no TWCC
        // extension) and no receiver reports: the delay-based controller, with nothing to go
        // on, keeps the brief's rate.
        let targets: Vec<f64> = snapshots(&json)
            .iter()
            .filter_map(|s| s["video"]["send_target_kbps"].as_f64())
            .collect();
        assert!(
            !targets.is_empty() && targets.iter().all(|kbps| *kbps == 2000.0),
            "{payload}: targets {targets:?}"
        );
    }
}

#[test]
fn a_call_shows_the_peers_moving_picture_in_a_window_under_xvfb() {
    let _guard = media_lock();
    let (xvfb, display) = start_xvfb(90);
    let dir = tempdir();
    let base = free_base();
    let (ja, jb) = (path(&dir, "a.json"), path(&dir, "b.json"));
    let mut args = media_args(&ja, 7.0);
    let sink = args.iter().position(|a| a == "--video-sink").unwrap();
    args[sink + 1] = "window".into();
    let a = Command::new(bin())
        .args(["call", "--no-prompt", "--insecure"])
        .args(endpoint_args(base, false))
        .args(args)
        .env("DISPLAY", &display)
        .env_remove("WAYLAND_DISPLAY")
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let b = spawn_peer(base, true, &jb, 7.0);
    sleep(4.0);
    let first = x11_screenshot(&display, "gray");
    sleep(0.5);
    let second = x11_screenshot(&display, "gray");
    let out = finish(a, "A (window)");
    finish(b, "B");
    drop(xvfb);
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("showing on ximagesink"), "{err}");
    // The test pattern is a white ball on black: a real picture has bright pixels, and the
    // ball moves between two shots half a second apart.
    let bright = first.iter().filter(|p| **p > 128).count();
    let changed = first
        .iter()
        .zip(&second)
        .filter(|(a, b)| a.abs_diff(**b) > 64)
        .count();
    assert_eq!(first.len(), 640 * 480);
    assert!((500..100_000).contains(&bright), "{bright} bright pixels");
    assert!(changed > 200, "{changed} pixels changed: a frozen picture");
    let last = snapshots(&ja).last().cloned().unwrap();
    assert!(num(&last, "video", "frames_rendered") > 100.0, "{last}");
}

/// Waits up to 5 s for a file to exist and be non-empty.
fn wait_for_file(path: &Path) {
    for _ in 0..50 {
        if std::fs::metadata(path).is_ok_and(|m| m.len() > 0) {
            return;
        }
        sleep(0.1);
    }
    panic!("{} was not written", path.display());
}

#[test]
fn ffmpeg_sends_to_videocall_through_its_sdp_file() {
    let _guard = media_lock();
    let dir = tempdir();
    let base = free_base();
    let sdp = path(&dir, "ffmpeg.sdp");
    // High profile with the parameter sets only in the SDP (global header), AAC as ffmpeg
    // packs it (several frames a packet); ffmpeg sends one RTCP report at once, the next 5 s on.
    let ffmpeg = Command::new("ffmpeg")
        .args(["-nostdin", "-loglevel", "error", "-re"])
        .args(["-f", "lavfi", "-i", "testsrc=size=640x480:rate=25"])
        .args(["-f", "lavfi", "-i", "sine=frequency=440:sample_rate=48000"])
        .args([
            "-map",
            "0:v",
            "-t",
            "10",
            "-c:v",
            "libx264",
            "-profile:v",
            "high",
        ])
        .args(["-pix_fmt", "yuv420p", "-tune", "zerolatency", "-g", "25"])
        .args([
            "-flags",
            "+global_header",
            "-payload_type",
            "96",
            "-f",
            "rtp",
        ])
        .arg(format!("rtp://127.0.0.1:{base}"))
        .args([
            "-map", "1:a", "-t", "10", "-c:a", "aac", "-ar", "48000", "-ac", "2",
        ])
        .args(["-b:a", "64k", "-payload_type", "97", "-f", "rtp"])
        .arg(format!("rtp://127.0.0.1:{}", base + 4))
        .arg("-sdp_file")
        .arg(&sdp)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .expect("ffmpeg runs (scripts/setup.sh installs it)");
    wait_for_file(&sdp);
    let json = path(&dir, "b.json");
    // Reception ports and our address come from the SDP; where we send is ours to say.
    let b = Command::new(bin())
        .args(["call", "--no-prompt", "--insecure", "--peer-sdp"])
        .arg(&sdp)
        .args(["--video-dest-port", &(base + 2).to_string()])
        .args(["--audio-dest-port", &(base + 6).to_string()])
        .args(["--remote-ip", "127.0.0.1"])
        .args(media_args(&json, 7.0))
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let out = finish(b, "videocall");
    let sent = interrupt(ffmpeg);
    let snaps = snapshots(&json);
    let last = snaps.last().unwrap();
    let fps = fps_after(&snaps, 3.0);
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        fps >= 20.0,
        "{fps:.1} fps: {err} ffmpeg: {}",
        String::from_utf8_lossy(&sent.stderr)
    );
    // ffmpeg packs several AAC frames a packet: count the frames played, 47 a second.
    assert!(num(last, "audio", "frames_played") > 150.0, "{last}");
    assert_eq!(num(last, "video", "packets_unplayable"), 0.0, "{last}");
    assert_eq!(num(last, "audio", "packets_unplayable"), 0.0, "{last}");
}

#[test]
fn ffmpeg_plays_our_stream_from_the_sdp_we_write() {
    let _guard = media_lock();
    let dir = tempdir();
    let base = free_base();
    let (sdp, json) = (path(&dir, "ours.sdp"), path(&dir, "a.json"));
    let a = Command::new(bin())
        .args(["call", "--no-prompt", "--insecure", "--sdp"])
        .arg(&sdp)
        .args(endpoint_args(base, false))
        .args(media_args(&json, 11.0))
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    wait_for_file(&sdp);
    let text = std::fs::read_to_string(&sdp).unwrap();
    let crc = path(&dir, "frames.crc");
    let ffmpeg = Command::new("ffmpeg")
        .args([
            "-nostdin",
            "-loglevel",
            "error",
            "-protocol_whitelist",
            "file,udp,rtp",
        ])
        .arg("-i")
        .arg(&sdp)
        .args(["-t", "5", "-f", "framecrc"])
        .arg(&crc)
        .output()
        .expect("ffmpeg runs");
    finish(a, "videocall");
    let frames = std::fs::read_to_string(&crc).unwrap_or_default();
    // framecrc lines: stream, dts, pts (video in frames, audio in samples), duration, ...
    let pts = |stream: &str| -> Vec<i64> {
        frames
            .lines()
            .filter(|l| l.starts_with(stream))
            .filter_map(|l| l.split(',').nth(2)?.trim().parse().ok())
            .collect()
    };
    let (video, audio) = (pts("0,"), pts("1,"));
    let err = String::from_utf8_lossy(&ffmpeg.stderr);
    // Video from the first key frame ffmpeg saw to the end of its 5 s: at least 90 % of the
    // frames in that span decoded, and at least 3 s of them.
    let span = video
        .last()
        .zip(video.first())
        .map_or(0, |(l, f)| l - f + 1);
    assert!(
        video.len() >= 75 && video.len() as f64 >= 0.9 * span as f64,
        "{} video frames of {span}; SDP:\n{text}\nffmpeg: {err}",
        video.len()
    );
    // 5 s of AAC frames of 1024 samples at 48 kHz: 234; at least 90 %.
    assert!(
        audio.len() >= 211,
        "{} audio frames; SDP:\n{text}\nffmpeg: {err}",
        audio.len()
    );
    // Whole key frames: nothing concealed.
    assert!(!err.contains("concealing"), "{err}");
}

/// Runs `ffmpeg -i sdp`, keeping the first `frames` decoded video frames as `framecrc` lines,
/// for at most `seconds`; returns how many it decoded and its stderr.
fn ffmpeg_frames_from(sdp: &Path, frames: u32, seconds: f64) -> (usize, String) {
    let mut ffmpeg = Command::new("ffmpeg")
        .args(["-nostdin", "-loglevel", "error"])
        .args(["-protocol_whitelist", "file,udp,rtp,srtp"])
        .arg("-i")
        .arg(sdp)
        .args(["-map", "0:v", "-frames:v", &frames.to_string()])
        .args(["-f", "framecrc", "-"])
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("ffmpeg runs (scripts/setup.sh installs it)");
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs_f64(seconds);
    while ffmpeg.try_wait().unwrap().is_none() && std::time::Instant::now() < deadline {
        sleep(0.1);
    }
    let out = interrupt(ffmpeg);
    let decoded = String::from_utf8_lossy(&out.stdout)
        .lines()
        .filter(|l| l.starts_with("0,"))
        .count();
    (decoded, String::from_utf8_lossy(&out.stderr).into_owned())
}

#[test]
fn ffmpeg_decrypts_our_stream_with_the_sdes_key_in_the_sdp_we_write() {
    use std::os::unix::fs::PermissionsExt;
    let dir = tempdir();
    let sdp = path(&dir, "ours.sdp");
    // Wrong uses are one line and exit 2, before anything starts.
    let base = free_base();
    let sdp_arg = sdp.to_str().unwrap();
    for (flags, pass, needle) in [
        (vec!["--sdp-crypto"], Some("pw"), "it needs --sdp FILE"),
        (
            vec!["--sdp-crypto", "--insecure", "--sdp", sdp_arg],
            None,
            "needs an encrypted call",
        ),
        (
            vec!["--sdp-crypto", "--sdp", sdp_arg],
            None,
            "needs an encrypted call",
        ),
    ] {
        let mut command = Command::new(bin());
        command
            .args(["call", "--no-prompt"])
            .args(&flags)
            .args(endpoint_args(base, false))
            .env_remove("VIDEOCALL_PASSPHRASE");
        if let Some(pass) = pass {
            command.env("VIDEOCALL_PASSPHRASE", pass);
        }
        let out = command.stdin(Stdio::null()).output().unwrap();
        let err = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{flags:?}: {err}");
        assert_eq!(err.lines().count(), 1, "{flags:?}: {err}");
        assert!(err.contains(needle), "{flags:?}: {err}");
    }
    assert!(!sdp.exists());

    let _guard = media_lock();
    let json = path(&dir, "a.json");
    let a = Command::new(bin())
        .args(["call", "--no-prompt", "--sdp"])
        .arg(&sdp)
        .args(["--sdp-crypto", "--srtp-suite", "aes-128-cm-sha1-80"])
        .args(endpoint_args(base, false))
        .args(media_args(&json, 16.0))
        .env("VIDEOCALL_PASSPHRASE", "sdes interop passphrase")
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    wait_for_file(&sdp);
    let text = std::fs::read_to_string(&sdp).unwrap();
    let mode = std::fs::metadata(&sdp).unwrap().permissions().mode();
    assert_eq!(mode & 0o777, 0o600, "the file holds a key");
    let crypto: Vec<&str> = text
        .lines()
        .filter(|l| l.starts_with("a=crypto:"))
        .collect();
    assert_eq!(crypto.len(), 2, "{text}");
    assert!(
        crypto
            .iter()
            .all(|l| l.starts_with("a=crypto:1 AES_CM_128_HMAC_SHA1_80 inline:") && l.len() == 82),
        "{text}"
    );
    assert_ne!(crypto[0], crypto[1], "video and audio have their own keys");
    assert!(
        text.contains(&format!("m=video {base} RTP/SAVPF 96")),
        "{text}"
    );
    // Without the keys ffmpeg gets the same packets and decodes (next to) nothing: they are
    // encrypted.
    let keyless = path(&dir, "keyless.sdp");
    let without: String = text
        .split_inclusive('\n')
        .filter(|l| !l.starts_with("a=crypto:"))
        .collect();
    std::fs::write(&keyless, without).unwrap();
    let (plain_frames, plain_err) = ffmpeg_frames_from(&keyless, 25, 4.0);
    // With them: real frames.
    let (frames, err) = ffmpeg_frames_from(&sdp, 25, 8.0);
    sigterm(&a);
    let out = finish(a, "videocall");
    let ours = String::from_utf8_lossy(&out.stderr);
    assert!(
        ours.contains(&format!(
            "the SDP file {} holds our sending key: anyone who reads it can decrypt what we send",
            sdp.display()
        )),
        "{ours}"
    );
    assert!(
        ours.contains("no a=crypto key for the peer's video and audio"),
        "{ours}"
    );
    // No exchange ran: none of its lines.
    assert!(
        !ours.contains("runs no key exchange") && !ours.contains("keys agreed"),
        "{ours}"
    );
    // Encrypted payloads now and then parse as a broken picture; a plain stream would give
    // all 25 frames at once.
    assert!(
        plain_frames < 10,
        "{plain_frames} frames decoded without the key: {plain_err}"
    );
    assert!(
        frames >= 25,
        "{frames} frames decoded; SDP:\n{text}\nffmpeg: {err}\nvideocall: {ours}"
    );
}

#[test]
fn a_peer_sdp_we_cannot_receive_is_refused_in_one_line() {
    let dir = tempdir();
    let vp8 = path(&dir, "vp8.sdp");
    std::fs::write(
        &vp8,
        "v=0\r\no=- 0 0 IN IP4 127.0.0.1\r\ns=x\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\n\
         m=video 5002 RTP/AVP 96\r\na=rtpmap:96 VP8/90000\r\n",
    )
    .unwrap();
    let missing = path(&dir, "missing.sdp");
    let garbage = path(&dir, "garbage.sdp");
    std::fs::write(&garbage, "hello\n").unwrap();
    for (file, needle) in [
        (&vp8, "VP8/90000"),
        (&missing, "cannot read"),
        (&garbage, "not an SDP"),
    ] {
        let out = run_with_input(
            &[
                "call",
                "--no-prompt",
                "--insecure",
                "--peer-sdp",
                file.to_str().unwrap(),
            ],
            "",
        );
        let err = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{err}");
        assert_eq!(err.lines().count(), 1, "{err}");
        assert!(
            err.starts_with("videocall: --peer-sdp") && err.contains(needle),
            "{err}"
        );
    }
}

#[test]
fn a_window_on_a_display_that_cannot_be_opened_is_one_clear_error_or_headless() {
    let base = free_base();
    let dir = tempdir();
    let run = |sink: &str| {
        let mut args = media_args(&path(&dir, "x.json"), 1.0);
        let at = args.iter().position(|a| a == "--video-sink").unwrap();
        args[at + 1] = sink.into();
        Command::new(bin())
            .args(["call", "--no-prompt", "--insecure"])
            .args(endpoint_args(base, false))
            .args(args)
            .env("DISPLAY", ":999")
            .env_remove("WAYLAND_DISPLAY")
            .stdin(Stdio::null())
            .output()
            .unwrap()
    };
    let out = run("window");
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(4), "{err}");
    assert!(
        err.contains("videocall: no video window sink opens display :999"),
        "{err}"
    );
    let out = run("auto");
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{err}");
    assert!(err.contains("showing no video (headless)"), "{err}");
}
