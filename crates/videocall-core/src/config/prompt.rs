//! Asks the brief's questions for whatever the command line did not answer. Lines are read from
//! any `BufRead`, so a script can pipe the answers and tests can inject them.

use std::io::{BufRead, Write};
use std::net::IpAddr;

use super::{Answers, Endpoints, Question};
use crate::error::AppError;

/// Answers from flags, in the order of [`Question::ALL`].
pub type GivenAnswers = [Option<String>; 6];

/// Fills `Answers` from the flags, then asks for each missing value (unless `may_ask` is false).
/// A bad flag value is an error; a bad typed answer is refused with its reason and asked again.
pub fn collect_endpoints(
    given: &GivenAnswers,
    may_ask: bool,
    input: &mut dyn BufRead,
    output: &mut dyn Write,
    is_ours: &dyn Fn(IpAddr) -> bool,
) -> Result<Endpoints, AppError> {
    collect_endpoints_with_defaults(given, &Default::default(), may_ask, input, output, is_ours)
}

/// [`collect_endpoints`] with saved values (the config file's) offered at the prompts: an empty
/// line takes the one shown in brackets; without prompts (`may_ask` false) it is taken as is.
pub fn collect_endpoints_with_defaults(
    given: &GivenAnswers,
    defaults: &GivenAnswers,
    may_ask: bool,
    input: &mut dyn BufRead,
    output: &mut dyn Write,
    is_ours: &dyn Fn(IpAddr) -> bool,
) -> Result<Endpoints, AppError> {
    let mut answers = Answers::default();
    for ((question, flag_value), default) in Question::ALL.into_iter().zip(given).zip(defaults) {
        let flag_value = match (flag_value, default) {
            (None, Some(saved)) if !may_ask => Some(saved),
            _ => flag_value.as_ref(),
        };
        match flag_value {
            Some(text) => answers
                .accept(question, text, is_ours)
                .map_err(|reason| AppError::Input(format!("{}: {reason}", question.flag())))?,
            None if !may_ask => {
                return Err(AppError::Input(format!(
                    "{} is missing (and --no-prompt forbids asking)",
                    question.flag()
                )));
            }
            None => ask_until_valid(
                question,
                default.as_deref(),
                &mut answers,
                input,
                output,
                is_ours,
            )?,
        }
    }
    Ok(answers
        .endpoints()
        .expect("every question was answered above"))
}

fn ask_until_valid(
    question: Question,
    default: Option<&str>,
    answers: &mut Answers,
    input: &mut dyn BufRead,
    output: &mut dyn Write,
    is_ours: &dyn Fn(IpAddr) -> bool,
) -> Result<(), AppError> {
    loop {
        match default {
            Some(saved) => write!(output, "{} [{saved}]: ", question.prompt()),
            None => write!(output, "{}: ", question.prompt()),
        }
        .and_then(|_| output.flush())?;
        let mut line = String::new();
        if input.read_line(&mut line)? == 0 {
            writeln!(output)?;
            return Err(AppError::Input(format!(
                "input ended before '{}' was answered",
                question.prompt()
            )));
        }
        let line = match default {
            Some(saved) if line.trim().is_empty() => saved.to_string(),
            _ => line,
        };
        match answers.accept(question, &line, is_ours) {
            Ok(()) => return Ok(()),
            Err(reason) => writeln!(output, "  refused: {reason}")?,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run(given: GivenAnswers, typed: &str) -> (Result<Endpoints, AppError>, String) {
        let mut out = Vec::new();
        let result = collect_endpoints(
            &given,
            true,
            &mut typed.as_bytes(),
            &mut out,
            &|ip: IpAddr| ip.is_loopback(),
        );
        (result, String::from_utf8(out).unwrap())
    }

    #[test]
    fn asks_the_six_questions_in_order() {
        let (result, out) = run(
            Default::default(),
            "5000\n5002\n5004\n5006\n127.0.0.1\n127.0.0.1\n",
        );
        let ends = result.unwrap();
        assert_eq!(ends.audio.recv_rtp, 5006);
        let prompts: Vec<_> = out.split(": ").filter(|p| !p.is_empty()).collect();
        let expected: Vec<_> = Question::ALL.iter().map(|q| q.prompt()).collect();
        assert_eq!(prompts, expected);
    }

    #[test]
    fn wrong_answers_are_refused_and_asked_again() {
        let (result, out) = run(
            Default::default(),
            "x\n5001\n5000\n5002\n5004\n5006\n10.99.99.99\n127.0.0.1\n::1\n127.0.0.2\n",
        );
        assert!(result.is_ok(), "{out}");
        assert!(out.contains("refused: 'x' is not a number"), "{out}");
        assert!(out.contains("refused: 5001 is odd"), "{out}");
        assert!(
            out.contains("refused: 10.99.99.99 is not an address of this machine"),
            "{out}"
        );
        assert!(out.contains("different IP versions"), "{out}");
        assert_eq!(out.matches("Set port video destination").count(), 3);
    }

    #[test]
    fn flags_answer_and_only_the_rest_is_asked() {
        let mut given: GivenAnswers = Default::default();
        given[0] = Some("6000".into());
        given[4] = Some("127.0.0.1".into());
        let (result, out) = run(given, "6002\n6004\n6006\n127.0.0.1\n");
        assert_eq!(result.unwrap().video.dest_rtp, 6000);
        assert!(!out.contains("video destination"));
        assert!(!out.contains("local direction"));
    }

    #[test]
    fn saved_values_are_offered_and_an_empty_line_takes_them() {
        let mut defaults: GivenAnswers = Default::default();
        defaults[0] = Some("7000".into());
        defaults[5] = Some("127.0.0.1".into());
        let mut out = Vec::new();
        let ends = collect_endpoints_with_defaults(
            &Default::default(),
            &defaults,
            true,
            &mut "\n7002\n7004\n7006\n127.0.0.1\n127.0.0.2\n".as_bytes(),
            &mut out,
            &|ip: IpAddr| ip.is_loopback(),
        )
        .unwrap();
        let out = String::from_utf8(out).unwrap();
        assert!(
            out.starts_with("Set port video destination [7000]: "),
            "{out}"
        );
        assert!(
            out.contains("Set destination direction ip [127.0.0.1]: "),
            "{out}"
        );
        assert_eq!(ends.video.dest_rtp, 7000);
        assert_eq!(ends.remote_ip.to_string(), "127.0.0.2");
        // Without prompts the saved value is the answer.
        let mut given: GivenAnswers =
            ["7000", "7002", "7004", "7006", "127.0.0.1", "127.0.0.2"].map(|v| Some(v.to_string()));
        given[0] = None;
        let ends = collect_endpoints_with_defaults(
            &given,
            &defaults,
            false,
            &mut std::io::empty(),
            &mut std::io::sink(),
            &|ip: IpAddr| ip.is_loopback(),
        )
        .unwrap();
        assert_eq!(ends.video.dest_rtp, 7000);
    }

    #[test]
    fn end_of_input_is_an_error() {
        let (result, _) = run(Default::default(), "5000\n");
        let err = result.unwrap_err().to_string();
        assert!(
            err.contains("input ended before 'Set port video reception'"),
            "{err}"
        );
    }

    #[test]
    fn a_bad_flag_is_an_error_naming_the_flag() {
        let mut given: GivenAnswers = Default::default();
        given[1] = Some("70000".into());
        let (result, _) = run(given, "5000\n");
        let err = result.unwrap_err().to_string();
        assert!(
            err.starts_with("--video-recv-port: 70000 is out of range"),
            "{err}"
        );
    }
}
