//! The commands of the person's relations with brands: terms, shares and
//! exposure, data-rights requests, contact-rule violations and the activity
//! log. As in `commands`: the state and the arguments, one core call, the
//! error mapped. Files the brand receives or sends are chosen with
//! [`choose_file`], which hands the page a single-use token for the dialog's
//! answer (`files.rs`); the commands take the token, never a path.

use std::path::PathBuf;

use tauri::State;
use tauri_plugin_dialog::DialogExt;

use vrm_vault::rights::requests::{
    BrandViolations, NewRightsRequest, RightsRequest, RightsRequestView,
};
use vrm_vault::rights::{self, RequestStatus, Right, RightInfo};
use vrm_vault::share::{ExposureItem, Share, ShareRequest, ShareView, Written};
use vrm_vault::terms::agreement::{Agreement, BrandTermsStatus, TermsRef, TermsVersion};
use vrm_vault::terms::{self, TermsForm, TermsOptions, TermsPreview};
use vrm_vault::vault::audit::{AuditLog, AuditReport};
use vrm_vault::vault::fs::OutFile;

use crate::AppState;
use crate::commands::session;
use crate::error::CommandResult;
pub use crate::files::FileChoice;
use crate::files::{Chosen, Purpose, chosen, picked_paths};

// ---- choosing files --------------------------------------------------------

enum Ask {
    Save,
    Open,
    Folder,
}

impl FileChoice {
    /// What the dialog does, its title, and the suggested file name (also the
    /// name answered under `VRM_E2E_DIALOG_DIR`; none for a folder).
    fn dialog(self) -> (Ask, &'static str, Option<&'static str>) {
        match self {
            FileChoice::TermsOut => (
                Ask::Save,
                "Save your signed terms for the brand",
                Some("personal-terms.json"),
            ),
            FileChoice::AnswerIn => (
                Ask::Open,
                "Open the brand's answer to your terms",
                Some("terms-answer.json"),
            ),
            FileChoice::ShareOut => (
                Ask::Save,
                "Save the encrypted share for the brand",
                Some("share.age"),
            ),
            FileChoice::RevocationOut => (
                Ask::Save,
                "Save the revocation for the brand",
                Some("revocation.json"),
            ),
            FileChoice::AcknowledgmentIn => (
                Ask::Open,
                "Open the brand's acknowledgment of erasure",
                Some("acknowledgment.json"),
            ),
            FileChoice::RightsRequestOut => (
                Ask::Save,
                "Save the signed request for the brand",
                Some("rights-request.json"),
            ),
            FileChoice::RevocationsFolder => {
                (Ask::Folder, "Choose a folder for the revocations", None)
            }
            // Named only for end-to-end tests (a folder of that name in
            // VRM_E2E_DIALOG_DIR): a dialog for a folder suggests none.
            FileChoice::SyncFolder => (
                Ask::Folder,
                "Choose the folder to sync through",
                Some("sync"),
            ),
            FileChoice::InvitationOut => (
                Ask::Save,
                "Save the invitation for your new device",
                Some("vault-invitation.json"),
            ),
            FileChoice::InvitationIn => (
                Ask::Open,
                "Open the invitation from your other device",
                Some("vault-invitation.json"),
            ),
        }
    }
}

/// The answer end-to-end tests give instead of a dialog: under
/// `VRM_E2E_DIALOG_DIR`, the suggested name in that folder (the folder itself
/// when a folder is asked for); else `VRM_E2E_DIALOG_PATH` as it is. `None`
/// in production.
pub(crate) fn dialog_answer(state: &AppState, name: Option<&str>) -> Option<PathBuf> {
    match (&state.dialog_dir, name) {
        (Some(dir), Some(n)) => Some(dir.join(n)),
        (Some(dir), None) => Some(dir.clone()),
        (None, _) => state.dialog_override.clone(),
    }
}

/// Ask the person for a file or folder: a token for the answer, good once
/// for `choice` alone, and its name to show. `None` when cancelled.
#[tauri::command]
#[specta::specta]
pub async fn choose_file(
    app: tauri::AppHandle,
    state: State<'_, AppState>,
    choice: FileChoice,
) -> CommandResult<Option<Chosen>> {
    let (ask, title, name) = choice.dialog();
    let purpose = Purpose::File(choice);
    if let Some(p) = dialog_answer(&state, name) {
        return chosen(&state, purpose, Ok(vec![p]));
    }
    let mut dialog = app.dialog().file().set_title(title);
    if let Some(n) = name.filter(|_| !matches!(ask, Ask::Folder)) {
        let (label, ext) = if n.ends_with(".age") {
            ("age file", "age")
        } else {
            ("JSON document", "json")
        };
        dialog = dialog.add_filter(label, &[ext]);
        if matches!(ask, Ask::Save) {
            dialog = dialog.set_file_name(n);
        }
    }
    let picked = match ask {
        Ask::Save => dialog.blocking_save_file(),
        Ask::Open => dialog.blocking_pick_file(),
        Ask::Folder => dialog.blocking_pick_folder(),
    };
    chosen(&state, purpose, picked_paths(picked.map(|p| vec![p])))
}

/// The path of a token `choose_file` issued for `choice`.
pub(crate) fn chosen_path(
    state: &AppState,
    token: &str,
    choice: FileChoice,
) -> CommandResult<PathBuf> {
    Ok(state.choices.take_one(token, Purpose::File(choice))?)
}

/// The person's calendar day, for deadlines.
fn today() -> chrono::NaiveDate {
    chrono::Local::now().date_naive()
}

// ---- terms -----------------------------------------------------------------

#[tauri::command]
#[specta::specta]
pub async fn terms_options() -> CommandResult<TermsOptions> {
    Ok(terms::options())
}

/// The text the editor's terms would have, and what the core would refuse
/// in them; an error naming the field when a number is not one.
#[tauri::command]
#[specta::specta]
pub async fn terms_preview(form: TermsForm) -> CommandResult<TermsPreview> {
    Ok(form.preview()?)
}

/// Save the editor's terms as a new version; an error names the editor's
/// field.
#[tauri::command]
#[specta::specta]
pub async fn terms_create(
    state: State<'_, AppState>,
    form: TermsForm,
) -> CommandResult<TermsVersion> {
    Ok(session(&state)?.vault()?.terms().create_from_form(&form)?)
}

#[tauri::command]
#[specta::specta]
pub async fn terms_versions(state: State<'_, AppState>) -> CommandResult<Vec<TermsVersion>> {
    Ok(session(&state)?.vault()?.terms().versions()?)
}

/// Sign a version for a brand and write it to the file chosen for
/// `terms-out` (`file`: its token).
#[tauri::command]
#[specta::specta]
pub async fn terms_export(
    state: State<'_, AppState>,
    version: String,
    brand: String,
    file: String,
) -> CommandResult<TermsRef> {
    let path = chosen_path(&state, &file, FileChoice::TermsOut)?;
    Ok(session(&state)?
        .vault()?
        .terms()
        .issue_to(&version, &brand, &path)?)
}

/// Import the brand's answer chosen for `answer-in` (`file`: its token).
#[tauri::command]
#[specta::specta]
pub async fn terms_import(state: State<'_, AppState>, file: String) -> CommandResult<Agreement> {
    let path = chosen_path(&state, &file, FileChoice::AnswerIn)?;
    Ok(session(&state)?
        .vault()?
        .terms()
        .import_agreement_file(&path)?)
}

#[tauri::command]
#[specta::specta]
pub async fn terms_status(state: State<'_, AppState>) -> CommandResult<Vec<BrandTermsStatus>> {
    Ok(session(&state)?.vault()?.terms().status()?)
}

// ---- shares and exposure ---------------------------------------------------

/// Share records with a brand; the encrypted bundle is written to the file
/// chosen for `share-out` (`file`: its token).
#[tauri::command]
#[specta::specta]
pub async fn share_create(
    state: State<'_, AppState>,
    request: ShareRequest,
    file: String,
) -> CommandResult<Share> {
    let path = chosen_path(&state, &file, FileChoice::ShareOut)?;
    Ok(session(&state)?.vault()?.shares().create(&request, &path)?)
}

#[tauri::command]
#[specta::specta]
pub async fn shares_list(
    state: State<'_, AppState>,
    brand: Option<String>,
) -> CommandResult<Vec<ShareView>> {
    Ok(session(&state)?.vault()?.shares().list(brand.as_deref())?)
}

/// Revoke a share; the signed revocation is written to the file chosen for
/// `revocation-out` (`file`: its token).
#[tauri::command]
#[specta::specta]
pub async fn share_revoke(
    state: State<'_, AppState>,
    id: String,
    reason: Option<String>,
    file: String,
) -> CommandResult<Share> {
    let path = chosen_path(&state, &file, FileChoice::RevocationOut)?;
    Ok(session(&state)?
        .vault()?
        .shares()
        .revoke(&id, reason.as_deref(), &path)?)
}

/// Import the acknowledgment chosen for `acknowledgment-in` (`file`: its
/// token).
#[tauri::command]
#[specta::specta]
pub async fn share_import_ack(state: State<'_, AppState>, file: String) -> CommandResult<Share> {
    let path = chosen_path(&state, &file, FileChoice::AcknowledgmentIn)?;
    Ok(session(&state)?
        .vault()?
        .shares()
        .import_acknowledgment_file(&path)?)
}

#[tauri::command]
#[specta::specta]
pub async fn exposure(state: State<'_, AppState>) -> CommandResult<Vec<ExposureItem>> {
    Ok(session(&state)?.vault()?.shares().exposure()?)
}

/// Revoke every live share of a data item; one revocation per share in the
/// folder chosen for `revocations-folder` (`folder`: its token).
#[tauri::command]
#[specta::specta]
pub async fn exposure_revoke_item(
    state: State<'_, AppState>,
    item: String,
    folder: String,
) -> CommandResult<Vec<Written>> {
    let dir = chosen_path(&state, &folder, FileChoice::RevocationsFolder)?;
    Ok(session(&state)?
        .vault()?
        .shares()
        .revoke_item(&item, &dir)?)
}

// ---- data-rights requests --------------------------------------------------

#[tauri::command]
#[specta::specta]
pub async fn rights_kinds() -> CommandResult<Vec<RightInfo>> {
    Ok(rights::right_infos())
}

/// Make a request; with `file` (a token of `rights-request-out`), the
/// signed request is written to the file chosen too.
#[tauri::command]
#[specta::specta]
pub async fn rights_create(
    state: State<'_, AppState>,
    brand: String,
    right: Right,
    sent_on: chrono::NaiveDate,
    details: Option<String>,
    file: Option<String>,
) -> CommandResult<NewRightsRequest> {
    let path = file
        .map(|t| chosen_path(&state, &t, FileChoice::RightsRequestOut))
        .transpose()?;
    Ok(session(&state)?.vault()?.rights().create_to(
        &brand,
        right,
        sent_on,
        details.as_deref(),
        path.as_deref().map(OutFile::from),
    )?)
}

/// Every request with its clock as of today.
#[tauri::command]
#[specta::specta]
pub async fn rights_list(state: State<'_, AppState>) -> CommandResult<Vec<RightsRequestView>> {
    Ok(session(&state)?.vault()?.rights().list(today())?)
}

#[tauri::command]
#[specta::specta]
pub async fn rights_update(
    state: State<'_, AppState>,
    id: String,
    status: Option<RequestStatus>,
    reason: Option<String>,
    extended: Option<bool>,
) -> CommandResult<RightsRequest> {
    Ok(session(&state)?
        .vault()?
        .rights()
        .update(&id, status, reason.as_deref(), extended)?)
}

/// The request's letter, or with `follow_up` the letter chasing it.
#[tauri::command]
#[specta::specta]
pub async fn rights_letter(
    state: State<'_, AppState>,
    id: String,
    follow_up: bool,
) -> CommandResult<String> {
    Ok(session(&state)?
        .vault()?
        .rights()
        .letter(&id, follow_up, today())?)
}

// ---- contact rules and the activity log ------------------------------------

#[tauri::command]
#[specta::specta]
pub async fn contact_violations(state: State<'_, AppState>) -> CommandResult<Vec<BrandViolations>> {
    Ok(session(&state)?.vault()?.rights().contact_violations()?)
}

/// The activity log, checked as it is read.
#[tauri::command]
#[specta::specta]
pub async fn audit_log(state: State<'_, AppState>) -> CommandResult<AuditLog> {
    Ok(session(&state)?.vault()?.audit().read()?)
}

#[tauri::command]
#[specta::specta]
pub async fn audit_verify(state: State<'_, AppState>) -> CommandResult<AuditReport> {
    Ok(session(&state)?.vault()?.audit().verify()?)
}
