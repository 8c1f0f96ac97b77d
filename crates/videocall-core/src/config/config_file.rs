//! The config file: defaults for every call (`[call]`) and profiles for people called often
//! (`[profiles.NAME]`), in TOML. The file only supplies flags the command line left out, so
//! flags always win (docs/decisions/0027-config-and-profiles.md).

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde::Deserialize;

use super::prompt::GivenAnswers;
use super::{Endpoints, Question, validate};
use crate::error::AppError;

/// A number of seconds, written as an integer or a float.
#[derive(Debug, Clone, Copy, PartialEq, Deserialize)]
#[serde(untagged)]
pub enum Seconds {
    Whole(u64),
    Fraction(f64),
}

/// One section of the file: the six answers and the media options it may set. Keys are the
/// flags' long names without the dashes in front.
#[derive(Debug, Default, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct Section {
    pub video_dest_port: Option<u16>,
    pub video_recv_port: Option<u16>,
    pub audio_dest_port: Option<u16>,
    pub audio_recv_port: Option<u16>,
    pub local_ip: Option<String>,
    pub remote_ip: Option<String>,
    pub video_source: Option<String>,
    pub audio_source: Option<String>,
    pub video_sink: Option<String>,
    pub audio_sink: Option<String>,
    pub jitter_buffer_ms: Option<u64>,
    pub video_decoder: Option<String>,
    pub audio_payload: Option<String>,
    pub stats_interval: Option<Seconds>,
}

impl Section {
    /// The six answers, in the order of [`Question::ALL`].
    pub fn answers(&self) -> GivenAnswers {
        let port = |p: Option<u16>| p.map(|p| p.to_string());
        [
            port(self.video_dest_port),
            port(self.video_recv_port),
            port(self.audio_dest_port),
            port(self.audio_recv_port),
            self.local_ip.clone(),
            self.remote_ip.clone(),
        ]
    }

    /// The media options as (clap argument id, value) pairs; clap's own parsers check the
    /// values, so the file accepts exactly what the flags accept.
    pub fn media_flags(&self) -> Vec<(&'static str, String)> {
        let seconds = |s: Option<Seconds>| {
            s.map(|s| match s {
                Seconds::Whole(n) => n.to_string(),
                Seconds::Fraction(f) => f.to_string(),
            })
        };
        [
            ("video_source", self.video_source.clone()),
            ("audio_source", self.audio_source.clone()),
            ("video_sink", self.video_sink.clone()),
            ("audio_sink", self.audio_sink.clone()),
            (
                "jitter_buffer_ms",
                self.jitter_buffer_ms.map(|n| n.to_string()),
            ),
            ("video_decoder", self.video_decoder.clone()),
            ("audio_payload", self.audio_payload.clone()),
            ("stats_interval", seconds(self.stats_interval)),
        ]
        .into_iter()
        .filter_map(|(id, v)| v.map(|v| (id, v)))
        .collect()
    }

    /// Checks the six answers on their own (even ports, addresses that parse), so a bad saved
    /// value names the file rather than a flag the user never typed.
    fn check(&self, path: &Path, section: &str) -> Result<(), AppError> {
        for (question, value) in Question::ALL.into_iter().zip(self.answers()) {
            let Some(value) = value else { continue };
            let checked = match question {
                Question::LocalIp | Question::RemoteIp => value
                    .trim()
                    .parse::<std::net::IpAddr>()
                    .map(|_| ())
                    .map_err(|_| format!("'{value}' is not an IP address")),
                _ => validate::parse_rtp_port(&value).map(|_| ()),
            };
            checked.map_err(|reason| {
                AppError::Input(format!(
                    "{}: [{section}] {}: {reason}",
                    path.display(),
                    question.flag().trim_start_matches("--")
                ))
            })?;
        }
        Ok(())
    }
}

/// The whole file.
#[derive(Debug, Default, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ConfigFile {
    /// Defaults for every call: media options apply, the six answers are the prompts' defaults.
    #[serde(default)]
    pub call: Section,
    /// People called often: every value in a profile applies.
    #[serde(default)]
    pub profiles: BTreeMap<String, Section>,
}

/// A config file as read, with where it came from (for error messages and saving).
#[derive(Debug, Default, Clone, PartialEq)]
pub struct Loaded {
    /// None when no file is read (`--no-config`, or the default file does not exist).
    pub path: Option<PathBuf>,
    pub file: ConfigFile,
}

impl Loaded {
    /// The profile `name`, or one line naming the file and the profiles it has.
    pub fn profile(&self, name: &str) -> Result<&Section, AppError> {
        let shown = self
            .path
            .as_deref()
            .map_or_else(|| "no config file".to_string(), |p| p.display().to_string());
        self.file.profiles.get(name).ok_or_else(|| {
            let known: Vec<&str> = self.file.profiles.keys().map(String::as_str).collect();
            AppError::Input(format!(
                "--profile {name}: {shown} has no [profiles.{name}]{}",
                if known.is_empty() {
                    String::new()
                } else {
                    format!(" (it has: {})", known.join(", "))
                }
            ))
        })
    }
}

/// The default file: `$XDG_CONFIG_HOME/videocall/config.toml`, else
/// `$HOME/.config/videocall/config.toml` (the XDG base directory rule).
pub fn default_path() -> Option<PathBuf> {
    let absolute = |var: &str| {
        std::env::var_os(var)
            .map(PathBuf::from)
            .filter(|p| p.is_absolute())
    };
    absolute("XDG_CONFIG_HOME")
        .or_else(|| absolute("HOME").map(|h| h.join(".config")))
        .map(|dir| dir.join("videocall").join("config.toml"))
}

/// The file a command reads: `--config FILE` (which must exist), else the default file unless
/// `--no-config` (a missing default file is no error).
pub fn load(given: Option<&Path>, no_config: bool) -> Result<Loaded, AppError> {
    let (path, must_exist) = match (given, no_config) {
        (Some(path), _) => (path.to_path_buf(), true),
        (None, true) => return Ok(Loaded::default()),
        (None, false) => match default_path() {
            Some(path) => (path, false),
            None => return Ok(Loaded::default()),
        },
    };
    let text = match std::fs::read_to_string(&path) {
        Ok(text) => text,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound && !must_exist => {
            return Ok(Loaded::default());
        }
        Err(e) => {
            return Err(AppError::Input(format!(
                "config file {}: {e}",
                path.display()
            )));
        }
    };
    let file = parse(&text, &path)?;
    Ok(Loaded {
        path: Some(path),
        file,
    })
}

/// Parses and checks a file's text; an error is one line naming the file, line and key.
pub fn parse(text: &str, path: &Path) -> Result<ConfigFile, AppError> {
    let file: ConfigFile = toml::from_str(text).map_err(|e| {
        let place = e.span().map_or_else(String::new, |span| {
            let line = text[..span.start].matches('\n').count() + 1;
            let key = text
                .lines()
                .nth(line - 1)
                .and_then(|l| l.split_once('='))
                .map(|(k, _)| format!(" {}:", k.trim()))
                .unwrap_or_default();
            format!(":{line}:{key}")
        });
        let message = e.message().split_whitespace().collect::<Vec<_>>().join(" ");
        AppError::Input(format!("{}{place} {message}", path.display()))
    })?;
    file.call.check(path, "call")?;
    for (name, profile) in &file.profiles {
        profile.check(path, &format!("profiles.{name}"))?;
    }
    Ok(file)
}

/// Writes the six values as `[profiles.NAME]` into the file at `path`, creating it (and its
/// directory) if needed; every other line of the file, comments included, stays as it was.
pub fn save_profile(path: &Path, name: &str, endpoints: &Endpoints) -> Result<(), AppError> {
    let fail =
        |e: String| AppError::Input(format!("--save-profile {name}: {}: {e}", path.display()));
    if name.is_empty() || name.contains(['.', '[', ']', '"', '\n']) {
        return Err(AppError::Input(format!(
            "--save-profile '{name}': a profile name is a plain word (no dots, brackets or quotes)"
        )));
    }
    let text = match std::fs::read_to_string(path) {
        Ok(text) => text,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => String::new(),
        Err(e) => return Err(fail(e.to_string())),
    };
    let mut doc: toml_edit::DocumentMut = text.parse().map_err(|e: toml_edit::TomlError| {
        fail(e.message().split_whitespace().collect::<Vec<_>>().join(" "))
    })?;
    let profiles = doc
        .entry("profiles")
        .or_insert_with(|| {
            let mut table = toml_edit::Table::new();
            table.set_implicit(true);
            toml_edit::Item::Table(table)
        })
        .as_table_mut()
        .ok_or_else(|| fail("'profiles' is not a table".into()))?;
    let profile = profiles
        .entry(name)
        .or_insert_with(|| toml_edit::Item::Table(toml_edit::Table::new()))
        .as_table_mut()
        .ok_or_else(|| fail(format!("'profiles.{name}' is not a table")))?;
    let port = |p: u16| toml_edit::value(i64::from(p));
    profile["video-dest-port"] = port(endpoints.video.dest_rtp);
    profile["video-recv-port"] = port(endpoints.video.recv_rtp);
    profile["audio-dest-port"] = port(endpoints.audio.dest_rtp);
    profile["audio-recv-port"] = port(endpoints.audio.recv_rtp);
    profile["local-ip"] = toml_edit::value(endpoints.local_ip.to_string());
    profile["remote-ip"] = toml_edit::value(endpoints.remote_ip.to_string());
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir).map_err(|e| fail(e.to_string()))?;
    }
    // Written beside the file and renamed over it, so a failure never leaves half a file.
    let temp = path.with_extension("toml.new");
    std::fs::write(&temp, doc.to_string()).map_err(|e| fail(e.to_string()))?;
    std::fs::rename(&temp, path).map_err(|e| fail(e.to_string()))
}

/// What the file adds to a call's command line.
#[derive(Debug, Clone, PartialEq)]
pub struct Merged {
    /// The flags (clap ids and values) the command line did not give, the profile's over
    /// `[call]`'s.
    pub flags: Vec<(&'static str, String)>,
    /// The prompts' defaults: `[call]`'s six values.
    pub prompt_defaults: GivenAnswers,
}

/// Merges the file under the command line; `given(id)` tells whether the user gave flag `id`.
pub fn merge(
    loaded: &Loaded,
    profile: Option<&str>,
    given: &dyn Fn(&str) -> bool,
) -> Result<Merged, AppError> {
    let mut flags: BTreeMap<&'static str, String> =
        loaded.file.call.media_flags().into_iter().collect();
    if let Some(name) = profile {
        let section = loaded.profile(name)?;
        flags.extend(section.media_flags());
        let ids = [
            "video_dest_port",
            "video_recv_port",
            "audio_dest_port",
            "audio_recv_port",
            "local_ip",
            "remote_ip",
        ];
        for (id, value) in ids.into_iter().zip(section.answers()) {
            if let Some(value) = value {
                flags.insert(id, value);
            }
        }
    }
    let flags = flags.into_iter().filter(|(id, _)| !given(id)).collect();
    Ok(Merged {
        flags,
        prompt_defaults: loaded.file.call.answers(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    const EXAMPLE: &str = r#"
# my calls
[call]
video-source = "test"
stats-interval = 0.5
video-dest-port = 5000

[profiles.alice]   # Alice at home
video-dest-port = 6000
video-recv-port = 6002
audio-dest-port = 6004
audio-recv-port = 6006
local-ip = "127.0.0.1"
remote-ip = "127.0.0.1"
video-source = "auto"
"#;

    fn loaded(text: &str) -> Result<Loaded, AppError> {
        Ok(Loaded {
            path: Some("c.toml".into()),
            file: parse(text, Path::new("c.toml"))?,
        })
    }

    fn err(text: &str) -> String {
        parse(text, Path::new("c.toml")).unwrap_err().to_string()
    }

    #[test]
    fn example_parses() {
        let file = loaded(EXAMPLE).unwrap().file;
        assert_eq!(file.call.stats_interval, Some(Seconds::Fraction(0.5)));
        assert_eq!(file.profiles["alice"].audio_recv_port, Some(6006));
        assert_eq!(file.call.answers()[0].as_deref(), Some("5000"));
    }

    #[test]
    fn profile_wins_over_call_section_and_flags_win_over_both() {
        let l = loaded(EXAMPLE).unwrap();
        let Merged {
            flags,
            prompt_defaults: defaults,
        } = merge(&l, Some("alice"), &|_| false).unwrap();
        let get = |id: &str| flags.iter().find(|(i, _)| *i == id).map(|(_, v)| v.clone());
        assert_eq!(get("video_source").as_deref(), Some("auto"));
        assert_eq!(get("stats_interval").as_deref(), Some("0.5"));
        assert_eq!(get("video_dest_port").as_deref(), Some("6000"));
        assert_eq!(defaults[0].as_deref(), Some("5000"));
        let flags = merge(&l, Some("alice"), &|id| id == "video_dest_port")
            .unwrap()
            .flags;
        assert!(!flags.iter().any(|(id, _)| *id == "video_dest_port"));
        // Without a profile, [call]'s ports are only the prompts' defaults.
        let flags = merge(&l, None, &|_| false).unwrap().flags;
        assert!(!flags.iter().any(|(id, _)| *id == "video_dest_port"));
    }

    #[test]
    fn missing_profile_names_file_and_known_profiles() {
        let l = loaded(EXAMPLE).unwrap();
        let e = merge(&l, Some("bob"), &|_| false).unwrap_err().to_string();
        assert_eq!(
            e,
            "--profile bob: c.toml has no [profiles.bob] (it has: alice)"
        );
    }

    #[test]
    fn bad_files_are_one_line_naming_file_line_and_key() {
        let e = err("[call]\nvideo-sauce = \"test\"\n");
        assert!(e.starts_with("c.toml:2: video-sauce: unknown field"), "{e}");
        assert!(!e.contains('\n'));
        let e = err("[call]\njitter-buffer-ms = \"x\"\n");
        assert!(
            e.starts_with("c.toml:2: jitter-buffer-ms: invalid type"),
            "{e}"
        );
        let e = err("[call\n");
        assert!(e.starts_with("c.toml:1"), "{e}");
        let e = err("[profiles.a]\nvideo-dest-port = 5001\n");
        assert_eq!(
            e,
            "c.toml: [profiles.a] video-dest-port: 5001 is odd: the RTP port must be even (RTCP uses the port + 1)"
        );
        let e = err("[profiles.a]\nremote-ip = \"nowhere\"\n");
        assert!(
            e.contains("remote-ip: 'nowhere' is not an IP address"),
            "{e}"
        );
    }

    #[test]
    fn saving_keeps_comments_and_other_profiles() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("sub/config.toml");
        let (a, _) = super::super::loopback_pair(7000);
        save_profile(&path, "bob", &a).unwrap();
        std::fs::write(
            &path,
            format!("{EXAMPLE}\n{}", std::fs::read_to_string(&path).unwrap()),
        )
        .unwrap();
        save_profile(&path, "alice", &a.mirror()).unwrap();
        let text = std::fs::read_to_string(&path).unwrap();
        assert!(text.contains("# Alice at home"), "{text}");
        assert!(text.contains("# my calls"), "{text}");
        let file = parse(&text, &path).unwrap();
        assert_eq!(
            file.profiles["bob"].answers(),
            Section {
                video_dest_port: Some(7000),
                video_recv_port: Some(7002),
                audio_dest_port: Some(7004),
                audio_recv_port: Some(7006),
                local_ip: Some("127.0.0.1".into()),
                remote_ip: Some("127.0.0.1".into()),
                ..Default::default()
            }
            .answers()
        );
        assert_eq!(file.profiles["alice"].video_dest_port, Some(7002));
        assert_eq!(file.profiles["alice"].video_source.as_deref(), Some("auto"));
        assert!(save_profile(&path, "a.b", &a).is_err());
    }

    #[test]
    fn default_path_follows_xdg() {
        // Read-only check of the rule on this process's environment.
        if let Some(p) = default_path() {
            assert!(p.ends_with("videocall/config.toml"));
        }
    }
}
