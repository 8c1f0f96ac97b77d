//! The call window under Xvfb: two real peers over loopback, each with its window on its own X
//! display. The picture in A's window is checked for the peer's video and the self-view inset;
//! keys typed into the window (xdotool) mute, pause and end the call, and B's window shows the
//! paused picture.

mod common;

use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use common::*;
use serde_json::Value;

/// An X server of the test's own, stopped when dropped (a failed assertion included).
/// A running peer, killed if the test fails before it ends.
struct Running(Option<Child>);

impl Running {
    fn take(&mut self) -> Child {
        self.0.take().expect("the peer is running")
    }

    /// Ends the peer (if it has not ended) and says how it ended and what it wrote last, for a
    /// failure's message.
    fn end_and_describe(&mut self) -> String {
        let mut child = self.take();
        let ended = child.try_wait().ok().flatten();
        if ended.is_none() {
            let _ = child.kill();
        }
        let Ok(out) = child.wait_with_output() else {
            return "no output".into();
        };
        let tail = |bytes: &[u8], n: usize| {
            let text = String::from_utf8_lossy(bytes);
            let lines: Vec<&str> = text.lines().collect();
            lines[lines.len().saturating_sub(n)..].join("\n")
        };
        format!(
            "{}\n--- stderr ---\n{}\n--- stdout ---\n{}",
            ended.map_or("still running (killed)".to_string(), |s| format!(
                "ended: {s}"
            )),
            tail(&out.stderr, 40),
            tail(&out.stdout, 10)
        )
    }
}

impl Drop for Running {
    fn drop(&mut self) {
        if let Some(child) = &mut self.0 {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}

/// The window's 640x480 picture, as RGB.
struct Shot(Vec<u8>);

impl Shot {
    fn take(display: &str) -> Shot {
        let pixels = x11_screenshot(display, "rgb24");
        assert_eq!(pixels.len(), 640 * 480 * 3);
        Shot(pixels)
    }

    fn rgb(&self, x: usize, y: usize) -> [u8; 3] {
        let i = (y * 640 + x) * 3;
        [self.0[i], self.0[i + 1], self.0[i + 2]]
    }

    /// Share of the pixels of the rectangle [x0, x1) x [y0, y1) that `test` accepts.
    fn share(
        &self,
        (x0, x1): (usize, usize),
        (y0, y1): (usize, usize),
        test: impl Fn([u8; 3]) -> bool,
    ) -> f64 {
        let mut hits = 0;
        for y in y0..y1 {
            for x in x0..x1 {
                hits += usize::from(test(self.rgb(x, y)));
            }
        }
        hits as f64 / ((x1 - x0) * (y1 - y0)) as f64
    }
}

fn bright(p: [u8; 3]) -> bool {
    p.iter().all(|c| *c > 180)
}

/// The "video paused" colour (0x203060, `plan::window::PAUSED_COLOUR`) after coding.
fn paused_blue(p: [u8; 3]) -> bool {
    let [r, g, b] = p.map(i32::from);
    (r - 0x20).abs() < 24 && (g - 0x30).abs() < 24 && (b - 0x60).abs() < 24
}

/// The inset: 160x120 at (470, 350) in a 640x480 picture (`plan::window::window_plan`).
const INSET: ((usize, usize), (usize, usize)) = ((470, 630), (350, 470));
/// The received picture away from the inset.
const MAIN: ((usize, usize), (usize, usize)) = ((0, 460), (0, 480));

/// What xdotool wrote to stdout, and to stderr.
fn xdotool_output(display: &str, args: &[&str]) -> (String, String) {
    let out = Command::new("xdotool")
        .args(args)
        .env("DISPLAY", display)
        .output()
        .expect("xdotool runs (scripts/setup.sh installs it)");
    let text = |b: &[u8]| String::from_utf8_lossy(b).trim().to_string();
    (text(&out.stdout), text(&out.stderr))
}

fn xdotool(display: &str, args: &[&str]) -> String {
    xdotool_output(display, args).0
}

/// Waits up to `secs` for `peer`'s window named `name` on `display`; returns its id. Fails
/// with the peer's last words, and what X said.
fn wait_for_window(display: &str, name: &str, secs: f64, peer: &mut Running) -> String {
    let end = Instant::now() + Duration::from_secs_f64(secs);
    let mut said = String::new();
    while Instant::now() < end {
        let (id, err) = xdotool_output(display, &["search", "--name", name]);
        if let Some(first) = id.lines().next() {
            return first.to_string();
        }
        said = err;
        sleep(0.2);
    }
    let windows = xdotool(display, &["search", "--name", "."]);
    panic!(
        "no window named {name:?} on {display} within {secs} s (xdotool: {said:?}; windows: \
         {windows:?}); the peer: {}",
        peer.end_and_describe()
    );
}

/// Types `key` into window `id`.
fn press(display: &str, id: &str, key: &str) {
    xdotool(display, &["key", "--window", id, key]);
}

/// Waits up to `secs` for the newest snapshot in `json` to satisfy `test`.
fn wait_for_snapshot(json: &Path, secs: f64, test: impl Fn(&Value) -> bool) -> Value {
    let end = Instant::now() + Duration::from_secs_f64(secs);
    loop {
        if let Some(last) = snapshots(json).last()
            && test(last)
        {
            return last.clone();
        }
        assert!(
            Instant::now() < end,
            "{:?} within {secs} s",
            snapshots(json).last()
        );
        sleep(0.25);
    }
}

fn window_peer(base: u16, side_b: bool, json: &Path, seconds: f64, display: &str) -> Child {
    let mut args = media_args(json, seconds);
    let sink = args.iter().position(|a| a == "--video-sink").unwrap();
    args[sink + 1] = "window".into();
    Command::new(bin())
        .args(["call", "--no-prompt", "--insecure"])
        .args(endpoint_args(base, side_b))
        .args(args)
        .env("DISPLAY", display)
        .env_remove("WAYLAND_DISPLAY")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("videocall starts")
}

#[test]
fn the_window_shows_the_peer_and_the_self_view_and_its_keys_steer_the_call() {
    let _guard = media_lock();
    let (xa, da) = start_xvfb(130);
    let (xb, db) = start_xvfb(170);
    let dir = tempdir();
    let base = free_base();
    let (ja, jb) = (path(&dir, "a.json"), path(&dir, "b.json"));
    let mut a = Running(Some(window_peer(base, false, &ja, 60.0, &da)));
    let mut b = Running(Some(window_peer(base, true, &jb, 60.0, &db)));
    let started = Instant::now();

    // The title names the peer.
    let window = wait_for_window(&da, "videocall - 127.0.0.1", 30.0, &mut a);
    let title = xdotool(&da, &["getwindowname", &window]);
    assert!(title.starts_with("videocall - 127.0.0.1"), "{title}");
    wait_for_snapshot(&ja, 20.0, |s| {
        s["video"]["frames_rendered"].as_f64() > Some(50.0)
    });
    sleep(1.0);

    // The peer's picture (a white ball on black) fills the window; the self-view is a framed
    // inset in the bottom-right corner with our own ball in it, and both move.
    let first = Shot::take(&da);
    sleep(0.5);
    let second = Shot::take(&da);
    let main_bright = first.share(MAIN.0, MAIN.1, bright);
    assert!(
        (0.002..0.2).contains(&main_bright),
        "peer's picture: {main_bright}"
    );
    let ((ix0, ix1), (iy0, iy1)) = INSET;
    let top_edge = first.share((ix0 + 4, ix1 - 4), (iy0, iy0 + 1), bright);
    let left_edge = first.share((ix0, ix0 + 1), (iy0 + 4, iy1 - 4), bright);
    assert!(
        top_edge > 0.9 && left_edge > 0.9,
        "inset frame: {top_edge} {left_edge}"
    );
    let inner = ((ix0 + 3, ix1 - 3), (iy0 + 3, iy1 - 3));
    let inset_bright = first.share(inner.0, inner.1, bright);
    assert!(
        (0.001..0.3).contains(&inset_bright),
        "self-view: {inset_bright}"
    );
    let moved = |area: ((usize, usize), (usize, usize))| {
        let ((x0, x1), (y0, y1)) = area;
        (y0..y1)
            .flat_map(|y| (x0..x1).map(move |x| (x, y)))
            .filter(|&(x, y)| {
                let (p, q) = (first.rgb(x, y), second.rgb(x, y));
                p.iter().zip(q).any(|(a, b)| a.abs_diff(b) > 64)
            })
            .count()
    };
    assert!(moved(MAIN) > 200, "the peer's picture is frozen");
    assert!(moved(inner) > 10, "the self-view is frozen");

    // `m` mutes: the JSON says so and the text report too.
    press(&da, &window, "m");
    let muted = wait_for_snapshot(&ja, 10.0, |s| s["microphone_muted"] == true);
    assert_eq!(muted["camera_paused"], false, "{muted}");

    // `v` pauses the camera: we say so, the peer's window shows the paused picture within a
    // couple of seconds (a key frame goes out at once), and so does our self-view.
    press(&da, &window, "v");
    wait_for_snapshot(&ja, 10.0, |s| s["camera_paused"] == true);
    sleep(2.0);
    let peer = Shot::take(&db);
    let peer_blue = peer.share(MAIN.0, MAIN.1, paused_blue);
    assert!(peer_blue > 0.6, "B sees the paused picture: {peer_blue}");
    let ours = Shot::take(&da);
    let inset_blue = ours.share(inner.0, inner.1, paused_blue);
    assert!(inset_blue > 0.6, "our self-view shows it too: {inset_blue}");
    assert!(
        ours.share(MAIN.0, MAIN.1, paused_blue) < 0.05,
        "B's camera is not paused"
    );
    // B's video keeps its rate: the paused picture is encoded and sent as video is.
    let b_now = snapshots(&jb).last().cloned().unwrap();
    assert!(num(&b_now, "video", "bitrate_bps") > 1e6, "{b_now}");

    // `v` again brings the camera back, `q` ends the call with exit 0 long before its duration.
    press(&da, &window, "v");
    wait_for_snapshot(&ja, 10.0, |s| s["camera_paused"] == false);
    press(&da, &window, "q");
    let out = finish(a.take(), "A (window)");
    assert!(
        started.elapsed() < Duration::from_secs(50),
        "q did not end the call"
    );
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        text.contains("sending: microphone muted, camera paused"),
        "{text}"
    );
    let b = b.take();
    sigterm(&b);
    finish(b, "B");
    drop((xa, xb));
}
