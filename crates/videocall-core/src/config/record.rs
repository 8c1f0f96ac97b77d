//! The recording flags' values (`--record`, `--record-sent`), checked before the call starts;
//! `plan::record` turns them into the recording's elements.

use std::path::{Path, PathBuf};

/// The files a call records to, as the user gave them.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RecordFiles {
    /// `--record`: what we receive.
    pub received: Option<PathBuf>,
    /// `--record-sent`: what we send.
    pub sent: Option<PathBuf>,
}

impl RecordFiles {
    /// The files of one of several peers in a process (the demo): `call.mkv` becomes
    /// `call.A.mkv`, so the peers never write the same file.
    pub fn for_peer(&self, label: Option<&str>) -> RecordFiles {
        let Some(label) = label else {
            return self.clone();
        };
        let rename = |path: &PathBuf| {
            let stem = path.file_stem().unwrap_or_default().to_string_lossy();
            let name = match path.extension() {
                Some(ext) => format!("{stem}.{label}.{}", ext.to_string_lossy()),
                None => format!("{stem}.{label}"),
            };
            path.with_file_name(name)
        };
        RecordFiles {
            received: self.received.as_ref().map(rename),
            sent: self.sent.as_ref().map(rename),
        }
    }
}

/// Checks that `path` can be written before the call starts: a missing directory or one we
/// may not write to is one line, not a pipeline failure.
pub fn check_writable(flag: &str, path: &Path) -> Result<(), String> {
    let dir = match path.parent() {
        Some(dir) if !dir.as_os_str().is_empty() => dir,
        _ => Path::new("."),
    };
    if !dir.is_dir() {
        return Err(format!(
            "{flag}: cannot write {}: the directory {} does not exist",
            path.display(),
            dir.display()
        ));
    }
    if path.is_dir() {
        return Err(format!("{flag}: {} is a directory", path.display()));
    }
    std::fs::OpenOptions::new()
        .create(true)
        .truncate(false)
        .write(true)
        .open(path)
        .map(drop)
        .map_err(|e| format!("{flag}: cannot write {}: {e}", path.display()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn demo_peers_write_their_own_files() {
        let files = RecordFiles {
            received: Some("/tmp/call.mkv".into()),
            sent: Some("out".into()),
        };
        let a = files.for_peer(Some("A"));
        assert_eq!(a.received.as_deref(), Some(Path::new("/tmp/call.A.mkv")));
        assert_eq!(a.sent.as_deref(), Some(Path::new("out.A")));
        assert_eq!(files.for_peer(None), files);
    }

    #[test]
    fn an_unwritable_target_is_one_line() {
        let err = check_writable("--record", Path::new("/no/such/dir/x.mkv")).unwrap_err();
        assert!(err.contains("/no/such/dir does not exist"), "{err}");
        assert!(!err.contains('\n'));
        let dir = std::env::temp_dir();
        assert!(
            check_writable("--record", &dir)
                .unwrap_err()
                .contains("is a directory")
        );
        let ok = dir.join(format!("videocall-record-{}.mkv", std::process::id()));
        assert_eq!(check_writable("--record", &ok), Ok(()));
        let _ = std::fs::remove_file(ok);
    }

    #[test]
    fn both_recordings_in_one_file_is_refused() {
        let args = crate::config::cli::MediaArgs {
            record: Some("x.mkv".into()),
            record_sent: Some("x.mkv".into()),
            ..Default::default()
        };
        let err = args.options().unwrap_err().to_string();
        assert!(err.contains("same file"), "{err}");
    }
}
