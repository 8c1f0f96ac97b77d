//! `videocall`: entry point. Parses the command line (with the config file's values for the flags
//! it left out), runs the command, and turns any failure into one line on stderr and its exit code.

mod cli;
mod commands;

use std::ffi::OsString;
use std::process::ExitCode;

use clap::parser::ValueSource;
use clap::{CommandFactory, FromArgMatches, Parser};
use videocall_core::config::config_file;

use crate::cli::{Cli, Command};

fn main() -> ExitCode {
    let argv: Vec<OsString> = std::env::args_os().collect();
    let cli = match parse(&argv) {
        Ok(cli) => cli,
        Err(code) => return code,
    };
    tracing_subscriber::fmt()
        .with_writer(std::io::stderr)
        // Colours only on a terminal: a log redirected to a file stays plain text.
        .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()))
        .with_target(false)
        .without_time()
        .with_env_filter(
            // VIDEOCALL_LOG, when set, wins over -v/-q: it can name modules and levels.
            tracing_subscriber::EnvFilter::try_from_env("VIDEOCALL_LOG")
                .unwrap_or_else(|_| cli::log_filter(cli.verbose, cli.quiet).into()),
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

/// Parses the command line; for a call (or `doctor`) the config file then supplies the flags the
/// command line left out, appended and parsed again so that clap checks them like typed flags.
fn parse(argv: &[OsString]) -> Result<Cli, ExitCode> {
    let lifted = cli::lift_verbosity(argv, &Cli::command());
    let argv = lifted.as_slice();
    let matches = Cli::command()
        .try_get_matches_from(argv)
        .map_err(clap_failure)?;
    let mut cli = Cli::from_arg_matches(&matches).map_err(clap_failure)?;
    let call_matches = match matches.subcommand() {
        None => &matches,
        Some(("call" | "doctor", sub)) => sub,
        Some(_) => return Ok(cli),
    };
    let Some(args) = cli.call_args_mut() else {
        return Ok(cli);
    };
    let given = |id: &str| call_matches.value_source(id) == Some(ValueSource::CommandLine);
    let merged =
        config_file::load(args.file.config.as_deref(), args.file.no_config).and_then(|loaded| {
            let merged = config_file::merge(&loaded, args.file.profile.as_deref(), &given)?;
            Ok((loaded, merged.flags, merged.prompt_defaults))
        });
    let (loaded, flags, defaults) = merged.map_err(|e| {
        eprintln!("videocall: {e}");
        e.exit_code()
    })?;
    if !flags.is_empty() {
        let mut argv = argv.to_vec();
        for (id, value) in &flags {
            argv.push(format!("--{}", id.replace('_', "-")).into());
            argv.push(value.into());
        }
        cli = Cli::try_parse_from(&argv).map_err(|e| {
            let file = loaded
                .path
                .as_deref()
                .map_or_else(String::new, |p| p.display().to_string());
            eprintln!("videocall: config file {file}: {}", first_line(&e));
            ExitCode::from(2)
        })?;
    }
    if let Some(args) = cli.call_args_mut() {
        args.file.prompt_defaults = defaults;
    }
    Ok(cli)
}

/// Help and version go to stdout with exit 0; a usage error is one line and exit 2.
fn clap_failure(e: clap::Error) -> ExitCode {
    if !e.use_stderr() {
        let _ = e.print();
        return ExitCode::SUCCESS;
    }
    eprintln!("videocall: {}", first_line(&e));
    ExitCode::from(2)
}

fn first_line(e: &clap::Error) -> String {
    let rendered = e.to_string();
    rendered
        .lines()
        .next()
        .unwrap_or("invalid arguments")
        .trim_start_matches("error: ")
        .to_string()
}
