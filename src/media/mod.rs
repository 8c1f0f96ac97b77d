//! Media: what is captured, encoded, decoded and rendered. `plan` is pure; `probe` asks the
//! machine; `build` makes elements.

pub mod build;
pub mod decoder_switch;
pub mod plan;
pub mod probe;
pub mod stale_frames;
