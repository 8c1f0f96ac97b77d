//! Tools for the integration tests: free ports, spawning `videocall` peers, reading their JSON.
#![allow(dead_code)]

use std::net::UdpSocket;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::sync::atomic::{AtomicU16, Ordering};
use std::sync::{Mutex, MutexGuard};
use std::time::Duration;

use serde_json::Value;

/// Media tests share two cores: run them one at a time so frame rates mean something.
static MEDIA: Mutex<()> = Mutex::new(());

pub fn media_lock() -> MutexGuard<'static, ()> {
    MEDIA.lock().unwrap_or_else(|e| e.into_inner())
}

pub fn bin() -> &'static str {
    env!("CARGO_BIN_EXE_videocall")
}

/// An even base port with 8 free UDP ports on 127.0.0.1 after it.
pub fn free_base() -> u16 {
    static NEXT: AtomicU16 = AtomicU16::new(0);
    let seed = (std::process::id() % 1000) as u16 * 16;
    loop {
        let n = NEXT.fetch_add(1, Ordering::Relaxed);
        // Below the ephemeral range (32768–60999): the peers' udpsinks bind ports there at random.
        let base = 20_000 + (seed + n * 16) % 12_000;
        let held: Result<Vec<_>, _> = (base..base + 8)
            .map(|p| UdpSocket::bind(("127.0.0.1", p)))
            .collect();
        if held.is_ok() {
            return base;
        }
    }
}

/// The flags of one side of a loopback call at `base`; side B mirrors side A.
pub fn endpoint_args(base: u16, side_b: bool) -> Vec<String> {
    let (vd, vr, ad, ar) = if side_b {
        (base + 2, base, base + 6, base + 4)
    } else {
        (base, base + 2, base + 4, base + 6)
    };
    [
        ("--video-dest-port", vd),
        ("--video-recv-port", vr),
        ("--audio-dest-port", ad),
        ("--audio-recv-port", ar),
    ]
    .iter()
    .flat_map(|(f, p)| [f.to_string(), p.to_string()])
    .chain(["--local-ip", "127.0.0.1", "--remote-ip", "127.0.0.1"].map(String::from))
    .collect()
}

/// Headless, test sources, quick reports.
pub fn media_args(json: &Path, seconds: f64) -> Vec<String> {
    vec![
        "--video-source".into(),
        "test".into(),
        "--audio-source".into(),
        "test".into(),
        "--video-sink".into(),
        "none".into(),
        "--audio-sink".into(),
        "none".into(),
        "--stats-interval".into(),
        "0.5".into(),
        "--stats-json".into(),
        json.display().to_string(),
        "--duration".into(),
        seconds.to_string(),
    ]
}

/// Starts one peer of a loopback call with flags only.
pub fn spawn_peer(base: u16, side_b: bool, json: &Path, seconds: f64) -> Child {
    spawn_peer_with(base, side_b, json, seconds, &[])
}

/// Starts one peer of a loopback call with flags only, and `extra` flags.
pub fn spawn_peer_with(
    base: u16,
    side_b: bool,
    json: &Path,
    seconds: f64,
    extra: &[&str],
) -> Child {
    Command::new(bin())
        .arg("call")
        .arg("--no-prompt")
        .args(endpoint_args(base, side_b))
        .args(media_args(json, seconds))
        .args(extra)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("videocall starts")
}

/// Waits for a peer and checks it ended cleanly.
pub fn finish(child: Child, name: &str) -> Output {
    let out = child.wait_with_output().expect("peer ends");
    assert!(
        out.status.success(),
        "{name} failed ({:?}): {}",
        out.status,
        String::from_utf8_lossy(&out.stderr)
    );
    out
}

/// The JSON snapshots a peer wrote, one per line.
pub fn snapshots(path: &Path) -> Vec<Value> {
    std::fs::read_to_string(path)
        .unwrap_or_default()
        .lines()
        .map(|l| serde_json::from_str(l).expect("each line is one JSON object"))
        .collect()
}

/// The first snapshot at or after `t` seconds.
pub fn at(snaps: &[Value], t: f64) -> &Value {
    snaps
        .iter()
        .find(|s| s["elapsed_s"].as_f64().unwrap() >= t)
        .unwrap_or_else(|| panic!("no snapshot after {t} s in {} snapshots", snaps.len()))
}

pub fn num(v: &Value, medium: &str, key: &str) -> f64 {
    v[medium][key]
        .as_f64()
        .unwrap_or_else(|| panic!("{medium}.{key} missing in {v}"))
}

/// A temporary directory for JSON files.
pub fn tempdir() -> tempfile::TempDir {
    tempfile::tempdir().expect("temp dir")
}

pub fn path(dir: &tempfile::TempDir, name: &str) -> PathBuf {
    dir.path().join(name)
}

pub fn sleep(secs: f64) {
    std::thread::sleep(Duration::from_secs_f64(secs));
}

/// Runs `videocall` with `args` and `stdin`, for quick failure cases.
pub fn run_with_input(args: &[&str], stdin: &str) -> Output {
    use std::io::Write;
    let mut child = Command::new(bin())
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("videocall starts");
    let mut input = child.stdin.take().unwrap();
    let _ = input.write_all(stdin.as_bytes());
    drop(input);
    child.wait_with_output().unwrap()
}

pub fn sigterm(child: &Child) {
    // SAFETY: kill(2) on our own child's pid.
    unsafe { libc::kill(child.id() as i32, libc::SIGTERM) };
}

/// Offsets of a peer's four reception ports from its video RTP port: video RTP/RTCP, audio
/// RTP/RTCP (as `endpoint_args` lays them out).
pub const PORT_OFFSETS: [u16; 4] = [0, 1, 4, 5];

/// One datagram a [`Tap`] saw: the port offset it came in on, when, and its bytes.
#[derive(Debug, Clone)]
pub struct Tapped {
    pub offset: u16,
    pub at: Duration,
    pub bytes: Vec<u8>,
}

/// A recording forwarder on 127.0.0.1: listens on `listen + PORT_OFFSETS`, forwards each
/// datagram to `forward + the same offset` (when given), and keeps them all.
pub struct Tap {
    stop: std::sync::Arc<std::sync::atomic::AtomicBool>,
    handle: std::thread::JoinHandle<Vec<Tapped>>,
}

impl Tap {
    pub fn start(listen: u16, forward: Option<u16>) -> Tap {
        let sockets: Vec<(u16, UdpSocket)> = PORT_OFFSETS
            .iter()
            .map(|off| {
                let s = UdpSocket::bind(("127.0.0.1", listen + off)).expect("tap port");
                s.set_nonblocking(true).unwrap();
                (*off, s)
            })
            .collect();
        let stop = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
        let flag = stop.clone();
        let handle = std::thread::spawn(move || {
            let t0 = std::time::Instant::now();
            let mut seen = Vec::new();
            let mut buf = vec![0u8; 65536];
            while !flag.load(Ordering::Relaxed) {
                let mut idle = true;
                for (off, socket) in &sockets {
                    while let Ok(n) = socket.recv(&mut buf) {
                        idle = false;
                        if let Some(fwd) = forward {
                            let _ = socket.send_to(&buf[..n], ("127.0.0.1", fwd + off));
                        }
                        seen.push(Tapped {
                            offset: *off,
                            at: t0.elapsed(),
                            bytes: buf[..n].to_vec(),
                        });
                    }
                }
                if idle {
                    std::thread::sleep(Duration::from_millis(1));
                }
            }
            seen
        });
        Tap { stop, handle }
    }

    /// Stops and returns what went through.
    pub fn finish(self) -> Vec<Tapped> {
        self.stop.store(true, Ordering::Relaxed);
        self.handle.join().expect("tap thread")
    }
}

/// Flags of a peer on 127.0.0.1 receiving at `recv` (+4 for audio) and sending to `dest`
/// (+4 for audio).
pub fn ports_args(recv: u16, dest: u16) -> Vec<String> {
    [
        ("--video-dest-port", dest),
        ("--video-recv-port", recv),
        ("--audio-dest-port", dest + 4),
        ("--audio-recv-port", recv + 4),
    ]
    .iter()
    .flat_map(|(f, p)| [f.to_string(), p.to_string()])
    .chain(["--local-ip", "127.0.0.1", "--remote-ip", "127.0.0.1"].map(String::from))
    .collect()
}

/// One encrypted (`pass`) or plain peer receiving at `recv` and sending to `dest`.
pub fn spawn_at(
    recv: u16,
    dest: u16,
    json: &Path,
    seconds: f64,
    pass: Option<&str>,
    extra: &[&str],
) -> Child {
    let mut cmd = Command::new(bin());
    cmd.arg("call")
        .arg("--no-prompt")
        .args(ports_args(recv, dest))
        .args(media_args(json, seconds))
        .args(extra)
        .env_remove("VIDEOCALL_PASSPHRASE")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    match pass {
        Some(p) => cmd.env("VIDEOCALL_PASSPHRASE", p),
        None => cmd.arg("--insecure"),
    };
    cmd.spawn().expect("videocall starts")
}

/// One side of a loopback call at `base` laid out as `endpoint_args` does (A receives at
/// base + 2, B at base), encrypted with `pass` or plain.
pub fn spawn_side(
    base: u16,
    side_b: bool,
    json: &Path,
    seconds: f64,
    pass: Option<&str>,
    extra: &[&str],
) -> Child {
    let (recv, dest) = if side_b {
        (base, base + 2)
    } else {
        (base + 2, base)
    };
    spawn_at(recv, dest, json, seconds, pass, extra)
}

/// An X server for window tests; stopped (SIGTERM, so it removes its socket and lock file)
/// when dropped.
pub struct Xvfb(Child);

impl Drop for Xvfb {
    fn drop(&mut self) {
        sigterm(&self.0);
        let _ = self.0.wait();
    }
}

/// Starts Xvfb (800x600, 24 bits) on the first free display number from `first`; returns it
/// with the display name.
pub fn start_xvfb(first: u32) -> (Xvfb, String) {
    for n in first..first + 40 {
        if Path::new(&format!("/tmp/.X11-unix/X{n}")).exists()
            || Path::new(&format!("/tmp/.X{n}-lock")).exists()
        {
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
                return (Xvfb(child), display);
            }
            sleep(0.1);
        }
        drop(Xvfb(child));
    }
    panic!("no free X display number");
}

/// The top-left 640x480 of X display `display` as raw pixels in `pix_fmt` (ffmpeg's name:
/// `gray`, `rgb24`).
pub fn x11_screenshot(display: &str, pix_fmt: &str) -> Vec<u8> {
    let out = Command::new("ffmpeg")
        .args([
            "-loglevel",
            "error",
            "-f",
            "x11grab",
            "-draw_mouse",
            "0",
            "-video_size",
            "640x480",
            "-i",
        ])
        .arg(format!("{display}+0,0"))
        .args(["-frames:v", "1", "-f", "rawvideo", "-pix_fmt", pix_fmt, "-"])
        .output()
        .expect("ffmpeg runs (scripts/setup.sh installs it)");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    out.stdout
}

/// GStreamer's plugin directory, as pkg-config gives it.
pub fn plugin_dir() -> std::path::PathBuf {
    let out = Command::new("pkg-config")
        .args(["--variable=pluginsdir", "gstreamer-1.0"])
        .output()
        .expect("pkg-config runs");
    String::from_utf8(out.stdout).unwrap().trim().into()
}
