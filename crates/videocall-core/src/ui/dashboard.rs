//! The live terminal dashboard (ratatui on crossterm): one more [`View`], drawn from each
//! report's snapshots. Per peer: what the call is, the key-exchange words, what we receive and
//! what we send (with what the peer reports about it) side by side, and sparklines of the last
//! minute. While it is up the terminal is in raw mode on the alternate screen and standard error
//! goes into the dashboard's log panel; every way out (`q`, Ctrl-C, the call's end, an error,
//! a panic) gives the terminal back as it was and writes the captured lines to standard error.
//!
//! Keys are read on a thread of their own and sent as [`Controls`]; the main loop applies them.

use std::collections::VecDeque;
use std::fs::File;
use std::io::{BufRead, BufReader, Stdout, Write};
use std::os::fd::FromRawFd;
use std::sync::atomic::{AtomicBool, AtomicI32, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, Once};
use std::thread::JoinHandle;
use std::time::Duration;

use ratatui::Terminal;
use ratatui::backend::CrosstermBackend;
use ratatui::crossterm::event::{self, Event, KeyCode, KeyEventKind, KeyModifiers};
use ratatui::crossterm::{cursor, execute, terminal};
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::style::{Color, Modifier, Style};
use ratatui::text::Line;
use ratatui::widgets::{Block, Borders, Cell, Paragraph, Row, Sparkline, Table, Wrap};

use super::control::{CallControl, Controls, control_for_key};
use super::history::{MediumHistory, Series};
use super::{PeerReport, View};
use crate::error::{AppError, AppResult};
use crate::stats::model::{Snapshot, StreamStats};
use crate::stats::report::{format_bitrate, format_bytes, key_exchange_line, startup_line};
use crate::ui::lines::controls_note;

/// Lines of captured standard error kept for the log panel and written out at the end.
const MAX_LOG_LINES: usize = 500;

/// How often the key thread looks up from waiting for a key to see whether the dashboard is
/// closing, so it never reads the shell's keys once the call is over.
const KEY_WAIT: Duration = Duration::from_millis(200);

/// What the dashboard knows of a peer before the first report.
#[derive(Debug, Clone, Default)]
pub struct PeerInfo {
    /// `A`/`B` in the demo.
    pub label: Option<String>,
    /// The line that says what the call is (media, protection, addresses).
    pub summary: Option<String>,
}

/// One peer's part of the screen: its description, latest snapshot and last minute.
struct Panel {
    info: PeerInfo,
    latest: Option<Snapshot>,
    video: MediumHistory,
    audio: MediumHistory,
}

/// The live dashboard. Build it with [`Dashboard::open`] while standard output is a terminal.
pub struct Dashboard {
    terminal: Option<Terminal<CrosstermBackend<Stdout>>>,
    capture: Option<StderrCapture>,
    keys: Option<KeyReader>,
    panels: Vec<Panel>,
    log: Arc<Mutex<VecDeque<String>>>,
    now: f64,
    /// The peer shown when the terminal is too small for all (Tab moves it on).
    selected: Arc<AtomicUsize>,
}

impl Dashboard {
    /// Takes the terminal (raw mode, alternate screen), captures standard error and starts
    /// reading keys into `controls`.
    pub fn open(peers: Vec<PeerInfo>, controls: Controls) -> AppResult<Dashboard> {
        let log: Arc<Mutex<VecDeque<String>>> = Arc::default();
        let failed = |e: std::io::Error| AppError::Input(format!("the dashboard: {e}"));
        install_panic_hook();
        let capture = StderrCapture::start(log.clone()).map_err(failed)?;
        let mut dashboard = Dashboard {
            terminal: None,
            capture: Some(capture),
            keys: None,
            panels: peers
                .into_iter()
                .map(|info| Panel {
                    info,
                    latest: None,
                    video: MediumHistory::default(),
                    audio: MediumHistory::default(),
                })
                .collect(),
            log,
            now: 0.0,
            selected: Arc::default(),
        };
        // From here on, Drop gives the terminal back if anything fails.
        terminal::enable_raw_mode().map_err(failed)?;
        ACTIVE.store(true, Ordering::SeqCst);
        execute!(
            std::io::stdout(),
            terminal::EnterAlternateScreen,
            cursor::Hide
        )
        .map_err(failed)?;
        dashboard.terminal =
            Some(Terminal::new(CrosstermBackend::new(std::io::stdout())).map_err(failed)?);
        dashboard.keys = Some(KeyReader::start(controls, dashboard.selected.clone()));
        dashboard.draw();
        Ok(dashboard)
    }

    fn draw(&mut self) {
        let log: Vec<String> = self.log.lock().map_or_else(
            |_| Vec::new(),
            |log| log.iter().rev().take(8).rev().cloned().collect(),
        );
        let (panels, now) = (&self.panels, self.now);
        let selected = self.selected.load(Ordering::Relaxed);
        if let Some(terminal) = &mut self.terminal {
            let _ = terminal.draw(|frame| draw_screen(frame, now, panels, selected, &log));
        }
    }

    /// Gives the terminal and standard error back; the lines standard error got meanwhile
    /// are written to it then. Safe to call more than once.
    fn restore(&mut self) {
        if let Some(keys) = self.keys.take() {
            keys.stop();
        }
        if self.terminal.take().is_some() || ACTIVE.load(Ordering::SeqCst) {
            restore_terminal();
        }
        if let Some(capture) = self.capture.take() {
            capture.stop();
            if let Ok(log) = self.log.lock() {
                let mut stderr = std::io::stderr().lock();
                for line in log.iter() {
                    let _ = writeln!(stderr, "{line}");
                }
            }
        }
    }
}

impl View for Dashboard {
    fn show(&mut self, now: f64, peers: &[PeerReport<'_>]) {
        self.now = now;
        for (i, report) in peers.iter().enumerate() {
            let panel = match self
                .panels
                .iter()
                .position(|p| p.info.label.as_deref() == report.label)
            {
                Some(found) => &mut self.panels[found],
                None if i < self.panels.len() => &mut self.panels[i],
                None => {
                    self.panels.push(Panel {
                        info: PeerInfo {
                            label: report.label.map(str::to_string),
                            summary: None,
                        },
                        latest: None,
                        video: MediumHistory::default(),
                        audio: MediumHistory::default(),
                    });
                    self.panels.last_mut().expect("just pushed")
                }
            };
            panel.video.push(now, &report.snapshot.video);
            panel.audio.push(now, &report.snapshot.audio);
            panel.latest = Some(report.snapshot.clone());
        }
        self.draw();
    }

    fn finish(&mut self) -> AppResult<()> {
        self.restore();
        Ok(())
    }
}

impl Drop for Dashboard {
    fn drop(&mut self) {
        self.restore();
    }
}

/// Whether the terminal is in the dashboard's state (raw, alternate screen), for the panic hook.
static ACTIVE: AtomicBool = AtomicBool::new(false);
/// The real standard error while it is captured (-1 otherwise), for the panic hook.
static SAVED_STDERR: AtomicI32 = AtomicI32::new(-1);

fn restore_terminal() {
    ACTIVE.store(false, Ordering::SeqCst);
    let _ = execute!(
        std::io::stdout(),
        terminal::LeaveAlternateScreen,
        cursor::Show
    );
    let _ = terminal::disable_raw_mode();
}

/// A panic while the dashboard is up first gives the terminal and standard error back, so the
/// panic's message is readable and the shell usable.
fn install_panic_hook() {
    static INSTALL: Once = Once::new();
    INSTALL.call_once(|| {
        let previous = std::panic::take_hook();
        std::panic::set_hook(Box::new(move |info| {
            let saved = SAVED_STDERR.swap(-1, Ordering::SeqCst);
            if saved >= 0 {
                // SAFETY: `saved` is the duplicate of the real standard error the capture
                // keeps open until it puts it back.
                unsafe { libc::dup2(saved, libc::STDERR_FILENO) };
            }
            if ACTIVE.load(Ordering::SeqCst) {
                restore_terminal();
            }
            previous(info);
        }));
    });
}

/// Standard error redirected into a pipe whose lines go to the log panel, so log lines (ours,
/// tracing's, GStreamer's) cannot tear the screen.
struct StderrCapture {
    saved: i32,
    reader: JoinHandle<()>,
}

impl StderrCapture {
    fn start(log: Arc<Mutex<VecDeque<String>>>) -> std::io::Result<StderrCapture> {
        let mut fds = [0; 2];
        // SAFETY: plain descriptor calls on descriptors this function owns; each result is
        // checked before use.
        unsafe {
            if libc::pipe(fds.as_mut_ptr()) != 0 {
                return Err(std::io::Error::last_os_error());
            }
            let saved = libc::dup(libc::STDERR_FILENO);
            if saved < 0 || libc::dup2(fds[1], libc::STDERR_FILENO) < 0 {
                let e = std::io::Error::last_os_error();
                libc::close(fds[0]);
                libc::close(fds[1]);
                if saved >= 0 {
                    libc::close(saved);
                }
                return Err(e);
            }
            libc::close(fds[1]);
            libc::fcntl(saved, libc::F_SETFD, libc::FD_CLOEXEC);
            libc::fcntl(fds[0], libc::F_SETFD, libc::FD_CLOEXEC);
            SAVED_STDERR.store(saved, Ordering::SeqCst);
            let pipe = File::from_raw_fd(fds[0]);
            let reader = std::thread::Builder::new()
                .name("dashboard-log".into())
                .spawn(move || {
                    for line in BufReader::new(pipe).lines() {
                        let Ok(line) = line else { break };
                        let line = strip_ansi(&line);
                        if let Ok(mut log) = log.lock() {
                            if log.len() == MAX_LOG_LINES {
                                log.pop_front();
                            }
                            log.push_back(line);
                        }
                    }
                })?;
            Ok(StderrCapture { saved, reader })
        }
    }

    /// Puts the real standard error back; the reader ends at the pipe's end of file.
    fn stop(self) {
        let _ = std::io::stderr().flush();
        if SAVED_STDERR.swap(-1, Ordering::SeqCst) >= 0 {
            // SAFETY: `saved` is our duplicate of the real standard error; putting it back
            // closes the pipe's only write end.
            unsafe {
                libc::dup2(self.saved, libc::STDERR_FILENO);
                libc::close(self.saved);
            }
        }
        let _ = self.reader.join();
    }
}

/// The thread that turns key presses into controls.
struct KeyReader {
    stop: Arc<AtomicBool>,
    thread: JoinHandle<()>,
}

impl KeyReader {
    fn start(controls: Controls, selected: Arc<AtomicUsize>) -> KeyReader {
        let stop = Arc::new(AtomicBool::new(false));
        let thread = {
            let stop = stop.clone();
            std::thread::spawn(move || {
                while !stop.load(Ordering::SeqCst) {
                    match event::poll(KEY_WAIT) {
                        Ok(true) => {}
                        Ok(false) => continue,
                        Err(_) => break,
                    }
                    let Ok(Event::Key(key)) = event::read() else {
                        continue;
                    };
                    if key.kind != KeyEventKind::Press {
                        continue;
                    }
                    let control = match key.code {
                        // Raw mode turns Ctrl-C into a key: it ends the call as SIGINT would.
                        KeyCode::Char('c') if key.modifiers.contains(KeyModifiers::CONTROL) => {
                            Some(CallControl::EndCall)
                        }
                        KeyCode::Char(c) => control_for_key(c),
                        KeyCode::Esc => Some(CallControl::EndCall),
                        // The next peer, when only one fits (shown at the next report).
                        KeyCode::Tab => {
                            selected.fetch_add(1, Ordering::Relaxed);
                            None
                        }
                        _ => None,
                    };
                    if let Some(control) = control {
                        controls.send(control);
                    }
                }
            })
        };
        KeyReader { stop, thread }
    }

    fn stop(self) {
        self.stop.store(true, Ordering::SeqCst);
        let _ = self.thread.join();
    }
}

/// `line` without its ANSI escape sequences (the log's colours), which would garble the panel.
pub fn strip_ansi(line: &str) -> String {
    let mut out = String::with_capacity(line.len());
    let mut chars = line.chars().peekable();
    while let Some(c) = chars.next() {
        if c != '\u{1b}' {
            out.push(c);
            continue;
        }
        // CSI: ESC [ parameters… final byte in @..~; any other escape is ESC and one char.
        if chars.next_if_eq(&'[').is_some() {
            for c in chars.by_ref() {
                if ('@'..='~').contains(&c) {
                    break;
                }
            }
        } else {
            chars.next();
        }
    }
    out
}

/// A duration in milliseconds, or `-` when unknown.
pub fn format_ms(ms: Option<f64>) -> String {
    ms.map_or("-".into(), |ms| format!("{ms:.2} ms"))
}

/// A share in percent, or `-` when unknown.
pub fn format_pct(pct: Option<f64>) -> String {
    pct.map_or("-".into(), |p| format!("{p:.1} %"))
}

/// The figures table of one peer: a row name, then video and audio as received, then video
/// and audio as sent (with what the peer reports about them). `loss_in` is the loss of the
/// last interval of what we receive (video, audio), in percent.
pub fn table_rows(snap: &Snapshot, loss_in: [Option<f64>; 2]) -> Vec<(&'static str, [String; 4])> {
    let media = [&snap.video, &snap.audio];
    let recv = |f: &dyn Fn(&StreamStats) -> String| [f(media[0]), f(media[1])];
    let sent = |f: &dyn Fn(&StreamStats) -> Option<String>| {
        [f(media[0]), f(media[1])].map(|v| v.unwrap_or_else(|| "-".into()))
    };
    let row = |name, r: [String; 2], s: [String; 2]| {
        let [r0, r1] = r;
        let [s0, s1] = s;
        (name, [r0, r1, s0, s1])
    };
    let none = || ["".to_string(), "".to_string()];
    vec![
        row(
            "bitrate now",
            recv(&|s| format_bitrate(s.bitrate_bps)),
            sent(&|s| s.sent.as_ref().map(|x| format_bitrate(x.bitrate_bps))),
        ),
        row(
            "bitrate avg",
            recv(&|s| format_bitrate(s.avg_bitrate_bps)),
            none(),
        ),
        row(
            "target",
            none(),
            sent(&|s| {
                s.send_target_kbps
                    .map(|k| format_bitrate(k as f64 * 1000.0))
            }),
        ),
        row(
            "packets",
            recv(&|s| s.packets_received.to_string()),
            sent(&|s| s.sent.as_ref().map(|x| x.packets_sent.to_string())),
        ),
        row("octets", recv(&|s| format_bytes(s.octets_received)), none()),
        row("jitter", recv(&|s| format_ms(Some(s.jitter_ms))), none()),
        row("pushed", recv(&|s| s.packets_pushed.to_string()), none()),
        row(
            "lost",
            recv(&|s| s.packets_lost.to_string()),
            sent(&|s| s.sent.as_ref().map(|x| x.peer_packets_lost.to_string())),
        ),
        row(
            "loss",
            loss_in.map(format_pct),
            sent(&|s| s.sent.as_ref().map(|x| format_pct(x.peer_loss_pct))),
        ),
        row(
            "rtt",
            recv(&|s| format_ms(s.rtt_ms)),
            sent(&|s| Some(format_ms(s.rtt_ms))),
        ),
        row(
            "fps",
            recv(&|s| match (s.fps, s.frames_rendered) {
                (Some(fps), Some(frames)) => format!("{fps:.1} ({frames} frames)"),
                _ => String::new(),
            }),
            none(),
        ),
    ]
}

/// The line under a peer's summary: the key exchange's state and words, or that there is none,
/// then what the user switched off (`m`, `v`).
pub fn keys_line(snap: Option<&Snapshot>) -> String {
    let keys = match snap.and_then(|s| s.key_exchange.as_ref()) {
        Some(x) => key_exchange_line(x),
        None => "keys: no key exchange in this call".into(),
    };
    match snap.and_then(controls_note) {
        Some(note) => format!("{keys} | {note}"),
        None => keys,
    }
}

/// Rows a peer's panel needs to show everything.
const PANEL_ROWS: u16 = 22;

/// Which peers to show in `rows` rows: all when they fit, otherwise only the `selected` one
/// (modulo the count), as tabs.
pub fn visible_peers(count: usize, rows: u16, selected: usize) -> Vec<usize> {
    if count <= 1 || rows >= PANEL_ROWS * count as u16 {
        (0..count).collect()
    } else {
        vec![selected % count]
    }
}

fn draw_screen(
    frame: &mut ratatui::Frame,
    now: f64,
    panels: &[Panel],
    selected: usize,
    log: &[String],
) {
    let [title, body, log_area] = Layout::vertical([
        Constraint::Length(1),
        Constraint::Min(0),
        Constraint::Length(5),
    ])
    .areas(frame.area());
    frame.render_widget(
        Paragraph::new(Line::from(format!(
            " videocall  {now:>6.1} s   q: end the call   m: mute   v: pause the camera"
        )))
        .style(Style::default().add_modifier(Modifier::BOLD)),
        title,
    );
    let shown = visible_peers(panels.len(), body.height, selected);
    let body = if shown.len() < panels.len() {
        let [tabs, rest] =
            Layout::vertical([Constraint::Length(1), Constraint::Min(0)]).areas(body);
        let names: Vec<String> = panels
            .iter()
            .enumerate()
            .map(|(i, p)| {
                let name = p.info.label.as_deref().unwrap_or("call");
                if shown.contains(&i) {
                    format!("[{name}]")
                } else {
                    format!(" {name} ")
                }
            })
            .collect();
        frame.render_widget(
            Paragraph::new(format!(" {}   Tab: the other peer", names.join(" "))),
            tabs,
        );
        rest
    } else {
        body
    };
    let count = shown.len().max(1) as u32;
    let areas = Layout::vertical((0..count).map(|_| Constraint::Ratio(1, count))).split(body);
    for (&i, area) in shown.iter().zip(areas.iter()) {
        draw_panel(frame, &panels[i], *area);
    }
    let log_rows = log_area.height.saturating_sub(1) as usize;
    let lines: Vec<Line> = log
        .iter()
        .skip(log.len().saturating_sub(log_rows))
        .map(|l| Line::from(l.as_str()))
        .collect();
    frame.render_widget(
        Paragraph::new(lines).block(Block::default().borders(Borders::TOP).title(" log ")),
        log_area,
    );
}

fn draw_panel(frame: &mut ratatui::Frame, panel: &Panel, area: Rect) {
    let title = match &panel.info.label {
        Some(label) => format!(" peer {label} "),
        None => " call ".to_string(),
    };
    let block = Block::default().borders(Borders::ALL).title(title);
    let inner = block.inner(area);
    frame.render_widget(block, area);
    let summary_text = panel.info.summary.clone().unwrap_or_default();
    // Word wrapping leaves lines a little short: a tenth more than the characters.
    let summary_chars = summary_text.chars().count() as u16;
    let summary_rows = (summary_chars + summary_chars / 10).div_ceil(inner.width.max(1));
    let [summary, keys, start, table, sparks] = Layout::vertical([
        Constraint::Length(summary_rows.clamp(1, 3)),
        Constraint::Length(1),
        Constraint::Length(1),
        Constraint::Length(12),
        Constraint::Min(0),
    ])
    .areas(inner);
    frame.render_widget(
        Paragraph::new(summary_text)
            .wrap(Wrap { trim: true })
            .style(Style::default().fg(Color::Cyan)),
        summary,
    );
    frame.render_widget(
        Paragraph::new(keys_line(panel.latest.as_ref())).style(Style::default().fg(Color::Yellow)),
        keys,
    );
    let Some(snap) = &panel.latest else {
        frame.render_widget(Paragraph::new("waiting for the first report…"), table);
        return;
    };
    frame.render_widget(
        Paragraph::new(
            startup_line(&snap.startup)
                .unwrap_or_else(|| "start: waiting for the first frame".into()),
        ),
        start,
    );
    let loss_in = [panel.video.loss_pct.last(), panel.audio.loss_pct.last()];
    let header = Row::new(
        ["", "video in", "audio in", "video out", "audio out"]
            .map(|h| Cell::from(h).style(Style::default().add_modifier(Modifier::BOLD))),
    );
    let rows = table_rows(snap, loss_in)
        .into_iter()
        .map(|(name, [a, b, c, d])| Row::new([name.to_string(), a, b, c, d]));
    let widths = [
        Constraint::Length(12),
        Constraint::Length(18),
        Constraint::Length(14),
        Constraint::Length(14),
        Constraint::Length(14),
    ];
    frame.render_widget(Table::new(rows, widths).header(header), table);

    let [video_sparks, audio_sparks] =
        Layout::vertical([Constraint::Ratio(1, 2), Constraint::Ratio(1, 2)]).areas(sparks);
    for (name, history, area) in [
        ("video", &panel.video, video_sparks),
        ("audio", &panel.audio, audio_sparks),
    ] {
        let cells = Layout::horizontal([Constraint::Ratio(1, 4); 4]).split(area);
        let figures: [(String, &Series, f64); 4] = [
            (
                format!(
                    "{name} bitrate {}",
                    format_bitrate(history.bitrate_bps.last().unwrap_or(0.0))
                ),
                &history.bitrate_bps,
                1e-3,
            ),
            (
                format!("jitter {}", format_ms(history.jitter_ms.last())),
                &history.jitter_ms,
                100.0,
            ),
            (
                format!("loss {}", format_pct(history.loss_pct.last())),
                &history.loss_pct,
                100.0,
            ),
            (
                format!("rtt {}", format_ms(history.rtt_ms.last())),
                &history.rtt_ms,
                100.0,
            ),
        ];
        for ((label, series, scale), cell) in figures.into_iter().zip(cells.iter()) {
            let data = series.bars(cell.width as usize, scale);
            frame.render_widget(
                Sparkline::default()
                    .block(Block::default().title(label))
                    .data(&data)
                    .max((series.max() * scale).ceil().max(1.0) as u64)
                    .style(Style::default().fg(Color::Green)),
                *cell,
            );
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::stats::model::SentReport;

    #[test]
    fn figures_read_as_the_text_report_does() {
        assert_eq!(format_ms(None), "-");
        assert_eq!(format_ms(Some(0.254)), "0.25 ms");
        assert_eq!(format_pct(Some(2.345)), "2.3 %");
        assert_eq!(format_pct(None), "-");
    }

    #[test]
    fn the_table_has_both_directions_side_by_side() {
        let mut snap = Snapshot::default();
        snap.video.bitrate_bps = 1_990_000.0;
        snap.video.packets_received = 4539;
        snap.video.rtt_ms = Some(0.2);
        snap.video.fps = Some(25.0);
        snap.video.frames_rendered = Some(498);
        snap.video.send_target_kbps = Some(1800);
        snap.video.sent = Some(SentReport {
            bitrate_bps: 2_000_000.0,
            packets_sent: 4600,
            peer_packets_lost: 3,
            peer_loss_pct: Some(0.5),
        });
        let rows = table_rows(&snap, [Some(1.0), None]);
        let get = |name: &str| rows.iter().find(|(n, _)| *n == name).unwrap().1.clone();
        assert_eq!(get("bitrate now")[0], "1.99 Mbit/s");
        assert_eq!(get("bitrate now")[2], "2.00 Mbit/s");
        assert_eq!(get("bitrate now")[3], "-", "no audio sender known");
        assert_eq!(get("packets"), ["4539", "0", "4600", "-"]);
        assert_eq!(get("target")[2], "1.80 Mbit/s");
        assert_eq!(get("lost")[2], "3");
        assert_eq!(get("loss")[..3], ["1.0 %", "-", "0.5 %"]);
        assert_eq!(get("rtt")[0], "0.20 ms");
        assert_eq!(get("fps")[0], "25.0 (498 frames)");
        // The brief's five figures are all there.
        for name in ["bitrate avg", "packets", "octets", "jitter", "pushed"] {
            assert!(rows.iter().any(|(n, _)| *n == name), "{name}");
        }
    }

    #[test]
    fn colours_are_taken_out_of_log_lines() {
        assert_eq!(
            strip_ansi("\u{1b}[2m2026\u{1b}[0m \u{1b}[32m INFO\u{1b}[0m ok"),
            "2026  INFO ok"
        );
        assert_eq!(strip_ansi("plain"), "plain");
        assert_eq!(strip_ansi("cut \u{1b}["), "cut ");
    }

    #[test]
    fn peers_become_tabs_when_the_terminal_is_too_small() {
        assert_eq!(visible_peers(2, 50, 0), vec![0, 1]);
        assert_eq!(visible_peers(2, 20, 0), vec![0]);
        assert_eq!(visible_peers(2, 20, 3), vec![1]);
        assert_eq!(visible_peers(1, 5, 7), vec![0]);
        assert_eq!(visible_peers(0, 5, 0), Vec::<usize>::new());
    }

    #[test]
    fn the_keys_line_says_when_there_is_no_exchange() {
        assert_eq!(keys_line(None), "keys: no key exchange in this call");
        let muted = Snapshot {
            microphone_muted: true,
            ..Snapshot::default()
        };
        assert_eq!(
            keys_line(Some(&muted)),
            "keys: no key exchange in this call | sending: microphone muted"
        );
    }
}
