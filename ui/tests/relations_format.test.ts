import { describe, expect, it } from "vitest";
import type { Clauses, ExposureItem, Holder, Record, RightInfo, RightsRequestView, TermsForm } from "../src/bindings";
import {
  actionLabel,
  deadlineText,
  decisionLabel,
  exposureMatrix,
  fieldNames,
  holdingText,
  newestFirst,
  requestStatusLabel,
  rightsByRegime,
  shareRequestFrom,
  shareStatusLabel,
  shareableRecords,
  termsField,
  termsForm,
  toggled,
} from "../src/relations_format";

const sdBase: Clauses = {
  purposes: ["service-delivery", "support", "billing", "warranty", "legal-obligation"],
  retention_days: 30,
  third_party_sharing: "never",
  no_tracking_first_party: true,
  no_tracking_third_party: true,
  no_profiling: true,
  deletion_on_request_days: 30,
  portability: false,
  contact: { channels: ["email"], max_contacts: 2, per_days: 30, marketing_allowed: false, cross_offers_allowed: false },
  jurisdiction: "EU (GDPR)",
};

describe("the terms editor", () => {
  // Reading the form's numbers back, and checking them, is the core's
  // (TermsForm::clauses and ::check, with these cases in src/terms/form.rs).
  it("shows a template's clauses in the form, numbers as the inputs have them", () => {
    const form = termsForm("SD-BASE", "My terms", sdBase);
    expect(form.retention_days).toBe("30");
    expect(form.prose).toBe("");
    expect(form).toEqual({
      template: "SD-BASE",
      title: "My terms",
      purposes: sdBase.purposes,
      retention_days: "30",
      third_party_sharing: "never",
      no_tracking_first_party: true,
      no_tracking_third_party: true,
      no_profiling: true,
      deletion_on_request_days: "30",
      portability: false,
      channels: ["email"],
      max_contacts: "2",
      per_days: "30",
      marketing_allowed: false,
      cross_offers_allowed: false,
      jurisdiction: "EU (GDPR)",
      prose: "",
    } satisfies TermsForm);
    expect(termsForm("SD-BASE", "t", { ...sdBase, prose: "No calls before 9." }).prose).toBe("No calls before 9.");
  });

  it("copies the lists, so editing the form leaves the clauses as they were", () => {
    const form = termsForm("SD-BASE", "t", sdBase);
    form.purposes.push("marketing");
    form.channels.push("letter");
    expect(sdBase.purposes).not.toContain("marketing");
    expect(sdBase.contact.channels).toEqual(["email"]);
  });

  it("places the core's errors beside the form's own fields, and others under the form", () => {
    expect(termsField("max_contacts")).toBe("max_contacts");
    expect(termsField("retention_days")).toBe("retention_days");
    expect(termsField("title")).toBe("title");
    expect(termsField("template")).toBeUndefined();
    expect(termsField("contact.maxContacts")).toBeUndefined();
    expect(termsField("constructor")).toBeUndefined();
  });

  it("toggles list items without repeats", () => {
    expect(toggled(["a", "b"], "a", true)).toEqual(["b", "a"]);
    expect(toggled(["a", "b"], "a", false)).toEqual(["b"]);
    expect(toggled(["a"], "c", false)).toEqual(["a"]);
  });

  it("names each decision", () => {
    expect(decisionLabel("accepted")).toBe("Accepted");
    expect(decisionLabel("counter")).toBe("Counter-offer");
    expect(decisionLabel("refused")).toBe("Refused");
    expect(decisionLabel(null)).toBe("No answer yet");
  });
});

const rec = (id: string, brand: string | null, fields: { [k: string]: string }, created = "2026-03-01T00:00:00Z"): Record => ({
  id, kind: "profile", brand, fields, tags: [], created_at: created, updated_at: created,
});

describe("the share form", () => {
  it("becomes a share request ending at the end of the chosen day", () => {
    expect(
      shareRequestFrom({ brand: "b1", records: ["r1"], fields: ["email"], purpose: "  delivery ", expires: "2026-05-01", terms: "" }),
    ).toEqual({ brand: "b1", records: ["r1"], fields: ["email"], purpose: "delivery", expires_at: "2026-05-01T23:59:59Z", terms: null });
    expect(
      shareRequestFrom({ brand: "b1", records: ["r1"], fields: [], purpose: "p", expires: "2026-05-01", terms: "v2" }).terms,
    ).toBe("v2");
  });

  it("offers the fields of the chosen records, and the brand's records first", () => {
    const records = [
      rec("r1", null, { email: "a@x", phone: "1" }),
      rec("r2", "b2", { size: "43" }, "2026-03-05T00:00:00Z"),
      rec("r3", "b1", { email: "b@x", name: "Ana" }),
    ];
    expect(fieldNames(records, ["r1", "r3"])).toEqual(["email", "name", "phone"]);
    expect(fieldNames(records, [])).toEqual([]);
    expect(shareableRecords(records, "b1").map((r) => r.id)).toEqual(["r3", "r1", "r2"]);
    expect(shareableRecords(records, "").map((r) => r.id)).toEqual(["r1", "r2", "r3"]);
  });
});

describe("share statuses", () => {
  // Which may be revoked is the core's (ShareView.can_revoke): its cases are
  // share::tests::only_an_unrevoked_share_can_be_revoked.
  it("reads each status", () => {
    expect(shareStatusLabel("live")).toBe("Live");
    expect(shareStatusLabel("revoked")).toBe("Revoked, awaiting erasure");
    expect(shareStatusLabel("overdue")).toBe("Erasure overdue");
    expect(shareStatusLabel("erased")).toBe("Erased");
    expect(shareStatusLabel("expired")).toBe("Expired");
  });
});

const holder = (brand: string, brand_name: string, status: Holder["status"], since: string): Holder => ({
  brand, brand_name, share: `s-${brand}-${since}`, since, until: "2027-01-01T00:00:00Z", status, terms: null, purpose: "p",
});

describe("the exposure matrix", () => {
  it("puts items in rows and brands in columns, by name, with every holding in its cell", () => {
    const items: ExposureItem[] = [
      { item: "phone", holders: [holder("b2", "acme", "revoked", "2026-02-01T10:00:00Z")], observed: [] },
      {
        item: "email",
        holders: [
          holder("b1", "Zed Bank", "live", "2026-01-01T10:00:00Z"),
          holder("b2", "acme", "live", "2026-03-01T10:00:00Z"),
          holder("b2", "acme", "overdue", "2026-01-15T10:00:00Z"),
        ],
        observed: [],
      },
    ];
    const m = exposureMatrix(items);
    expect(m.brands).toEqual([{ id: "b2", name: "acme" }, { id: "b1", name: "Zed Bank" }]);
    expect(m.rows.map((r) => r.item)).toEqual(["email", "phone"]);
    expect(m.rows[0].cells.map((c) => c.length)).toEqual([2, 1]);
    expect(m.rows[1].cells.map((c) => c.length)).toEqual([1, 0]);
    expect(m.rows.map((r) => r.live)).toEqual([true, false]);
    expect(holdingText(m.rows[0].cells[1][0])).toBe("Live since 2026-01-01");
    expect(m.rows[0].seen).toEqual([[], []]);
    expect(exposureMatrix([])).toEqual({ brands: [], rows: [] });
  });

  it("puts what mail showed beside the shares, with brands only seen in mail as columns too", () => {
    const seen = { brand: "b3", brand_name: "Mailer", value: "ana@example.org", source: "observed",
      first_seen: "2026-03-02", last_seen: "2026-03-05", messages: 3 };
    const items: ExposureItem[] = [
      { item: "email", holders: [holder("b1", "Zed Bank", "live", "2026-01-01T10:00:00Z")], observed: [seen] },
    ];
    const m = exposureMatrix(items);
    expect(m.brands).toEqual([{ id: "b3", name: "Mailer" }, { id: "b1", name: "Zed Bank" }]);
    expect(m.rows[0].cells.map((c) => c.length)).toEqual([0, 1]);
    expect(m.rows[0].seen).toEqual([[seen], []]);
    expect(m.rows[0].live).toBe(true);
    // Only seen in mail: a row, but nothing to revoke.
    const only = exposureMatrix([{ item: "email", holders: [], observed: [seen] }]);
    expect(only.rows).toEqual([{ item: "email", cells: [[]], seen: [[seen]], live: false }]);
  });
});

const view = (status: RightsRequestView["request"]["status"], days_left: number, overdue: boolean): RightsRequestView => ({
  request: {
    id: "q1", brand: "b1", right: "gdpr-access", sent_on: "2026-01-10", extended: false, status, reason: null, details: null,
    history: [], created_at: "2026-01-10T09:00:00Z",
  },
  brand_name: "Acme",
  due: "2026-02-10",
  days_left,
  overdue,
});

describe("rights requests", () => {
  it("shows the clock: overdue, due today, days left, nothing once answered", () => {
    expect(deadlineText(view("open", -3, true))).toBe("Overdue by 3 days");
    expect(deadlineText(view("in-progress", -1, true))).toBe("Overdue by 1 day");
    expect(deadlineText(view("open", 0, false))).toBe("Due today");
    expect(deadlineText(view("open", 1, false))).toBe("1 day left");
    expect(deadlineText(view("open", 12, false))).toBe("12 days left");
    expect(deadlineText(view("fulfilled", -40, false))).toBe("");
    expect(requestStatusLabel("in-progress")).toBe("In progress");
    expect(requestStatusLabel("expired")).toBe("Expired unanswered");
  });

  it("groups rights by law, in the core's order", () => {
    const infos: RightInfo[] = [
      { right: "gdpr-access", regime: "gdpr", article: "Art. 15", title: "Right of access" },
      { right: "gdpr-erasure", regime: "gdpr", article: "Art. 17", title: "Right to erasure" },
      { right: "ccpa-know", regime: "ccpa", article: "§1798.110", title: "Right to know" },
    ];
    const g = rightsByRegime(infos);
    expect(g.map((x) => [x.regime, x.rights.length])).toEqual([["gdpr", 2], ["ccpa", 1]]);
    expect(g[0].name).toMatch(/GDPR/);
  });
});

describe("the activity log", () => {
  it("shows the newest first, each action in words", () => {
    const e = (seq: number) => ({
      seq, at: "2026-03-01T10:00:00Z", action: "share-created" as const, brand: null, subject: null, summary: "", prev: "",
    });
    expect(newestFirst([e(1), e(3), e(2)]).map((x) => x.seq)).toEqual([3, 2, 1]);
    expect(actionLabel("erasure-acknowledged")).toBe("Erasure acknowledged");
  });
});
