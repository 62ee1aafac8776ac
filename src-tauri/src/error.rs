//! The one error shape the UI sees: a stable `code` to switch on, the input
//! `field` it is about (if any) and a human `message`. Core messages never
//! carry secrets.

use serde::Serialize;

/// An error crossing to the UI.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, specta::Type)]
pub struct CommandError {
    /// Stable code, e.g. `vault.wrong_passphrase`.
    pub code: String,
    /// The input value the error is about, named as the core names it (see
    /// `vrm_vault::Error::field`: `name`, `budget_max`, `fields.email`,
    /// `contact.maxContacts`…), so a form can show the message beside it;
    /// `null` when it is about no one value.
    pub field: Option<String>,
    /// One line for a human.
    pub message: String,
}

impl From<vrm_vault::Error> for CommandError {
    fn from(e: vrm_vault::Error) -> Self {
        CommandError {
            code: e.code().to_string(),
            field: e.field().map(str::to_string),
            message: e.to_string(),
        }
    }
}

impl CommandError {
    pub(crate) fn new(code: &str, message: impl Into<String>) -> Self {
        CommandError {
            code: code.to_string(),
            field: None,
            message: message.into(),
        }
    }
}

/// What every command returns.
pub type CommandResult<T> = Result<T, CommandError>;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_core_error_crosses_as_code_field_and_message() {
        // Real errors of the core, not ones built here.
        let title = vrm_vault::terms::check_title("  ").unwrap_err();
        let json = serde_json::to_value(CommandError::from(title)).unwrap();
        assert_eq!(
            json,
            serde_json::json!({
                "code": "input.invalid",
                "field": "title",
                "message": "the terms need a title",
            })
        );
        // About no one value: the field is there, as null.
        let json = serde_json::to_value(CommandError::from(vrm_vault::Error::Locked)).unwrap();
        assert_eq!(
            json,
            serde_json::json!({"code": "vault.locked", "field": null, "message": "the vault is locked"})
        );
        let json = serde_json::to_value(CommandError::new("app.dialog", "no dialog")).unwrap();
        assert_eq!(
            json,
            serde_json::json!({"code": "app.dialog", "field": null, "message": "no dialog"})
        );
    }
}
