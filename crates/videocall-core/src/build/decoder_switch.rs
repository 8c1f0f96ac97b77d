//! Chooses the H.264 decoder once the stream says what it is. OpenH264 decodes Constrained
//! Baseline (what videocall sends) with 35 MB less memory and a faster first frame than
//! FFmpeg's decoder, but nothing else; other senders (x264's and ffmpeg's defaults) use Main or
//! High. The depayloader's caps carry the profile of the SPS it has seen: a probe on its output
//! puts the matching decoder between it and the renderer, and swaps it when a new sender (a
//! restarted peer) announces another profile. The decoder for the profile we send is in place
//! from the start: made on the first caps, it cost the first frame the decoder's creation
//! (docs/decisions/0022-fast-start.md).

use std::sync::{Arc, Mutex};

use gst::prelude::*;

use super::element::make_element;
use crate::config::{VideoDecoder, decoder_for_profile};
use crate::plan::media::{H264_PROFILE, video_decode_chain};

/// The decoder in place and its elements (capssetter included).
type Current = Arc<Mutex<Option<(VideoDecoder, Vec<gst::Element>)>>>;

/// Links a decoder between `depayloader` and `render_head` (both in `bin`) whenever the
/// depayloader's caps call for another one.
pub fn attach(bin: &gst::Bin, depayloader: &gst::Element, render_head: &gst::Element) {
    let Some(src) = depayloader.static_pad("src") else {
        return;
    };
    let current: Current = Arc::default();
    let expected = decoder_for_profile(Some(H264_PROFILE));
    match insert(bin, &src, render_head, expected) {
        Ok(elements) => {
            if let Ok(mut current) = current.lock() {
                *current = Some((expected, elements));
            }
        }
        Err(e) => tracing::warn!("cannot put in the {} decoder: {e}", expected.name()),
    }
    let (bin, render_head) = (bin.downgrade(), render_head.downgrade());
    src.add_probe(gst::PadProbeType::EVENT_DOWNSTREAM, move |pad, info| {
        let Some(gst::EventView::Caps(caps)) = info.event().map(|e| e.view()) else {
            return gst::PadProbeReturn::Ok;
        };
        let profile = caps
            .caps()
            .structure(0)
            .and_then(|s| s.get::<String>("profile").ok());
        let wanted = decoder_for_profile(profile.as_deref());
        let (Some(bin), Some(render_head), Ok(mut current)) =
            (bin.upgrade(), render_head.upgrade(), current.lock())
        else {
            return gst::PadProbeReturn::Ok;
        };
        // Caps that do not say the profile (no SPS seen) change nothing once a decoder is in.
        if current
            .as_ref()
            .is_some_and(|(d, _)| *d == wanted || profile.is_none())
        {
            return gst::PadProbeReturn::Ok;
        }
        if let Some((_, old)) = current.take() {
            remove(&bin, pad, &old);
        }
        match insert(&bin, pad, &render_head, wanted) {
            Ok(elements) => {
                tracing::info!(?profile, decoder = wanted.name(), "H.264 decoder chosen");
                *current = Some((wanted, elements));
            }
            Err(e) => tracing::error!("cannot put in the {} decoder: {e}", wanted.name()),
        }
        gst::PadProbeReturn::Ok
    });
}

fn remove(bin: &gst::Bin, depay_src: &gst::Pad, elements: &[gst::Element]) {
    if let Some(peer) = depay_src.peer() {
        let _ = depay_src.unlink(&peer);
    }
    for element in elements {
        let _ = element.set_state(gst::State::Null);
    }
    let _ = bin.remove_many(elements);
}

fn insert(
    bin: &gst::Bin,
    depay_src: &gst::Pad,
    render_head: &gst::Element,
    decoder: VideoDecoder,
) -> Result<Vec<gst::Element>, String> {
    let elements = video_decode_chain(decoder)
        .iter()
        .map(make_element)
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| e.to_string())?;
    let (Some(first), Some(last)) = (elements.first(), elements.last()) else {
        return Err("no decoder elements".into());
    };
    bin.add_many(&elements).map_err(|e| e.to_string())?;
    gst::Element::link_many(&elements).map_err(|e| e.to_string())?;
    let first_sink = first.static_pad("sink").ok_or("a decoder without input")?;
    depay_src.link(&first_sink).map_err(|e| format!("{e:?}"))?;
    last.link(render_head).map_err(|e| e.to_string())?;
    if decoder == VideoDecoder::OpenH264 {
        super::workarounds::stale_frames::release_before_each_input(last);
    }
    for element in &elements {
        element
            .sync_state_with_parent()
            .map_err(|e| e.to_string())?;
    }
    Ok(elements)
}
