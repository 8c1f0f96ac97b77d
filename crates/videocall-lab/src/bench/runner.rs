//! Runs the two peer processes of the bench and asks the OS what they cost: each peer is this
//! binary's `call` with the hidden `--bench-probe`, on loopback ports, and is reaped with
//! `wait4` for its CPU time and peak RSS.

use std::fs::File;
use std::io::{BufRead, BufReader, Read};
use std::path::{Path, PathBuf};
use std::process::{ChildStdout, Command, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use super::analyze::Usage;
use crate::relay::args::ImpairmentArgs;
use crate::relay::plan::{Direction, PeerAddress, RelayPlan};
use videocall_core::config::{CallConfig, CallOptions, Endpoints, JsonTarget, ProtectionChoice};
use videocall_core::error::{AppError, AppResult};

/// One running peer process.
pub struct PeerProcess {
    pub label: String,
    pid: i32,
    started: Instant,
    stdout: Option<ChildStdout>,
    log: PathBuf,
}

/// The files a peer writes into the bench's directory.
pub fn probe_path(dir: &Path, label: &str) -> PathBuf {
    dir.join(format!("probe-{label}.jsonl"))
}

/// The quality log a peer writes into the bench's directory (`--quality-log`).
pub fn quality_path(dir: &Path, label: &str) -> PathBuf {
    dir.join(format!("quality-{label}.jsonl"))
}

/// The statistics file a peer writes into the bench's directory.
pub fn stats_path(dir: &Path, label: &str) -> PathBuf {
    dir.join(format!("stats-{label}.jsonl"))
}

/// The `call` arguments of one peer; `quality` adds `--quality-log` (numbered test pictures),
/// `stats_interval` is how often it writes a statistics line.
pub fn call_args(
    endpoints: &Endpoints,
    shared: &(CallOptions, ProtectionChoice),
    dir: &Path,
    label: &str,
    duration: Duration,
    quality: bool,
    stats_interval: Duration,
) -> Vec<String> {
    let (options, protection) = shared;
    let mut options = options.clone();
    options.stats_interval = stats_interval;
    options.stats_json = Some(JsonTarget::File(stats_path(dir, label)));
    options.duration = Some(duration);
    options.resilience.quality_log = quality.then(|| quality_path(dir, label));
    // Each peer process records to its own files, as the demo's peers do.
    options.record = options.record.for_peer(Some(label));
    CallConfig {
        endpoints: *endpoints,
        options,
        protection: protection.clone(),
        sdp_out: None,
        peer_sdp: None,
        bench_probe: Some(probe_path(dir, label)),
    }
    .to_args()
}

/// The `videocall relay` arguments that realise `plan` with the SPECs of `network`, for at
/// most `duration` (the bench stops it earlier).
pub fn relay_args(plan: &RelayPlan, network: &ImpairmentArgs, duration: Duration) -> Vec<String> {
    let mut args: Vec<String> = vec!["relay".into()];
    for (flag, value) in [
        ("--listen-ip", plan.listen_ip.to_string()),
        ("--port", plan.base.to_string()),
        ("--a-ip", plan.a.ip.to_string()),
        ("--a-video-port", plan.a.video_port.to_string()),
        ("--a-audio-port", plan.a.audio_port.to_string()),
        ("--b-ip", plan.b.ip.to_string()),
        ("--b-video-port", plan.b.video_port.to_string()),
        ("--b-audio-port", plan.b.audio_port.to_string()),
        ("--duration", format!("{:.3}", duration.as_secs_f64())),
    ] {
        args.extend([flag.to_string(), value]);
    }
    if plan.mirror_ports {
        args.push("--mirror-ports".into());
    }
    args.extend(network.relay_flags());
    args
}

/// The address of the bench's relay: a loopback address of its own, so that it can listen on
/// the peers' port numbers (mirrored ports: each peer sends where it would in a direct call).
pub const RELAY_IP: std::net::Ipv4Addr = std::net::Ipv4Addr::new(127, 0, 0, 2);

/// The relay plan between two loopback peers, and the peers' endpoints changed to send to it.
/// The relay listens on [`RELAY_IP`] at the peers' own port numbers (`relay_base` only names
/// the 8 ports an unmirrored relay would take).
pub fn through_relay(
    a: &Endpoints,
    b: &Endpoints,
    relay_base: u16,
    network: &ImpairmentArgs,
) -> AppResult<(RelayPlan, Endpoints, Endpoints)> {
    let (a_to_b, b_to_a) = network.directions()?;
    let address = |e: &Endpoints| PeerAddress {
        ip: e.local_ip,
        video_port: e.video.recv_rtp,
        audio_port: e.audio.recv_rtp,
    };
    let plan = RelayPlan {
        listen_ip: RELAY_IP.into(),
        base: relay_base,
        mirror_ports: true,
        a: address(a),
        b: address(b),
        a_to_b,
        b_to_a,
    };
    plan.check().map_err(AppError::Input)?;
    let to_relay = |e: &Endpoints, dir: Direction| {
        let (video, audio) = plan.listen_ports(dir);
        let mut e = *e;
        e.remote_ip = plan.listen_ip;
        e.video.dest_rtp = video;
        e.audio.dest_rtp = audio;
        e
    };
    let (a, b) = (to_relay(a, Direction::AToB), to_relay(b, Direction::BToA));
    Ok((plan, a, b))
}

impl PeerProcess {
    /// Starts `exe` with `args` and extra `env`; its stderr goes to a log file in `dir`.
    pub fn spawn(
        exe: &Path,
        label: &str,
        args: &[String],
        env: &[(String, String)],
        dir: &Path,
    ) -> AppResult<PeerProcess> {
        let log = dir.join(format!("peer-{label}.log"));
        let child = Command::new(exe)
            .args(args)
            .envs(env.iter().map(|(k, v)| (k, v)))
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(File::create(&log)?)
            .spawn()
            .map_err(|e| AppError::Media(format!("cannot start peer {label}: {e}")))?;
        Ok(PeerProcess {
            label: label.into(),
            pid: child.id() as i32,
            started: Instant::now(),
            stdout: child.stdout,
            log,
        })
    }

    pub fn pid(&self) -> i32 {
        self.pid
    }

    /// Blocks until the peer says it is up (its first frame is captured). Its other output is
    /// drained by a thread so it never blocks on a full pipe.
    pub fn wait_up(&mut self) -> AppResult<()> {
        let stdout = self.stdout.take().expect("wait_up is called once");
        let mut reader = BufReader::new(stdout);
        let mut line = String::new();
        loop {
            line.clear();
            if reader.read_line(&mut line)? == 0 {
                return Err(self.failure("ended before it was up"));
            }
            if line.trim() == "videocall-bench: up" {
                break;
            }
        }
        std::thread::spawn(move || {
            let _ = std::io::copy(&mut reader, &mut std::io::sink());
        });
        Ok(())
    }

    /// Blocks until the relay says it has started (its ports are bound and its schedule
    /// runs), and returns the wall-clock µs its schedule counts from. On an error the process
    /// is gone and reaped. Its stdout is drained.
    pub fn wait_relay_ready(&mut self, timeout: Duration) -> AppResult<u64> {
        if let Some(mut stdout) = self.stdout.take() {
            std::thread::spawn(move || {
                let _ = std::io::copy(&mut stdout, &mut std::io::sink());
            });
        }
        let started = Instant::now();
        loop {
            let log = std::fs::read_to_string(&self.log).unwrap_or_default();
            if let Some(started) = crate::relay::build::started_at(&log) {
                return Ok(started);
            }
            // SAFETY: kill(2) with signal 0 only checks that our own child still exists.
            let alive = unsafe { libc::kill(self.pid, 0) } == 0;
            let mut status = 0;
            // SAFETY: non-blocking check of our own child; reaped here only if it exited.
            let exited = unsafe { libc::waitpid(self.pid, &mut status, libc::WNOHANG) } == self.pid;
            if !alive || exited {
                return Err(self.failure("ended before it was up"));
            }
            if started.elapsed() > timeout {
                self.terminate();
                // SAFETY: waits for our own child, which was not reaped yet.
                unsafe { libc::waitpid(self.pid, &mut status, 0) };
                return Err(self.failure("was not up in time"));
            }
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    /// Asks the peer to end its call (as Ctrl-C would).
    pub fn terminate(&self) {
        // SAFETY: kill(2) on our own child, which is not reaped yet.
        unsafe { libc::kill(self.pid, libc::SIGTERM) };
    }

    /// Waits for the peer to exit; its CPU time and peak RSS come from the kernel (wait4).
    pub fn reap(self) -> AppResult<Usage> {
        let mut status = 0;
        // SAFETY: rusage is plain data; wait4 fills it in.
        let mut usage: libc::rusage = unsafe { std::mem::zeroed() };
        loop {
            // SAFETY: waits for our own child process.
            let r = unsafe { libc::wait4(self.pid, &mut status, 0, &mut usage) };
            if r == self.pid {
                break;
            }
            let err = std::io::Error::last_os_error();
            if err.kind() != std::io::ErrorKind::Interrupted {
                return Err(err.into());
            }
        }
        let wall_s = self.started.elapsed().as_secs_f64();
        if !libc::WIFEXITED(status) || libc::WEXITSTATUS(status) != 0 {
            return Err(self.failure("failed"));
        }
        let secs = |t: libc::timeval| t.tv_sec as f64 + t.tv_usec as f64 / 1e6;
        Ok(Usage {
            cpu_s: secs(usage.ru_utime) + secs(usage.ru_stime),
            wall_s,
            max_rss_kib: usage.ru_maxrss.max(0) as u64,
        })
    }

    /// An error naming the peer and the last line it wrote to stderr.
    fn failure(&self, what: &str) -> AppError {
        let mut text = String::new();
        let _ = File::open(&self.log).and_then(|mut f| f.read_to_string(&mut text));
        let last = text.lines().last().unwrap_or("no output").trim();
        AppError::Media(format!("bench peer {} {what}: {last}", self.label))
    }
}

/// Kills the given processes if the bench is not done by `deadline`: a hung peer must not hang
/// the bench. Send on the returned channel (or drop it) when done.
pub fn watchdog(pids: Vec<i32>, deadline: Duration) -> mpsc::Sender<()> {
    let (done, wait) = mpsc::channel::<()>();
    std::thread::spawn(move || {
        if let Err(mpsc::RecvTimeoutError::Timeout) = wait.recv_timeout(deadline) {
            for pid in pids {
                // SAFETY: our own children, still unreaped while the bench waits for them.
                unsafe { libc::kill(pid, libc::SIGKILL) };
            }
        }
    });
    done
}
