//! `videocall relay`: a UDP relay between two peers that impairs each direction of the call
//! (loss, delay/jitter, reordering, duplicates, a bit-rate cap, scheduled outages) with
//! GStreamer's `netsim`, so bad networks can be reproduced on one machine. The peers send to
//! the relay instead of to each other; their RTCP goes through it too. See docs/relay.md.

pub mod args;
pub mod build;
pub mod plan;

pub use build::Relay;
