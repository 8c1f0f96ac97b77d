//! Frame integrity measurement (for "share of intact frames" and frozen time): the sender draws
//! numbered test pictures (`pattern`), the receiver reads each rendered picture's number,
//! regenerates what was sent and records its PSNR and arrival time. This is per-buffer Rust on
//! purpose and only runs with the hidden `--quality-log FILE` flag; normal calls never load it.
//!
//! The file has one JSON object per rendered frame (`t_ms`, `frame`, `psnr_db`, `intact`) and a
//! last `{"summary": …}` line (frames after the first 2 s).

use std::fs::File;
use std::io::{BufWriter, Write};
use std::path::Path;
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Instant;

use gst::prelude::*;
use gst_video::prelude::*;

use super::pattern::{FrameRecord, INTACT_PSNR_DB, Summary};
use videocall_core::error::{AppError, AppResult};
use videocall_core::plan::names;

/// Frames before this are start-up and left out of the summary.
const SUMMARY_FROM_MS: f64 = 2000.0;
/// A JSON-friendly stand-in for an exact match's infinite PSNR.
const MAX_PSNR_DB: f64 = 99.0;

struct Log {
    file: BufWriter<File>,
    records: Vec<FrameRecord>,
}

/// The receiver's per-frame judgement of one peer, and the file it writes.
pub struct QualityMeter {
    log: Arc<Mutex<Log>>,
}

/// Makes `pipeline`'s test source send numbered pictures: its frames are overwritten in place.
pub fn number_outgoing_frames(pipeline: &gst::Pipeline) -> AppResult<()> {
    let pad = pipeline
        .by_name(names::VIDEO_SOURCE)
        .and_then(|src| src.static_pad("src"))
        .ok_or_else(|| AppError::Media("--quality-log: no video source pad".into()))?;
    let next = AtomicU32::new(0);
    pad.add_probe(gst::PadProbeType::BUFFER, move |pad, info| {
        let Some(info_caps) = pad.current_caps() else {
            return gst::PadProbeReturn::Ok;
        };
        let Ok(vinfo) = gst_video::VideoInfo::from_caps(&info_caps) else {
            return gst::PadProbeReturn::Ok;
        };
        let Some(buffer) = info.buffer_mut() else {
            return gst::PadProbeReturn::Ok;
        };
        let buffer = buffer.make_mut();
        if let Ok(mut frame) = gst_video::VideoFrameRef::from_buffer_ref_writable(buffer, &vinfo) {
            let (w, h) = (vinfo.width() as usize, vinfo.height() as usize);
            let stride = frame.plane_stride()[0] as usize;
            if let Ok(luma) = frame.plane_data_mut(0) {
                super::pattern::render_luma(
                    next.fetch_add(1, Ordering::Relaxed),
                    w,
                    h,
                    stride,
                    luma,
                );
            }
            for plane in 1..frame.n_planes() {
                if let Ok(chroma) = frame.plane_data_mut(plane) {
                    chroma.fill(128);
                }
            }
        }
        gst::PadProbeReturn::Ok
    });
    Ok(())
}

impl QualityMeter {
    /// Judges every frame that reaches `pipeline`'s video sink and writes the results to `path`.
    pub fn attach(pipeline: &gst::Pipeline, path: &Path) -> AppResult<QualityMeter> {
        let file = File::create(path).map_err(|e| {
            AppError::Input(format!(
                "--quality-log: cannot create {}: {e}",
                path.display()
            ))
        })?;
        let log = Arc::new(Mutex::new(Log {
            file: BufWriter::new(file),
            records: Vec::new(),
        }));
        let sink = pipeline
            .by_name(names::VIDEO_SINK)
            .ok_or_else(|| AppError::Media("--quality-log: no video sink".into()))?;
        let started = Instant::now();
        let writer = log.clone();
        let keep = move |caps: Option<gst::Caps>, buffer: &gst::BufferRef| {
            let t_ms = started.elapsed().as_secs_f64() * 1000.0;
            let Some(record) = caps.and_then(|caps| judge(&caps, buffer, t_ms)) else {
                return;
            };
            if let Ok(mut log) = writer.lock() {
                if let Ok(line) = serde_json::to_string(&record) {
                    let _ = writeln!(log.file, "{line}");
                }
                log.records.push(record);
            }
        };
        // A headless sink tells which frames it rendered (after its clock wait, not the late
        // ones it drops); a window sink is judged at its input.
        if sink.find_property("signal-handoffs").is_some() {
            sink.set_property("signal-handoffs", true);
            sink.connect("handoff", false, move |args| {
                let buffer = args[1].get::<gst::Buffer>().ok()?;
                let pad = args[2].get::<gst::Pad>().ok()?;
                keep(pad.current_caps(), &buffer);
                None
            });
        } else {
            let pad = sink
                .static_pad("sink")
                .ok_or_else(|| AppError::Media("--quality-log: no video sink pad".into()))?;
            pad.add_probe(gst::PadProbeType::BUFFER, move |pad, info| {
                if let Some(buffer) = info.buffer() {
                    keep(pad.current_caps(), buffer);
                }
                gst::PadProbeReturn::Ok
            });
        }
        Ok(QualityMeter { log })
    }

    /// Writes the summary line, flushes the file and returns the summary.
    pub fn finish(&self) -> Option<Summary> {
        let mut log = self.log.lock().ok()?;
        let summary = super::pattern::summarize(&log.records, SUMMARY_FROM_MS);
        let line = serde_json::json!({ "summary": summary });
        let _ = writeln!(log.file, "{line}");
        let _ = log.file.flush();
        Some(summary)
    }
}

/// Reads the number of one decoded frame and compares it with what was sent.
fn judge(caps: &gst::CapsRef, buffer: &gst::BufferRef, t_ms: f64) -> Option<FrameRecord> {
    let vinfo = gst_video::VideoInfo::from_caps(caps).ok()?;
    let frame = gst_video::VideoFrameRef::from_buffer_ref_readable(buffer, &vinfo).ok()?;
    let (w, h) = (vinfo.width() as usize, vinfo.height() as usize);
    let stride = frame.plane_stride()[0] as usize;
    let luma = frame.plane_data(0).ok()?;
    let number = super::pattern::read_number(w, stride, luma);
    let psnr_db = number
        .map(|n| super::pattern::luma_psnr(n, w, h, stride, luma).min(MAX_PSNR_DB))
        .unwrap_or(0.0);
    Some(FrameRecord {
        t_ms,
        frame: number,
        psnr_db,
        intact: psnr_db >= INTACT_PSNR_DB,
    })
}
