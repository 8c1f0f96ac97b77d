//! Recording (`--record`, `--record-sent`): which streams go into which Matroska file, as
//! plain values. The encoded streams are copied, never re-encoded: a tee after the received
//! depayloaders (or after our encoders, before payloading) feeds a leaky queue and a parser per
//! medium, and both meet in one `matroskamux` writing to a file (docs/decisions/0023-recording.md).

use std::path::{Path, PathBuf};

use super::ElementSpec;
use super::names;
use crate::config::Medium;
pub use crate::config::record::RecordFiles;

/// Which side of the call a recording holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Direction {
    /// What the peer sends us, as it comes out of the depayloaders.
    Received,
    /// What we send, as it comes out of our encoders.
    Sent,
}

impl Direction {
    pub const ALL: [Direction; 2] = [Direction::Received, Direction::Sent];

    /// The word in element names and messages.
    pub fn name(self) -> &'static str {
        match self {
            Direction::Received => "received",
            Direction::Sent => "sent",
        }
    }

    /// The flag that asks for it.
    pub fn flag(self) -> &'static str {
        match self {
            Direction::Received => "--record",
            Direction::Sent => "--record-sent",
        }
    }
}

/// How long a recording's queue holds a medium's data while the disk (or the muxer, waiting for
/// the other medium) is slow; older data is dropped, the call is never held up.
pub const QUEUE_NS: u64 = 5_000_000_000;

/// How long a recording waits for a medium once the other has started: then it goes on
/// without it (a peer that sends video only). Well under [`QUEUE_NS`], so nothing of the
/// medium that came is dropped meanwhile.
pub const MEDIUM_WAIT: std::time::Duration = std::time::Duration::from_secs(3);

/// How long the end of the call waits for the muxer to write the file's index and duration.
pub const FINISH_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(3);

/// One recording: a branch per medium from its tee to the muxer, and the muxer's file.
#[derive(Debug, Clone, PartialEq)]
pub struct RecordingPlan {
    pub direction: Direction,
    pub path: PathBuf,
    /// Video then audio: the tee to tap, and the chain from it to the muxer.
    pub branches: [(String, Vec<ElementSpec>); 2],
    /// The muxer and the file sink, linked in that order.
    pub output: Vec<ElementSpec>,
}

impl RecordingPlan {
    /// The recording of `direction` into `path`.
    pub fn new(direction: Direction, path: &Path) -> RecordingPlan {
        let branch = |medium: Medium| {
            let parser = match medium {
                // Matroska takes H.264 as AVC with its codec data: h264parse converts whatever
                // the tee carries (AVC after the depayloader, byte-stream after x264enc).
                Medium::Video => "h264parse",
                Medium::Audio => "aacparse",
            };
            let prefix = format!("record-{}-{}", direction.name(), medium.name());
            (
                names::record_tee(direction.name(), medium),
                vec![
                    ElementSpec::new("queue", format!("{prefix}-queue"))
                        // Only time bounds the queue: a key frame must never be what is dropped
                        // for want of buffers or bytes.
                        .prop("max-size-buffers", 0)
                        .prop("max-size-bytes", 0)
                        .prop("max-size-time", QUEUE_NS)
                        .prop("leaky", "downstream"),
                    ElementSpec::new(parser, format!("{prefix}-parse")),
                ],
            )
        };
        RecordingPlan {
            direction,
            path: path.to_path_buf(),
            branches: [branch(Medium::Video), branch(Medium::Audio)],
            output: vec![
                ElementSpec::new("matroskamux", names::record_mux(direction.name()))
                    // The earliest stream starts at 0 whatever the call's running time was
                    // when recording began; both media move by the same offset, so their
                    // sync (the jitter buffers' lip-synced output) is kept.
                    .prop("offset-to-zero", true)
                    // Not streamable: at the end the muxer seeks back to write the duration and
                    // the cues; a file cut short (a crash) still plays, without them.
                    .prop("streamable", false),
                ElementSpec::new("filesink", names::record_sink(direction.name()))
                    .prop("location", path.display())
                    .prop("sync", false)
                    .prop("async", false),
            ],
        }
    }

    /// Every element factory the recording makes.
    pub fn factories(&self) -> impl Iterator<Item = &'static str> + '_ {
        self.branches
            .iter()
            .flat_map(|(_, chain)| chain)
            .chain(&self.output)
            .map(|spec| spec.factory)
            .chain(["tee"])
    }
}

/// The recordings `files` asks for.
pub fn recordings(files: &RecordFiles) -> Vec<RecordingPlan> {
    Direction::ALL
        .into_iter()
        .filter_map(|d| {
            let path = match d {
                Direction::Received => files.received.as_deref(),
                Direction::Sent => files.sent.as_deref(),
            };
            path.map(|path| RecordingPlan::new(d, path))
        })
        .collect()
}

/// `chain` with a tee named `tee` put right after the element named `after`, when `tee` is
/// one of `taps`: the other elements stay linked through the tee's first output.
pub fn tap_after(chain: &mut Vec<ElementSpec>, after: &str, tee: &str, taps: &[String]) {
    if !taps.iter().any(|t| t == tee) {
        return;
    }
    if let Some(index) = chain.iter().position(|spec| spec.name == after) {
        chain.insert(index + 1, ElementSpec::new("tee", tee));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_direction_gets_its_own_branches_mux_and_file() {
        let files = RecordFiles {
            received: Some("/tmp/in.mkv".into()),
            sent: Some("/tmp/out.mkv".into()),
        };
        let plans = recordings(&files);
        assert_eq!(plans.len(), 2);
        let names: Vec<&str> = plans
            .iter()
            .flat_map(|p| p.branches.iter().flat_map(|(_, c)| c).chain(&p.output))
            .map(|s| s.name.as_str())
            .collect();
        let mut unique = names.clone();
        unique.sort_unstable();
        unique.dedup();
        assert_eq!(unique.len(), names.len(), "{names:?}");
        assert_eq!(plans[1].output[1].get("location"), Some("/tmp/out.mkv"));
        assert_ne!(plans[0].branches[0].0, plans[1].branches[0].0);
        assert!(recordings(&RecordFiles::default()).is_empty());
    }

    #[test]
    fn the_file_starts_at_zero_is_finalised_and_never_holds_up_the_call() {
        assert!(MEDIUM_WAIT.as_nanos() < u128::from(QUEUE_NS));
        let plan = RecordingPlan::new(Direction::Received, Path::new("x.mkv"));
        let mux = &plan.output[0];
        assert_eq!(mux.factory, "matroskamux");
        assert_eq!(mux.get("offset-to-zero"), Some("true"));
        assert_eq!(mux.get("streamable"), Some("false"));
        for (_, chain) in &plan.branches {
            let queue = &chain[0];
            assert_eq!(queue.factory, "queue");
            assert_eq!(queue.get("leaky"), Some("downstream"));
            assert_eq!(queue.get("max-size-buffers"), Some("0"));
            assert_eq!(queue.get("max-size-bytes"), Some("0"));
        }
        assert_eq!(plan.branches[0].1[1].factory, "h264parse");
        assert_eq!(plan.branches[1].1[1].factory, "aacparse");
        assert_eq!(plan.output[1].get("sync"), Some("false"));
        let factories: Vec<_> = plan.factories().collect();
        assert!(factories.contains(&"tee") && factories.contains(&"filesink"));
    }

    #[test]
    fn a_tee_goes_in_only_where_a_recording_taps() {
        let chain = || {
            vec![
                ElementSpec::new("rtph264depay", "video-depay"),
                ElementSpec::new("capsfilter", "video-depay-caps"),
            ]
        };
        let mut untouched = chain();
        tap_after(&mut untouched, "video-depay", "t", &[]);
        assert_eq!(untouched, chain());
        let mut tapped = chain();
        tap_after(&mut tapped, "video-depay", "t", &["t".to_string()]);
        let factories: Vec<_> = tapped.iter().map(|s| s.factory).collect();
        assert_eq!(factories, ["rtph264depay", "tee", "capsfilter"]);
    }
}
