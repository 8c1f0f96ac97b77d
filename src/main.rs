//! `videocall`: entry point. Parses the command line, runs the command, and turns any failure
//! into one line on stderr and its exit code.

mod cli;
mod commands;

use std::process::ExitCode;

use clap::Parser;

use crate::cli::{Cli, Command};

fn main() -> ExitCode {
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(e) if !e.use_stderr() => {
            let _ = e.print();
            return ExitCode::SUCCESS;
        }
        Err(e) => {
            let rendered = e.to_string();
            let first = rendered.lines().next().unwrap_or("invalid arguments");
            eprintln!("videocall: {}", first.trim_start_matches("error: "));
            return ExitCode::from(2);
        }
    };
    tracing_subscriber::fmt()
        .with_writer(std::io::stderr)
        // Colours only on a terminal: a log redirected to a file stays plain text.
        .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()))
        .with_target(false)
        .without_time()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_env("VIDEOCALL_LOG")
                .unwrap_or_else(|_| "warn".into()),
        )
        .init();
    match commands::run(cli.command.unwrap_or(Command::Call(cli.call))) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("videocall: {e}");
            e.exit_code()
        }
    }
}
