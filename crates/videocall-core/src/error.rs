//! The one place where failures become a one-line message and a documented exit code.

use std::process::ExitCode;

/// A failure the user sees. Each variant maps to one exit code (documented in the README).
#[derive(Debug, thiserror::Error)]
pub enum AppError {
    /// A bad value given on the command line or typed at a prompt (exit 2).
    #[error("{0}")]
    Input(String),
    /// A port or address the OS will not give us (exit 3).
    #[error("{0}")]
    Network(String),
    /// A GStreamer element that is not installed (exit 4).
    #[error("{0}")]
    MissingPlugin(String),
    /// The media pipeline failed while running (exit 5).
    #[error("{0}")]
    Media(String),
    /// Reading the answers or writing a report failed (exit 1).
    #[error("i/o error: {0}")]
    Io(#[from] std::io::Error),
}

impl AppError {
    /// The process exit code for this failure.
    pub fn exit_code(&self) -> ExitCode {
        ExitCode::from(match self {
            AppError::Io(_) => 1,
            AppError::Input(_) => 2,
            AppError::Network(_) => 3,
            AppError::MissingPlugin(_) => 4,
            AppError::Media(_) => 5,
        })
    }
}

/// Shorthand for results that reach the user.
pub type AppResult<T> = Result<T, AppError>;
