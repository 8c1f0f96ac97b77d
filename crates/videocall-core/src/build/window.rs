//! Makes the window's and the controls' elements from `plan::window`: the "video paused"
//! picture into the send selector, the self-view from the send tee into the window's mixer,
//! and the window's keys turned into `CallControl`s; and carries the controls out on the
//! running pipeline (mute, camera pause).

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

/// Adds the self-view and links it from the send tee to the mixer's pad above the received
/// video, at the planned place and size.
pub fn add_self_view(bin: &gst::Bin, chain: &[ElementSpec], window: &WindowPlan) -> AppResult<()> {
    let tee = by_name(bin, names::VIDEO_SEND_TEE)?;
    let mixer = by_name(bin, names::VIDEO_MIX)?;
    let elements = add_chain(bin, chain)?;
    tee.link(&elements[0])
        .map_err(|e| link_error("the self-view", e))?;
    let pad = mixer
        .request_pad_simple("sink_%u")
        .ok_or_else(|| AppError::Media("the window's mixer gave no pad".into()))?;
    let inset = window.inset;
    pad.set_property("xpos", inset.x);
    pad.set_property("ypos", inset.y);
    pad.set_property("width", inset.width);
    pad.set_property("height", inset.height);
    pad.set_property("zorder", 1u32);
    let out = elements
        .last()
        .and_then(|e| e.static_pad("src"))
        .expect("the self-view ends with a src pad");
    out.link(&pad).map_err(|e| link_error("the self-view", e))?;
    Ok(())
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
        let mixer = pipeline.by_name(names::VIDEO_MIX).unwrap();
        let inset = mixer.static_pad("sink_1").unwrap();
        assert_eq!(inset.property::<i32>("xpos"), window.inset.x);
        assert_eq!(inset.property::<u32>("zorder"), 1);
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
