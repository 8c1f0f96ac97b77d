//! Makes the window's and the controls' elements from `plan::window`: the "video paused"
//! picture into the send selector, the self-view from the send tee drawn over the window's video,
//! and the window's keys turned into `CallControl`s; and carries the controls out on the
//! running pipeline (mute, camera pause).

use std::sync::{Arc, Mutex};

use gst::prelude::*;

use crate::build::element::add_chain;
use crate::error::{AppError, AppResult};
use crate::plan::ElementSpec;
use crate::plan::names;
use crate::plan::window::WindowPlan;
use crate::ui::control::{Controls, control_for_key};

/// The selector pad of the camera (linked first, by the send chain).
const CAMERA_PAD: &str = "sink_0";

fn by_name(bin: &gst::Bin, name: &str) -> AppResult<gst::Element> {
    bin.by_name(name)
        .ok_or_else(|| AppError::Media(format!("the pipeline has no {name}")))
}

fn link_error(what: &str, e: impl std::fmt::Display) -> AppError {
    AppError::Media(format!("cannot link {what}: {e}"))
}

/// Adds the paused picture and links it to the send selector's second pad; the camera stays
/// the active one.
pub fn add_paused_picture(bin: &gst::Bin, chain: &[ElementSpec]) -> AppResult<()> {
    let selector = by_name(bin, names::VIDEO_SELECT)?;
    let elements = add_chain(bin, chain)?;
    let last = elements
        .last()
        .expect("the paused picture's chain is not empty");
    last.link(&selector)
        .map_err(|e| link_error("the paused picture", e))?;
    if let Some(camera) = selector.static_pad(CAMERA_PAD) {
        selector.set_property("active-pad", &camera);
    }
    Ok(())
}

/// Adds the self-view, fed from the send tee, and draws its newest frame over every frame the
/// window shows, at the planned place. The appsink's callback only wraps the small frame as an
/// overlay; the window's overlay element blends it, so the received video never waits for it.
pub fn add_self_view(bin: &gst::Bin, chain: &[ElementSpec], window: &WindowPlan) -> AppResult<()> {
    let tee = by_name(bin, names::VIDEO_SEND_TEE)?;
    let overlay = by_name(bin, names::VIDEO_MIX)?;
    let elements = add_chain(bin, chain)?;
    tee.link(&elements[0])
        .map_err(|e| link_error("the self-view", e))?;
    let sink = elements
        .last()
        .and_then(|e| e.clone().downcast::<gst_app::AppSink>().ok())
        .ok_or_else(|| AppError::Media("the self-view does not end in an appsink".into()))?;
    let newest: Arc<Mutex<Option<gst_video::VideoOverlayComposition>>> = Arc::default();
    let inset = window.inset;
    let store = newest.clone();
    sink.set_callbacks(
        gst_app::AppSinkCallbacks::builder()
            .new_sample(move |sink| {
                let sample = sink.pull_sample().map_err(|_| gst::FlowError::Eos)?;
                if let Some(composition) = overlay_of(&sample, inset)
                    && let Ok(mut newest) = store.lock()
                {
                    *newest = Some(composition);
                }
                Ok(gst::FlowSuccess::Ok)
            })
            .build(),
    );
    overlay.connect("draw", false, move |_| {
        // None (no self-view frame yet) draws nothing; the signal always wants a value.
        let composition = newest.lock().ok().and_then(|newest| newest.clone());
        Some(composition.to_value())
    });
    Ok(())
}

/// The self-view frame in `sample` as an overlay at `inset`.
fn overlay_of(
    sample: &gst::Sample,
    inset: crate::plan::window::Inset,
) -> Option<gst_video::VideoOverlayComposition> {
    let info = gst_video::VideoInfo::from_caps(sample.caps()?).ok()?;
    // The rectangle needs the frame's layout as a video meta; the buffer is small (160x120).
    let mut buffer = sample.buffer()?.copy();
    gst_video::VideoMeta::add(
        buffer.get_mut()?,
        gst_video::VideoFrameFlags::empty(),
        info.format(),
        info.width(),
        info.height(),
    )
    .ok()?;
    let rect = gst_video::VideoOverlayRectangle::new_raw(
        &buffer,
        inset.x,
        inset.y,
        inset.width as u32,
        inset.height as u32,
        gst_video::VideoOverlayFormatFlags::empty(),
    );
    gst_video::VideoOverlayComposition::new([&rect]).ok()
}

/// Sends `controls` the keys pressed in the window. The X sinks send a navigation event
/// upstream for each key press, through the pad that feeds them: a probe there reads it.
pub fn forward_keys(pipeline: &gst::Pipeline, controls: &Controls) {
    let Some(feed) = pipeline
        .by_name(names::VIDEO_SINK)
        .and_then(|sink| sink.static_pad("sink"))
        .and_then(|pad| pad.peer())
    else {
        return;
    };
    let controls = controls.clone();
    feed.add_probe(gst::PadProbeType::EVENT_UPSTREAM, move |_, info| {
        if let Some(gst::PadProbeData::Event(event)) = &info.data
            && let Ok(gst_video::NavigationEvent::KeyPress { key, .. }) =
                gst_video::NavigationEvent::parse(event)
            && let Some(control) = key_control(&key)
        {
            tracing::debug!(key, ?control, "key pressed in the window");
            controls.send(control);
        }
        gst::PadProbeReturn::Ok
    });
}

/// The control of an X key name (`"m"`, `"Q"`); other keys ("space", "Shift_L") have none.
fn key_control(key: &str) -> Option<crate::ui::control::CallControl> {
    let mut chars = key.chars();
    match (chars.next(), chars.next()) {
        (Some(c), None) => control_for_key(c),
        _ => None,
    }
}

/// Flips the microphone's mute; returns whether it is muted now (None: no mute switch).
pub fn toggle_mute(pipeline: &gst::Pipeline) -> Option<bool> {
    let volume = pipeline.by_name(names::AUDIO_MUTE)?;
    let muted = !volume.property::<bool>("mute");
    volume.set_property("mute", muted);
    Some(muted)
}

/// Whether the microphone is muted.
pub fn muted(pipeline: &gst::Pipeline) -> bool {
    pipeline
        .by_name(names::AUDIO_MUTE)
        .is_some_and(|v| v.property::<bool>("mute"))
}

/// Whether we send the paused picture.
pub fn camera_paused(pipeline: &gst::Pipeline) -> bool {
    pipeline.by_name(names::VIDEO_SELECT).is_some_and(|s| {
        s.property::<Option<gst::Pad>>("active-pad")
            .is_some_and(|p| p.name() != CAMERA_PAD)
    })
}

/// Switches what we send between the camera and the paused picture, and asks the encoder for
/// a key frame (with parameter sets, so the key-frame limiter lets it through) so the peer
/// sees the change at once instead of at the next periodic key frame. Returns whether the
/// camera is paused now (None: no selector).
pub fn toggle_camera(pipeline: &gst::Pipeline) -> Option<bool> {
    let selector = pipeline.by_name(names::VIDEO_SELECT)?;
    let pause = !camera_paused(pipeline);
    let target = selector
        .sink_pads()
        .into_iter()
        .find(|p| (p.name() == CAMERA_PAD) != pause)?;
    selector.set_property("active-pad", &target);
    if let Some(encoder_src) = pipeline
        .by_name(names::VIDEO_ENCODER)
        .and_then(|e| e.static_pad("src"))
    {
        let event = gst_video::UpstreamForceKeyUnitEvent::builder()
            .all_headers(true)
            .build();
        if !encoder_src.send_event(event) {
            tracing::debug!("the video encoder ignored a key-frame request");
        }
    }
    Some(pause)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ui::control::CallControl;

    /// Every planned window, pause and echo element exists in GStreamer 1.22 with the planned
    /// properties, and the chains link as `build::peer` links them.
    #[test]
    fn the_window_pause_and_echo_chains_build_and_link() {
        use crate::config::{AudioSink, AudioSource, VideoSource, WindowSink};
        use crate::plan::echo::{cancel_on_send, probe_before_sink};
        use crate::plan::media::*;
        use crate::plan::window::*;
        gst::init().unwrap();
        let pipeline = gst::Pipeline::new();
        let bin: &gst::Bin = pipeline.upcast_ref();
        let (video, audio) = (VideoSettings::default(), AudioSettings::default());
        let window = window_plan(WindowSink::XImage, "::1".parse().unwrap(), &video);
        add_chain(bin, &video_send_chain(&video, &VideoSource::TestPattern)).unwrap();
        add_chain(bin, &render_chain(&window)).unwrap();
        add_paused_picture(bin, &paused_picture_chain(&video)).unwrap();
        add_self_view(bin, &self_view_chain(window.inset), &window).unwrap();
        let selector = pipeline.by_name(names::VIDEO_SELECT).unwrap();
        assert_eq!(selector.sink_pads().len(), 2);
        assert!(!camera_paused(&pipeline));
        assert_eq!(toggle_camera(&pipeline), Some(true));
        assert!(camera_paused(&pipeline));
        assert_eq!(toggle_camera(&pipeline), Some(false));
        let sink = pipeline.by_name(names::SELF_VIEW_SINK).unwrap();
        assert!(sink.static_pad("sink").unwrap().is_linked());
        let send = cancel_on_send(&audio, audio_send_chain(&audio, AudioSource::Microphone));
        add_chain(bin, &send).unwrap();
        add_chain(
            bin,
            &probe_before_sink(&audio, audio_recv_chain(AudioSink::Speaker)),
        )
        .unwrap();
        assert!(!muted(&pipeline));
        assert_eq!(toggle_mute(&pipeline), Some(true));
        assert!(muted(&pipeline));
    }

    #[test]
    fn single_letter_keys_map_to_controls_and_named_keys_do_not() {
        assert_eq!(key_control("q"), Some(CallControl::EndCall));
        assert_eq!(key_control("M"), Some(CallControl::ToggleMicrophone));
        assert_eq!(key_control("v"), Some(CallControl::ToggleCamera));
        assert_eq!(key_control("space"), None);
        assert_eq!(key_control("Shift_L"), None);
        assert_eq!(key_control(""), None);
    }
}
