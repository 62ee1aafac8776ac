// Presentation helpers: how things are shown and how form input becomes a
// call. No rules about the data live here; the core checks every value.
import type { CommandError, KindSpec, NewRecord, Record, RecordKind, RecordPatch } from "./bindings";

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
    case "vault.corrupt":
      return `The vault file is damaged: ${err.message ?? ""}`;
    default:
      return err?.message ?? String(e);
  }
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

/** How often a key or click tells the app the person is there: well inside
 *  the shortest auto-lock time (1 minute), so typing never lets it lapse. */
export const ACTIVITY_REPORT_MS = 10_000;

/** A typed number of minutes, or null when the field is not a whole
 *  number (an empty field is not 0, which would mean "never lock"). */
export function parseMinutes(text: string): number | null {
  const t = text.trim();
  return /^\d{1,6}$/.test(t) ? Number(t) : null;
}

export type Shortcut = "search" | "lock" | "new-record";

/** Ctrl+F search, Ctrl+L lock, Ctrl+N new record (Cmd on macOS). */
export function shortcutFor(e: Pick<KeyboardEvent, "key" | "ctrlKey" | "metaKey" | "altKey" | "shiftKey">): Shortcut | null {
  if (!(e.ctrlKey || e.metaKey) || e.altKey || e.shiftKey) return null;
  switch (e.key.toLowerCase()) {
    case "f":
      return "search";
    case "l":
      return "lock";
    case "n":
      return "new-record";
    default:
      return null;
  }
}

/** Call `fn` at most once per `ms`. */
export function throttle(fn: () => void, ms: number, now: () => number = Date.now): () => void {
  let last = -Infinity;
  return () => {
    const t = now();
    if (t - last >= ms) {
      last = t;
      fn();
    }
  };
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
