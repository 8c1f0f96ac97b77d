//! videocall's product library: a two-way H.264 + AAC call over RTP/UDP on GStreamer.
//!
//! Layers, each importing only those below it:
//! `config` (the user's choices) → `plan` (a pure plan of the pipelines) → `build` (the only
//! code that makes elements) → `stats` (the only reader of a running pipeline) → `adapt` (pure
//! controllers: samples in, actions out) → `ui` (views of the snapshots, the user's controls) → `call` (the main loop that applies
//! the actions and the controls).
//! `error` and `security` (key material) sit below them all.

pub mod adapt;
pub mod build;
pub mod call;
pub mod config;
pub mod demo;
pub mod doctor;
pub mod error;
pub mod plan;
#[cfg(test)]
mod proptests;
pub mod sdp;
pub mod security;
pub mod stats;
pub mod ui;
