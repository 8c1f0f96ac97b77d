//! `--report FILE.html`: the call report view. It keeps one snapshot per peer and second
//! (`View::history`, apart from the printed reports) and, when the call has ended, writes one
//! self-contained page (`page`, charts from `svg`). The bench builds the same page from its own
//! samples.

pub mod page;
pub mod svg;

use std::fs::File;
use std::io::Write;
use std::path::PathBuf;
use std::time::SystemTime;

use super::{PeerReport, View};
use crate::config::ReportTarget;
use crate::error::{AppError, AppResult};
use crate::stats::Snapshot;
use crate::stats::model::StartupStats;

pub use page::{Direction, ReportPage, render, utc_date};

/// A write failure of the report file as one line (exit 1).
pub fn write_error(path: &std::path::Path, e: std::io::Error) -> AppError {
    AppError::Io(std::io::Error::new(
        e.kind(),
        format!("--report: cannot write {}: {e}", path.display()),
    ))
}

/// Creates (truncates) the report file now, so an unwritable path fails before the call.
pub fn create_file(path: &std::path::Path) -> AppResult<File> {
    File::create(path).map_err(|e| write_error(path, e))
}

/// Who sent what a peer labelled `label` received: `B → A` in the demo, the peer for a call.
fn direction_name(label: Option<&str>, labels: &[Option<String>]) -> String {
    let other = labels
        .iter()
        .flatten()
        .find(|other| Some(other.as_str()) != label);
    match (label, other) {
        (Some(us), Some(them)) => format!("{them} → {us}"),
        (Some(us), None) => format!("peer → {us}"),
        (None, _) => "peer → us".into(),
    }
}

/// The start-up table's rows for what `direction` received: each step's time from the
/// receiving peer's start, then the key-frame and decoder counts.
fn startup_rows(direction: &str, s: &StartupStats) -> Vec<(String, String)> {
    let ms = |v: Option<f64>| v.map_or("never".to_string(), |v| format!("{v:.0} ms"));
    [
        ("first packet", ms(s.first_packet_ms)),
        ("parameter sets", ms(s.parameter_sets_ms)),
        ("first key frame", ms(s.first_key_frame_ms)),
        ("first frame", ms(s.first_frame_ms)),
        ("key frames received", s.key_frames_received.to_string()),
        (
            "key-frame requests sent / received",
            format!(
                "{} / {}",
                s.key_frame_requests_sent, s.key_frame_requests_received
            ),
        ),
        ("decoder errors", s.decoder_errors.to_string()),
    ]
    .into_iter()
    .map(|(what, value)| (format!("{direction}: {what}"), value))
    .collect()
}

/// The report view of a running call.
pub struct CallReport {
    path: PathBuf,
    file: Option<File>,
    about: Vec<(String, String)>,
    started: SystemTime,
    /// Each peer's label and its snapshots, in the order peers are reported.
    peers: Vec<(Option<String>, Vec<Snapshot>)>,
}

impl CallReport {
    /// Creates the file at once (a bad path fails before the call starts).
    pub fn create(target: &ReportTarget) -> AppResult<CallReport> {
        Ok(CallReport {
            file: Some(create_file(&target.path)?),
            path: target.path.clone(),
            about: target.about.clone(),
            started: SystemTime::now(),
            peers: Vec::new(),
        })
    }

    /// The page of what was recorded so far.
    pub fn page(&self) -> ReportPage {
        let labels: Vec<Option<String>> = self.peers.iter().map(|p| p.0.clone()).collect();
        let duration = self
            .peers
            .iter()
            .filter_map(|p| p.1.last().map(|s| s.elapsed_s))
            .fold(0.0, f64::max);
        let start = self
            .started
            .duration_since(SystemTime::UNIX_EPOCH)
            .map_or(0, |d| d.as_secs());
        let mut about = self.about.clone();
        about.push(("Date".into(), utc_date(start)));
        about.push(("Duration".into(), format!("{duration:.0} s")));
        ReportPage {
            title: match labels.iter().flatten().count() {
                0 => "videocall: call report".into(),
                _ => "videocall demo: call report".into(),
            },
            about,
            startup: self
                .peers
                .iter()
                .filter_map(|(label, samples)| {
                    let last = samples.last()?;
                    let name = direction_name(label.as_deref(), &labels);
                    Some(startup_rows(&name, &last.startup))
                })
                .flatten()
                .collect(),
            directions: self
                .peers
                .iter()
                .map(|(label, samples)| Direction {
                    name: direction_name(label.as_deref(), &labels),
                    samples: samples.clone(),
                    ..Direction::default()
                })
                .collect(),
        }
    }
}

impl View for CallReport {
    fn show(&mut self, _now: f64, _peers: &[PeerReport<'_>]) {}

    fn wants_history(&self) -> bool {
        true
    }

    fn history(&mut self, _now: f64, peers: &[PeerReport<'_>]) {
        for peer in peers {
            let label = peer.label.map(str::to_string);
            match self.peers.iter_mut().find(|p| p.0 == label) {
                Some((_, samples)) => samples.push(peer.snapshot.clone()),
                None => self.peers.push((label, vec![peer.snapshot.clone()])),
            }
        }
    }

    fn finish(&mut self) -> AppResult<()> {
        let Some(mut file) = self.file.take() else {
            return Ok(());
        };
        let html = render(&self.page());
        file.write_all(html.as_bytes())
            .and_then(|()| file.flush())
            .map_err(|e| write_error(&self.path, e))?;
        eprintln!("videocall: call report written to {}", self.path.display());
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn directions_are_named_by_who_sent() {
        let labels = vec![Some("A".to_string()), Some("B".to_string())];
        assert_eq!(direction_name(Some("A"), &labels), "B → A");
        assert_eq!(direction_name(Some("B"), &labels), "A → B");
        assert_eq!(direction_name(None, &[None]), "peer → us");
    }

    #[test]
    fn start_up_rows_name_the_direction_and_say_never_for_what_did_not_happen() {
        let startup = StartupStats {
            first_packet_ms: Some(31.4),
            first_frame_ms: Some(72.0),
            key_frame_requests_sent: 1,
            ..StartupStats::default()
        };
        let rows = startup_rows("B → A", &startup);
        assert!(rows.contains(&("B → A: first packet".into(), "31 ms".into())));
        assert!(rows.contains(&("B → A: parameter sets".into(), "never".into())));
        assert!(rows.contains(&("B → A: first frame".into(), "72 ms".into())));
        assert!(rows.contains(&(
            "B → A: key-frame requests sent / received".into(),
            "1 / 0".into()
        )));
    }

    #[test]
    fn history_is_kept_per_peer_and_written_at_the_end() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("r.html");
        let mut view = CallReport::create(&ReportTarget {
            path: path.clone(),
            about: vec![("Peer".into(), "127.0.0.1".into())],
        })
        .unwrap();
        assert!(path.exists(), "created before the call");
        for t in 1..=3 {
            let mut snap = Snapshot {
                elapsed_s: t as f64,
                ..Snapshot::default()
            };
            snap.video.octets_received = t * 250_000;
            let reports = [
                PeerReport {
                    label: Some("A"),
                    snapshot: &snap,
                },
                PeerReport {
                    label: Some("B"),
                    snapshot: &snap,
                },
            ];
            view.history(t as f64, &reports);
        }
        let page = view.page();
        assert_eq!(page.directions.len(), 2);
        assert_eq!(page.directions[0].name, "B → A");
        assert_eq!(page.directions[1].samples.len(), 3);
        assert!(
            page.about
                .iter()
                .any(|(k, v)| k == "Duration" && v == "3 s")
        );
        view.finish().unwrap();
        let html = std::fs::read_to_string(&path).unwrap();
        assert!(html.contains("<td>2000.0</td>"), "{html}");
    }

    #[test]
    fn an_unwritable_path_is_one_line_before_the_call() {
        let e = CallReport::create(&ReportTarget {
            path: "/nonexistent-dir/r.html".into(),
            about: Vec::new(),
        })
        .err()
        .unwrap();
        let text = e.to_string();
        assert!(
            text.contains("--report: cannot write /nonexistent-dir/r.html"),
            "{text}"
        );
        assert!(!text.contains('\n'));
        assert_eq!(e.exit_code(), std::process::ExitCode::from(1));
    }
}
