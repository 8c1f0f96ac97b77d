//! The numbered test picture and how it is judged, as pure functions. Each frame's luma is a
//! function of its number alone, and the number is written into the picture itself as a strip of
//! black and white blocks, so the receiver can read it back from what it decoded and regenerate
//! exactly what was sent. The picture is smooth (moving ramps), so a clean stream at our bit
//! rates decodes far above the 30 dB "intact" line and a damaged one falls below it.

/// Height of the number strip at the top of the picture.
pub const STRIP_ROWS: usize = 16;
/// Side of the top-left square left to the bench's latency stamp (`meters::stamp::SIZE`, drawn
/// over the picture after this pattern): the strip starts right of it and PSNR skips it, so
/// both meters can run in one call.
pub const CORNER: usize = 128;
/// Bits in the strip: 24 of frame number, 8 of check.
const BITS: usize = 32;
const BLACK: u8 = 16;
const WHITE: u8 = 235;

/// The PSNR at or above which a frame counts as intact.
pub const INTACT_PSNR_DB: f64 = 30.0;

fn check_byte(n: u32) -> u32 {
    ((n ^ (n >> 8) ^ (n >> 16)) & 0xff) ^ 0xa5
}

fn block_width(width: usize) -> usize {
    width.saturating_sub(CORNER) / BITS
}

/// The luma of picture row `y` below the strip, for frame `n`.
fn ramp(x: usize, y: usize, n: u32) -> u8 {
    let n = n as usize;
    (16 + (x + 2 * n) % 128 + (y + n) % 96) as u8
}

/// Writes frame `n`'s luma into `plane` (`stride` bytes per row).
pub fn render_luma(n: u32, width: usize, height: usize, stride: usize, plane: &mut [u8]) {
    let code = (n & 0xff_ffff) | (check_byte(n & 0xff_ffff) << 24);
    let bw = block_width(width);
    for y in 0..height {
        let row = &mut plane[y * stride..y * stride + width];
        if y < STRIP_ROWS {
            for (x, px) in row.iter_mut().enumerate() {
                if x < CORNER {
                    *px = ramp(x, y, n);
                    continue;
                }
                let bit = ((x - CORNER) / bw).min(BITS - 1);
                *px = if code >> bit & 1 == 1 { WHITE } else { BLACK };
            }
        } else {
            for (x, px) in row.iter_mut().enumerate() {
                *px = ramp(x, y, n);
            }
        }
    }
}

/// Reads the frame number back from a decoded luma plane; `None` when the strip is damaged.
pub fn read_number(width: usize, stride: usize, plane: &[u8]) -> Option<u32> {
    let bw = block_width(width);
    let y = STRIP_ROWS / 2;
    let mut code: u32 = 0;
    for bit in 0..BITS {
        // The middle half of the block, away from edges the encoder may blur.
        let x0 = CORNER + bit * bw + bw / 4;
        let x1 = CORNER + bit * bw + bw * 3 / 4;
        let row = plane.get(y * stride + x0..y * stride + x1)?;
        let mean = row.iter().map(|v| u32::from(*v)).sum::<u32>() / row.len() as u32;
        if mean > 128 {
            code |= 1 << bit;
        }
    }
    let n = code & 0xff_ffff;
    (code >> 24 == check_byte(n)).then_some(n)
}

/// Luma PSNR (dB) of a decoded picture against frame `n` as sent, below the number strip and
/// outside the stamp's corner. Identical pictures give `f64::INFINITY`.
pub fn luma_psnr(n: u32, width: usize, height: usize, stride: usize, plane: &[u8]) -> f64 {
    let (mut sum_sq, mut count): (u64, u64) = (0, 0);
    for y in STRIP_ROWS..height {
        let row = &plane[y * stride..y * stride + width];
        let from = if y < CORNER { CORNER.min(width) } else { 0 };
        for (x, px) in row.iter().enumerate().skip(from) {
            let d = i64::from(*px) - i64::from(ramp(x, y, n));
            sum_sq += (d * d) as u64;
            count += 1;
        }
    }
    let count = count.max(1) as f64;
    let mse = sum_sq as f64 / count;
    if mse == 0.0 {
        f64::INFINITY
    } else {
        10.0 * (255.0 * 255.0 / mse).log10()
    }
}

/// One rendered frame, as the receiver judged it.
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize)]
pub struct FrameRecord {
    /// Milliseconds since the receiver started, when the frame reached the sink.
    pub t_ms: f64,
    /// The frame number read from the picture, if readable.
    pub frame: Option<u32>,
    /// Luma PSNR against the frame as sent (0 when the number was unreadable).
    pub psnr_db: f64,
    pub intact: bool,
}

/// A frame gap longer than this counts as frozen (the definition).
pub const FREEZE_MS: f64 = 200.0;

/// The share of intact frames and the frozen time of a run.
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize)]
pub struct Summary {
    pub frames: usize,
    pub intact_share: f64,
    /// Sum of the gaps between rendered frames longer than `FREEZE_MS`.
    pub frozen_ms: f64,
    pub longest_freeze_ms: f64,
}

/// Summarizes the records of frames rendered after `from_ms` (to skip the start-up).
pub fn summarize(records: &[FrameRecord], from_ms: f64) -> Summary {
    let kept: Vec<&FrameRecord> = records.iter().filter(|r| r.t_ms >= from_ms).collect();
    let intact = kept.iter().filter(|r| r.intact).count();
    let mut frozen_ms = 0.0;
    let mut longest: f64 = 0.0;
    for pair in kept.windows(2) {
        let gap = pair[1].t_ms - pair[0].t_ms;
        if gap > FREEZE_MS {
            frozen_ms += gap;
            longest = longest.max(gap);
        }
    }
    Summary {
        frames: kept.len(),
        intact_share: if kept.is_empty() {
            0.0
        } else {
            intact as f64 / kept.len() as f64
        },
        frozen_ms,
        longest_freeze_ms: longest,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const W: usize = 640;
    const H: usize = 480;

    #[test]
    fn the_number_survives_rendering_and_mild_noise() {
        for n in [0, 1, 25, 4095, 0xab_cdef] {
            let mut plane = vec![0u8; W * H];
            render_luma(n, W, H, W, &mut plane);
            assert_eq!(read_number(W, W, &plane), Some(n));
            assert_eq!(luma_psnr(n, W, H, W, &plane), f64::INFINITY);
            // Coding noise of a few levels changes neither the number nor "intact".
            for (i, px) in plane.iter_mut().enumerate() {
                *px = px.saturating_add((i % 5) as u8);
            }
            assert_eq!(read_number(W, W, &plane), Some(n));
            assert!(luma_psnr(n, W, H, W, &plane) > 40.0);
        }
    }

    #[test]
    fn the_wrong_frame_or_a_smear_is_not_intact() {
        let mut plane = vec![0u8; W * H];
        render_luma(100, W, H, W, &mut plane);
        assert!(luma_psnr(110, W, H, W, &plane) < INTACT_PSNR_DB);
        // A damaged strip is unreadable rather than a wrong number.
        let row = (STRIP_ROWS / 2) * W + CORNER;
        plane[row..row + 3 * W / 32].fill(128);
        plane[row..row + W / 64].fill(235);
        let read = read_number(W, W, &plane);
        assert!(read.is_none() || read == Some(100), "{read:?}");
        // Grey instead of the picture.
        plane.fill(128);
        assert!(luma_psnr(100, W, H, W, &plane) < INTACT_PSNR_DB);
    }

    #[test]
    fn the_bench_stamp_in_the_corner_changes_neither_number_nor_psnr() {
        let mut plane = vec![0u8; W * H];
        render_luma(77, W, H, W, &mut plane);
        for y in 0..CORNER {
            plane[y * W..y * W + CORNER].fill(if y % 32 < 16 { 235 } else { 16 });
        }
        assert_eq!(read_number(W, W, &plane), Some(77));
        assert_eq!(luma_psnr(77, W, H, W, &plane), f64::INFINITY);
        assert_eq!(CORNER, crate::meters::stamp::SIZE);
    }

    #[test]
    fn summary_counts_intact_frames_and_freezes() {
        let rec = |t_ms: f64, intact: bool| FrameRecord {
            t_ms,
            frame: Some(0),
            psnr_db: if intact { 40.0 } else { 10.0 },
            intact,
        };
        let records = [
            rec(0.0, true),
            rec(40.0, true),
            rec(80.0, false),
            rec(480.0, true), // 400 ms freeze
            rec(520.0, true),
            rec(820.0, true), // 300 ms freeze
        ];
        let s = summarize(&records, 0.0);
        assert_eq!(s.frames, 6);
        assert!((s.intact_share - 5.0 / 6.0).abs() < 1e-9);
        assert_eq!(s.frozen_ms, 700.0);
        assert_eq!(s.longest_freeze_ms, 400.0);
        assert_eq!(summarize(&records, 500.0).frames, 2);
        assert_eq!(summarize(&[], 0.0).intact_share, 0.0);
    }
}
