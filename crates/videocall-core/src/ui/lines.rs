//! The plain views: text lines for people, JSON lines for scripts.

use std::io::Write;

use super::{PeerReport, View};
use crate::stats::model::Snapshot;
use crate::stats::report::{json_line, text_report};

/// The compact text report, written each report (stdout, or stderr when JSON takes stdout).
pub struct TextLines(pub Box<dyn Write>);

impl View for TextLines {
    fn show(&mut self, _now: f64, peers: &[PeerReport<'_>]) {
        for peer in peers {
            let text = text_report(peer.label, peer.snapshot);
            match controls_note(peer.snapshot) {
                Some(note) => {
                    let _ = writeln!(self.0, "{text} | {note}");
                }
                None => {
                    let _ = writeln!(self.0, "{text}");
                }
            }
        }
        let _ = self.0.flush();
    }
}

/// What the user switched off (`m`, `v`), for the end of the report; none when nothing is.
pub fn controls_note(snapshot: &Snapshot) -> Option<String> {
    let off: Vec<&str> = [
        (snapshot.microphone_muted, "microphone muted"),
        (snapshot.camera_paused, "camera paused"),
    ]
    .into_iter()
    .filter_map(|(on, what)| on.then_some(what))
    .collect();
    (!off.is_empty()).then(|| format!("sending: {}", off.join(", ")))
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_report_says_what_the_user_switched_off() {
        let mut snap = Snapshot::default();
        assert_eq!(controls_note(&snap), None);
        snap.microphone_muted = true;
        assert_eq!(
            controls_note(&snap).as_deref(),
            Some("sending: microphone muted")
        );
        snap.camera_paused = true;
        assert_eq!(
            controls_note(&snap).as_deref(),
            Some("sending: microphone muted, camera paused")
        );
        let json = json_line(None, &snap);
        assert!(
            json.contains("\"microphone_muted\":true,\"camera_paused\":true"),
            "{json}"
        );
    }
}
