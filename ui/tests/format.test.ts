import { describe, expect, it } from "vitest";
import type { Record } from "../src/bindings";
import {
  autoLockError,
  errorText,
  healthSummary,
  rowFindingText,
  lockNotice,
  newRecordFrom,
  parseTags,
  patchFrom,
  placeError,
  recordTitle,
  sameNames,
} from "../src/format";
import { ACTIVITY_REPORT_MS, shortcutFor, throttle } from "../src/keys";
import { intentField } from "../src/intents_format";
import { shareField, termsField } from "../src/relations_format";

const key = (k: string, mods: Partial<KeyboardEvent> = {}) => ({
  key: k, ctrlKey: false, metaKey: false, altKey: false, shiftKey: false, ...mods,
});

const record: Record = {
  id: "r1",
  kind: "interaction",
  brand: "b1",
  fields: { channel: "call", direction: "inbound", date: "2026-03-01", summary: "asked about invoice" },
  tags: ["billing", "urgent"],
  created_at: "2026-03-02T10:00:00Z",
  updated_at: "2026-03-02T10:00:00Z",
};

describe("shortcuts", () => {
  it("maps Ctrl+F, Ctrl+L and Ctrl+N, and nothing else", () => {
    expect(shortcutFor(key("f", { ctrlKey: true }))).toBe("search");
    expect(shortcutFor(key("L", { ctrlKey: true }))).toBe("lock");
    expect(shortcutFor(key("n", { metaKey: true }))).toBe("new-record");
    expect(shortcutFor(key("f"))).toBeNull();
    expect(shortcutFor(key("f", { ctrlKey: true, shiftKey: true }))).toBeNull();
    expect(shortcutFor(key("x", { ctrlKey: true }))).toBeNull();
  });
});

describe("throttle", () => {
  it("calls at most once per interval", () => {
    let t = 0;
    let calls = 0;
    const f = throttle(() => calls++, 1000, () => t);
    f();
    f();
    t = 999;
    f();
    t = 1000;
    f();
    expect(calls).toBe(2);
  });
});

describe("forms", () => {
  it("leaves empty values out of a new record and splits tags", () => {
    expect(newRecordFrom("note", "", { text: " hi ", mood: "  " }, "a, b  c")).toEqual({
      kind: "note", brand: null, fields: { text: "hi" }, tags: ["a", "b", "c"],
    });
    expect(parseTags(" ; ")).toEqual([]);
  });

  it("turns an edit into the smallest patch", () => {
    const values = { ...record.fields, summary: "paid", direction: "" };
    const patch = patchFrom(record, "interaction", "b1", values, "billing done");
    expect(patch).toEqual({
      kind: null, set: { summary: "paid" }, remove: ["direction"], add_tags: ["done"], remove_tags: ["urgent"],
    });
    expect("brand" in patch).toBe(false);
    expect(patchFrom(record, "interaction", "", record.fields, "billing urgent").brand).toBeNull();
    expect(patchFrom(record, "interaction", "b2", record.fields, "billing urgent").brand).toBe("b2");
  });

  it("names a record by its most telling field", () => {
    expect(recordTitle(record)).toBe("asked about invoice");
    expect(recordTitle({ ...record, kind: "profile", fields: { shoe: "43" } })).toBe("shoe: 43");
  });
});

describe("errors", () => {
  it("explains by code, and falls back to the message", () => {
    expect(errorText({ code: "vault.wrong_passphrase", message: "wrong passphrase" })).toMatch(/Wrong passphrase/);
    expect(errorText({ code: "import.bad_row", message: "a.csv:4: bad" })).toBe("a.csv:4: bad");
  });

  it("says a damaged vault is damaged once", () => {
    const message = "the vault is damaged: unexpected trigger k in the vault file";
    expect(errorText({ code: "vault.damaged", message })).toBe(
      "The vault is damaged: unexpected trigger k in the vault file",
    );
  });
});

describe("placing errors", () => {
  const invalid = (field: string | null) => ({ code: "input.invalid", field, message: "the core's words" });

  it("puts an error beside the form's field for the one the core names", () => {
    const at = sameNames(["name", "domain"]);
    expect(placeError(invalid("domain"), at)).toEqual({ field: "domain", text: "the core's words" });
    const renamed = (f: string) => (f === "budget_max" ? "budget" : undefined);
    expect(placeError(invalid("budget_max"), renamed)).toEqual({ field: "budget", text: "the core's words" });
  });

  it("keeps it in the general place when the form has no such field, or the core names none", () => {
    const at = sameNames(["name", "domain"]);
    expect(placeError(invalid("inbox"), at)).toEqual({ field: null, text: "the core's words" });
    expect(placeError(invalid(null), at)).toEqual({ field: null, text: "the core's words" });
    expect(placeError({ code: "app.ipc", message: "gone" }, at)).toEqual({ field: null, text: "gone" });
    expect(placeError(new Error("boom"), at).field).toBeNull();
    // The text is what errorText says for the code, wherever it goes.
    expect(placeError({ code: "vault.locked", field: "name", message: "x" }, at)).toEqual({
      field: "name",
      text: "The vault is locked.",
    });
  });

  it("maps the core's field names to each form's, and nothing else", () => {
    expect(intentField("budget_max")).toBe("budget_max");
    expect(intentField("expires")).toBe("valid_until");
    expect(intentField("brand")).toBe("brands");
    expect(intentField("terms")).toBeUndefined();
    expect(intentField("constructor")).toBeUndefined();
    expect(shareField("record")).toBe("records");
    expect(shareField("expires")).toBe("expires");
    expect(shareField("toString")).toBeUndefined();
    // The terms editor's errors name its own fields (TermsForm::check).
    expect(termsField("max_contacts")).toBe("max_contacts");
    expect(termsField("retention_days")).toBe("retention_days");
    expect(termsField("unknown")).toBeUndefined();
  });
});

describe("locking", () => {
  it("says why the vault locked", () => {
    expect(lockNotice("idle")).toMatch(/inactivity/);
    expect(lockNotice("screen locked")).toMatch(/screen locked/);
    expect(lockNotice("going to sleep")).toMatch(/sleep/);
    expect(lockNotice("something new")).toBe("The vault was locked.");
  });

  it("reports typing often enough that the shortest auto-lock (1 minute) never lapses mid-sentence", () => {
    // The app checks every 5 s; a report must land at least twice a minute.
    expect(ACTIVITY_REPORT_MS * 2 + 5_000).toBeLessThanOrEqual(60_000);
  });

  // Reading the minutes (an empty or odd field is not 0, "never") is the
  // core's: SettingsForm::check, with these cases in src/vault/settings.rs.
  it("shows a refused auto-lock beside its field, saying nothing was changed", () => {
    const refused = { code: "input.invalid", field: "auto_lock_minutes", message: "auto-lock is at most 1440 minutes" };
    expect(autoLockError(refused)).toEqual({
      field: "auto_lock_minutes",
      text: "auto-lock is at most 1440 minutes; nothing was changed",
    });
    expect(autoLockError({ code: "io", field: null, message: "disk full" })).toEqual({
      field: null,
      text: "disk full; nothing was changed",
    });
    expect(autoLockError({ code: "input.invalid", field: "other", message: "x" }).field).toBeNull();
  });
});

describe("healthSummary", () => {
  const none = {
    damaged_brands: [],
    damaged_records: [],
    damaged_documents: [],
    wal_residue_pending: false,
    integrity: { problems: [], rows: [] },
  };
  it("says nothing when nothing is wrong", () => {
    expect(healthSummary(none)).toBeNull();
  });
  it("counts each kind of damage and the WAL", () => {
    expect(
      healthSummary({
        ...none,
        damaged_records: ["a", "b"],
        damaged_documents: [{ kind: "share", id: "s" }],
        wal_residue_pending: true,
      }),
    ).toBe("2 damaged records, 1 damaged document, old pages still in the write-ahead log");
  });
  it("says what the manifest found", () => {
    expect(
      healthSummary({
        ...none,
        integrity: {
          problems: [{ kind: "rolled_back", found: 3, seen: 9 }],
          rows: [{ table: "records", id: "r1", problem: { kind: "missing" } }],
        },
      }),
    ).toBe(
      "this is an older copy of the vault than the one last opened here (counter 3, 9 seen), " +
        "1 row that differs from the vault's manifest",
    );
    expect(rowFindingText({ table: "records", id: "r1", problem: { kind: "rolled_back", found: 1, expected: 2 } })).toBe(
      "records r1 was put back to an older version (1; the last written is 2)",
    );
  });
});
