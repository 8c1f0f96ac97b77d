//! The bench's meters inside one peer (`videocall call --bench-probe FILE`): the stamp writer
//! and click writer on the raw send side, the stamp reader and click detector on the sinks'
//! `handoff` signal (after the clock wait, i.e. at render time). Every observation is one JSON
//! line in FILE; the bench process does the maths.

use std::fs::File;
use std::io::{BufWriter, Write};
use std::path::Path;
use std::sync::{Arc, Mutex};
use std::time::{SystemTime, UNIX_EPOCH};

use gst::prelude::*;
use serde::{Deserialize, Serialize};

use super::click::{self, ClickDetector};
use super::gap::GapDetector;
use super::stamp;
use videocall_core::error::{AppError, AppResult};
use videocall_core::plan::names;

/// One observation of a peer, in wall-clock microseconds since the Unix epoch (both peers run
/// on one machine, so their wall clocks are the same clock).
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(tag = "ev", rename_all = "snake_case")]
pub enum Event {
    /// The first raw video frame was captured at `t`: this peer is up.
    Up { t: u64 },
    /// A raw video frame captured at `t` was stamped.
    VideoSent { t: u64 },
    /// A frame was rendered at `t`; `capture` is its stamp, `None` when unreadable.
    VideoRendered { t: u64, capture: Option<u64> },
    /// A click was captured at `t`.
    AudioSent { t: u64 },
    /// The first decoded audio was played at `t`.
    AudioFirst { t: u64 },
    /// A click's onset was played at `t`.
    AudioHeard { t: u64 },
    /// Audio resumed at about `t` after `ms` of missing or silent playout (`gap`).
    AudioGap { t: u64, ms: f64 },
    /// The call ended.
    End { t: u64 },
}

/// Wall-clock now, in µs since the Unix epoch.
pub fn wall_us() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_micros() as u64)
}

/// The wall-clock time (µs) of running time `running` of `element`'s pipeline.
fn wall_of_running(element: &gst::Element, running: gst::ClockTime) -> u64 {
    let now = wall_us();
    let (Some(clock), Some(base)) = (element.clock(), element.base_time()) else {
        return now;
    };
    let clock_now = clock.time();
    let running_now = clock_now.saturating_sub(base);
    let ago_us = running_now.nseconds() as i128 / 1000 - running.nseconds() as i128 / 1000;
    (now as i128 - ago_us) as u64
}

type Log = Arc<Mutex<BufWriter<File>>>;

fn record(log: &Log, event: Event) {
    if let Ok(mut w) = log.lock() {
        let _ = serde_json::to_writer(&mut *w, &event);
        let _ = w.write_all(b"\n");
    }
}

/// The meters attached to one running peer; `finish` writes the end mark and flushes.
pub struct Probe {
    log: Log,
}

impl Probe {
    /// Attaches the meters to a built (not yet playing) peer pipeline. Needs the headless sinks.
    pub fn attach(pipeline: &gst::Pipeline, path: &Path) -> AppResult<Probe> {
        let file = File::create(path).map_err(|e| {
            AppError::Input(format!(
                "--bench-probe: cannot create {}: {e}",
                path.display()
            ))
        })?;
        let log: Log = Arc::new(Mutex::new(BufWriter::new(file)));
        let element = |name: &str| {
            pipeline
                .by_name(name)
                .ok_or_else(|| AppError::Media(format!("bench probe: no element {name}")))
        };
        let src_pad = |name: &str| {
            element(name)?
                .static_pad("src")
                .ok_or_else(|| AppError::Media(format!("bench probe: {name} has no src pad")))
        };
        attach_video_writer(&src_pad(names::VIDEO_CAPS)?, log.clone());
        attach_audio_writer(&src_pad(names::AUDIO_CAPS)?, log.clone());
        for sink in [names::VIDEO_SINK, names::AUDIO_SINK] {
            if element(sink)?.find_property("signal-handoffs").is_none() {
                return Err(AppError::Input(
                    "the bench needs headless sinks (--video-sink none --audio-sink none)".into(),
                ));
            }
        }
        attach_video_reader(&element(names::VIDEO_SINK)?, log.clone());
        attach_audio_reader(&element(names::AUDIO_SINK)?, log.clone());
        Ok(Probe { log })
    }

    /// Marks the end of the call and writes everything out.
    pub fn finish(self) -> AppResult<()> {
        record(&self.log, Event::End { t: wall_us() });
        let mut w = self
            .log
            .lock()
            .map_err(|_| AppError::Media("bench probe: log poisoned".into()))?;
        w.flush()?;
        Ok(())
    }
}

/// Stamps each raw frame with its capture time (its PTS on the wall clock).
fn attach_video_writer(pad: &gst::Pad, log: Log) {
    let state: Mutex<(bool, Option<(gst::Caps, gst_video::VideoInfo)>)> = Mutex::new((false, None));
    pad.add_probe(gst::PadProbeType::BUFFER, move |pad, probe| {
        let (Some(caps), Some(element), Ok(mut state)) =
            (pad.current_caps(), pad.parent_element(), state.lock())
        else {
            return gst::PadProbeReturn::Ok;
        };
        let (up, info) = &mut *state;
        if info.as_ref().is_none_or(|(c, _)| *c != caps) {
            *info = gst_video::VideoInfo::from_caps(&caps)
                .ok()
                .map(|i| (caps, i));
        }
        let (Some((_, video_info)), Some(buffer)) = (info.as_ref(), probe.buffer_mut()) else {
            return gst::PadProbeReturn::Ok;
        };
        let t = match buffer.pts() {
            Some(pts) => wall_of_running(&element, pts),
            None => wall_us(),
        };
        if stamp::stamp_buffer(buffer.make_mut(), video_info, t) {
            if !*up {
                *up = true;
                record(&log, Event::Up { t });
                // The bench waits for this line before it starts the second peer.
                println!("videocall-bench: up");
            }
            record(&log, Event::VideoSent { t });
        }
        gst::PadProbeReturn::Ok
    });
}

/// Reads the stamp of each frame the sink renders, after its clock wait.
fn attach_video_reader(sink: &gst::Element, log: Log) {
    sink.set_property("signal-handoffs", true);
    let cache: Mutex<Option<(gst::Caps, gst_video::VideoInfo)>> = Mutex::new(None);
    sink.connect("handoff", false, move |args| {
        let t = wall_us();
        let buffer = args[1].get::<gst::Buffer>().ok()?;
        let caps = args[2].get::<gst::Pad>().ok()?.current_caps()?;
        let mut cache = cache.lock().ok()?;
        if cache.as_ref().is_none_or(|(c, _)| *c != caps) {
            *cache = gst_video::VideoInfo::from_caps(&caps)
                .ok()
                .map(|i| (caps, i));
        }
        let capture = cache
            .as_ref()
            .and_then(|(_, info)| stamp::read_buffer(&buffer, info))
            .map(|s| stamp::unwrap_time(s, t));
        record(&log, Event::VideoRendered { t, capture });
        None
    });
}

/// A raw audio layout the meters understand: 32-bit float or 16-bit integer samples.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct RawAudio {
    rate: u32,
    channels: usize,
    interleaved: bool,
    float: bool,
}

impl RawAudio {
    fn from_caps(caps: &gst::CapsRef) -> Option<RawAudio> {
        let s = caps.structure(0)?;
        let float = match s.get::<&str>("format").ok()? {
            "F32LE" => true,
            "S16LE" => false,
            _ => return None,
        };
        Some(RawAudio {
            rate: u32::try_from(s.get::<i32>("rate").ok()?).ok()?,
            channels: usize::try_from(s.get::<i32>("channels").unwrap_or(1))
                .ok()?
                .max(1),
            interleaved: !matches!(s.get::<&str>("layout"), Ok("non-interleaved")),
            float,
        })
    }

    fn width(self) -> usize {
        if self.float { 4 } else { 2 }
    }

    /// The first channel's samples of `bytes`, as floats in -1..1.
    fn first_channel(self, bytes: &[u8]) -> Vec<f32> {
        let samples = bytes.chunks_exact(self.width()).map(|b| match b {
            [a, b, c, d] => f32::from_le_bytes([*a, *b, *c, *d]),
            [a, b] => f32::from(i16::from_le_bytes([*a, *b])) / 32768.0,
            _ => 0.0,
        });
        let frames = bytes.len() / self.width() / self.channels;
        if self.interleaved {
            samples.step_by(self.channels).collect()
        } else {
            samples.take(frames).collect()
        }
    }
}

fn as_f32(bytes: &[u8]) -> impl Iterator<Item = f32> + '_ {
    bytes
        .chunks_exact(4)
        .map(|b| f32::from_le_bytes([b[0], b[1], b[2], b[3]]))
}

/// Writes the click train into the raw audio and logs each click's capture time.
fn attach_audio_writer(pad: &gst::Pad, log: Log) {
    pad.add_probe(gst::PadProbeType::BUFFER, move |pad, probe| {
        let (Some(caps), Some(element)) = (pad.current_caps(), pad.parent_element()) else {
            return gst::PadProbeReturn::Ok;
        };
        let Some(RawAudio {
            rate,
            channels,
            interleaved: true,
            float: true,
        }) = RawAudio::from_caps(&caps)
        else {
            return gst::PadProbeReturn::Ok;
        };
        let Some(buffer) = probe.buffer_mut() else {
            return gst::PadProbeReturn::Ok;
        };
        let Some(pts) = buffer.pts() else {
            return gst::PadProbeReturn::Ok;
        };
        let first = (u128::from(pts.nseconds()) * u128::from(rate) + 500_000_000) / 1_000_000_000;
        let Ok(mut map) = buffer.make_mut().map_writable() else {
            return gst::PadProbeReturn::Ok;
        };
        let mut samples: Vec<f32> = as_f32(&map).collect();
        let starts = click::write_clicks(&mut samples, channels, rate, first as u64);
        if !starts.is_empty() {
            for (out, v) in map.chunks_exact_mut(4).zip(&samples) {
                out.copy_from_slice(&v.to_le_bytes());
            }
            drop(map);
            for offset in starts {
                let at = pts
                    + gst::ClockTime::from_nseconds(
                        offset as u64 * 1_000_000_000 / u64::from(rate),
                    );
                record(
                    &log,
                    Event::AudioSent {
                        t: wall_of_running(&element, at),
                    },
                );
            }
        }
        gst::PadProbeReturn::Ok
    });
}

/// Finds click onsets in what the audio sink plays, after its clock wait.
fn attach_audio_reader(sink: &gst::Element, log: Log) {
    sink.set_property("signal-handoffs", true);
    let state: Mutex<(bool, Option<ClickDetector>, GapDetector)> =
        Mutex::new((false, None, GapDetector::default()));
    sink.connect("handoff", false, move |args| {
        let t = wall_us();
        let buffer = args[1].get::<gst::Buffer>().ok()?;
        let caps = args[2].get::<gst::Pad>().ok()?.current_caps()?;
        let mut state = state.lock().ok()?;
        let (first_seen, clicks, gaps) = &mut *state;
        if !*first_seen {
            *first_seen = true;
            record(&log, Event::AudioFirst { t });
        }
        let layout = RawAudio::from_caps(&caps)?;
        let detector = clicks.get_or_insert_with(|| ClickDetector::new(layout.rate));
        let map = buffer.map_readable().ok()?;
        let samples = layout.first_channel(&map);
        if let Some(pts) = buffer.pts() {
            for ms in gaps.feed(samples.iter().copied(), pts.nseconds(), layout.rate) {
                record(&log, Event::AudioGap { t, ms });
            }
        }
        let onset = detector.feed(samples.into_iter())?;
        let heard = t + onset as u64 * 1_000_000 / u64::from(layout.rate);
        record(&log, Event::AudioHeard { t: heard });
        None
    });
}
