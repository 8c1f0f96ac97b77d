//! The plan of a call: pure values computed from the configuration before any element exists.

pub mod media;
pub mod names;
pub mod peer;
pub mod rate;
