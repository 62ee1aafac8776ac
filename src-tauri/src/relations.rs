//! The commands of the person's relations with brands: terms, shares and
//! exposure, data-rights requests, contact-rule violations and the activity
//! log. As in `commands`: the state and the arguments, one core call, the
//! error mapped. Files the brand receives or sends are chosen with
//! [`choose_file`]; the commands read or write exactly the path given.

use std::path::{Path, PathBuf};

use serde::Deserialize;
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
use crate::error::{CommandError, CommandResult};

// ---- choosing files --------------------------------------------------------

/// Which file the person is asked for; each has its title, filter and
/// suggested name.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, specta::Type)]
#[serde(rename_all = "kebab-case")]
pub enum FileChoice {
    /// Where to save signed terms for a brand.
    TermsOut,
    /// A brand's signed answer to the person's terms.
    AnswerIn,
    /// Where to save an encrypted share bundle.
    ShareOut,
    /// Where to save a share's revocation.
    RevocationOut,
    /// A brand's signed acknowledgment of erasure.
    AcknowledgmentIn,
    /// Where to save a signed data-rights request.
    RightsRequestOut,
    /// A folder for the revocations of "revoke everywhere".
    RevocationsFolder,
}

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

/// Ask the person for a file or folder. `None` when cancelled.
#[tauri::command]
#[specta::specta]
pub async fn choose_file(
    app: tauri::AppHandle,
    state: State<'_, AppState>,
    choice: FileChoice,
) -> CommandResult<Option<String>> {
    let (ask, title, name) = choice.dialog();
    if let Some(p) = dialog_answer(&state, name) {
        return Ok(Some(p.display().to_string()));
    }
    let mut dialog = app.dialog().file().set_title(title);
    if let Some(n) = name {
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
    match picked {
        None => Ok(None),
        Some(p) => p
            .into_path()
            .map(|p| Some(p.display().to_string()))
            .map_err(|e| CommandError::new("app.dialog", e.to_string())),
    }
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

/// Sign a version for a brand and write it to `path`.
#[tauri::command]
#[specta::specta]
pub async fn terms_export(
    state: State<'_, AppState>,
    version: String,
    brand: String,
    path: String,
) -> CommandResult<TermsRef> {
    Ok(session(&state)?
        .vault()?
        .terms()
        .issue_to(&version, &brand, Path::new(&path))?)
}

#[tauri::command]
#[specta::specta]
pub async fn terms_import(state: State<'_, AppState>, path: String) -> CommandResult<Agreement> {
    Ok(session(&state)?
        .vault()?
        .terms()
        .import_agreement_file(Path::new(&path))?)
}

#[tauri::command]
#[specta::specta]
pub async fn terms_status(state: State<'_, AppState>) -> CommandResult<Vec<BrandTermsStatus>> {
    Ok(session(&state)?.vault()?.terms().status()?)
}

// ---- shares and exposure ---------------------------------------------------

/// Share records with a brand; the encrypted bundle is written to `path`.
#[tauri::command]
#[specta::specta]
pub async fn share_create(
    state: State<'_, AppState>,
    request: ShareRequest,
    path: String,
) -> CommandResult<Share> {
    Ok(session(&state)?
        .vault()?
        .shares()
        .create(&request, Path::new(&path))?)
}

#[tauri::command]
#[specta::specta]
pub async fn shares_list(
    state: State<'_, AppState>,
    brand: Option<String>,
) -> CommandResult<Vec<ShareView>> {
    Ok(session(&state)?.vault()?.shares().list(brand.as_deref())?)
}

/// Revoke a share; the signed revocation is written to `path`.
#[tauri::command]
#[specta::specta]
pub async fn share_revoke(
    state: State<'_, AppState>,
    id: String,
    reason: Option<String>,
    path: String,
) -> CommandResult<Share> {
    Ok(session(&state)?
        .vault()?
        .shares()
        .revoke(&id, reason.as_deref(), Path::new(&path))?)
}

#[tauri::command]
#[specta::specta]
pub async fn share_import_ack(state: State<'_, AppState>, path: String) -> CommandResult<Share> {
    Ok(session(&state)?
        .vault()?
        .shares()
        .import_acknowledgment_file(Path::new(&path))?)
}

#[tauri::command]
#[specta::specta]
pub async fn exposure(state: State<'_, AppState>) -> CommandResult<Vec<ExposureItem>> {
    Ok(session(&state)?.vault()?.shares().exposure()?)
}

/// Revoke every live share of a data item; one revocation per share in `dir`.
#[tauri::command]
#[specta::specta]
pub async fn exposure_revoke_item(
    state: State<'_, AppState>,
    item: String,
    dir: String,
) -> CommandResult<Vec<Written>> {
    Ok(session(&state)?
        .vault()?
        .shares()
        .revoke_item(&item, Path::new(&dir))?)
}

// ---- data-rights requests --------------------------------------------------

#[tauri::command]
#[specta::specta]
pub async fn rights_kinds() -> CommandResult<Vec<RightInfo>> {
    Ok(rights::right_infos())
}

/// Make a request; with `path`, the signed request is written there too.
#[tauri::command]
#[specta::specta]
pub async fn rights_create(
    state: State<'_, AppState>,
    brand: String,
    right: Right,
    sent_on: chrono::NaiveDate,
    details: Option<String>,
    path: Option<String>,
) -> CommandResult<NewRightsRequest> {
    Ok(session(&state)?.vault()?.rights().create_to(
        &brand,
        right,
        sent_on,
        details.as_deref(),
        path.as_deref().map(|p| OutFile::from(Path::new(p))),
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
