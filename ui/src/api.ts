// Typed calls to the app's commands. The types come from the Rust side
// (bindings.ts is generated); this file only names the calls.
import { Channel, invoke } from "@tauri-apps/api/core";
import type {
  Agreement,
  AuditLog,
  AuditReport,
  Brand,
  BrandInput,
  BrandPage,
  BrandTermsStatus,
  BrandViolations,
  Clauses,
  CommandError,
  ExportSummary,
  ExposureItem,
  FileChoice,
  ImportProgress,
  ImportSummary,
  KindSpec,
  NewRecord,
  NewRightsRequest,
  Record,
  RecordFilter,
  RecordPatch,
  RequestStatus,
  Right,
  RightInfo,
  RightsRequest,
  RightsRequestView,
  SearchItem,
  SessionStatus,
  Settings,
  Share,
  ShareRequest,
  ShareView,
  Template,
  TermsOptions,
  TermsPreview,
  TermsRef,
  TermsVersion,
  VaultInfo,
  Written,
} from "./bindings";
import type { Delivery, Intent, IntentForm, IntentInput, IntentView, Offer, OfferView } from "./bindings";

/** Every failed call rejects with a CommandError ({code, field, message}). */
export function isCommandError(e: unknown): e is CommandError {
  return typeof e === "object" && e !== null && "code" in e && "message" in e;
}

let lockedListener: () => void = () => undefined;

/** Run `listener` whenever a call finds the vault locked: it may have locked
 *  itself (idle time) between the app's checks, and the page must not keep
 *  showing what it decrypted. */
export function whenLocked(listener: () => void): void {
  lockedListener = listener;
}

async function call<T>(cmd: string, args?: { [key: string]: unknown }): Promise<T> {
  try {
    return await invoke<T>(cmd, args);
  } catch (e) {
    if (isCommandError(e)) {
      if (e.code === "vault.locked") lockedListener();
      throw e;
    }
    throw { code: "app.ipc", field: null, message: String(e) } satisfies CommandError;
  }
}

export const emptyFilter: RecordFilter = { brand: null, kind: null, tags: [], since: null, until: null };

export const api = {
  status: () => call<SessionStatus>("app_status"),
  create: (passphrase: string) => call<string>("vault_create", { passphrase }),
  unlock: (passphrase: string) => call<void>("vault_unlock", { passphrase }),
  recover: (code: string, newPassphrase: string) => call<string>("vault_recover", { code, newPassphrase }),
  lock: () => call<void>("vault_lock"),
  changePassphrase: (current: string, newPassphrase: string) =>
    call<void>("vault_change_passphrase", { current, newPassphrase }),
  info: () => call<VaultInfo>("vault_info"),
  activity: () => call<void>("activity"),
  kindSpecs: () => call<KindSpec[]>("kind_specs"),
  brands: () => call<Brand[]>("brands_list"),
  brandPage: (id: string) => call<BrandPage>("brand_page", { id }),
  addBrand: (input: BrandInput) => call<Brand>("brand_add", { input }),
  updateBrand: (id: string, input: BrandInput) => call<Brand>("brand_update", { id, input }),
  deleteBrand: (id: string) => call<number>("brand_delete", { id }),
  records: (filter: RecordFilter) => call<Record[]>("records_list", { filter }),
  record: (id: string) => call<Record>("record_get", { id }),
  addRecord: (record: NewRecord) => call<Record>("record_add", { record }),
  updateRecord: (id: string, patch: RecordPatch) => call<Record>("record_update", { id, patch }),
  deleteRecord: (id: string) => call<void>("record_delete", { id }),
  search: (query: string, filter: RecordFilter = emptyFilter) => call<SearchItem[]>("search", { query, filter }),
  chooseImportFile: () => call<string | null>("choose_import_file"),
  chooseExportFile: () => call<string | null>("choose_export_file"),
  importFile: (path: string, onProgress: (p: ImportProgress) => void) => {
    const channel = new Channel<ImportProgress>();
    channel.onmessage = onProgress;
    return call<ImportSummary>("import_file", { path, onProgress: channel });
  },
  exportBackup: (path: string, recipient: string | null, passphrase: string | null) =>
    call<ExportSummary>("export_backup", { path, recipient, passphrase }),
  settings: () => call<Settings>("settings_get"),
  saveSettings: (settings: Settings) => call<void>("settings_set", { settings }),

  /** Ask for a file (or folder) through the dialog; null when cancelled. */
  chooseFile: (choice: FileChoice) => call<string | null>("choose_file", { choice }),

  termsOptions: () => call<TermsOptions>("terms_options"),
  termsPreview: (template: Template, title: string, clauses: Clauses) =>
    call<TermsPreview>("terms_preview", { template, title, clauses }),
  createTerms: (template: Template, title: string, clauses: Clauses) =>
    call<TermsVersion>("terms_create", { template, title, clauses }),
  termsVersions: () => call<TermsVersion[]>("terms_versions"),
  exportTerms: (version: string, brand: string, path: string) =>
    call<TermsRef>("terms_export", { version, brand, path }),
  importAnswer: (path: string) => call<Agreement>("terms_import", { path }),
  termsStatus: () => call<BrandTermsStatus[]>("terms_status"),

  createShare: (request: ShareRequest, path: string) => call<Share>("share_create", { request, path }),
  shares: (brand: string | null = null) => call<ShareView[]>("shares_list", { brand }),
  revokeShare: (id: string, reason: string | null, path: string) =>
    call<Share>("share_revoke", { id, reason, path }),
  importAcknowledgment: (path: string) => call<Share>("share_import_ack", { path }),
  exposure: () => call<ExposureItem[]>("exposure"),
  revokeItem: (item: string, dir: string) => call<Written[]>("exposure_revoke_item", { item, dir }),

  rightsKinds: () => call<RightInfo[]>("rights_kinds"),
  createRightsRequest: (brand: string, right: Right, sentOn: string, details: string | null, path: string | null) =>
    call<NewRightsRequest>("rights_create", { brand, right, sentOn, details, path }),
  rightsRequests: () => call<RightsRequestView[]>("rights_list"),
  updateRightsRequest: (id: string, status: RequestStatus | null, reason: string | null, extended: boolean | null) =>
    call<RightsRequest>("rights_update", { id, status, reason, extended }),
  rightsLetter: (id: string, followUp: boolean) => call<string>("rights_letter", { id, followUp }),

  contactViolations: () => call<BrandViolations[]>("contact_violations"),
  auditLog: () => call<AuditLog>("audit_log"),
  verifyAudit: () => call<AuditReport>("audit_verify"),
  intents: () => call<IntentView[]>("intents_list"),
  /** The compose form → the intent to make, or the core's error (nothing is written). */
  checkIntent: (form: IntentForm) => call<IntentInput>("intent_check", { form }),
  createIntent: (input: IntentInput) => call<Intent>("intent_create", { input }),
  sendIntent: (id: string, outDir: string | null) => call<Delivery[]>("intent_send", { id, outDir }),
  withdrawIntent: (id: string, outDir: string | null) => call<Delivery[]>("intent_withdraw", { id, outDir }),
  offers: (intent: string | null) => call<OfferView[]>("offers_list", { intent }),
  importOffer: (path: string) => call<OfferView>("offer_import", { path }),
  acceptOffer: (id: string, path: string) => call<Offer>("offer_accept", { id, path }),
  declineOffer: (id: string) => call<Offer>("offer_decline", { id }),
  chooseOfferFile: () => call<string | null>("choose_offer_file"),
  chooseAcceptanceFile: () => call<string | null>("choose_acceptance_file"),
  chooseIntentFolder: () => call<string | null>("choose_intent_folder"),
};
