//! Statistics: `collect` polls the pipeline, `compute` (pure) turns polls into a `Snapshot`,
//! `report` renders snapshots as text or JSON lines.

pub mod collect;
pub mod compute;
pub mod model;
pub mod plain_watch;
pub mod report;

pub use model::Snapshot;
