//! Every text `vrm` prints for a person goes out through here, escaped
//! ([`vrm_vault::model::text`]): values from imports, brands' documents and mail
//! reach the terminal as visible text, never as ESC/OSC sequences, line
//! breaks or bidi controls. `println!` and `eprintln!` are denied in the
//! command line (see the top of `cli.rs`), so a new print site cannot skip
//! the escaping; JSON goes out through [`print_json`], which escapes too.

use std::io::Write;

use vrm_vault::model::text;

/// One line on stdout, escaped as a whole. Write errors (a closed pipe)
/// are ignored: there is no one left to tell.
pub(super) fn out_line(s: &str) {
    let _ = writeln!(std::io::stdout().lock(), "{}", text::line(s));
}

/// One line on stderr, escaped as a whole.
pub(super) fn err_line(s: &str) {
    let _ = writeln!(std::io::stderr().lock(), "{}", text::line(s));
}

/// Multi-line text (a letter, terms) on stdout: lines kept, the rest escaped.
pub(super) fn out_block(s: &str) {
    let _ = writeln!(std::io::stdout().lock(), "{}", text::block(s));
}

/// A question on stderr, without a line break, escaped.
pub(super) fn err_prompt(s: &str) {
    let mut err = std::io::stderr().lock();
    let _ = write!(err, "{}", text::line(s));
    let _ = err.flush();
}

/// `println!`, escaped: the whole line goes through [`text::line`].
macro_rules! outln {
    () => {
        $crate::cli::out::out_line("")
    };
    ($($arg:tt)*) => {
        $crate::cli::out::out_line(&format!($($arg)*))
    };
}

/// `eprintln!`, escaped.
macro_rules! errln {
    () => {
        $crate::cli::out::err_line("")
    };
    ($($arg:tt)*) => {
        $crate::cli::out::err_line(&format!($($arg)*))
    };
}

pub(super) use {errln, outln};

/// serde_json escapes C0 control characters in strings, but not DEL, C1,
/// bidi controls or the line separators; this formatter writes those as
/// `\uXXXX` too. The JSON means the same; only its bytes differ.
struct SafeJson(serde_json::ser::PrettyFormatter<'static>);

impl serde_json::ser::Formatter for SafeJson {
    fn write_string_fragment<W: ?Sized + Write>(
        &mut self,
        writer: &mut W,
        fragment: &str,
    ) -> std::io::Result<()> {
        let mut rest = fragment;
        // serde_json has escaped C0 already: fragments hold none.
        while let Some(i) = rest.find(text::is_hidden) {
            writer.write_all(&rest.as_bytes()[..i])?;
            let c = rest[i..].chars().next().expect("found a char");
            let mut units = [0u16; 2];
            for u in c.encode_utf16(&mut units) {
                write!(writer, "\\u{u:04x}")?;
            }
            rest = &rest[i + c.len_utf8()..];
        }
        writer.write_all(rest.as_bytes())
    }

    // Pretty printing: the rest as PrettyFormatter does it.
    fn begin_array<W: ?Sized + Write>(&mut self, w: &mut W) -> std::io::Result<()> {
        self.0.begin_array(w)
    }
    fn end_array<W: ?Sized + Write>(&mut self, w: &mut W) -> std::io::Result<()> {
        self.0.end_array(w)
    }
    fn begin_array_value<W: ?Sized + Write>(
        &mut self,
        w: &mut W,
        first: bool,
    ) -> std::io::Result<()> {
        self.0.begin_array_value(w, first)
    }
    fn end_array_value<W: ?Sized + Write>(&mut self, w: &mut W) -> std::io::Result<()> {
        self.0.end_array_value(w)
    }
    fn begin_object<W: ?Sized + Write>(&mut self, w: &mut W) -> std::io::Result<()> {
        self.0.begin_object(w)
    }
    fn end_object<W: ?Sized + Write>(&mut self, w: &mut W) -> std::io::Result<()> {
        self.0.end_object(w)
    }
    fn begin_object_key<W: ?Sized + Write>(
        &mut self,
        w: &mut W,
        first: bool,
    ) -> std::io::Result<()> {
        self.0.begin_object_key(w, first)
    }
    fn begin_object_value<W: ?Sized + Write>(&mut self, w: &mut W) -> std::io::Result<()> {
        self.0.begin_object_value(w)
    }
    fn end_object_value<W: ?Sized + Write>(&mut self, w: &mut W) -> std::io::Result<()> {
        self.0.end_object_value(w)
    }
}

/// `value` as pretty JSON on stdout, with bidi and invisible characters
/// escaped as well as control characters.
pub(super) fn print_json<T: serde::Serialize + ?Sized>(value: &T) -> Result<(), String> {
    let stdout = std::io::stdout();
    let mut out = stdout.lock();
    let mut ser = serde_json::Serializer::with_formatter(&mut out, SafeJson(Default::default()));
    value.serialize(&mut ser).map_err(|e| e.to_string())?;
    writeln!(out).map_err(|e| e.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn json(v: &serde_json::Value) -> String {
        let mut buf = Vec::new();
        let mut ser =
            serde_json::Serializer::with_formatter(&mut buf, SafeJson(Default::default()));
        serde::Serialize::serialize(v, &mut ser).unwrap();
        String::from_utf8(buf).unwrap()
    }

    #[test]
    fn json_escapes_bidi_and_invisible_characters_and_means_the_same() {
        let v = serde_json::json!({"name": "a\u{202e}b\u{2028}c\x1bd\u{e0041}\u{9b}", "n": [1, 2]});
        let text = json(&v);
        assert!(text.is_ascii(), "{text}");
        assert!(
            text.contains(r"a\u202eb\u2028c\u001bd\udb40\udc41\u009b"),
            "{text}"
        );
        assert_eq!(serde_json::from_str::<serde_json::Value>(&text).unwrap(), v);
        assert_eq!(
            text,
            serde_json::to_string_pretty(&v).unwrap().replace(
                "a\u{202e}b\u{2028}c\\u001bd\u{e0041}\u{9b}",
                r"a\u202eb\u2028c\u001bd\udb40\udc41\u009b"
            ),
            "laid out as serde_json's pretty printer does"
        );
    }
}
