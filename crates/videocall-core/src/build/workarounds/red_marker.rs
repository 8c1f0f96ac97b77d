//! GStreamer 1.22's `rtpreddec` leaves two things undone, fixed by a probe on its output:
//! - It rebuilds a lost packet without the RTP marker bit (it cannot know what the marker means
//!   for the payload); `rtpmp4gdepay` then takes the AAC frame for the first piece of a
//!   fragmented one and waits for the rest, so the rebuilt audio is never heard. Each of our AAC
//!   packets carries whole frames: the marker is set back.
//! - A packet it cannot parse as RED (an encrypted peer's SRTP reaching a plain peer, garbage)
//!   comes out as it went in, with the RED payload type; rtpbin makes a pad for it that the AAC
//!   depayloader refuses, and the not-linked error would end the call. Such packets are dropped.

use gst::prelude::*;

/// Installs the fix on `decoder` (an `rtpreddec` for payload type `red_pt`).
pub fn install(decoder: &gst::Element, red_pt: u8) {
    if let Some(pad) = decoder.static_pad("src") {
        pad.add_probe(gst::PadProbeType::BUFFER, move |_, info| {
            let header = info.buffer().and_then(|b| {
                let rtp = gst_rtp::RTPBuffer::from_buffer_readable(b).ok()?;
                Some((rtp.payload_type(), rtp.is_marker()))
            });
            match header {
                Some((pt, _)) if pt == red_pt => gst::PadProbeReturn::Drop,
                Some((_, false)) => {
                    if let Some(buffer) = info.buffer_mut()
                        && let Ok(mut rtp) =
                            gst_rtp::RTPBuffer::from_buffer_writable(buffer.make_mut())
                    {
                        rtp.set_marker(true);
                    }
                    gst::PadProbeReturn::Ok
                }
                _ => gst::PadProbeReturn::Ok,
            }
        });
    }
}
