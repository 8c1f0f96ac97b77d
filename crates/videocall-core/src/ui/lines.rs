//! The plain views: text lines for people, JSON lines for scripts.

use std::io::Write;

use super::{PeerReport, View};
use crate::stats::report::{json_line, text_report};

/// The compact text report, written each report (stdout, or stderr when JSON takes stdout).
pub struct TextLines(pub Box<dyn Write>);

impl View for TextLines {
    fn show(&mut self, _now: f64, peers: &[PeerReport<'_>]) {
        for peer in peers {
            let _ = writeln!(self.0, "{}", text_report(peer.label, peer.snapshot));
        }
        let _ = self.0.flush();
    }
}

/// One JSON object per peer and report (`--stats-json`).
pub struct JsonLines(pub Box<dyn Write>);

impl View for JsonLines {
    fn show(&mut self, _now: f64, peers: &[PeerReport<'_>]) {
        for peer in peers {
            let _ = writeln!(self.0, "{}", json_line(peer.label, peer.snapshot));
        }
        let _ = self.0.flush();
    }
}
