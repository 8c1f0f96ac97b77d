//! Turns a plan into GStreamer elements: the only code that makes elements and wires rtpbin.

pub mod congestion;
pub mod decoder_switch;
pub mod element;
pub mod fec;
pub mod key_exchange;
pub mod keyframe;
pub mod one_sender;

pub mod peer;
pub mod probe;
pub mod record;
pub mod repair_hold;
pub mod rtx;
pub mod session;
pub mod source_filter;
pub mod srtp;
pub mod window;
pub mod workarounds;
