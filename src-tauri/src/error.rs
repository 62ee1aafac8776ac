//! The one error shape the UI sees: a stable `code` to switch on and a
//! human `message`. Core messages never carry secrets.

use serde::Serialize;

/// An error crossing to the UI.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, specta::Type)]
pub struct CommandError {
    /// Stable code, e.g. `vault.wrong_passphrase`.
    pub code: String,
    /// One line for a human.
    pub message: String,
}

impl From<vrm_vault::Error> for CommandError {
    fn from(e: vrm_vault::Error) -> Self {
        CommandError {
            code: e.code().to_string(),
            message: e.to_string(),
        }
    }
}

impl CommandError {
    pub(crate) fn new(code: &str, message: impl Into<String>) -> Self {
        CommandError {
            code: code.to_string(),
            message: message.into(),
        }
    }
}

/// What every command returns.
pub type CommandResult<T> = Result<T, CommandError>;
