//! Meters put into a running peer by the lab: capture stamps read back at render time
//! (`stamp`, `probe`), audio clicks and gaps (`click`, `gap`), and frame integrity (`quality`,
//! `pattern`). They are the only per-buffer Rust code, and only when measuring.

pub mod click;
pub mod gap;
pub mod pattern;
pub mod probe;
pub mod quality;
pub mod stamp;

use std::path::Path;

use videocall_core::error::AppResult;

/// The meters one peer carries, asked for by hidden flags: frame integrity (`--quality-log`)
/// and the bench's latency probe (`--bench-probe`). Attached after the peer is built and
/// before it starts; finished after the call, once its pipeline has stopped.
pub struct PeerMeters {
    label: Option<String>,
    quality: Option<quality::QualityMeter>,
    probe: Option<probe::Probe>,
}

impl PeerMeters {
    /// Attaches the meters asked for to `pipeline`. `test_pattern` says whether the peer sends
    /// the test pattern, whose frames the quality meter numbers; with a `label` (the demo's
    /// peers) the quality log gets the label as its extension.
    pub fn attach(
        pipeline: &gst::Pipeline,
        label: Option<&str>,
        test_pattern: bool,
        quality_log: Option<&Path>,
        bench_probe: Option<&Path>,
    ) -> AppResult<PeerMeters> {
        let quality = match quality_log {
            Some(path) => {
                if test_pattern {
                    quality::number_outgoing_frames(pipeline)?;
                }
                let path = match label {
                    Some(label) => path.with_extension(label),
                    None => path.to_path_buf(),
                };
                Some(quality::QualityMeter::attach(pipeline, &path)?)
            }
            None => None,
        };
        let probe = match bench_probe {
            Some(path) => Some(probe::Probe::attach(pipeline, path)?),
            None => None,
        };
        Ok(PeerMeters {
            label: label.map(String::from),
            quality,
            probe,
        })
    }

    /// Writes what the meters measured: the quality summary line, the probe's log.
    pub fn finish(self) -> AppResult<()> {
        if let Some(summary) = self
            .quality
            .as_ref()
            .and_then(quality::QualityMeter::finish)
        {
            eprintln!(
                "videocall: quality{}: {} frames, {:.1}% intact, frozen {:.0} ms (longest {:.0} ms)",
                self.label
                    .as_deref()
                    .map(|l| format!(" {l}"))
                    .unwrap_or_default(),
                summary.frames,
                summary.intact_share * 100.0,
                summary.frozen_ms,
                summary.longest_freeze_ms
            );
        }
        match self.probe {
            Some(probe) => probe.finish(),
            None => Ok(()),
        }
    }
}
