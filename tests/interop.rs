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

/// One `videocall` side at `base` (side B), headless, with `extra` flags.
fn spawn_videocall(base: u16, json: &Path, seconds: f64, extra: &[&str]) -> Child {
    Command::new(bin())
        .arg("call")
        .arg("--no-prompt")
        .arg("--insecure")
        .args(endpoint_args(base, true))
        .args(media_args(json, seconds))
        .args(extra)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("videocall starts")
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

/// A sender built from stock GStreamer elements, H.264 at x264enc's default profile (High,
/// with `tune=zerolatency`), to B's video port; with RTCP (rtpbin) it also sends LATM audio.
fn stock_sender(base: u16, with_rtcp: bool) -> Child {
    // Side B receives video on base, audio on base + 4.
    let video = "videotestsrc is-live=true pattern=ball ! video/x-raw,width=640,height=480,framerate=25/1 \
                 ! x264enc tune=zerolatency key-int-max=25 ! rtph264pay pt=96 config-interval=-1";
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
fn a_stock_gstreamer_sender_at_x264s_default_profile_is_shown_with_and_without_rtcp() {
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
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(
            fps >= 20.0,
            "with RTCP {with_rtcp}: {fps:.1} fps; videocall: {err}; sender: {}",
            String::from_utf8_lossy(&sent.stderr)
        );
        if with_rtcp {
            let last = snaps.last().unwrap();
            assert!(num(last, "audio", "packets_pushed") > 150.0, "{last}");
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
    }
}

/// Starts Xvfb on a free display number; returns it with the display name.
fn start_xvfb() -> (Child, String) {
    for n in 90..120 {
        if Path::new(&format!("/tmp/.X11-unix/X{n}")).exists() {
            continue;
        }
        let display = format!(":{n}");
        let child = Command::new("Xvfb")
            .args([
                display.as_str(),
                "-screen",
                "0",
                "800x600x24",
                "-br",
                "-nolisten",
                "tcp",
            ])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("Xvfb runs (scripts/setup.sh installs xvfb)");
        for _ in 0..50 {
            if Path::new(&format!("/tmp/.X11-unix/X{n}")).exists() {
                return (child, display);
            }
            sleep(0.1);
        }
        panic!("Xvfb did not start on {display}");
    }
    panic!("no free X display number");
}

/// A grey-scale screenshot of the top-left 640x480 of `display`.
fn screenshot(display: &str) -> Vec<u8> {
    let out = Command::new("ffmpeg")
        .args([
            "-loglevel",
            "error",
            "-f",
            "x11grab",
            "-video_size",
            "640x480",
            "-i",
        ])
        .arg(format!("{display}+0,0"))
        .args(["-frames:v", "1", "-f", "rawvideo", "-pix_fmt", "gray", "-"])
        .output()
        .expect("ffmpeg runs (scripts/setup.sh installs it)");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    out.stdout
}

#[test]
fn a_call_shows_the_peers_moving_picture_in_a_window_under_xvfb() {
    let _guard = media_lock();
    let (mut xvfb, display) = start_xvfb();
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
    let first = screenshot(&display);
    sleep(0.5);
    let second = screenshot(&display);
    let out = finish(a, "A (window)");
    finish(b, "B");
    let _ = xvfb.kill();
    let _ = xvfb.wait();
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
