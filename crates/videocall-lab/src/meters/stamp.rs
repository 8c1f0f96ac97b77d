//! The video latency stamp: a 64-bit word drawn into the luma plane of a raw frame as an 8×8
//! grid of 16×16-pixel black/white blocks (aligned to H.264 macroblocks, so 2 Mbit/s H.264
//! keeps them), read back after decoding. The word is 48 bits of wall-clock microseconds and a
//! 16-bit check, so a frame whose stamp did not survive is counted as unreadable, never as a
//! wrong latency.

use gst_video::prelude::*;

/// Side of one block, in luma pixels.
pub const BLOCK: usize = 16;
/// Blocks per row and per column: 8 × 8 = 64 bits.
pub const GRID: usize = 8;
/// Side of the stamped square, in luma pixels.
pub const SIZE: usize = BLOCK * GRID;
const MASK48: u64 = (1 << 48) - 1;

/// The check bits of a 48-bit value. The constant makes an all-black or all-white square
/// (an unstamped frame) fail the check.
fn check(value48: u64) -> u16 {
    ((value48 & MASK48).wrapping_mul(0x9E37_79B9_7F4A_7C15) >> 48) as u16 ^ 0xA5C3
}

/// The 64-bit word that carries `value` (its low 48 bits).
pub fn encode(value: u64) -> u64 {
    ((value & MASK48) << 16) | u64::from(check(value))
}

/// The 48-bit value of a word read from a frame, if its check holds.
pub fn decode(word: u64) -> Option<u64> {
    let value = word >> 16;
    (check(value) == word as u16).then_some(value)
}

/// The full microsecond time of a 48-bit stamp, taken as the latest time not after `now_us`.
pub fn unwrap_time(stamp48: u64, now_us: u64) -> u64 {
    now_us - (now_us.wrapping_sub(stamp48) & MASK48)
}

/// Where one colour component's samples are in a mapped plane.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Layout {
    /// Bytes per row.
    pub stride: usize,
    /// Bytes between horizontally adjacent samples.
    pub pstride: usize,
    /// Bits per sample: up to 8 in a byte, more in a little-endian 16-bit word.
    pub depth: u32,
}

impl Layout {
    fn offset(&self, x: usize, y: usize) -> usize {
        y * self.stride + x * self.pstride
    }

    fn get(&self, data: &[u8], x: usize, y: usize) -> u32 {
        let o = self.offset(x, y);
        if self.depth > 8 {
            u32::from(u16::from_le_bytes([data[o], data[o + 1]]))
        } else {
            u32::from(data[o])
        }
    }

    fn set(&self, data: &mut [u8], x: usize, y: usize, v: u32) {
        let o = self.offset(x, y);
        if self.depth > 8 {
            data[o..o + 2].copy_from_slice(&(v as u16).to_le_bytes());
        } else {
            data[o] = v as u8;
        }
    }

    /// Video-range black, white and grey at this depth.
    fn levels(&self) -> (u32, u32, u32) {
        let shift = self.depth.saturating_sub(8);
        (16 << shift, 235 << shift, 128 << shift)
    }
}

/// Draws `word` into a luma component (bit 63 first, row by row).
pub fn write_word(data: &mut [u8], luma: Layout, word: u64) {
    let (black, white, _) = luma.levels();
    for bit in 0..GRID * GRID {
        let v = if word >> (63 - bit) & 1 == 1 {
            white
        } else {
            black
        };
        let (bx, by) = ((bit % GRID) * BLOCK, (bit / GRID) * BLOCK);
        for y in by..by + BLOCK {
            for x in bx..bx + BLOCK {
                luma.set(data, x, y, v);
            }
        }
    }
}

/// Paints the stamped square neutral grey in a chroma component whose subsampling shifts are
/// `wsub`/`hsub`, so colour from the picture underneath does not bleed into the blocks.
pub fn neutral_chroma(data: &mut [u8], chroma: Layout, wsub: u32, hsub: u32) {
    let (_, _, grey) = chroma.levels();
    for y in 0..(SIZE >> hsub) {
        for x in 0..(SIZE >> wsub) {
            chroma.set(data, x, y, grey);
        }
    }
}

/// Reads the word from a luma component: each block's centre is averaged and compared with
/// mid-grey. `None` when a block is too close to grey to tell.
pub fn read_word(data: &[u8], luma: Layout) -> Option<u64> {
    let (black, white, _) = luma.levels();
    let (mid, margin) = ((black + white) / 2, (white - black) / 4);
    let mut word = 0u64;
    for bit in 0..GRID * GRID {
        let (bx, by) = ((bit % GRID) * BLOCK, (bit / GRID) * BLOCK);
        let (inner, pad) = (BLOCK / 2, BLOCK / 4);
        let mut sum = 0u32;
        for y in by + pad..by + pad + inner {
            for x in bx + pad..bx + pad + inner {
                sum += luma.get(data, x, y);
            }
        }
        let avg = sum / (inner * inner) as u32;
        if avg.abs_diff(mid) < margin {
            return None;
        }
        word = (word << 1) | u64::from(avg > mid);
    }
    Some(word)
}

fn component_layout<T>(frame: &gst_video::VideoFrameRef<T>, comp: u32) -> Option<Layout> {
    let layout = Layout {
        stride: usize::try_from(frame.comp_stride(comp)).ok()?,
        pstride: usize::try_from(frame.comp_pstride(comp)).ok()?,
        depth: frame.comp_depth(comp),
    };
    let little = frame.format_info().is_le() || layout.depth <= 8;
    (little && layout.depth <= 16).then_some(layout)
}

/// True when frames of `info` can carry a stamp: YUV, at least the stamp's size.
fn stampable(info: &gst_video::VideoInfo) -> bool {
    info.format_info().is_yuv() && info.width() as usize >= SIZE && info.height() as usize >= SIZE
}

/// Writes `value` (e.g. a capture time in µs) into a raw frame. False when the format cannot
/// carry a stamp (then the receiver counts the frame as unreadable).
pub fn stamp_buffer(buffer: &mut gst::BufferRef, info: &gst_video::VideoInfo, value: u64) -> bool {
    if !stampable(info) {
        return false;
    }
    let Ok(mut frame) = gst_video::VideoFrameRef::from_buffer_ref_writable(buffer, info) else {
        return false;
    };
    let Some(luma) = component_layout(&frame, 0) else {
        return false;
    };
    let (w_sub, h_sub) = (
        frame.format_info().w_sub().to_vec(),
        frame.format_info().h_sub().to_vec(),
    );
    match frame.comp_data_mut(0) {
        Ok(data) => write_word(data, luma, encode(value)),
        Err(_) => return false,
    }
    for comp in 1..frame.format_info().n_components().min(3) {
        if let (Some(layout), Ok(data)) =
            (component_layout(&frame, comp), frame.comp_data_mut(comp))
        {
            neutral_chroma(data, layout, w_sub[comp as usize], h_sub[comp as usize]);
        }
    }
    true
}

/// Reads the 48-bit value from a decoded frame; `None` when the stamp is unreadable.
pub fn read_buffer(buffer: &gst::BufferRef, info: &gst_video::VideoInfo) -> Option<u64> {
    if !stampable(info) {
        return None;
    }
    let frame = gst_video::VideoFrameRef::from_buffer_ref_readable(buffer, info).ok()?;
    let luma = component_layout(&frame, 0)?;
    decode(read_word(frame.comp_data(0).ok()?, luma)?)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn plane(depth: u32) -> (Vec<u8>, Layout) {
        let pstride = if depth > 8 { 2 } else { 1 };
        let layout = Layout {
            stride: 640 * pstride + 32,
            pstride,
            depth,
        };
        (vec![0x55; layout.stride * 480], layout)
    }

    #[test]
    fn words_round_trip_and_damage_is_detected() {
        for value in [0u64, 1, 1_764_000_000_123_456, MASK48] {
            assert_eq!(decode(encode(value)), Some(value & MASK48));
            for bit in 0..64 {
                assert_eq!(
                    decode(encode(value) ^ (1 << bit)),
                    None,
                    "bit {bit} of {value}"
                );
            }
        }
        assert_eq!(decode(0), None, "a black square is not a stamp");
        assert_eq!(decode(u64::MAX), None, "a white square is not a stamp");
    }

    #[test]
    fn stamps_unwrap_against_a_later_clock() {
        let t = 1_764_000_000_123_456u64;
        assert_eq!(unwrap_time(t & MASK48, t + 80_000), t);
        assert_eq!(unwrap_time(t & MASK48, t), t);
    }

    #[test]
    fn planes_round_trip_at_8_and_10_bits() {
        for depth in [8, 10] {
            let (mut data, layout) = plane(depth);
            let word = encode(987_654_321);
            write_word(&mut data, layout, word);
            assert_eq!(read_word(&data, layout), Some(word));
        }
    }

    #[test]
    fn grey_blocks_are_unreadable() {
        let (data, layout) = plane(8);
        let grey: Vec<u8> = data.iter().map(|_| 128).collect();
        assert_eq!(read_word(&grey, layout), None);
    }
}

/// Element test: stamps survive the call's real encoder settings and decoder.
#[cfg(test)]
mod codec_tests {
    use gst::prelude::*;

    use super::*;
    use crate::bench::codec_loop::{CodecLoop, codec_loop};
    use videocall_core::config::{VideoDecoder, VideoSource};
    use videocall_core::plan::media::{
        VideoSettings, raw_video_caps, video_decode_chain, video_send_chain,
    };

    /// Encodes `frames` test frames with the call's encoder chain (x264enc and its caps) and
    /// decodes them with the call's decoder chain, stamping frame `i` with `base + i` when
    /// `stamp` is set; returns what is read from each decoded frame.
    fn round_trip(frames: u64, stamp: bool, base: u64) -> Vec<Option<u64>> {
        gst::init().unwrap();
        let settings = VideoSettings::default();
        let src = gst::ElementFactory::make("videotestsrc")
            .property("num-buffers", frames as i32)
            .property_from_str("pattern", "ball")
            .build()
            .unwrap();
        let CodecLoop {
            pipeline,
            raw_caps: caps,
            sink,
        } = codec_loop(
            src,
            &raw_video_caps(&settings),
            &video_send_chain(&settings, &VideoSource::TestPattern),
            &video_decode_chain(VideoDecoder::OpenH264),
        );
        assert!(pipeline.by_name("video-enc").is_some() && pipeline.by_name("video-dec").is_some());
        if stamp {
            let next = std::sync::atomic::AtomicU64::new(base);
            caps.static_pad("src").unwrap().add_probe(
                gst::PadProbeType::BUFFER,
                move |pad, probe| {
                    let info =
                        gst_video::VideoInfo::from_caps(&pad.current_caps().unwrap()).unwrap();
                    let buffer = probe.buffer_mut().unwrap();
                    let value = next.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                    assert!(stamp_buffer(buffer.make_mut(), &info, value));
                    gst::PadProbeReturn::Ok
                },
            );
        }
        pipeline.set_state(gst::State::Playing).unwrap();
        let mut read = Vec::new();
        while let Some(sample) = sink.try_pull_sample(gst::ClockTime::from_seconds(10)) {
            let info = gst_video::VideoInfo::from_caps(sample.caps().unwrap()).unwrap();
            read.push(read_buffer(sample.buffer().unwrap(), &info));
        }
        pipeline.set_state(gst::State::Null).unwrap();
        read
    }

    #[test]
    fn stamps_survive_the_calls_encoder_at_2_mbits_and_its_decoder() {
        let base = 1_764_000_000_000_000u64 & MASK48;
        let read = round_trip(30, true, base);
        assert_eq!(read.len(), 30, "every frame comes out of the decoder");
        let expected: Vec<Option<u64>> = (0..30).map(|i| Some(base + i)).collect();
        assert_eq!(read, expected);
    }

    #[test]
    fn unstamped_frames_are_unreadable() {
        let read = round_trip(5, false, 0);
        assert_eq!(read.len(), 5);
        assert!(read.iter().all(Option::is_none), "{read:?}");
    }
}
