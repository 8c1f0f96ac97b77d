//! Decisions while the call runs, as pure functions of what the pipeline showed: one
//! [`Adapter`] takes each tick's `stats::RawSample` and returns [`Action`]s that `call`
//! applies. Its controllers: the jitter buffer's latency (`latency`), the video's bit rate
//! (`delay` over transport-wide feedback, falling back to `rate` over receiver reports, or
//! `gcc` following `rtpgccbwe`), redundant audio (`red`) and the peer watch
//! (`auth`: a wrong passphrase, an encrypting peer, the AAC format it sends). Nothing here
//! touches GStreamer.

pub mod adapter;
pub mod auth;
pub mod delay;
pub mod gcc;
pub mod latency;
pub mod rate;
pub mod red;
#[cfg(test)]
mod traces;

pub use adapter::{
    Action, AdaptSettings, Adapter, Controller, FEEDBACK_TICK_S, LatencySettings, StartLatency,
};
pub use rate::{RateController, TICK_S};
