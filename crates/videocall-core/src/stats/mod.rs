//! Statistics: `collect` is the only reader of the running pipeline (one `RawSample` per poll,
//! with the RTCP taps of `feedback` and `plain_watch`, and the transport-wide feedback of `twcc`), `compute` (pure) turns polls into a
//! `Snapshot`, `report` renders snapshots as text or JSON lines, `startup` marks how the received video
//! started.

pub mod collect;
pub mod compute;
pub mod feedback;
pub mod model;
pub mod plain_watch;
pub mod report;
pub mod startup;
pub mod twcc;

pub use model::{RawSample, RecordedSample, Snapshot, StartupStats};
