//! Send-side rate adaptation from RTCP receiver reports: `controller` decides (pure, tested),
//! `feedback` reads the peer's reports from rtpbin. `call` drives both from a GLib timeout and
//! sets the encoder's bit rate; nothing here touches buffers.

pub mod controller;
pub mod feedback;

pub use controller::{RateController, RateLimits, TICK_S};
