//! Keeps `openh264dec`'s output timestamps right. GStreamer 1.22's openh264dec cannot tell which
//! input frame a decoded picture belongs to, so it takes the oldest pending one; when the
//! decoder swallows a frame without output (a frame damaged by loss), that frame stays pending
//! for good and every later picture is stamped one frame too early. After a few losses video was
//! shown 100 ms and more ahead of audio, and the sink's QoS then dropped repaired frames as late
//! (docs/decisions/0015-codecs.md). The pending frames also were the decoder's slow memory growth.
//!
//! The decoder decodes without delay (baseline, no reordering): when the next input arrives,
//! every frame still pending will never be output. A probe on its sink pad releases them first.
//! A per-buffer hook, kept here on its own.

use gst::prelude::*;
use gst_video::prelude::*;

/// Installs the release on `decoder` (a `GstVideoDecoder`); false when it is not one.
pub fn release_before_each_input(decoder: &gst::Element) -> bool {
    let Ok(video_decoder) = decoder.clone().downcast::<gst_video::VideoDecoder>() else {
        return false;
    };
    let Some(sink) = decoder.static_pad("sink") else {
        return false;
    };
    let weak = video_decoder.downgrade();
    sink.add_probe(gst::PadProbeType::BUFFER, move |_, _| {
        if let Some(decoder) = weak.upgrade() {
            for frame in decoder.frames() {
                tracing::debug!(
                    frame = frame.system_frame_number(),
                    "released a frame the decoder will never output"
                );
                decoder.release_frame(frame);
            }
        }
        gst::PadProbeReturn::Ok
    });
    true
}
