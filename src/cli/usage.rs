//! clap's usage errors as one line (`vrm: … (see `vrm record add --help`)`):
//! what was wrong and any tip, without the usage block. Built from the
//! error's kind and context (clap's [`ErrorFormatter`]), in clap's words,
//! rather than cut out of its rendered text.

use std::fmt::Write as _;

use clap::builder::StyledStr;
use clap::error::{ContextKind as K, ContextValue as V, Error, ErrorFormatter, ErrorKind};

/// The error as one line.
pub(super) fn line(e: clap::Error) -> String {
    let e = e.apply::<OneLine>();
    let text = e.render().to_string();
    // Only an error clap made from a message (no context) comes here
    // formatted already, as `error: MESSAGE` then usage: its first line.
    match text.strip_prefix("error: ") {
        Some(rest) => rest.lines().next().unwrap_or_default().to_string(),
        None => text,
    }
}

/// What [`line()`] formats with.
struct OneLine;

impl ErrorFormatter for OneLine {
    fn format_error(e: &Error<Self>) -> StyledStr {
        let mut out = StyledStr::new();
        out.push_str(&message(e).unwrap_or_else(|| {
            e.kind()
                .as_str()
                .map(str::to_string)
                .or_else(|| std::error::Error::source(e).map(|s| s.to_string()))
                .unwrap_or_else(|| "unknown cause".into())
        }));
        for (kind, what) in [
            (K::SuggestedSubcommand, "subcommand"),
            (K::SuggestedArg, "argument"),
            (K::SuggestedValue, "value"),
        ] {
            match e.get(kind) {
                Some(V::String(one)) => {
                    let _ = write!(out, " tip: a similar {what} exists: '{one}'");
                }
                Some(V::Strings(some)) => {
                    let quoted: Vec<String> = some.iter().map(|s| format!("'{s}'")).collect();
                    let _ = if some.len() == 1 {
                        write!(out, " tip: a similar {what} exists: ")
                    } else {
                        write!(out, " tip: some similar {what}s exist: ")
                    };
                    out.push_str(&quoted.join(", "));
                }
                _ => {}
            }
        }
        if let Some(V::StyledStrs(tips)) = e.get(K::Suggested) {
            for tip in tips {
                let _ = write!(out, " tip: {tip}");
            }
        }
        out
    }
}

/// The error's own words, as clap's rich formatter gives them, on one line;
/// `None` when its context lacks what the kind needs.
fn message(e: &Error<OneLine>) -> Option<String> {
    let text = |k| match e.get(k) {
        Some(V::String(s)) => Some(s.as_str()),
        _ => None,
    };
    let number = |k| match e.get(k) {
        Some(V::Number(n)) => Some(*n),
        _ => None,
    };
    let were = |n: isize| if n > 1 { "were" } else { "was" };
    Some(match e.kind() {
        ErrorKind::ArgumentConflict => {
            let mut prior = e.get(K::PriorArg);
            let mut m = if let Some(arg) = text(K::InvalidArg) {
                if prior == Some(&V::String(arg.to_string())) {
                    prior = None;
                    format!("the argument '{arg}' cannot be used multiple times")
                } else {
                    format!("the argument '{arg}' cannot be used with")
                }
            } else if let Some(sub) = text(K::InvalidSubcommand) {
                format!("the subcommand '{sub}' cannot be used with")
            } else {
                e.kind().as_str()?.to_string()
            };
            match prior {
                Some(V::Strings(args)) => m.push_str(&format!(": {}", args.join(" "))),
                Some(V::String(arg)) => m.push_str(&format!(" '{arg}'")),
                Some(_) => m.push_str(" one or more of the other specified arguments"),
                None => {}
            }
            m
        }
        ErrorKind::NoEquals => format!(
            "equal sign is needed when assigning values to '{}'",
            text(K::InvalidArg)?
        ),
        ErrorKind::InvalidValue => {
            let (arg, value) = (text(K::InvalidArg)?, text(K::InvalidValue)?);
            let mut m = if value.is_empty() {
                format!("a value is required for '{arg}' but none was supplied")
            } else {
                format!("invalid value '{value}' for '{arg}'")
            };
            m.push_str(&values_list("possible values", e.get(K::ValidValue)));
            m
        }
        ErrorKind::InvalidSubcommand => {
            format!("unrecognized subcommand '{}'", text(K::InvalidSubcommand)?)
        }
        ErrorKind::MissingRequiredArgument => match e.get(K::InvalidArg) {
            Some(V::Strings(args)) => format!(
                "the following required arguments were not provided: {}",
                args.join(" ")
            ),
            _ => return None,
        },
        ErrorKind::MissingSubcommand => format!(
            "'{}' requires a subcommand but one was not provided{}",
            text(K::InvalidSubcommand)?,
            values_list("subcommands", e.get(K::ValidSubcommand))
        ),
        ErrorKind::TooManyValues => format!(
            "unexpected value '{}' for '{}' found; no more were expected",
            text(K::InvalidValue)?,
            text(K::InvalidArg)?
        ),
        ErrorKind::TooFewValues => {
            let actual = number(K::ActualNumValues)?;
            format!(
                "{} values required by '{}'; only {actual} {} provided",
                number(K::MinValues)?,
                text(K::InvalidArg)?,
                were(actual)
            )
        }
        ErrorKind::ValueValidation => {
            let mut m = format!(
                "invalid value '{}' for '{}'",
                text(K::InvalidValue)?,
                text(K::InvalidArg)?
            );
            if let Some(source) = std::error::Error::source(e) {
                m.push_str(&format!(": {source}"));
            }
            m
        }
        ErrorKind::WrongNumberOfValues => {
            let actual = number(K::ActualNumValues)?;
            format!(
                "{} values required for '{}' but {actual} {} provided",
                number(K::ExpectedNumValues)?,
                text(K::InvalidArg)?,
                were(actual)
            )
        }
        ErrorKind::UnknownArgument => {
            format!("unexpected argument '{}' found", text(K::InvalidArg)?)
        }
        _ => return None,
    })
}

/// ` [possible values: a, "b c"]`, as clap lists them (a value with a space
/// quoted); empty when there are none.
fn values_list(name: &str, values: Option<&V>) -> String {
    match values {
        Some(V::Strings(values)) if !values.is_empty() => {
            let shown: Vec<String> = values
                .iter()
                .map(|v| {
                    if v.is_empty() || v.contains(char::is_whitespace) {
                        format!("{v:?}")
                    } else {
                        v.clone()
                    }
                })
                .collect();
            format!(" [{name}: {}]", shown.join(", "))
        }
        _ => String::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(args: &[&str]) -> clap::Error {
        super::super::command()
            .try_get_matches_from(args)
            .and_then(|m| <super::super::Cli as clap::FromArgMatches>::from_arg_matches(&m))
            .unwrap_err()
    }

    /// clap's own rendering, its usage block cut off and its lines joined:
    /// what the line must say.
    fn rendered(e: &clap::Error) -> String {
        let text = e.render().to_string();
        let words: Vec<&str> = text
            .lines()
            .take_while(|l| !l.starts_with("Usage:") && !l.starts_with("For more information"))
            .flat_map(str::split_whitespace)
            .collect();
        let line = words.join(" ");
        line.strip_prefix("error: ").unwrap_or(&line).to_string()
    }

    #[test]
    fn usage_errors_are_one_line_in_clap_s_words_with_their_tips() {
        for (args, expected) in [
            (
                &["vrm", "frobnicate"][..],
                "unrecognized subcommand 'frobnicate'",
            ),
            (
                &["vrm", "statu"],
                "unrecognized subcommand 'statu' tip: a similar subcommand exists: 'status'",
            ),
            (
                &["vrm", "status", "--jsn"],
                "unexpected argument '--jsn' found tip: a similar argument exists: '--json'",
            ),
            (
                &["vrm", "record", "add"],
                "the following required arguments were not provided: --kind <KIND>",
            ),
            (
                &["vrm", "status", "--json", "--json"],
                "the argument '--json' cannot be used multiple times",
            ),
        ] {
            let e = parse(args);
            let reference = rendered(&e);
            assert_eq!(line(e), expected, "{args:?}");
            assert_eq!(reference, expected, "{args:?}");
        }
        for args in [
            &["vrm", "--vault"][..],
            &["vrm", "record", "add", "--kind", "banana"],
            &["vrm", "record", "list", "--since", "yesterday"],
            &["vrm", "share", "create", "--expires", "soon"],
            &["vrm", "export", "--out", "x.age"],
            &["vrm", "status", "-x"],
            &["vrm", "record", "list", "extra"],
            &["vrm", "rights", "request", "--right", "gdpr-everything"],
        ] {
            let e = parse(args);
            let reference = rendered(&e);
            let one = line(e);
            assert_eq!(one, reference, "{args:?}");
            assert!(!one.contains('\n') && !one.contains("Usage"), "{one}");
        }
    }
}
