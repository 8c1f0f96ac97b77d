//! How a running call meets its user: views of the statistics (text lines, JSON) and the
//! controls (keys) that steer the call. Every view gets the same snapshots; none reads the
//! pipeline itself.

pub mod control;
pub mod dashboard;
pub mod history;
mod lines;
pub mod report;

use crate::error::AppResult;
use crate::stats::model::Snapshot;

pub use dashboard::Dashboard;
pub use lines::{JsonLines, TextLines};
pub use report::CallReport;

/// One peer's part of a report.
pub struct PeerReport<'a> {
    /// The peer's label (`A`/`B` in the demo), none for a single call.
    pub label: Option<&'a str>,
    pub snapshot: &'a Snapshot,
}

/// Seconds between two history samples (`View::history`).
pub const HISTORY_INTERVAL_S: f64 = 1.0;

/// One way of showing the call's statistics. Each report goes to every view.
pub trait View {
    /// A report: every peer's snapshot, taken at `now` seconds into the call.
    fn show(&mut self, now: f64, peers: &[PeerReport<'_>]);
    /// Whether the view keeps the whole call: it then also gets `history` every
    /// `HISTORY_INTERVAL_S`, whatever the report interval.
    fn wants_history(&self) -> bool {
        false
    }
    /// A sample of the call's history: every peer's snapshot `now` seconds into the call, from
    /// statistics of its own (the reports' interval rates are not disturbed).
    fn history(&mut self, _now: f64, _peers: &[PeerReport<'_>]) {}
    /// The call has ended and its last report was shown: write files, restore the terminal.
    fn finish(&mut self) -> AppResult<()> {
        Ok(())
    }
}
