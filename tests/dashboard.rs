//! The live dashboard driven in a real terminal: `videocall demo` runs in a detached tmux
//! session of fixed size; the screen is read twice (the figures are there and change), `q`
//! ends the call with exit 0 and the terminal is given back (main screen, cooked mode).

mod common;

use std::path::Path;
use std::process::Command;
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::{Duration, Instant};

use common::*;

/// One tmux server of our own per test (its socket named after this process and the test), so
/// nothing else's sessions are touched.
struct Tmux {
    socket: String,
}

impl Tmux {
    fn new() -> Tmux {
        static NEXT: AtomicU32 = AtomicU32::new(0);
        Tmux {
            socket: format!(
                "videocall-dashboard-test-{}-{}",
                std::process::id(),
                NEXT.fetch_add(1, Ordering::Relaxed)
            ),
        }
    }

    fn run(&self, args: &[&str]) -> String {
        let out = Command::new("tmux")
            .args(["-L", &self.socket])
            .args(args)
            .output()
            .expect("tmux runs (scripts/setup.sh installs it)");
        assert!(
            out.status.success(),
            "tmux {args:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8_lossy(&out.stdout).into_owned()
    }

    /// Runs `command` in a detached session "call" of `cols` x `rows`.
    fn start(&self, cols: u16, rows: u16, command: &str) {
        let (cols, rows) = (cols.to_string(), rows.to_string());
        self.run(&[
            "new-session",
            "-d",
            "-s",
            "call",
            "-x",
            &cols,
            "-y",
            &rows,
            command,
        ]);
    }

    fn screen(&self) -> String {
        self.run(&["capture-pane", "-p", "-t", "call"])
    }

    /// A pane variable (`alternate_on`, `pane_tty`, …).
    fn pane(&self, variable: &str) -> String {
        self.run(&[
            "display-message",
            "-p",
            "-t",
            "call",
            &format!("#{{{variable}}}"),
        ])
        .trim()
        .to_string()
    }

    /// Waits (at most `secs`) until `ready` holds for the screen, which it returns.
    fn wait_for(&self, secs: f64, what: &str, ready: impl Fn(&str) -> bool) -> String {
        let deadline = Instant::now() + Duration::from_secs_f64(secs);
        loop {
            let screen = self.screen();
            if ready(&screen) {
                return screen;
            }
            assert!(Instant::now() < deadline, "no {what} in time:\n{screen}");
            sleep(0.25);
        }
    }
}

impl Drop for Tmux {
    fn drop(&mut self) {
        let _ = Command::new("tmux")
            .args(["-L", &self.socket, "kill-server"])
            .output();
    }
}

/// The numbers of the dashboard's row `name` in the first peer's table (empty before the
/// first report).
fn row(screen: &str, name: &str) -> Vec<f64> {
    let Some(line) = screen
        .lines()
        .find(|l| l.trim_start_matches('│').starts_with(name))
    else {
        return Vec::new();
    };
    line.trim_start_matches('│')[name.len()..]
        .split_whitespace()
        .filter_map(|w| w.parse().ok())
        .collect()
}

/// The terminal line discipline of the pane: raw mode turns `icanon` and `echo` off.
fn cooked(tty: &str) -> bool {
    let out = Command::new("stty")
        .args(["-F", tty, "-a"])
        .output()
        .expect("stty runs");
    let flags = String::from_utf8_lossy(&out.stdout).into_owned();
    let has = |flag: &str| flags.split_whitespace().any(|w| w == flag);
    has("icanon") && has("echo")
}

fn exit_line(path: &Path) -> Option<String> {
    std::fs::read_to_string(path)
        .ok()
        .filter(|s| s.ends_with('\n'))
}

/// Waits up to `secs` for the shell to write the call's exit status to `path`; returns it.
fn wait_for_exit(path: &Path, secs: u64, what: &str) -> String {
    let deadline = Instant::now() + Duration::from_secs(secs);
    loop {
        if let Some(line) = exit_line(path) {
            return line.trim().to_string();
        }
        assert!(Instant::now() < deadline, "{what}");
        sleep(0.25);
    }
}

#[test]
fn the_dashboard_shows_changing_figures_and_q_ends_the_call_cleanly() {
    let _lock = media_lock();
    let dir = tempdir();
    let exit = path(&dir, "exit");
    let json = path(&dir, "stats.json");
    let stderr = path(&dir, "stderr");
    let tmux = Tmux::new();
    // The shell stays after the call so the restored terminal can be looked at.
    let command = format!(
        "{} demo --video-source test --audio-source test --video-sink none --audio-sink none \
         --stats-json {} 2>{}; echo $? > {}; sleep 120",
        bin(),
        json.display(),
        stderr.display(),
        exit.display()
    );
    tmux.start(160, 50, &command);
    let first = tmux.wait_for(30.0, "figures", |s| {
        s.contains("peer B") && row(s, "packets").first().is_some_and(|p| *p > 0.0)
    });
    let tty = tmux.pane("pane_tty");
    assert_eq!(tmux.pane("alternate_on"), "1", "on the alternate screen");
    assert!(!cooked(&tty), "raw mode while the dashboard is up");
    for figure in [
        "peer A",
        "video in",
        "audio out",
        "bitrate avg",
        "octets",
        "jitter",
        "pushed",
        "rtt",
        "fps",
        "Mbit/s",
        "plain RTP",
        "keys: no key exchange",
        "video bitrate",
    ] {
        assert!(first.contains(figure), "no {figure}:\n{first}");
    }
    let before = row(&first, "packets");
    let second = tmux.wait_for(10.0, "new figures", |s| {
        row(s, "packets").first() > before.first()
    });
    let after = row(&second, "packets");
    assert!(after[0] > before[0], "{before:?} → {after:?}");
    assert!(
        after.len() >= 3 && after[2] > 0.0,
        "we send, and say so: {after:?}"
    );
    let fps = row(&second, "fps");
    assert!(
        fps.first().is_some_and(|fps| (15.0..=30.0).contains(fps)),
        "{second}"
    );

    tmux.run(&["send-keys", "-t", "call", "q"]);
    let code = wait_for_exit(&exit, 20, "q did not end the call");
    assert_eq!(code, "0", "exit code");
    assert_eq!(tmux.pane("alternate_on"), "0", "back on the main screen");
    assert!(cooked(&tty), "the terminal's mode is given back");
    // The JSON kept coming while the dashboard was up, and the log lines were kept.
    let snaps = snapshots(&json);
    assert!(snaps.len() >= 4, "{} JSON lines", snaps.len());
    assert!(snaps.iter().any(|s| s["peer"] == "B"));
    let log = std::fs::read_to_string(&stderr).unwrap();
    assert!(log.contains("videocall demo: peers A and B"), "{log}");
}

#[test]
fn plain_keeps_the_report_lines_in_a_terminal() {
    let _lock = media_lock();
    let dir = tempdir();
    let exit = path(&dir, "exit");
    let tmux = Tmux::new();
    let command = format!(
        "{} demo --plain --duration 3 --video-source test --audio-source test --video-sink none \
         --audio-sink none 2>/dev/null; echo $? > {}; sleep 120",
        bin(),
        exit.display()
    );
    tmux.start(200, 50, &command);
    assert_eq!(wait_for_exit(&exit, 30, "the call did not end"), "0");
    let screen = tmux.screen();
    assert!(screen.contains("] video "), "{screen}");
    assert!(!screen.contains("video in"), "{screen}");
}

#[test]
fn an_encrypted_call_shows_the_words_to_compare_on_both_peers() {
    let _lock = media_lock();
    let dir = tempdir();
    let exit = path(&dir, "exit");
    let tmux = Tmux::new();
    let command = format!(
        "env VIDEOCALL_PASSPHRASE=correct-horse {} demo --video-source test --audio-source test \
         --video-sink none --audio-sink none 2>/dev/null; echo $? > {}; sleep 120",
        bin(),
        exit.display()
    );
    tmux.start(160, 50, &command);
    let screen = tmux.wait_for(30.0, "the words", |s| {
        s.matches("keys: SRTP from the key exchange").count() == 2
    });
    let words: Vec<&str> = screen
        .lines()
        .filter_map(|l| l.split("words \"").nth(1))
        .filter_map(|rest| rest.split('"').next())
        .collect();
    assert_eq!(words.len(), 2, "{screen}");
    assert_eq!(words[0], words[1], "both peers agree: {screen}");
    assert!(screen.contains("SRTP aes-128-gcm"), "{screen}");
    tmux.run(&["send-keys", "-t", "call", "q"]);
    assert_eq!(wait_for_exit(&exit, 20, "q did not end the call"), "0");
}

#[test]
fn a_small_terminal_shows_one_peer_and_tab_moves_to_the_other() {
    let _lock = media_lock();
    let dir = tempdir();
    let exit = path(&dir, "exit");
    let tmux = Tmux::new();
    let command = format!(
        "{} demo --video-source test --audio-source test --video-sink none --audio-sink none \
         2>/dev/null; echo $? > {}; sleep 120",
        bin(),
        exit.display()
    );
    tmux.start(80, 24, &command);
    let first = tmux.wait_for(30.0, "peer A's figures", |s| {
        s.contains("peer A") && !row(s, "packets").is_empty()
    });
    assert!(!first.contains("peer B"), "{first}");
    assert!(first.contains("[A]"), "{first}");
    tmux.run(&["send-keys", "-t", "call", "Tab"]);
    tmux.wait_for(10.0, "peer B", |s| {
        s.contains("peer B") && s.contains("[B]")
    });
    tmux.run(&["send-keys", "-t", "call", "q"]);
    assert_eq!(wait_for_exit(&exit, 20, "q did not end the call"), "0");
}
