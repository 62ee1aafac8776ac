// How sync is shown: the last sync, what a sync did, a record's history of
// merged-away values, and which device logged an entry. The core decides
// everything (what can be restored or revoked, what conflicted); this only
// words it. Instants are shown in UTC, as everywhere (dates.ts).
import type { DeviceLogEntry, HistoryEntry, SyncOutcome, SyncReport } from "./bindings";
import { errorText } from "./format";

/** Milliseconds since the epoch as "YYYY-MM-DD HH:MM" (UTC). */
export function minuteOfMs(ms: number): string {
  return new Date(ms).toISOString().slice(0, 16).replace("T", " ");
}

/** "never", "just now", "5 minutes ago", "3 hours ago", else the minute (UTC). */
export function lastSyncText(ms: number | null | undefined, now: number = Date.now()): string {
  if (ms === null || ms === undefined) return "never";
  const ago = Math.max(0, now - ms);
  const minutes = Math.floor(ago / 60_000);
  if (minutes < 1) return "just now";
  if (minutes < 60) return minutes === 1 ? "1 minute ago" : `${minutes} minutes ago`;
  const hours = Math.floor(minutes / 60);
  if (hours < 24) return hours === 1 ? "1 hour ago" : `${hours} hours ago`;
  return minuteOfMs(ms);
}

function count(n: number, one: string, many: string): string {
  return `${n} ${n === 1 ? one : many}`;
}

/** What a sync did, in a line. */
export function reportText(r: SyncReport): string {
  const parts = [
    `sent ${count(r.rows_sent, "change", "changes")}`,
    `received ${count(r.rows_changed, "change", "changes")}`,
  ];
  if (r.fields_merged > 0) parts.push(`${count(r.fields_merged, "field", "fields")} merged`);
  if (r.conflicts_kept > 0) parts.push(`${count(r.conflicts_kept, "conflicting value", "conflicting values")} kept in history`);
  let text = parts.join(", ");
  text = text.charAt(0).toUpperCase() + text.slice(1) + ".";
  if (r.waiting.length > 0) text += ` Waiting for ${count(r.waiting.length, "device", "devices")} whose changes have not all arrived.`;
  if (r.refused.length > 0) text += ` ${count(r.refused.length, "object was", "objects were")} refused and not applied.`;
  return text;
}

/** A background sync's outcome, in a line. */
export function outcomeText(o: SyncOutcome): string {
  if (o.error) return `Sync failed: ${errorText(o.error)}`;
  if (o.report) return reportText(o.report);
  return "Synced.";
}

/** The notice after a background sync brought changes, or null when there is nothing to say. */
export function syncNotice(o: SyncOutcome): string | null {
  const changed = o.report?.rows_changed ?? 0;
  if (changed === 0) return null;
  return `Synced: ${count(changed, "change", "changes")} from your other devices.`;
}

/** A history entry's field as shown: `fields/price` → "price". */
export function historyField(e: HistoryEntry): string {
  return e.field.startsWith("fields/") ? e.field.slice("fields/".length) : e.field;
}

/** A history entry's value as shown: the text for a text value, "(empty)" for an absent field. */
export function historyValue(e: HistoryEntry): string {
  if (e.value === null) return "(empty)";
  try {
    const v: unknown = JSON.parse(e.value);
    return typeof v === "string" ? v : e.value;
  } catch {
    return e.value;
  }
}

/** Whether the activity log spans several devices (then each entry shows its device). */
export function manyDevices(entries: DeviceLogEntry[]): boolean {
  return entries.some((e) => e.device !== undefined && e.device !== null);
}

/** The device that logged an entry: its name, "this device" for this one. */
export function deviceOf(e: DeviceLogEntry): string {
  if (e.device === undefined || e.device === null) return "this device";
  return e.device_name ?? `device ${e.device.slice(0, 8)}`;
}
