//! Text from outside, shown on a terminal; names that must look like what
//! they are.
//!
//! Values come from imports, from brands' documents and from mail. A
//! terminal acts on ESC, BEL and OSC sequences (colours, the window title,
//! links), a line break splits a one-line list, and bidi controls reorder
//! what is shown. [`line()`] and [`block`] write those characters as escapes
//! for display; names refuse them ([`is_invisible_format`] is the rule,
//! beside [`char::is_control`]).

use std::borrow::Cow;
use std::fmt::Write;

/// Bidi controls and invisible format characters, which make one text
/// look like another: bidi embeddings, overrides, isolates and marks,
/// zero-width and invisible spaces and operators, the line and paragraph
/// separators, the byte order mark, interlinear annotations and the tag
/// characters. Zero-width (non-)joiners are not among them: scripts and
/// emoji need them, and they do not reorder or hide text.
pub fn is_invisible_format(c: char) -> bool {
    matches!(
        c,
        '\u{00AD}'
            | '\u{061C}'
            | '\u{180E}'
            | '\u{200B}'
            | '\u{200E}'
            | '\u{200F}'
            | '\u{2028}'..='\u{202E}'
            | '\u{2060}'..='\u{2064}'
            | '\u{2066}'..='\u{206F}'
            | '\u{FEFF}'
            | '\u{FFF9}'..='\u{FFFB}'
            | '\u{E0000}'..='\u{E007F}'
    )
}

/// A character a name cannot hold: a control character (C0, DEL, C1) or
/// an invisible format character.
pub fn is_hidden(c: char) -> bool {
    c.is_control() || is_invisible_format(c)
}

/// `s` for a one-line display: every control character (line breaks and
/// tabs too) and invisible format character written as an escape (`\n`,
/// `\x1b`, `\u{202e}`), so nothing in it reaches the terminal as anything
/// but visible text. A backslash stays as it is: this is for reading, not
/// an encoding to decode.
pub fn line(s: &str) -> Cow<'_, str> {
    escape(s, false)
}

/// Like [`line()`], but for multi-line text (a letter, terms): line breaks
/// and tabs are kept, a CR before a line break is dropped, everything else
/// is escaped.
pub fn block(s: &str) -> Cow<'_, str> {
    escape(s, true)
}

fn escape(s: &str, keep_lines: bool) -> Cow<'_, str> {
    let kept = |c: char| keep_lines && matches!(c, '\n' | '\t');
    if !s.chars().any(|c| is_hidden(c) && !kept(c)) {
        return Cow::Borrowed(s);
    }
    let mut out = String::with_capacity(s.len() + 16);
    let mut chars = s.chars().peekable();
    while let Some(c) = chars.next() {
        if !is_hidden(c) || kept(c) {
            out.push(c);
            continue;
        }
        match c {
            '\r' if keep_lines && chars.peek() == Some(&'\n') => {}
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if u32::from(c) < 0x80 => {
                let _ = write!(out, "\\x{:02x}", u32::from(c));
            }
            c => {
                let _ = write!(out, "\\u{{{:x}}}", u32::from(c));
            }
        }
    }
    Cow::Owned(out)
}

/// `word` with its indefinite article: "an interaction", "a purchase"
/// (by its first letter, which is right for the words we put after it).
pub fn a(word: &str) -> String {
    let vowel = word
        .chars()
        .next()
        .is_some_and(|c| matches!(c.to_ascii_lowercase(), 'a' | 'e' | 'i' | 'o' | 'u'));
    format!("{} {word}", if vowel { "an" } else { "a" })
}

/// Control characters (line breaks included) become spaces, runs of
/// space collapse, ends are trimmed.
pub(crate) fn one_line(s: &str) -> String {
    s.split(|c: char| c.is_whitespace() || c.is_control())
        .filter(|w| !w.is_empty())
        .collect::<Vec<_>>()
        .join(" ")
}

/// Lines of a multi-line text, trimmed at the end, line breaks normalised.
pub(crate) fn text_lines(s: &str) -> impl Iterator<Item = &str> {
    s.trim().lines().map(str::trim_end)
}

/// A template environment for plain text (letters, terms): nothing is
/// escaped, a block tag on a line of its own leaves no trace (trim and
/// lstrip blocks), a template's last line break is kept, and an undefined
/// value is an error rather than an empty string. Values are data, never
/// template source, so a value holding `{{` or `{%` prints as it is. The
/// caller makes values one-line ([`one_line`]) where the text needs them so.
pub(crate) fn plain_text_templates() -> minijinja::Environment<'static> {
    let mut env = minijinja::Environment::new();
    env.set_auto_escape_callback(|_| minijinja::AutoEscape::None);
    env.set_undefined_behavior(minijinja::UndefinedBehavior::Strict);
    env.set_syntax(
        minijinja::syntax::SyntaxConfig::builder()
            .trim_blocks(true)
            .lstrip_blocks(true)
            .keep_trailing_newline(true)
            .build()
            .expect("the default delimiters"),
    );
    env
}

/// Render `name` from `env`, a set of templates compiled into the program.
/// Every template and every branch in it is covered by the snapshot tests,
/// so a failure here is a bug in a template, not bad input: values cannot
/// make a template fail.
pub(crate) fn render(
    env: &minijinja::Environment<'_>,
    name: &str,
    ctx: minijinja::Value,
) -> String {
    env.get_template(name)
        .and_then(|t| t.render(ctx))
        .unwrap_or_else(|e| panic!("the template {name} does not render: {e:#}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plain_text_is_borrowed_unchanged() {
        for s in [
            "",
            "Acme",
            "café — 12 €",
            "שלום",
            "مرحبا",
            "👩‍💻",
            r"C:\Users",
        ] {
            assert!(matches!(line(s), Cow::Borrowed(_)), "{s}");
            assert!(matches!(block(s), Cow::Borrowed(_)), "{s}");
        }
        assert!(matches!(block("a\nb\tc"), Cow::Borrowed(_)));
    }

    #[test]
    fn terminal_sequences_and_line_breaks_are_escaped_on_a_line() {
        assert_eq!(line("\x1b]0;pwned\x07"), r"\x1b]0;pwned\x07");
        assert_eq!(line("\x1b[31mred\x1b[0m"), r"\x1b[31mred\x1b[0m");
        assert_eq!(line("a\nb\r\nc\td"), r"a\nb\r\nc\td");
        assert_eq!(line("\0\x7f"), r"\x00\x7f");
        // C1: U+009B is a one-byte CSI to some terminals.
        assert_eq!(line("\u{9b}31m\u{85}"), r"\u{9b}31m\u{85}");
    }

    #[test]
    fn bidi_controls_and_invisible_characters_are_escaped() {
        assert_eq!(line("abc\u{202e}txt.exe"), r"abc\u{202e}txt.exe");
        for c in [
            '\u{202a}',
            '\u{202b}',
            '\u{202c}',
            '\u{202d}',
            '\u{202e}',
            '\u{2066}',
            '\u{2067}',
            '\u{2068}',
            '\u{2069}',
            '\u{200e}',
            '\u{200f}',
            '\u{061c}',
            '\u{2028}',
            '\u{2029}',
            '\u{200b}',
            '\u{feff}',
            '\u{e0041}',
        ] {
            let s = c.to_string();
            let shown = line(&s);
            assert_eq!(shown, format!("\\u{{{:x}}}", u32::from(c)));
            assert!(shown.is_ascii());
            assert!(is_hidden(c), "{c:?}");
        }
        // Joiners stay: emoji and scripts need them.
        assert!(!is_hidden('\u{200d}') && !is_hidden('\u{200c}'));
    }

    #[test]
    fn a_block_keeps_its_lines_and_escapes_the_rest() {
        assert_eq!(
            block("Dear Acme,\r\n\tplease\x1b[2J"),
            "Dear Acme,\n\tplease\\x1b[2J"
        );
        assert_eq!(block("a\rb"), r"a\rb");
        assert_eq!(block("end\r"), r"end\r");
        assert_eq!(block("x\u{202e}y\u{2028}z"), r"x\u{202e}y\u{2028}z");
    }

    #[test]
    fn nothing_escaped_is_left_for_the_terminal() {
        let nasty: String = (0u32..0x250)
            .chain(0x2000..0x2070)
            .chain([0xfeff, 0xe0001])
            .filter_map(char::from_u32)
            .collect();
        let shown = line(&nasty);
        assert!(!shown.chars().any(is_hidden), "{shown}");
        let shown = block(&nasty);
        assert!(
            !shown
                .chars()
                .any(|c| is_hidden(c) && !matches!(c, '\n' | '\t')),
            "{shown}"
        );
    }

    #[test]
    fn articles_follow_the_first_letter() {
        assert_eq!(a("interaction"), "an interaction");
        assert_eq!(a("account"), "an account");
        assert_eq!(a("purchase"), "a purchase");
        assert_eq!(a("IntentRequest"), "an IntentRequest");
        assert_eq!(a("TermsAgreement"), "a TermsAgreement");
    }
}
