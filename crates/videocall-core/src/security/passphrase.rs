//! Where the call passphrase comes from: `--insecure` (none), `--passphrase-file`, the
//! `VIDEOCALL_PASSPHRASE` environment variable, or the seventh prompt `Set call passphrase`
//! (not echoed on a terminal; a plain line when answers are piped). An empty answer, or the end
//! of piped input, means no encryption, so scripts that pipe the six answers keep working.

use std::fmt;
use std::io::{BufRead, Write};
use std::path::Path;

use zeroize::Zeroizing;

use crate::error::AppError;

/// The environment variable that may hold the passphrase (children of tests and benchmarks get
/// it this way, never on their command line).
pub const ENV_VAR: &str = "VIDEOCALL_PASSPHRASE";
/// The seventh question.
pub const PROMPT: &str = "Set call passphrase";

/// A passphrase: wiped when dropped, never printed.
pub struct Passphrase(Zeroizing<String>);

impl Passphrase {
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Passphrase {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Passphrase(<redacted>)")
    }
}

/// What the user gave, before looking at files or asking.
#[derive(Debug, Default)]
pub struct Sources<'a> {
    pub insecure: bool,
    pub file: Option<&'a Path>,
    /// The environment variable's value, if set.
    pub env: Option<String>,
    /// False with `--no-prompt` and in the demo.
    pub may_ask: bool,
}

/// Reads a hidden line from the terminal (rpassword), injected so tests can do without one.
pub type HiddenReader<'a> = &'a mut dyn FnMut(&str) -> std::io::Result<String>;

/// Picks the passphrase: `--insecure` wins, then the file, then the environment, then the
/// prompt. `None` means plain RTP. `hidden` reads from the terminal when stdin is one;
/// otherwise the answer is a line of `input`.
pub fn resolve(
    sources: Sources<'_>,
    input: &mut dyn BufRead,
    output: &mut dyn Write,
    hidden: Option<HiddenReader<'_>>,
) -> Result<Option<Passphrase>, AppError> {
    if sources.insecure {
        return Ok(None);
    }
    if let Some(path) = sources.file {
        let text = std::fs::read_to_string(path).map_err(|e| {
            AppError::Input(format!(
                "--passphrase-file: cannot read {}: {e}",
                path.display()
            ))
        })?;
        let text = Zeroizing::new(text);
        let line = strip_line_end(&text);
        if line.is_empty() {
            return Err(AppError::Input(format!(
                "--passphrase-file: {} is empty (use --insecure for plain RTP)",
                path.display()
            )));
        }
        return Ok(Some(Passphrase(Zeroizing::new(line.to_string()))));
    }
    if let Some(value) = sources.env.filter(|v| !v.is_empty()) {
        return Ok(Some(Passphrase(Zeroizing::new(value))));
    }
    if !sources.may_ask {
        return Ok(None);
    }
    let answer = match hidden {
        Some(read) => Zeroizing::new(read(&format!("{PROMPT} (empty: no encryption): "))?),
        None => {
            write!(output, "{PROMPT}: ").and_then(|_| output.flush())?;
            let mut line = Zeroizing::new(String::new());
            if input.read_line(&mut line)? == 0 {
                writeln!(output)?;
            }
            line
        }
    };
    let line = strip_line_end(&answer);
    Ok((!line.is_empty()).then(|| Passphrase(Zeroizing::new(line.to_string()))))
}

/// The first line without its line ending; inner and edge spaces are part of the passphrase.
fn strip_line_end(text: &str) -> &str {
    let line = text.split('\n').next().unwrap_or("");
    line.strip_suffix('\r').unwrap_or(line)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn piped(sources: Sources<'_>, typed: &str) -> (Option<String>, String) {
        let mut out = Vec::new();
        let got = resolve(sources, &mut typed.as_bytes(), &mut out, None).unwrap();
        (
            got.map(|p| p.expose().to_string()),
            String::from_utf8(out).unwrap(),
        )
    }

    fn asking() -> Sources<'static> {
        Sources {
            may_ask: true,
            ..Default::default()
        }
    }

    #[test]
    fn piped_answer_or_its_absence() {
        assert_eq!(
            piped(asking(), " two words \r\n"),
            (Some(" two words ".into()), "Set call passphrase: ".into())
        );
        assert_eq!(piped(asking(), "\n").0, None);
        assert_eq!(piped(asking(), "").0, None);
        let no_prompt = Sources::default();
        assert_eq!(piped(no_prompt, "secret\n"), (None, String::new()));
    }

    #[test]
    fn precedence_insecure_file_env_prompt() {
        let mut file = tempfile::NamedTempFile::new().unwrap();
        writeln!(file, "from-file").unwrap();
        let env = || Some("from-env".to_string());
        let s = Sources {
            insecure: true,
            file: Some(file.path()),
            env: env(),
            may_ask: true,
        };
        assert_eq!(piped(s, "typed\n").0, None);
        let s = Sources {
            file: Some(file.path()),
            env: env(),
            may_ask: true,
            ..Default::default()
        };
        assert_eq!(piped(s, "typed\n").0.as_deref(), Some("from-file"));
        let s = Sources {
            env: env(),
            may_ask: true,
            ..Default::default()
        };
        assert_eq!(piped(s, "typed\n").0.as_deref(), Some("from-env"));
        let s = Sources {
            env: Some(String::new()),
            may_ask: true,
            ..Default::default()
        };
        assert_eq!(piped(s, "typed\n").0.as_deref(), Some("typed"));
    }

    #[test]
    fn hidden_reader_is_used_on_a_terminal() {
        let mut out = Vec::new();
        let mut read = |prompt: &str| {
            assert!(prompt.starts_with(PROMPT));
            Ok("hidden\n".to_string())
        };
        let got = resolve(
            asking(),
            &mut "piped\n".as_bytes(),
            &mut out,
            Some(&mut read),
        )
        .unwrap();
        assert_eq!(got.unwrap().expose(), "hidden");
        assert!(out.is_empty());
    }

    #[test]
    fn bad_files_are_one_line_errors() {
        let empty = tempfile::NamedTempFile::new().unwrap();
        let s = Sources {
            file: Some(empty.path()),
            ..Default::default()
        };
        let err = resolve(s, &mut "".as_bytes(), &mut Vec::new(), None).unwrap_err();
        assert!(err.to_string().contains("is empty"), "{err}");
        let s = Sources {
            file: Some(Path::new("/nonexistent/pass")),
            ..Default::default()
        };
        let err = resolve(s, &mut "".as_bytes(), &mut Vec::new(), None).unwrap_err();
        assert!(
            err.to_string()
                .starts_with("--passphrase-file: cannot read"),
            "{err}"
        );
    }

    #[test]
    fn debug_hides_the_passphrase() {
        let p = Passphrase(Zeroizing::new("hunter2".into()));
        assert!(!format!("{p:?}").contains("hunter2"));
    }
}
