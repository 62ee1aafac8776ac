//! The app's own settings (not vault data): the idle time before the vault
//! locks itself, and which vault folder to open. Kept as a small JSON file in
//! the per-user config folder; a missing or unreadable file means defaults.

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};

/// Default minutes of inactivity before the app locks the vault.
pub const DEFAULT_AUTO_LOCK_MINUTES: u32 = 5;
/// Longest idle time one may choose (a day).
pub const MAX_AUTO_LOCK_MINUTES: u32 = 24 * 60;

/// The app's settings.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(specta::Type))]
#[serde(default)]
pub struct Settings {
    /// Minutes of inactivity before the vault locks itself (0: never).
    pub auto_lock_minutes: u32,
}

/// The app's Settings screen, as typed: the auto-lock minutes as a string
/// (what is in the input). [`SettingsForm::check`] makes the [`Settings`],
/// or says what is wrong, naming the field (`auto_lock_minutes`).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(specta::Type))]
pub struct SettingsForm {
    /// Minutes of inactivity before the vault locks itself: a whole number,
    /// 0 for never.
    pub auto_lock_minutes: String,
}

impl SettingsForm {
    /// The settings this form makes, checked ([`Settings::check`]); white
    /// space around the number is ignored.
    pub fn check(&self) -> Result<Settings> {
        let bad = |reason: &str| Err(Error::invalid_field("auto_lock_minutes", reason));
        let t = self.auto_lock_minutes.trim();
        // An empty field is not 0, which would mean "never lock".
        if t.is_empty() {
            return bad("auto-lock: enter a whole number of minutes (0: never)");
        }
        // Digits only: no sign, no decimal point, no exponent, no inner space.
        if !t.bytes().all(|b| b.is_ascii_digit()) {
            return bad("auto-lock takes a whole number of minutes (0: never)");
        }
        // Only digits: the parse fails only past u32::MAX, which is past the
        // longest idle time too.
        let settings = Settings {
            auto_lock_minutes: t.parse().unwrap_or(u32::MAX),
        };
        settings.check()?;
        Ok(settings)
    }
}

impl Default for Settings {
    fn default() -> Self {
        Settings {
            auto_lock_minutes: DEFAULT_AUTO_LOCK_MINUTES,
        }
    }
}

impl Settings {
    /// The settings file in the per-user config folder.
    pub fn default_path() -> Option<PathBuf> {
        directories::ProjectDirs::from("org", "VRM Vault", "vrm-vault")
            .map(|d| d.config_dir().join("settings.json"))
    }

    /// Read settings; defaults when the file is missing or unreadable.
    pub fn load(path: &Path) -> Settings {
        std::fs::read(path)
            .ok()
            .filter(|b| b.len() < 64 * 1024)
            .and_then(|b| serde_json::from_slice::<Settings>(&b).ok())
            .filter(|s| s.check().is_ok())
            .unwrap_or_default()
    }

    /// Check the values.
    pub fn check(&self) -> Result<()> {
        if self.auto_lock_minutes > MAX_AUTO_LOCK_MINUTES {
            return Err(Error::invalid_field(
                "auto_lock_minutes",
                format!("auto-lock is at most {MAX_AUTO_LOCK_MINUTES} minutes"),
            ));
        }
        Ok(())
    }

    /// Write settings (checked), creating the folder.
    pub fn save(&self, path: &Path) -> Result<()> {
        self.check()?;
        if let Some(dir) = path.parent() {
            std::fs::create_dir_all(dir).map_err(|e| Error::io(dir, e))?;
        }
        let json = serde_json::to_vec_pretty(self).map_err(|e| Error::invalid(e.to_string()))?;
        // Whole or not at all: a crash mid-write must not leave a file that
        // reads as defaults.
        super::fs::write_file(
            super::fs::OutFile::replace(path),
            super::fs::FileMode::Default,
            &json,
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn missing_or_bad_files_give_defaults_and_saved_ones_round_trip() {
        let tmp = tempfile::tempdir().unwrap();
        let path = tmp.path().join("s/settings.json");
        assert_eq!(Settings::load(&path), Settings::default());
        let s = Settings {
            auto_lock_minutes: 12,
        };
        s.save(&path).unwrap();
        assert_eq!(Settings::load(&path), s);
        std::fs::write(&path, "{not json").unwrap();
        assert_eq!(Settings::load(&path), Settings::default());
        assert!(
            Settings {
                auto_lock_minutes: 100_000
            }
            .save(&path)
            .is_err()
        );
    }

    fn form(minutes: &str) -> SettingsForm {
        SettingsForm {
            auto_lock_minutes: minutes.into(),
        }
    }

    // The Settings screen's reading of its minutes, moved here from the app
    // (ui/tests/format.test.ts): the same cases, the same outcomes.

    #[test]
    fn the_minutes_are_read_as_typed() {
        for (typed, minutes) in [("5", 5), (" 0 ", 0), ("1440", 1440), ("\t07\n", 7)] {
            assert_eq!(
                form(typed).check().unwrap(),
                Settings {
                    auto_lock_minutes: minutes
                },
                "{typed:?}"
            );
        }
    }

    #[test]
    fn an_empty_or_odd_field_is_refused_not_read_as_0_which_means_never() {
        const EMPTY: &str = "auto-lock: enter a whole number of minutes (0: never)";
        const NOT_WHOLE: &str = "auto-lock takes a whole number of minutes (0: never)";
        const TOO_LONG: &str = "auto-lock is at most 1440 minutes";
        for (typed, reason) in [
            ("", EMPTY),
            ("  ", EMPTY),
            ("1.5", NOT_WHOLE),
            ("-3", NOT_WHOLE),
            ("+3", NOT_WHOLE),
            ("1e3", NOT_WHOLE),
            ("1 0", NOT_WHOLE),
            ("five", NOT_WHOLE),
            ("1441", TOO_LONG),
            ("99999999999999999999", TOO_LONG),
        ] {
            let e = form(typed).check().unwrap_err();
            assert_eq!(e.code(), "input.invalid", "{typed:?}");
            assert_eq!(e.field(), Some("auto_lock_minutes"), "{typed:?}");
            assert_eq!(e.to_string(), reason, "{typed:?}");
        }
    }
}
