// Typed calls to the app's commands. The types come from the Rust side
// (bindings.ts is generated); this file only names the calls.
import { Channel, invoke } from "@tauri-apps/api/core";
import type {
  Brand,
  BrandInput,
  BrandPage,
  CommandError,
  ExportSummary,
  ImportProgress,
  ImportSummary,
  KindSpec,
  NewRecord,
  Record,
  RecordFilter,
  RecordPatch,
  SearchItem,
  SessionStatus,
  Settings,
  VaultInfo,
} from "./bindings";
import type { Delivery, Intent, IntentInput, IntentView, Offer, OfferView } from "./bindings";

/** Every failed call rejects with a CommandError ({code, message}). */
export function isCommandError(e: unknown): e is CommandError {
  return typeof e === "object" && e !== null && "code" in e && "message" in e;
}

async function call<T>(cmd: string, args?: { [key: string]: unknown }): Promise<T> {
  try {
    return await invoke<T>(cmd, args);
  } catch (e) {
    if (isCommandError(e)) throw e;
    throw { code: "app.ipc", message: String(e) } satisfies CommandError;
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
  intents: () => call<IntentView[]>("intents_list"),
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
