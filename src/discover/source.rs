//! Reading mail from files: mbox (mboxrd and mboxo, as Thunderbird and
//! Google Takeout write them), Maildir folders and `.eml` files. Streaming:
//! one message at a time, each cut at [`MAX_MESSAGE_BYTES`], and lines cut
//! at `MAX_LINE_BYTES` (1 MiB), so the size of a mailbox never changes how much
//! memory reading it takes.

use std::fs::File;
use std::io::{BufRead, BufReader, Read};
use std::path::{Path, PathBuf};

use chrono::{DateTime, NaiveDateTime, Utc};

use crate::error::{Error, Result};

/// The most of one message read; the rest (a big attachment, usually) is
/// skipped and the message marked truncated.
pub const MAX_MESSAGE_BYTES: usize = 4 * 1024 * 1024;
/// The most of one line kept.
const MAX_LINE_BYTES: usize = 1024 * 1024;
/// How deep folders of `.eml` files and Maildir++ folders are searched.
const MAX_DEPTH: usize = 8;

/// One message as read from a source.
#[derive(Debug)]
pub struct RawMessage<'a> {
    /// Its bytes (at most [`MAX_MESSAGE_BYTES`]).
    pub bytes: &'a [u8],
    /// It was longer and was cut.
    pub truncated: bool,
    /// The date on an mbox `From ` line, for a message without a Date.
    pub envelope_date: Option<DateTime<Utc>>,
}

/// What a source calls with each message, and with the bytes read so far.
pub trait MessageSink {
    /// One message.
    fn message(&mut self, msg: RawMessage<'_>) -> Result<()>;
    /// `done` of `total` bytes of the current file read.
    fn progress(&mut self, _done: u64, _total: u64) {}
}

/// Whether `path` reads as an mbox file (its first line that is not blank
/// is a `From ` line), without reading on.
pub fn check_mbox(path: &Path) -> Result<()> {
    let file = File::open(path).map_err(|e| Error::io(path, e))?;
    let mut reader = BufReader::new(file);
    let mut line = Vec::new();
    loop {
        let (n, _) = read_line(&mut reader, &mut line).map_err(|e| Error::io(path, e))?;
        if n == 0 || line.starts_with(b"From ") {
            return Ok(());
        }
        if !line.iter().all(u8::is_ascii_whitespace) {
            return Err(not_mbox(path));
        }
    }
}

fn not_mbox(path: &Path) -> Error {
    Error::MailSource(format!(
        "{} is not an mbox file (it does not begin with a \"From \" line)",
        path.display()
    ))
}

/// Whether `dir` is (or holds) a Maildir.
pub fn check_maildir(dir: &Path) -> Result<()> {
    let mut folders = Vec::new();
    find_maildirs(dir, 0, &mut folders)?;
    if folders.is_empty() {
        return Err(not_maildir(dir));
    }
    Ok(())
}

fn not_maildir(dir: &Path) -> Error {
    Error::MailSource(format!(
        "{} is not a Maildir (it has no cur/ or new/ folder)",
        dir.display()
    ))
}

/// Read every message of an mbox file.
pub fn read_mbox(path: &Path, sink: &mut dyn MessageSink) -> Result<()> {
    let file = File::open(path).map_err(|e| Error::io(path, e))?;
    let total = file.metadata().map(|m| m.len()).unwrap_or(0);
    read_mbox_from(
        BufReader::with_capacity(256 * 1024, file),
        total,
        path,
        sink,
    )
}

/// Read every message of an mbox held in memory: the fuzz target's way in
/// (`fuzz/fuzz_targets/message.rs`), not an API.
#[doc(hidden)]
pub fn read_mbox_bytes(bytes: &[u8], sink: &mut dyn MessageSink) -> Result<()> {
    read_mbox_from(bytes, bytes.len() as u64, Path::new("(bytes)"), sink)
}

/// Read the mbox `reader` gives (`total` bytes long; `path` names it in
/// errors).
fn read_mbox_from(
    mut reader: impl BufRead,
    total: u64,
    path: &Path,
    sink: &mut dyn MessageSink,
) -> Result<()> {
    let mut line = Vec::with_capacity(4096);
    let mut msg: Vec<u8> = Vec::with_capacity(64 * 1024);
    let mut truncated = false;
    let mut envelope: Option<DateTime<Utc>> = None;
    let mut started = false;
    let mut prev_blank = true;
    let mut read: u64 = 0;
    let mut last_report: u64 = 0;
    loop {
        let (n, cut) = read_line(&mut reader, &mut line).map_err(|e| Error::io(path, e))?;
        if n == 0 {
            break;
        }
        read += n as u64;
        if read - last_report >= 4 * 1024 * 1024 {
            sink.progress(read, total);
            last_report = read;
        }
        if prev_blank && is_from_line(&line) {
            if started {
                emit(sink, &mut msg, truncated, envelope)?;
            }
            started = true;
            truncated = false;
            envelope = envelope_date(&line);
            prev_blank = false;
            continue;
        }
        if !started {
            if line.iter().all(u8::is_ascii_whitespace) {
                continue;
            }
            return Err(not_mbox(path));
        }
        prev_blank = line == b"\n" || line == b"\r\n";
        // mboxrd: a body line that began with ">*From " had one more ">".
        let body: &[u8] = if line.starts_with(b">") && {
            let rest = &line[line.iter().take_while(|&&b| b == b'>').count()..];
            rest.starts_with(b"From ")
        } {
            &line[1..]
        } else {
            &line
        };
        if cut || msg.len() + body.len() > MAX_MESSAGE_BYTES {
            truncated = true;
        }
        if msg.len() + body.len() <= MAX_MESSAGE_BYTES {
            msg.extend_from_slice(body);
        }
    }
    if started {
        emit(sink, &mut msg, truncated, envelope)?;
    }
    sink.progress(read, total);
    Ok(())
}

fn emit(
    sink: &mut dyn MessageSink,
    msg: &mut Vec<u8>,
    truncated: bool,
    envelope_date: Option<DateTime<Utc>>,
) -> Result<()> {
    // The blank line before the next `From ` belongs to the format.
    if msg.ends_with(b"\r\n\r\n") {
        msg.truncate(msg.len() - 2);
    } else if msg.ends_with(b"\n\n") {
        msg.truncate(msg.len() - 1);
    }
    let out = sink.message(RawMessage {
        bytes: msg,
        truncated,
        envelope_date,
    });
    msg.clear();
    if msg.capacity() > 1024 * 1024 {
        msg.shrink_to(64 * 1024);
    }
    out
}

/// Read one line (with its `\n`) into `line`, keeping at most
/// [`MAX_LINE_BYTES`]; returns the bytes consumed and whether it was cut.
fn read_line(reader: &mut impl BufRead, line: &mut Vec<u8>) -> std::io::Result<(usize, bool)> {
    line.clear();
    let mut consumed = 0;
    let mut cut = false;
    loop {
        let buf = reader.fill_buf()?;
        if buf.is_empty() {
            return Ok((consumed, cut));
        }
        let (chunk, done) = match memchr::memchr(b'\n', buf) {
            Some(i) => (&buf[..=i], true),
            None => (buf, false),
        };
        let room = MAX_LINE_BYTES.saturating_sub(line.len());
        if chunk.len() > room {
            cut = true;
        }
        line.extend_from_slice(&chunk[..chunk.len().min(room)]);
        let n = chunk.len();
        reader.consume(n);
        consumed += n;
        if done {
            return Ok((consumed, cut));
        }
    }
}

/// A `From sender date` line: `From `, a sender, and a time of day (a
/// body line "From here on" after a blank line is not one, even in an mbox
/// whose writer did not quote it).
fn is_from_line(line: &[u8]) -> bool {
    let Some(rest) = line.strip_prefix(b"From ") else {
        return false;
    };
    let mut words = rest.split(|&b| b == b' ').filter(|w| !w.is_empty());
    words.next().is_some_and(|sender| !sender.contains(&b':'))
        && words.any(|w| {
            w.len() >= 5
                && w.len() <= 8
                && w.iter().filter(|&&b| b == b':').count() >= 1
                && w.iter().all(|&b| b.is_ascii_digit() || b == b':')
        })
}

/// The date of an mbox `From sender date` line: asctime
/// (`Tue Mar  3 10:00:00 2026`) or Takeout's (`Tue Mar 03 10:00:00 +0000 2026`).
fn envelope_date(line: &[u8]) -> Option<DateTime<Utc>> {
    let line = std::str::from_utf8(line).ok()?.trim();
    let rest = line.strip_prefix("From ")?.trim_start();
    let (_, date) = rest.split_once(' ')?;
    let words: Vec<&str> = date.split_whitespace().collect();
    let joined = match words.as_slice() {
        [wd, mon, day, time, zone, year] if zone.starts_with(['+', '-']) => {
            let t = format!("{wd} {mon} {day} {time} {zone} {year}");
            return DateTime::parse_from_str(&t, "%a %b %d %H:%M:%S %z %Y")
                .ok()
                .map(|d| d.with_timezone(&Utc));
        }
        [wd, mon, day, time, year] => format!("{wd} {mon} {day} {time} {year}"),
        _ => return None,
    };
    NaiveDateTime::parse_from_str(&joined, "%a %b %d %H:%M:%S %Y")
        .ok()
        .map(|d| d.and_utc())
}

/// Read every message of a Maildir (its `cur/` and `new/`) and of the
/// Maildir++ folders inside it (`.Sent/`, `.Receipts/`…).
pub fn read_maildir(dir: &Path, sink: &mut dyn MessageSink) -> Result<()> {
    let mut folders = Vec::new();
    find_maildirs(dir, 0, &mut folders)?;
    if folders.is_empty() {
        return Err(not_maildir(dir));
    }
    let mut buf = Vec::new();
    for folder in folders {
        for sub in ["cur", "new"] {
            let d = folder.join(sub);
            if !d.is_dir() {
                continue;
            }
            for file in files_in(&d)? {
                read_file(&file, &mut buf, sink)?;
            }
        }
    }
    Ok(())
}

fn find_maildirs(dir: &Path, depth: usize, out: &mut Vec<PathBuf>) -> Result<()> {
    let meta = std::fs::symlink_metadata(dir).map_err(|e| Error::io(dir, e))?;
    if !meta.is_dir() || depth > MAX_DEPTH {
        return Ok(());
    }
    if dir.join("cur").is_dir() || dir.join("new").is_dir() {
        out.push(dir.to_path_buf());
    }
    for entry in sorted_entries(dir)? {
        let name = entry.file_name();
        if matches!(name.to_str(), Some("cur" | "new" | "tmp")) {
            continue;
        }
        if entry.file_type().is_ok_and(|t| t.is_dir()) {
            find_maildirs(&entry.path(), depth + 1, out)?;
        }
    }
    Ok(())
}

/// Read one `.eml` file, or every `.eml` file in a folder and the folders
/// inside it.
pub fn read_eml(path: &Path, sink: &mut dyn MessageSink) -> Result<()> {
    let meta = std::fs::metadata(path).map_err(|e| Error::io(path, e))?;
    let mut buf = Vec::new();
    if meta.is_file() {
        return read_file(path, &mut buf, sink);
    }
    let mut files = Vec::new();
    find_eml(path, 0, &mut files)?;
    for file in files {
        read_file(&file, &mut buf, sink)?;
    }
    Ok(())
}

fn find_eml(dir: &Path, depth: usize, out: &mut Vec<PathBuf>) -> Result<()> {
    if depth > MAX_DEPTH {
        return Ok(());
    }
    for entry in sorted_entries(dir)? {
        let Ok(kind) = entry.file_type() else {
            continue;
        };
        let path = entry.path();
        if kind.is_dir() {
            find_eml(&path, depth + 1, out)?;
        } else if kind.is_file()
            && path
                .extension()
                .is_some_and(|e| e.eq_ignore_ascii_case("eml"))
        {
            out.push(path);
        }
    }
    Ok(())
}

fn sorted_entries(dir: &Path) -> Result<Vec<std::fs::DirEntry>> {
    let mut entries = std::fs::read_dir(dir)
        .map_err(|e| Error::io(dir, e))?
        .collect::<std::io::Result<Vec<_>>>()
        .map_err(|e| Error::io(dir, e))?;
    entries.sort_by_key(std::fs::DirEntry::file_name);
    Ok(entries)
}

fn files_in(dir: &Path) -> Result<Vec<PathBuf>> {
    Ok(sorted_entries(dir)?
        .into_iter()
        .filter(|e| e.file_type().is_ok_and(|t| t.is_file()))
        .map(|e| e.path())
        .collect())
}

fn read_file(path: &Path, buf: &mut Vec<u8>, sink: &mut dyn MessageSink) -> Result<()> {
    buf.clear();
    let file = File::open(path).map_err(|e| Error::io(path, e))?;
    let read = file
        .take(MAX_MESSAGE_BYTES as u64 + 1)
        .read_to_end(buf)
        .map_err(|e| Error::io(path, e))?;
    let truncated = read > MAX_MESSAGE_BYTES;
    buf.truncate(MAX_MESSAGE_BYTES);
    sink.message(RawMessage {
        bytes: buf,
        truncated,
        envelope_date: None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Default)]
    struct Collect(Vec<(Vec<u8>, bool, Option<DateTime<Utc>>)>);
    impl MessageSink for Collect {
        fn message(&mut self, m: RawMessage<'_>) -> Result<()> {
            self.0
                .push((m.bytes.to_vec(), m.truncated, m.envelope_date));
            Ok(())
        }
    }

    fn mbox(text: &[u8]) -> Result<Collect> {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("box");
        std::fs::write(&p, text).unwrap();
        let mut c = Collect::default();
        read_mbox(&p, &mut c)?;
        Ok(c)
    }

    #[test]
    fn mbox_splits_on_from_lines_after_a_blank_line_and_unquotes() {
        let c = mbox(
            b"From a@x Tue Mar  3 10:00:00 2026\nSubject: one\n\nFrom here on\n>From quoted\n>>From twice\n\n\
From 1656473736634798632@xxx Tue Jun 28 23:34:21 +0000 2022\r\nSubject: two\r\n\r\nbody\r\n",
        )
        .unwrap();
        assert_eq!(c.0.len(), 2);
        assert_eq!(
            c.0[0].0,
            b"Subject: one\n\nFrom here on\nFrom quoted\n>From twice\n"
        );
        assert_eq!(c.0[0].2.unwrap().to_rfc3339(), "2026-03-03T10:00:00+00:00");
        assert_eq!(c.0[1].0, b"Subject: two\r\n\r\nbody\r\n");
        assert_eq!(c.0[1].2.unwrap().to_rfc3339(), "2022-06-28T23:34:21+00:00");
    }

    #[test]
    fn not_an_mbox_is_refused_and_a_truncated_one_keeps_what_it_has() {
        let e = mbox(b"Subject: hi\n\nbody\n").err().unwrap();
        assert_eq!(e.code(), "discover.bad_source");
        assert_eq!(mbox(b"").unwrap().0.len(), 0);
        let c = mbox(b"From a Tue Mar  3 10:00:00 2026\nSubject: cut off mid-hea").unwrap();
        assert_eq!(c.0.len(), 1);
    }

    #[test]
    fn a_huge_message_or_line_is_cut_and_marked() {
        let mut text = b"From a Tue Mar  3 10:00:00 2026\nSubject: big\n\n".to_vec();
        text.extend(std::iter::repeat_n(b'A', MAX_LINE_BYTES * 5));
        text.extend_from_slice(b"\n\nFrom b Tue Mar  3 10:00:00 2026\nSubject: next\n\nx\n");
        let c = mbox(&text).unwrap();
        assert_eq!(c.0.len(), 2);
        assert!(c.0[0].1);
        assert!(c.0[0].0.len() <= MAX_MESSAGE_BYTES);
        assert!(!c.0[1].1);
    }

    #[test]
    fn maildir_and_eml_folders() {
        let dir = tempfile::tempdir().unwrap();
        let md = dir.path().join("mail");
        for sub in ["cur", "new", "tmp", ".Sent/cur"] {
            std::fs::create_dir_all(md.join(sub)).unwrap();
        }
        std::fs::write(md.join("cur/1:2,S"), b"Subject: a\n\nx\n").unwrap();
        std::fs::write(md.join("new/2"), b"Subject: b\n\nx\n").unwrap();
        std::fs::write(md.join("tmp/3"), b"Subject: partial\n").unwrap();
        std::fs::write(md.join(".Sent/cur/4"), b"Subject: c\n\nx\n").unwrap();
        let mut c = Collect::default();
        read_maildir(&md, &mut c).unwrap();
        assert_eq!(c.0.len(), 3);
        let e = read_maildir(dir.path().join("mail/tmp").as_path(), &mut c).unwrap_err();
        assert_eq!(e.code(), "discover.bad_source");

        let eml = dir.path().join("eml/deep");
        std::fs::create_dir_all(&eml).unwrap();
        std::fs::write(eml.join("one.EML"), b"Subject: a\n\nx\n").unwrap();
        std::fs::write(eml.join("notes.txt"), b"not mail").unwrap();
        let mut c = Collect::default();
        read_eml(&dir.path().join("eml"), &mut c).unwrap();
        assert_eq!(c.0.len(), 1);
    }
}
