//! Drops RTP packets whose payload the depayloader or decoder would treat as a fatal error rather
//! than as damage. `rtph264depay` posts an ERROR (and stops the stream for good) on NAL unit
//! types it does not implement (STAP-B, MTAP, FU-B, reserved); GStreamer 1.22's `faad` does the
//! same on any AAC decoding error, whatever its `max-errors`. One such packet, forged or the SRTP
//! of a peer we cannot decrypt, would end the call. A per-buffer hook, kept here on its own.

use gst::prelude::*;

use crate::config::AacPayload;

/// True when an H.264 RTP payload (RFC 6184) has a NAL unit type `rtph264depay` handles: single
/// NAL units 1–23, STAP-A (24) and FU-A (28).
pub fn h264_payload_is_supported(payload: &[u8]) -> bool {
    payload
        .first()
        .is_some_and(|b| matches!(b & 0x1f, 1..=24 | 28))
}

/// The AAC frames of an RFC 3640 AAC-hbr payload (16-bit AU headers: 13-bit size, 3-bit
/// index) when the AU sizes add up to the rest of the packet.
fn aac_hbr_frames(payload: &[u8]) -> Option<&[u8]> {
    let (head, rest) = payload.split_first_chunk::<2>()?;
    let header_bits = usize::from(u16::from_be_bytes(*head));
    if header_bits == 0 || header_bits % 16 != 0 || rest.len() < header_bits / 8 {
        return None;
    }
    let (headers, data) = rest.split_at(header_bits / 8);
    let total: usize = headers
        .chunks_exact(2)
        .map(|h| usize::from(u16::from_be_bytes([h[0], h[1]]) >> 3))
        .sum();
    (total == data.len()).then_some(data)
}

/// The AAC frame of an RFC 6416 MP4A-LATM payload (`cpresent=0`, one frame as every common
/// sender sends it) when its PayloadLengthInfo (bytes of 255, then the rest) gives exactly the
/// rest of the packet.
fn latm_frame(payload: &[u8]) -> Option<&[u8]> {
    let mut length = 0usize;
    for (i, byte) in payload.iter().enumerate() {
        length += usize::from(*byte);
        if *byte != 255 {
            let data = &payload[i + 1..];
            return (length > 0 && length == data.len()).then_some(data);
        }
    }
    None
}

/// True when an AAC frame opens with a channel element (single or pair), as our stereo AAC-LC
/// always does. What does not would risk a fatal `faad` error.
fn opens_with_a_channel(frame: &[u8]) -> bool {
    frame
        .first()
        .is_some_and(|b| matches!(b >> 5, 0b000 | 0b001))
}

/// True when an RFC 3640 AAC-hbr payload is consistent: the AU sizes add up to the rest of the
/// packet and the first AU opens with a channel element. Random bytes almost never pass.
pub fn aac_payload_is_plausible(payload: &[u8]) -> bool {
    aac_hbr_frames(payload).is_some_and(opens_with_a_channel)
}

/// True when an RFC 6416 MP4A-LATM payload is consistent, as [`aac_payload_is_plausible`].
pub fn latm_payload_is_plausible(payload: &[u8]) -> bool {
    latm_frame(payload).is_some_and(opens_with_a_channel)
}

/// Which AAC payload format a packet is in, when its length fields say so unambiguously. Only
/// the structure counts here: FFmpeg's encoder opens its first frame with a data element (its
/// name), which the guards drop but which still shows the format.
pub fn classify_aac(payload: &[u8]) -> Option<AacPayload> {
    match (aac_hbr_frames(payload), latm_frame(payload)) {
        (Some(_), None) => Some(AacPayload::Generic),
        (None, Some(_)) => Some(AacPayload::Latm),
        _ => None,
    }
}

/// The guard for a depayloader factory, if it has payloads it cannot survive.
fn check_for(depayloader: &str) -> Option<fn(&[u8]) -> bool> {
    match depayloader {
        "rtph264depay" => Some(h264_payload_is_supported),
        "rtpmp4gdepay" => Some(aac_payload_is_plausible),
        "rtpmp4adepay" => Some(latm_payload_is_plausible),
        _ => None,
    }
}

/// Installs the guard for `depayloader` on its sink pad; depayloaders without known fatal
/// payloads get none.
pub fn install(depayloader: &gst::Element) {
    let Some(factory) = depayloader.factory() else {
        return;
    };
    let (Some(check), Some(depay_sink)) = (
        check_for(factory.name().as_str()),
        depayloader.static_pad("sink"),
    ) else {
        return;
    };
    depay_sink.add_probe(gst::PadProbeType::BUFFER, move |_, info| {
        let Some(buffer) = info.buffer() else {
            return gst::PadProbeReturn::Ok;
        };
        let supported = gst_rtp::RTPBuffer::from_buffer_readable(buffer)
            .ok()
            .and_then(|rtp| rtp.payload().ok().map(check))
            .unwrap_or(false);
        if supported {
            gst::PadProbeReturn::Ok
        } else {
            tracing::debug!("dropped an RTP payload the depayloader or decoder cannot take");
            // Take the buffer and say it was handled: on this sink pad `Drop` left GStreamer
            // unreffing a NULL buffer (a CRITICAL per packet).
            let _ = info.take_buffer();
            gst::PadProbeReturn::Handled
        }
    });
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn latm_and_generic_aac_are_told_apart_from_their_bytes() {
        // rtpmp4apay: a length byte, then a CPE frame of that length.
        let latm = [4u8, 0x21, 1, 2, 3];
        assert!(latm_payload_is_plausible(&latm));
        assert_eq!(classify_aac(&latm), Some(AacPayload::Latm));
        // Lengths of 255 and more take several bytes.
        let mut long = vec![255u8, 1, 0x21];
        long.extend(std::iter::repeat_n(7u8, 255));
        assert_eq!(classify_aac(&long), Some(AacPayload::Latm));
        // rtpmp4gpay: AU-headers-length 16 bits, one AU of 5 bytes.
        let generic = [0x00, 0x10, 0x00, 0x28, 0x21, 1, 2, 3, 4];
        assert_eq!(classify_aac(&generic), Some(AacPayload::Generic));
        for bad in [&[][..], &[0u8], &[3, 0x21, 1], &[255, 255]] {
            assert_eq!(classify_aac(bad), None, "{bad:?}");
        }
        // FFmpeg's first frame: a data element with its name. The format shows; the guard
        // still keeps it from the decoder.
        let named = [3u8, 0xde, 0x02, 0x00];
        assert_eq!(classify_aac(&named), Some(AacPayload::Latm));
        assert!(!latm_payload_is_plausible(&named));
    }

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

    #[test]
    fn only_consistent_aac_access_units_pass() {
        // One AU of 5 bytes: headers-length 16 bits, size 5 << 3, then a CPE.
        let good = [0x00, 0x10, 0x00, 0x28, 0x21, 1, 2, 3, 4];
        assert!(aac_payload_is_plausible(&good));
        let mut wrong_size = good;
        wrong_size[3] = 0x30;
        assert!(!aac_payload_is_plausible(&wrong_size));
        let mut data_element = good;
        data_element[4] = 0x81;
        assert!(!aac_payload_is_plausible(&data_element));
        // Two AUs (2 + 3 bytes).
        assert!(aac_payload_is_plausible(&[
            0, 0x20, 0, 0x10, 0, 0x18, 0x20, 9, 1, 2, 3
        ]));
        for bad in [
            &[][..],
            &[0, 0x10],
            &[0, 0, 0x21],
            &[0, 0x11, 0, 0x08, 0x20],
        ] {
            assert!(!aac_payload_is_plausible(bad), "{bad:?}");
        }
    }
}
