//! Turns the user's `auto` choices into real sources and sinks by asking the machine what it
//! has: a camera, a microphone, a display, a sound output.

use std::path::{Path, PathBuf};

use gst::prelude::*;

use crate::config::*;
use crate::error::{AppError, AppResult};

/// Resolves every `auto`; an explicit choice that the machine cannot honour is an error.
pub fn resolve(
    video_source: &VideoSourceChoice,
    audio_source: AudioSourceChoice,
    video_sink: VideoSinkChoice,
    audio_sink: AudioSinkChoice,
) -> AppResult<ResolvedMedia> {
    let video_source = match video_source {
        VideoSourceChoice::Test => VideoSource::TestPattern,
        VideoSourceChoice::Device(path) => {
            camera_usable(path)?;
            VideoSource::Camera(path.clone())
        }
        VideoSourceChoice::Camera => {
            let path = first_camera().ok_or_else(|| {
                AppError::Input("no camera found (/dev/video*): use --video-source test".into())
            })?;
            camera_usable(&path)?;
            VideoSource::Camera(path)
        }
        VideoSourceChoice::Auto => match first_camera() {
            Some(path) if camera_usable(&path).is_ok() => VideoSource::Camera(path),
            _ => VideoSource::TestPattern,
        },
    };
    let audio_source = match audio_source {
        AudioSourceChoice::Test => AudioSource::TestTone,
        AudioSourceChoice::Device(device) => {
            let opens = gst::ElementFactory::make(device.factory())
                .property("device", device.name())
                .build()
                .is_ok_and(|e| element_reaches_ready(&e));
            if !opens {
                return Err(AppError::Input(format!(
                    "cannot open microphone {}: use --audio-source test",
                    device.arg()
                )));
            }
            AudioSource::Device(device)
        }
        AudioSourceChoice::Mic if reaches_ready("pulsesrc") => AudioSource::Microphone,
        AudioSourceChoice::Mic => {
            return Err(AppError::Input(
                "no microphone found (no sound server): use --audio-source test".into(),
            ));
        }
        AudioSourceChoice::Auto if reaches_ready("pulsesrc") => AudioSource::Microphone,
        AudioSourceChoice::Auto => AudioSource::TestTone,
    };
    let video_sink = match video_sink {
        VideoSinkChoice::None => VideoSink::Headless,
        VideoSinkChoice::Window => VideoSink::Window(window_sink()?),
        VideoSinkChoice::Auto => match window_sink() {
            Ok(sink) => VideoSink::Window(sink),
            Err(e) => {
                if has_display() {
                    eprintln!("videocall: {e}; showing no video (headless)");
                }
                VideoSink::Headless
            }
        },
    };
    let audio_sink = match audio_sink {
        AudioSinkChoice::None => AudioSink::Headless,
        AudioSinkChoice::Speaker if reaches_ready("pulsesink") => AudioSink::Speaker,
        AudioSinkChoice::Speaker => {
            return Err(AppError::Input(
                "no sound output found (no sound server): use --audio-sink none".into(),
            ));
        }
        AudioSinkChoice::Auto if reaches_ready("pulsesink") => AudioSink::Speaker,
        AudioSinkChoice::Auto => AudioSink::Headless,
    };
    Ok(ResolvedMedia {
        video_source,
        audio_source,
        video_sink,
        audio_sink,
    })
}

fn has_display() -> bool {
    ["DISPLAY", "WAYLAND_DISPLAY"].iter().any(|v| env_set(v))
}

fn env_set(var: &str) -> bool {
    std::env::var_os(var).is_some_and(|s| !s.is_empty())
}

/// The first window sink for this display that is installed and can open it.
fn window_sink() -> AppResult<WindowSink> {
    let candidates = WindowSink::candidates(env_set("WAYLAND_DISPLAY"), env_set("DISPLAY"));
    if candidates.is_empty() {
        return Err(AppError::Input(
            "no display (DISPLAY/WAYLAND_DISPLAY unset): use --video-sink none".into(),
        ));
    }
    candidates
        .iter()
        .copied()
        .find(|sink| reaches_ready(sink.factory()))
        .ok_or_else(|| {
            let tried: Vec<_> = candidates.iter().map(|s| s.factory()).collect();
            let display = std::env::var("WAYLAND_DISPLAY")
                .ok()
                .filter(|d| !d.is_empty())
                .or_else(|| std::env::var("DISPLAY").ok())
                .unwrap_or_default();
            AppError::MissingPlugin(format!(
                "no video window sink opens display {display} (tried {}): check the display, \
                 install gstreamer1.0-x and gstreamer1.0-gl, or use --video-sink none",
                tried.join(", ")
            ))
        })
}

fn first_camera() -> Option<PathBuf> {
    let mut devices: Vec<PathBuf> = std::fs::read_dir("/dev")
        .ok()?
        .flatten()
        .map(|e| e.path())
        .filter(|p| {
            p.file_name()
                .and_then(|n| n.to_str())
                .is_some_and(|n| n.starts_with("video"))
        })
        .collect();
    devices.sort();
    devices.into_iter().next()
}

fn camera_usable(path: &Path) -> AppResult<()> {
    let ok = gst::ElementFactory::make("v4l2src")
        .property("device", path.to_string_lossy().as_ref())
        .build()
        .is_ok_and(|e| element_reaches_ready(&e));
    if ok {
        Ok(())
    } else {
        Err(AppError::Input(format!(
            "cannot open camera {}: use --video-source test",
            path.display()
        )))
    }
}

/// True when an element of `factory` exists and can open its device.
fn reaches_ready(factory: &str) -> bool {
    gst::ElementFactory::make(factory)
        .build()
        .is_ok_and(|e| element_reaches_ready(&e))
}

fn element_reaches_ready(element: &gst::Element) -> bool {
    let ok = element.set_state(gst::State::Ready).is_ok();
    let _ = element.set_state(gst::State::Null);
    ok
}
