import { describe, expect, it } from "vitest";
import type { DeviceLogEntry, HistoryEntry, SyncReport } from "../src/bindings";
import {
  deviceOf,
  historyField,
  historyValue,
  lastSyncText,
  manyDevices,
  minuteOfMs,
  outcomeText,
  reportText,
  syncNotice,
} from "../src/sync_format";

const report = (r: Partial<SyncReport> = {}): SyncReport => ({
  pushed: 0,
  rows_sent: 0,
  pulled: 0,
  rows_changed: 0,
  fields_merged: 0,
  conflicts_kept: 0,
  waiting: [],
  refused: [],
  ignored_from_revoked: 0,
  ...r,
});

const entry = (e: Partial<HistoryEntry>): HistoryEntry => ({
  version: 1,
  field: "fields/price",
  value: '"20.00"',
  at_ms: Date.UTC(2026, 0, 2, 3, 4),
  can_restore: true,
  ...e,
});

const logEntry = (device?: string, device_name?: string): DeviceLogEntry =>
  ({ seq: 1, at: "2026-01-02T03:04:05Z", action: "vault-created", brand: null, summary: "", prev: "", device, device_name }) as unknown as DeviceLogEntry;

describe("the last sync", () => {
  const now = Date.UTC(2026, 4, 6, 12, 0);
  it("says never, just now, minutes and hours ago, then the minute in UTC", () => {
    expect(lastSyncText(null, now)).toBe("never");
    expect(lastSyncText(undefined, now)).toBe("never");
    expect(lastSyncText(now - 10_000, now)).toBe("just now");
    expect(lastSyncText(now + 5_000, now)).toBe("just now");
    expect(lastSyncText(now - 60_000, now)).toBe("1 minute ago");
    expect(lastSyncText(now - 5 * 60_000, now)).toBe("5 minutes ago");
    expect(lastSyncText(now - 60 * 60_000, now)).toBe("1 hour ago");
    expect(lastSyncText(now - 3 * 3_600_000, now)).toBe("3 hours ago");
    expect(lastSyncText(now - 2 * 86_400_000, now)).toBe("2026-05-04 12:00");
    expect(minuteOfMs(Date.UTC(2026, 0, 2, 3, 4, 59))).toBe("2026-01-02 03:04");
  });
});

describe("what a sync did", () => {
  it("counts what went and came, merges and conflicts", () => {
    expect(reportText(report())).toBe("Sent 0 changes, received 0 changes.");
    expect(reportText(report({ rows_sent: 1, rows_changed: 2, fields_merged: 3, conflicts_kept: 1 }))).toBe(
      "Sent 1 change, received 2 changes, 3 fields merged, 1 conflicting value kept in history.",
    );
    expect(reportText(report({ waiting: ["d1"], refused: ["a", "b"] }))).toBe(
      "Sent 0 changes, received 0 changes. Waiting for 1 device whose changes have not all arrived. 2 objects were refused and not applied.",
    );
  });

  it("says a failure by its error, and a notice only for changes received", () => {
    const failed = { at_ms: 1, report: null, error: { code: "sync.store", field: null, message: "folder /x is not there" } };
    expect(outcomeText(failed)).toBe("Sync failed: folder /x is not there");
    expect(outcomeText({ at_ms: 1, report: report({ rows_sent: 2 }), error: null })).toBe("Sent 2 changes, received 0 changes.");
    expect(syncNotice(failed)).toBeNull();
    expect(syncNotice({ at_ms: 1, report: report({ rows_sent: 2 }), error: null })).toBeNull();
    expect(syncNotice({ at_ms: 1, report: report({ rows_changed: 1 }), error: null })).toBe(
      "Synced: 1 change from your other devices.",
    );
  });
});

describe("a record's history", () => {
  it("shows a field's name and its value as text", () => {
    expect(historyField(entry({}))).toBe("price");
    expect(historyField(entry({ field: "tags" }))).toBe("tags");
    expect(historyValue(entry({}))).toBe("20.00");
    expect(historyValue(entry({ value: null }))).toBe("(empty)");
    expect(historyValue(entry({ value: '["a","b"]' }))).toBe('["a","b"]');
    expect(historyValue(entry({ value: "not json" }))).toBe("not json");
  });
});

describe("the activity log across devices", () => {
  it("shows devices only when another device logged something", () => {
    expect(manyDevices([logEntry(), logEntry()])).toBe(false);
    expect(manyDevices([logEntry(), logEntry("0123456789abcdef", "desktop")])).toBe(true);
    expect(deviceOf(logEntry())).toBe("this device");
    expect(deviceOf(logEntry("0123456789abcdef", "desktop"))).toBe("desktop");
    expect(deviceOf(logEntry("0123456789abcdef"))).toBe("device 01234567");
  });
});
