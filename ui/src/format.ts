// Formatting: how errors, notices and records are shown, and how what is
// typed into a record form becomes a call. No rules about the data live
// here; the core checks every value. Dates: dates.ts; keys: keys.ts.
import type { CommandError, Health, KindSpec, NewRecord, Record, RecordKind, RecordPatch, RowFinding, VaultProblem } from "./bindings";

/** What to tell the person for an error, by its stable code. */
export function errorText(e: unknown): string {
  const err = e as Partial<CommandError> | undefined;
  switch (err?.code) {
    case "vault.wrong_passphrase":
      return "Wrong passphrase. Try again, or use your recovery code.";
    case "vault.wrong_recovery_code":
      return "That recovery code does not open this vault.";
    case "vault.locked":
      return "The vault is locked.";
    case "vault.damaged":
      // The core's message already says "the vault is damaged: <what>".
      return sentence(err.message ?? "The vault file is damaged.");
    default:
      return err?.message ?? String(e);
  }
}

/** `text` with its first letter upper case. */
function sentence(text: string): string {
  return text.charAt(0).toUpperCase() + text.slice(1);
}

/** An error as a form shows it: beside the form's own `field`, or in the
 *  form's general place when `field` is null. */
export type PlacedError<F extends string = string> = { field: F | null; text: string };

/** Where a form shows an error: beside the form's field for the value the
 *  core named (`at` maps the core's name, e.g. `budget_max`, `fields.email`
 *  or `contact.maxContacts`, to the form's; undefined when the form has no
 *  such field), else in the general place. The core decides what is wrong
 *  and where; the form only lays it out. */
export function placeError<F extends string>(e: unknown, at: (field: string) => F | null | undefined): PlacedError<F> {
  const field = (e as Partial<CommandError> | undefined)?.field;
  return { field: typeof field === "string" ? (at(field) ?? null) : null, text: errorText(e) };
}

/** `at` for a form whose fields have the core's names; `names` are the ones
 *  it shows. */
export function sameNames<F extends string>(names: readonly F[]): (field: string) => F | undefined {
  return (field) => names.find((n) => n === field);
}

/** What the unlock screen says after the vault locked itself, by the
 *  reason the app gives ("idle", "screen locked", "going to sleep"). */
export function lockNotice(reason: string): string {
  switch (reason) {
    case "idle":
      return "Locked after a period of inactivity.";
    case "screen locked":
      return "Locked because the screen locked.";
    case "going to sleep":
      return "Locked because the computer went to sleep.";
    default:
      return "The vault was locked.";
  }
}

/** A failed save of the auto-lock minutes as the Settings screen shows
 *  it: beside the field when the core names it (SettingsForm::check), else
 *  under it. The save changed nothing, and the field shows the saved value
 *  again, which the text says. */
export function autoLockError(e: unknown): PlacedError<"auto_lock_minutes"> {
  const placed = placeError(e, sameNames(["auto_lock_minutes"] as const));
  return { ...placed, text: `${placed.text}; nothing was changed` };
}

/** The field that best names a record in a list. */
export function recordTitle(r: Record): string {
  const f = r.fields;
  const pick = ["summary", "item", "plan", "text", "topic", "username", "email", "phone", "name"];
  for (const k of pick) {
    const v = f[k];
    if (v) return v;
  }
  const first = Object.entries(f).find(([k]) => k !== "date");
  return first ? `${first[0]}: ${first[1]}` : r.kind;
}

/** The date a record is about, as shown. */
export function recordDate(r: Record): string {
  return (r.fields["date"] ?? r.created_at).slice(0, 10);
}

/** Tags typed as "a, b c" → ["a", "b", "c"]. */
export function parseTags(text: string): string[] {
  return text
    .split(/[\s,;]+/)
    .map((t) => t.trim())
    .filter((t) => t.length > 0);
}

/** A form's values → the record to add (empty values left out). */
export function newRecordFrom(kind: RecordKind, brand: string, values: { [k: string]: string }, tags: string): NewRecord {
  const fields: { [k: string]: string } = {};
  for (const [k, v] of Object.entries(values)) {
    if (v.trim() !== "") fields[k] = v.trim();
  }
  return { kind, brand: brand || null, fields, tags: parseTags(tags) };
}

/** The changes between a record and the edited form, as a patch. */
export function patchFrom(
  original: Record,
  kind: RecordKind,
  brand: string,
  values: { [k: string]: string },
  tags: string,
): RecordPatch {
  const set: { [k: string]: string } = {};
  const remove: string[] = [];
  for (const [k, v] of Object.entries(values)) {
    const t = v.trim();
    if (t === "" && original.fields[k] !== undefined) remove.push(k);
    else if (t !== "" && original.fields[k] !== t) set[k] = t;
  }
  const newTags = parseTags(tags);
  const patch: RecordPatch = {
    kind: kind === original.kind ? null : kind,
    set,
    remove,
    add_tags: newTags.filter((t) => !(original.tags ?? []).includes(t)),
    remove_tags: (original.tags ?? []).filter((t) => !newTags.includes(t)),
  };
  // Absent: keep the brand; null: detach; an id: move.
  if ((original.brand ?? "") !== brand) patch.brand = brand === "" ? null : brand;
  return patch;
}

/** The form fields for a kind: its known fields, then any extra the record has. */
export function formFields(spec: KindSpec | undefined, record?: Record): string[] {
  const known = spec ? spec.fields.map((f) => f.name) : [];
  const extra = record ? Object.keys(record.fields).filter((k) => !known.includes(k)) : [];
  return [...known, ...extra];
}

/** What a health report says is wrong, in one line; null when nothing is. */
/** A problem with the vault as a whole, in words. */
export function vaultProblemText(p: VaultProblem): string {
  switch (p.kind) {
    case "rolled_back":
      return `this is an older copy of the vault than the one last opened here (counter ${p.found}, ${p.seen} seen)`;
    case "forked":
      return `this is another copy of the vault than the one last opened here (counter ${p.counter})`;
    case "manifest_missing":
      return "the vault's manifest is missing";
    case "manifest_damaged":
      return `the vault's manifest is damaged: ${p.reason}`;
    case "header_changed":
      return "the vault header (key wraps, KDF parameters) was changed outside VRM Vault";
  }
}

/** One row that differs from the manifest, in words. */
export function rowFindingText(r: RowFinding): string {
  const what = `${r.table} ${r.id}`;
  switch (r.problem.kind) {
    case "missing":
      return `${what} is missing (deleted outside VRM Vault)`;
    case "added":
      return `${what} was added outside VRM Vault`;
    case "rolled_back":
      return `${what} was put back to an older version (${r.problem.found}; the last written is ${r.problem.expected})`;
    case "unexpected":
      return `${what} has version ${r.problem.found}, which VRM Vault never wrote`;
  }
}

export function healthSummary(h: Health): string | null {
  const parts: string[] = [];
  const count = (n: number, one: string) => {
    if (n > 0) parts.push(`${n} ${one}${n === 1 ? "" : "s"}`);
  };
  count(h.damaged_brands.length, "damaged brand");
  count(h.damaged_records.length, "damaged record");
  count(h.damaged_documents.length, "damaged document");
  if (h.wal_residue_pending) parts.push("old pages still in the write-ahead log");
  for (const p of h.integrity.problems) parts.push(vaultProblemText(p));
  count(h.integrity.rows.length, "row that differs from the vault's manifest");
  return parts.length === 0 ? null : parts.join(", ");
}
