//! Runs a call: the one owner of the GLib main loop. Peers are started; every `adapt::TICK_S`
//! each peer polls its pipeline once and applies what its adapter decides; reports are printed
//! every stats interval from a fresh poll; bus errors, the duration and Ctrl-C/SIGTERM end the
//! loop, and the peers are stopped in reverse order.

pub mod peer;
pub mod sdp_out;
mod throttle;

use std::cell::RefCell;
use std::fs::File;
use std::io::{BufWriter, Write};
use std::path::Path;
use std::rc::Rc;
use std::time::{Duration, Instant};

use gst::glib;
use gst::prelude::*;

pub use crate::plan::peer::PeerPlan;
pub use peer::Peer;

use crate::config::{CallOptions, JsonTarget};
use crate::error::{AppError, AppResult};
use crate::stats::Snapshot;
use crate::stats::compute::StatsComputer;
use crate::stats::{RawSample, RecordedSample};
use crate::ui::control::{CallControl, Controls};
use crate::ui::dashboard::PeerInfo;
use crate::ui::{CallReport, Dashboard, JsonLines, PeerReport, TextLines, View};

/// Where reports go: every view gets each report's snapshots. Text goes to stdout (stderr when
/// JSON takes stdout), JSON to its target.
struct Reporter {
    views: Vec<Box<dyn View>>,
    /// When the last report was made, so the final one does not repeat it.
    last_at: Option<f64>,
    /// For views that keep the whole call: statistics of their own, from the adaptation ticks.
    history: Option<History>,
}

/// One `StatsComputer` per peer, fed the adaptation ticks' polls, so history samples come every
/// `ui::HISTORY_INTERVAL_S` without another poll and without changing the reports' rates.
#[derive(Default)]
struct History {
    computers: Vec<StatsComputer>,
    last_at: Option<f64>,
}

impl Reporter {
    fn open(options: &CallOptions, peers: &[Peer], controls: &Controls) -> AppResult<Reporter> {
        let mut views: Vec<Box<dyn View>> = match options.stats_json.as_ref() {
            None => vec![Box::new(TextLines(Box::new(std::io::stdout())))],
            Some(JsonTarget::Stdout) => vec![
                Box::new(TextLines(Box::new(std::io::stderr()))),
                Box::new(JsonLines(Box::new(std::io::stdout()))),
            ],
            Some(JsonTarget::File(path)) => {
                let file = File::create(path).map_err(|e| {
                    AppError::Input(format!(
                        "--stats-json: cannot create {}: {e}",
                        path.display()
                    ))
                })?;
                vec![
                    Box::new(TextLines(Box::new(std::io::stdout()))),
                    Box::new(JsonLines(Box::new(BufWriter::new(file)))),
                ]
            }
        };
        // The dashboard takes the text lines' place on a terminal (JSON to a file stays); the
        // relay alone (no peers) keeps its lines.
        if options.dashboard && !peers.is_empty() {
            let infos = peers
                .iter()
                .map(|peer| PeerInfo {
                    label: peer.label.clone(),
                    summary: peer.summary.clone(),
                })
                .collect();
            views[0] = Box::new(Dashboard::open(infos, controls.clone())?);
        }
        if let Some(target) = &options.report {
            views.push(Box::new(CallReport::create(target)?));
        }
        let history = views
            .iter()
            .any(|view| view.wants_history())
            .then(History::default);
        Ok(Reporter {
            views,
            last_at: None,
            history,
        })
    }

    /// One adaptation tick's polls, one per peer: a history sample when one is due.
    fn ticked(&mut self, peers: &[Peer], now: f64, samples: &[RawSample]) {
        let Some(history) = &mut self.history else {
            return;
        };
        history
            .computers
            .resize_with(samples.len(), StatsComputer::default);
        let snapshots: Vec<Snapshot> = history
            .computers
            .iter_mut()
            .zip(samples)
            .map(|(computer, sample)| computer.update(sample, now))
            .collect();
        // Half a tick early still counts: ticks are not exactly on time.
        let due = history.last_at.is_none_or(|last| {
            now - last >= crate::ui::HISTORY_INTERVAL_S - crate::adapt::TICK_S / 2.0
        });
        if !due {
            return;
        }
        history.last_at = Some(now);
        let reports: Vec<_> = peers
            .iter()
            .zip(&snapshots)
            .map(|(peer, snapshot)| PeerReport {
                label: peer.label.as_deref(),
                snapshot,
            })
            .collect();
        for view in self.views.iter_mut().filter(|view| view.wants_history()) {
            view.history(now, &reports);
        }
    }

    fn report(&mut self, peers: &mut [Peer], now: f64) {
        self.last_at = Some(now);
        let snapshots: Vec<_> = peers.iter_mut().map(|p| p.snapshot(now)).collect();
        let reports: Vec<_> = peers
            .iter()
            .zip(&snapshots)
            .map(|(peer, snapshot)| PeerReport {
                label: peer.label.as_deref(),
                snapshot,
            })
            .collect();
        for view in &mut self.views {
            view.show(now, &reports);
        }
    }

    /// Lets every view finish; the first failure is returned after all had their turn.
    fn finish(&mut self) -> AppResult<()> {
        let mut first = Ok(());
        for view in &mut self.views {
            if let Err(e) = view.finish() {
                first = first.and(Err(e));
            }
        }
        first
    }
}

/// `--record-samples`: one file per peer (the demo's peers add their label as the extension),
/// one JSON line per tick.
struct Recorder {
    files: Vec<BufWriter<File>>,
}

impl Recorder {
    fn open(path: &Path, peers: &[Peer]) -> AppResult<Recorder> {
        let files = peers
            .iter()
            .map(|peer| {
                let path = match &peer.label {
                    Some(label) => path.with_extension(label),
                    None => path.to_path_buf(),
                };
                File::create(&path).map(BufWriter::new).map_err(|e| {
                    AppError::Input(format!(
                        "--record-samples: cannot create {}: {e}",
                        path.display()
                    ))
                })
            })
            .collect::<AppResult<_>>()?;
        Ok(Recorder { files })
    }

    fn record(&mut self, peer: usize, now: f64, sample: RawSample) {
        let Some(file) = self.files.get_mut(peer) else {
            return;
        };
        let line = serde_json::to_string(&RecordedSample { now, sample })
            .expect("a sample always serializes");
        let _ = writeln!(file, "{line}");
        let _ = file.flush();
    }
}

/// A pipeline that runs beside the peers in the main loop (the lab's impairment relay): it
/// starts before them and stops after them, so no packet of the call bypasses it, and its bus
/// is watched like theirs.
pub trait Companion {
    fn pipeline(&self) -> &gst::Pipeline;
    fn start(&self) -> AppResult<()>;
    /// A line for each report, if it has something to say.
    fn report(&self, now: f64) -> Option<String>;
    fn stop(&self);
}

/// Whether `msg` comes from a recording's elements (`plan::record` names them all `record-…`).
fn from_recording(msg: &gst::Message) -> bool {
    msg.src()
        .is_some_and(|src| src.name().starts_with("record-"))
}

/// Runs `peers` until the duration ends, a signal arrives or a pipeline fails.
pub fn run(peers: Vec<Peer>, options: &CallOptions) -> AppResult<()> {
    run_with(peers, None, options)
}

/// Runs `peers` (possibly none) and a `companion` beside them.
pub fn run_with(
    peers: Vec<Peer>,
    relay: Option<Box<dyn Companion>>,
    options: &CallOptions,
) -> AppResult<()> {
    let main_loop = glib::MainLoop::new(None, false);
    let failure: Rc<RefCell<Option<AppError>>> = Rc::default();
    // Keys from the window or the dashboard arrive as controls, applied here and only here.
    let (controls, control_requests) = Controls::channel();
    let reporter = Rc::new(RefCell::new(Reporter::open(options, &peers, &controls)?));
    let mut recorder = match &options.record_samples {
        Some(path) => Some(Recorder::open(path, &peers)?),
        None => None,
    };

    let mut watches = Vec::new();
    let pipelines = peers
        .iter()
        .map(Peer::pipeline)
        .chain(relay.iter().map(|r| r.pipeline()));
    for pipeline in pipelines {
        let bus = pipeline.bus().expect("a pipeline has a bus");
        let (main_loop, failure) = (main_loop.clone(), failure.clone());
        let mut throttle = throttle::Throttle::new(std::time::Duration::from_secs(10));
        let weak_pipeline = pipeline.downgrade();
        let watch = bus
            .add_watch_local(move |_, msg| {
                match msg.view() {
                    // A recording that fails (a full disk) stops; the call goes on.
                    gst::MessageView::Error(e) if from_recording(msg) => {
                        eprintln!(
                            "videocall: the recording stopped: {}",
                            crate::build::peer::describe_error(e)
                        );
                    }
                    gst::MessageView::Error(e) => {
                        failure
                            .borrow_mut()
                            .get_or_insert(AppError::Media(crate::build::peer::describe_error(e)));
                        main_loop.quit();
                    }
                    gst::MessageView::Warning(w) => {
                        let text = w.error().to_string();
                        if let Some(hidden) = throttle.allow(&text, Instant::now()) {
                            match hidden {
                                0 => tracing::warn!("{text}"),
                                n => tracing::warn!("{text} (and {n} more like it)"),
                            }
                        }
                    }
                    // The jitter buffer's latency changed (`adapt::latency`): re-time the sinks.
                    gst::MessageView::Latency(_) => {
                        if let Some(pipeline) = weak_pipeline.upgrade() {
                            let _ = pipeline.recalculate_latency();
                        }
                    }
                    _ => {}
                }
                glib::ControlFlow::Continue
            })
            .map_err(|e| AppError::Media(format!("cannot watch the pipeline bus: {e}")))?;
        watches.push(watch);
    }

    if let Some(relay) = &relay {
        relay.start()?;
    }
    for (started, peer) in peers.iter().enumerate() {
        if let Err(e) = peer.start() {
            peers[..started].iter().rev().for_each(Peer::stop);
            return Err(e);
        }
    }
    let started_at = Instant::now();
    let peers = Rc::new(RefCell::new(peers));
    let relay = Rc::new(relay);

    let stats_timer = {
        let (peers, reporter, relay) = (peers.clone(), reporter.clone(), relay.clone());
        glib::timeout_add_local(options.stats_interval, move || {
            let now = started_at.elapsed().as_secs_f64();
            reporter.borrow_mut().report(&mut peers.borrow_mut(), now);
            if let Some(line) = relay.as_ref().as_ref().and_then(|r| r.report(now)) {
                eprintln!("{line}");
            }
            glib::ControlFlow::Continue
        })
    };
    // One poll per peer and tick feeds its adapter (rate, latency, redundancy, and the peer
    // watch every `adapt::adapter::WATCH_S`).
    let adapt_timer = {
        let (peers, reporter) = (peers.clone(), reporter.clone());
        glib::timeout_add_local(Duration::from_secs_f64(crate::adapt::TICK_S), move || {
            let now = started_at.elapsed().as_secs_f64();
            let mut peers = peers.borrow_mut();
            let mut samples = Vec::with_capacity(peers.len());
            for (i, peer) in peers.iter_mut().enumerate() {
                let sample = peer.tick(now);
                if let Some(recorder) = &mut recorder {
                    recorder.record(i, now, sample.clone());
                }
                samples.push(sample);
            }
            reporter.borrow_mut().ticked(&peers, now, &samples);
            glib::ControlFlow::Continue
        })
    };
    // The transport-wide feedback goes to the adapter more often than the full poll: a
    // bottleneck's queue must be seen within ~100 ms (`adapt::delay`).
    let feedback_timer = {
        let peers = peers.clone();
        glib::timeout_add_local(
            Duration::from_secs_f64(crate::adapt::FEEDBACK_TICK_S),
            move || {
                let now = started_at.elapsed().as_secs_f64();
                peers
                    .borrow_mut()
                    .iter_mut()
                    .for_each(|peer| peer.feedback_tick(now));
                glib::ControlFlow::Continue
            },
        )
    };
    let mut sources = vec![stats_timer, adapt_timer, feedback_timer];
    // Keys from the windows arrive as controls too, applied here and only here.
    peers
        .borrow()
        .iter()
        .enumerate()
        .for_each(|(i, peer)| peer.forward_keys(&controls.for_peer(i)));
    let control_task = {
        let (peers, main_loop) = (peers.clone(), main_loop.clone());
        glib::MainContext::default().spawn_local(async move {
            while let Ok(request) = control_requests.recv().await {
                let peers = peers.borrow();
                let targets = peers
                    .iter()
                    .enumerate()
                    .filter(|(i, _)| request.peer.is_none_or(|p| p == *i))
                    .map(|(_, peer)| peer);
                match request.control {
                    CallControl::EndCall => main_loop.quit(),
                    CallControl::ToggleMicrophone => targets.for_each(Peer::toggle_microphone),
                    CallControl::ToggleCamera => targets.for_each(Peer::toggle_camera),
                }
            }
        })
    };
    if let Some(duration) = options.duration {
        let main_loop = main_loop.clone();
        sources.push(glib::timeout_add_local_once(duration, move || {
            main_loop.quit()
        }));
    }
    for signal in [libc::SIGINT, libc::SIGTERM] {
        let main_loop = main_loop.clone();
        sources.push(glib_unix::unix_signal_add_local(signal, move || {
            main_loop.quit();
            glib::ControlFlow::Continue
        }));
    }

    main_loop.run();

    for source in sources {
        // The duration's one-shot source is already gone when it fired; removing it again
        // would be an error, so look before removing.
        if glib::MainContext::default()
            .find_source_by_id(&source)
            .is_some()
        {
            source.remove();
        }
    }
    control_task.abort();
    drop(controls);
    drop(watches);
    let now = started_at.elapsed().as_secs_f64();
    let mut reporter = reporter.borrow_mut();
    if reporter.last_at.is_none_or(|last| now - last > 0.1) {
        reporter.report(&mut peers.borrow_mut(), now);
    }
    let finished = reporter.finish();
    peers.borrow().iter().for_each(Peer::finish_recordings);
    peers.borrow().iter().rev().for_each(Peer::stop);
    if let Some(relay) = relay.as_ref() {
        relay.stop();
    }
    match failure.take() {
        Some(e) => Err(e),
        None => finished,
    }
}
