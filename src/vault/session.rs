//! A vault as a long-running program holds it: locked or unlocked, locking
//! itself after an idle time. The desktop app keeps one [`Session`] in its
//! state; every call goes through [`Session::vault`], which counts as
//! activity.

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use secrecy::SecretString;
use serde::{Deserialize, Serialize};

use crate::crypto::{KdfParams, RecoveryCode};
use crate::error::{Error, Result};
use crate::vault::settings::{Settings, SettingsForm};
use crate::vault::{DEFAULT_KDF_TARGET, Vault};

/// Where a session stands.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(specta::Type))]
pub struct SessionStatus {
    /// The vault folder.
    pub vault_dir: PathBuf,
    /// Whether a vault exists there.
    pub exists: bool,
    /// Whether it is unlocked.
    pub unlocked: bool,
    /// Minutes of inactivity before it locks itself (0: never).
    pub auto_lock_minutes: u32,
}

/// One vault, locked or unlocked, with an idle timer.
#[derive(Debug)]
pub struct Session {
    dir: PathBuf,
    vault: Option<Vault>,
    last_activity: Instant,
    auto_lock: Option<Duration>,
    kdf_target: Duration,
}

impl Session {
    /// A locked session on the vault in `dir`.
    pub fn new(dir: &Path, auto_lock_minutes: u32) -> Self {
        Session {
            dir: dir.to_path_buf(),
            vault: None,
            last_activity: Instant::now(),
            auto_lock: minutes(auto_lock_minutes),
            kdf_target: DEFAULT_KDF_TARGET,
        }
    }

    /// Aim for this KDF time when setting a passphrase (never below the
    /// floor); tests use zero.
    pub fn set_kdf_target(&mut self, target: Duration) {
        self.kdf_target = target;
    }

    /// Where the session stands.
    pub fn status(&self) -> SessionStatus {
        SessionStatus {
            vault_dir: self.dir.clone(),
            exists: Vault::exists(&self.dir),
            unlocked: self.vault.is_some(),
            auto_lock_minutes: self
                .auto_lock
                .map(|d| (d.as_secs() / 60) as u32)
                .unwrap_or(0),
        }
    }

    /// Create the vault and leave it unlocked; returns the recovery code.
    pub fn create(&mut self, passphrase: &SecretString) -> Result<RecoveryCode> {
        let (vault, code) = Vault::create(
            &self.dir,
            passphrase,
            KdfParams::calibrate(self.kdf_target)?,
        )?;
        self.vault = Some(vault);
        self.mark_active();
        Ok(code)
    }

    /// Where a vault made elsewhere for this session goes, and the KDF
    /// parameters to protect it with (calibrated as [`Session::create`]
    /// does): for a vault this session does not make itself (a device
    /// joining with an invitation), which is then handed over with
    /// [`Session::adopt`]. Refused if a vault is there already.
    pub fn new_vault_params(&self) -> Result<(PathBuf, KdfParams)> {
        Vault::check_new_location(&self.dir)?;
        Ok((self.dir.clone(), KdfParams::calibrate(self.kdf_target)?))
    }

    /// Take up a vault unlocked elsewhere (see [`Session::new_vault_params`]);
    /// it must be this session's. The session is then unlocked.
    pub fn adopt(&mut self, vault: Vault) -> Result<()> {
        if vault.dir() != self.dir {
            return Err(Error::invalid(
                "that vault is not the one this session opens",
            ));
        }
        self.vault = Some(vault);
        self.mark_active();
        Ok(())
    }

    /// A second handle on the unlocked vault, for a thread of its own (see
    /// [`Vault::second_handle`]). Not activity: a background thread's use
    /// does not postpone the auto-lock.
    pub fn second_handle(&self) -> Result<Vault> {
        self.vault.as_ref().ok_or(Error::Locked)?.second_handle()
    }

    /// Unlock with the passphrase.
    pub fn unlock(&mut self, passphrase: &SecretString) -> Result<()> {
        self.vault = None;
        let vault = Vault::open(&self.dir)?.unlock(passphrase)?;
        self.vault = Some(vault);
        self.mark_active();
        Ok(())
    }

    /// Set a new passphrase with the recovery code; unlocks, and returns the
    /// new recovery code.
    pub fn recover(
        &mut self,
        code: &RecoveryCode,
        new_passphrase: &SecretString,
    ) -> Result<RecoveryCode> {
        self.vault = None;
        let kdf = KdfParams::calibrate(self.kdf_target)?;
        let (vault, new_code) = Vault::open(&self.dir)?.recover(code, new_passphrase, kdf)?;
        self.vault = Some(vault);
        self.mark_active();
        Ok(new_code)
    }

    /// Change the passphrase, after checking the current one.
    pub fn change_passphrase(
        &mut self,
        current: &SecretString,
        new_passphrase: &SecretString,
    ) -> Result<()> {
        self.vault()?;
        // Prove the current passphrase before replacing it.
        Vault::open(&self.dir)?.unlock(current)?;
        let kdf = KdfParams::calibrate(self.kdf_target)?;
        self.vault()?.change_passphrase(new_passphrase, kdf)
    }

    /// A new vault key with everything sealed again under it (see
    /// [`Vault::rekey`]), after proving the current passphrase; returns the
    /// new recovery code.
    pub fn rekey(
        &mut self,
        current: &SecretString,
        new_passphrase: &SecretString,
    ) -> Result<RecoveryCode> {
        self.vault()?;
        Vault::open(&self.dir)?.unlock(current)?;
        let kdf = KdfParams::calibrate(self.kdf_target)?;
        self.vault()?.rekey(new_passphrase, kdf)
    }

    /// A new recovery code, after proving the current passphrase (the old
    /// code stops working).
    pub fn new_recovery_code(&mut self, current: &SecretString) -> Result<RecoveryCode> {
        self.vault()?;
        Vault::open(&self.dir)?.unlock(current)?;
        self.vault()?.new_recovery_code()
    }

    /// Lock: drop the vault, which zeroizes its keys and cached values.
    pub fn lock(&mut self) {
        self.vault = None;
    }

    /// The unlocked vault; counts as activity.
    pub fn vault(&mut self) -> Result<&mut Vault> {
        self.lock_if_idle(Instant::now());
        self.last_activity = Instant::now();
        self.vault.as_mut().ok_or(Error::Locked)
    }

    /// The unlocked vault, for work the app does by itself (fetching offers
    /// every so often while a screen is shown): locks first if the idle
    /// time has run out, and does not count as activity, so such work never
    /// keeps the vault open.
    pub fn vault_unattended(&mut self) -> Result<&mut Vault> {
        self.lock_if_idle(Instant::now());
        self.vault.as_mut().ok_or(Error::Locked)
    }

    /// Note that the person is active (keys, clicks), without a vault call.
    /// Activity after the idle time has run out does not bring the keys
    /// back: the session locks, and says so with [`Error::Locked`], as it
    /// does when locked already.
    pub fn touch(&mut self) -> Result<()> {
        self.lock_if_idle(Instant::now());
        self.mark_active();
        match self.vault {
            Some(_) => Ok(()),
            None => Err(Error::Locked),
        }
    }

    fn mark_active(&mut self) {
        self.last_activity = Instant::now();
    }

    /// Save the settings of the app's Settings screen to `path` and apply
    /// them: the auto-lock time takes effect at once. The form is checked
    /// first ([`SettingsForm::check`]): when it does not hold, nothing is
    /// saved or changed. Returns the settings saved.
    pub fn save_settings(&mut self, form: &SettingsForm, path: &Path) -> Result<Settings> {
        let settings = form.check()?;
        settings.save(path)?;
        self.set_auto_lock_minutes(settings.auto_lock_minutes);
        Ok(settings)
    }

    /// Change the idle time (0 minutes: never lock by itself).
    pub fn set_auto_lock_minutes(&mut self, auto_lock_minutes: u32) {
        self.auto_lock = minutes(auto_lock_minutes);
    }

    /// Lock if idle for longer than the auto-lock time at `now`; true if
    /// this call locked it.
    pub fn lock_if_idle(&mut self, now: Instant) -> bool {
        let idle = now.saturating_duration_since(self.last_activity);
        if self.vault.is_some() && self.auto_lock.is_some_and(|limit| idle >= limit) {
            self.lock();
            return true;
        }
        false
    }
}

fn minutes(m: u32) -> Option<Duration> {
    (m > 0).then(|| Duration::from_secs(u64::from(m) * 60))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn session() -> (tempfile::TempDir, Session) {
        let tmp = tempfile::tempdir().unwrap();
        let mut s = Session::new(&tmp.path().join("v"), 5);
        s.set_kdf_target(Duration::ZERO);
        s.create(&SecretString::from("session passphrase")).unwrap();
        (tmp, s)
    }

    /// Issue 10, defect 1: the app's create screen while `vrm init` (or a
    /// second window) made the vault: refused, and that vault is untouched.
    #[test]
    fn creating_where_another_process_just_made_a_vault_is_refused() {
        let tmp = tempfile::tempdir().unwrap();
        let dir = tmp.path().join("v");
        let mut app = Session::new(&dir, 5);
        app.set_kdf_target(Duration::ZERO);
        assert!(!app.status().exists, "the create screen is showing");
        let theirs = SecretString::from("the other passphrase");
        Vault::create(&dir, &theirs, KdfParams::minimum().unwrap()).unwrap();
        let err = app
            .create(&SecretString::from("session passphrase"))
            .unwrap_err();
        assert_eq!(err.code(), "vault.exists");
        assert!(!app.status().unlocked);
        Vault::open(&dir).unwrap().unlock(&theirs).unwrap();
    }

    #[test]
    fn settings_from_the_form_are_saved_and_applied_and_a_bad_form_changes_nothing() {
        let (tmp, mut s) = session();
        let path = tmp.path().join("settings.json");
        let form = |m: &str| SettingsForm {
            auto_lock_minutes: m.into(),
        };
        let saved = s.save_settings(&form(" 12 "), &path).unwrap();
        assert_eq!(saved.auto_lock_minutes, 12);
        assert_eq!(Settings::load(&path), saved);
        assert_eq!(s.status().auto_lock_minutes, 12);
        for bad in ["", "abc", "-1", "2000"] {
            let e = s.save_settings(&form(bad), &path).unwrap_err();
            assert_eq!(e.field(), Some("auto_lock_minutes"), "{bad:?}");
            assert_eq!(Settings::load(&path), saved, "{bad:?}");
            assert_eq!(s.status().auto_lock_minutes, 12, "{bad:?}");
        }
    }

    #[test]
    fn it_locks_after_the_idle_time_and_not_before() {
        let (_tmp, mut s) = session();
        let start = Instant::now();
        assert!(!s.lock_if_idle(start + Duration::from_secs(299)));
        assert!(s.status().unlocked);
        assert!(s.lock_if_idle(start + Duration::from_secs(301)));
        assert!(!s.status().unlocked);
        assert_eq!(s.vault().unwrap_err().code(), "vault.locked");
    }

    /// Pretend the last activity was `secs` seconds ago.
    fn idle_for(s: &mut Session, secs: u64) {
        s.last_activity = Instant::now()
            .checked_sub(Duration::from_secs(secs))
            .expect("the clock is past the machine's start");
    }

    #[test]
    fn activity_after_the_idle_time_locks_instead_of_reviving_the_keys() {
        let (_tmp, mut s) = session();
        idle_for(&mut s, 301);
        let err = s.touch().unwrap_err();
        assert_eq!(
            err.code(),
            "vault.locked",
            "a late keypress must not extend a lapsed session"
        );
        assert!(!s.status().unlocked);
        // Activity on the lock screen says it is locked, and stays locked.
        assert_eq!(s.touch().unwrap_err().code(), "vault.locked");
    }

    #[test]
    fn activity_in_time_postpones_the_lock() {
        let (_tmp, mut s) = session();
        idle_for(&mut s, 299);
        s.touch().unwrap();
        assert!(!s.lock_if_idle(Instant::now() + Duration::from_secs(200)));
        assert!(s.status().unlocked);
    }

    #[test]
    fn unattended_work_neither_postpones_the_lock_nor_outlives_it() {
        let (_tmp, mut s) = session();
        idle_for(&mut s, 200);
        s.vault_unattended().unwrap();
        // Still 200 s idle: 101 more and it locks.
        assert!(s.lock_if_idle(Instant::now() + Duration::from_secs(101)));
        let (_tmp, mut s) = session();
        idle_for(&mut s, 301);
        assert_eq!(s.vault_unattended().unwrap_err().code(), "vault.locked");
        assert!(!s.status().unlocked);
    }

    #[test]
    fn unlocking_after_a_long_idle_time_stays_unlocked() {
        let (_tmp, mut s) = session();
        idle_for(&mut s, 3_600);
        assert!(s.vault().is_err(), "an idle session locks on the next call");
        s.unlock(&SecretString::from("session passphrase")).unwrap();
        assert!(s.vault().is_ok(), "a fresh unlock counts as activity");
    }

    #[test]
    fn a_vault_made_elsewhere_is_adopted_only_where_the_session_opens() {
        let tmp = tempfile::tempdir().unwrap();
        let dir = tmp.path().join("v");
        let mut s = Session::new(&dir, 5);
        s.set_kdf_target(Duration::ZERO);
        let (at, kdf) = s.new_vault_params().unwrap();
        assert_eq!(at, dir);
        assert!(s.second_handle().is_err(), "locked: no handle");
        let pass = SecretString::from("session passphrase");
        let (elsewhere, _) = Vault::create(&tmp.path().join("other"), &pass, kdf.clone()).unwrap();
        assert!(s.adopt(elsewhere).is_err());
        assert!(!s.status().unlocked);
        let (made, _) = Vault::create(&at, &pass, kdf).unwrap();
        s.adopt(made).unwrap();
        assert!(s.status().unlocked);
        assert!(s.new_vault_params().is_err(), "a vault is there now");
        let second = s.second_handle().unwrap();
        assert_eq!(second.dir(), dir.as_path());
    }

    #[test]
    fn zero_minutes_means_never() {
        let (_tmp, mut s) = session();
        s.set_auto_lock_minutes(0);
        assert!(!s.lock_if_idle(Instant::now() + Duration::from_secs(86_400)));
        assert_eq!(s.status().auto_lock_minutes, 0);
    }

    #[test]
    fn wrong_passphrase_leaves_it_locked() {
        let (_tmp, mut s) = session();
        s.lock();
        let err = s
            .unlock(&SecretString::from("wrong passphrase"))
            .unwrap_err();
        assert_eq!(err.code(), "vault.wrong_passphrase");
        assert!(!s.status().unlocked);
        s.unlock(&SecretString::from("session passphrase")).unwrap();
        assert!(s.status().unlocked);
    }

    #[test]
    fn changing_the_passphrase_needs_the_current_one() {
        let (_tmp, mut s) = session();
        let err = s
            .change_passphrase(
                &SecretString::from("not current"),
                &SecretString::from("new passphrase"),
            )
            .unwrap_err();
        assert_eq!(err.code(), "vault.wrong_passphrase");
        s.change_passphrase(
            &SecretString::from("session passphrase"),
            &SecretString::from("new passphrase"),
        )
        .unwrap();
        s.lock();
        s.unlock(&SecretString::from("new passphrase")).unwrap();
    }
}
