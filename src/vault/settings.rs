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
}
