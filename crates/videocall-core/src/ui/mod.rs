//! How a running call meets its user: views of the statistics (text lines, JSON) and the
//! controls (keys) that steer the call. Every view gets the same snapshots; none reads the
//! pipeline itself.

pub mod control;
pub mod dashboard;
pub mod history;
mod lines;

use crate::error::AppResult;
use crate::stats::model::Snapshot;

pub use dashboard::Dashboard;
pub use lines::{JsonLines, TextLines};

/// One peer's part of a report.
pub struct PeerReport<'a> {
    /// The peer's label (`A`/`B` in the demo), none for a single call.
    pub label: Option<&'a str>,
    pub snapshot: &'a Snapshot,
}

/// One way of showing the call's statistics. Each report goes to every view.
pub trait View {
    /// A report: every peer's snapshot, taken at `now` seconds into the call.
    fn show(&mut self, now: f64, peers: &[PeerReport<'_>]);
    /// The call has ended and its last report was shown: write files, restore the terminal.
    fn finish(&mut self) -> AppResult<()> {
        Ok(())
    }
}
