//! Builds a planned recording (`plan::record`) beside the call and finishes it: the branches
//! hang off tees already in the media chains, so GStreamer copies the encoded streams into the
//! muxer and no Rust code runs per buffer.

use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Once, mpsc};

use gst::prelude::*;

use super::element::add_chain;
use crate::config::record::check_writable;
use crate::error::{AppError, AppResult};
use crate::plan::record::{Direction, FINISH_TIMEOUT, MEDIUM_WAIT, RecordingPlan};

/// A recording in a built pipeline.
pub struct Recording {
    pub direction: Direction,
    pub path: PathBuf,
    /// Each branch's tee output and the head of the branch it feeds.
    links: Vec<(gst::Pad, gst::Pad)>,
    /// Told when the end of stream reaches the file sink: the muxer has written everything,
    /// its index and duration included.
    written: mpsc::Receiver<()>,
}

/// Makes the recording's elements in `pipeline` and links each branch to its tee (which the
/// media chains already hold). A file that cannot be written is refused here, before the call
/// starts.
pub fn attach(pipeline: &gst::Pipeline, plan: &RecordingPlan) -> AppResult<Recording> {
    check_writable(plan.direction.flag(), &plan.path).map_err(AppError::Input)?;
    let bin: &gst::Bin = pipeline.upcast_ref();
    let output = add_chain(bin, &plan.output)?;
    let (mux, sink) = (&output[0], &output[output.len() - 1]);
    let mut links = Vec::new();
    for (tee_name, chain) in &plan.branches {
        let cannot = |what: String| AppError::Media(format!("recording {tee_name}: {what}"));
        let tee = pipeline
            .by_name(tee_name)
            .ok_or_else(|| cannot("no such tee in the media chains".into()))?;
        let elements = add_chain(bin, chain)?;
        let (head, tail) = (&elements[0], &elements[elements.len() - 1]);
        // The muxer's request pad (video_%u, audio_%u) is chosen from the parser's caps.
        tail.link(mux)
            .map_err(|e| cannot(format!("cannot link to the muxer: {e}")))?;
        let tee_src = tee
            .request_pad_simple("src_%u")
            .ok_or_else(|| cannot("no tee output".into()))?;
        let head_sink = head
            .static_pad("sink")
            .ok_or_else(|| cannot("a queue without input".into()))?;
        tee_src
            .link(&head_sink)
            .map_err(|e| cannot(format!("cannot link: {e:?}")))?;
        links.push((tee_src, head_sink));
    }
    end_silent_branches(&links, &plan.path);
    let (tell, written) = mpsc::sync_channel(1);
    if let Some(pad) = sink.static_pad("sink") {
        pad.add_probe(gst::PadProbeType::EVENT_DOWNSTREAM, move |_, info| {
            if let Some(gst::EventView::Eos(_)) = info.event().map(|e| e.view()) {
                let _ = tell.try_send(());
            }
            gst::PadProbeReturn::Ok
        });
    }
    Ok(Recording {
        direction: plan.direction,
        path: plan.path.clone(),
        links,
        written,
    })
}

/// `matroskamux` waits for data on every pad before it writes any: a peer that sends video but
/// no audio would leave only the video queue's last seconds in the file. A one-shot probe per
/// branch notes its first buffer; [`MEDIUM_WAIT`] after the first buffer of any branch, a branch
/// that has had none is ended, and the file holds the other medium alone.
fn end_silent_branches(links: &[(gst::Pad, gst::Pad)], path: &std::path::Path) {
    // The plan's branches are video, then audio.
    let branches: Vec<_> = links
        .iter()
        .zip(["video", "audio"])
        .map(|((tee_src, head_sink), medium)| {
            let seen = Arc::new(AtomicBool::new(false));
            (seen, tee_src.clone(), head_sink.clone(), medium)
        })
        .collect();
    let first = Arc::new(Once::new());
    for (seen, _, head_sink, _) in &branches {
        let (seen, first, branches, path) = (
            seen.clone(),
            first.clone(),
            branches.clone(),
            path.to_path_buf(),
        );
        head_sink.add_probe(gst::PadProbeType::BUFFER, move |_, _| {
            seen.store(true, Ordering::SeqCst);
            first.call_once(|| {
                let (branches, path) = (branches.clone(), path.clone());
                // Runs on the main loop (the default context).
                gst::glib::timeout_add_once(MEDIUM_WAIT, move || {
                    for (seen, tee_src, head_sink, medium) in &branches {
                        if !seen.load(Ordering::SeqCst) {
                            eprintln!(
                                "videocall: {}: no {medium} came in {} s, the file goes on without it",
                                path.display(),
                                MEDIUM_WAIT.as_secs()
                            );
                            end_branch(tee_src, head_sink);
                        }
                    }
                });
            });
            gst::PadProbeReturn::Remove
        });
    }
}

/// Cuts a branch from its tee once the tee is between buffers and sends it an end of stream.
fn end_branch(tee_src: &gst::Pad, head_sink: &gst::Pad) {
    let head_sink = head_sink.clone();
    tee_src.add_probe(gst::PadProbeType::IDLE, move |pad, _| {
        let _ = pad.unlink(&head_sink);
        // The queue takes the event into its own thread: this returns at once.
        head_sink.send_event(gst::event::Eos::new());
        gst::PadProbeReturn::Remove
    });
}

impl Recording {
    /// Ends the recording while the call still runs: each branch is cut from its tee once the
    /// tee is between buffers, and gets an end of stream, so the muxer writes its index and
    /// duration. Waits at most [`FINISH_TIMEOUT`]; false when the file was not finalised then
    /// (it still plays, without them).
    pub fn finish(&self) -> bool {
        for (tee_src, head_sink) in &self.links {
            end_branch(tee_src, head_sink);
        }
        self.written.recv_timeout(FINISH_TIMEOUT).is_ok()
    }
}
