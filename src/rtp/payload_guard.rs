//! Drops RTP packets whose payload the depayloader would treat as a fatal error rather than as
//! damage. `rtph264depay` posts an ERROR (and stops the stream for good) on NAL unit types it
//! does not implement (STAP-B, MTAP, FU-B, reserved): one such packet, forged or the SRTP of a
//! peer we cannot decrypt, would end the call. Everything else it already survives. A per-buffer
//! hook, kept here on its own.

use gst::prelude::*;

/// True when an H.264 RTP payload (RFC 6184) has a NAL unit type `rtph264depay` handles: single
/// NAL units 1–23, STAP-A (24) and FU-A (28).
pub fn h264_payload_is_supported(payload: &[u8]) -> bool {
    payload
        .first()
        .is_some_and(|b| matches!(b & 0x1f, 1..=24 | 28))
}

/// Installs the guard for `encoding_name` (from the RTP caps) on the depayloader's sink pad;
/// encodings without known fatal payloads get none.
pub fn install(depay_sink: &gst::Pad, encoding_name: &str) {
    if !encoding_name.eq_ignore_ascii_case("H264") {
        return;
    }
    depay_sink.add_probe(gst::PadProbeType::BUFFER, |_, info| {
        let Some(buffer) = info.buffer() else {
            return gst::PadProbeReturn::Ok;
        };
        let supported = gst_rtp::RTPBuffer::from_buffer_readable(buffer)
            .ok()
            .and_then(|rtp| rtp.payload().ok().map(h264_payload_is_supported))
            .unwrap_or(false);
        if supported {
            gst::PadProbeReturn::Ok
        } else {
            tracing::debug!("dropped an RTP packet the H.264 depayloader cannot take");
            gst::PadProbeReturn::Drop
        }
    });
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_the_nal_types_the_depayloader_knows_pass() {
        assert!(h264_payload_is_supported(&[0x65, 0x88]));
        assert!(h264_payload_is_supported(&[0x78, 0x00]));
        assert!(h264_payload_is_supported(&[0x7c, 0x85]));
        for bad in [0x00u8, 0x79, 0x7a, 0x7b, 0x7d, 0x7e, 0x7f] {
            assert!(!h264_payload_is_supported(&[bad, 0]), "{bad:#x}");
        }
        assert!(!h264_payload_is_supported(&[]));
    }
}
