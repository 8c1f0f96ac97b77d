//! Decisions while the call runs: the jitter buffer's latency, the video's bit rate, redundant
//! audio and the wrong-passphrase watch.

pub mod adapter;
pub mod auth;
pub mod feedback;
pub mod gcc;
pub mod latency;
pub mod rate;

pub use rate::{RateController, TICK_S};
