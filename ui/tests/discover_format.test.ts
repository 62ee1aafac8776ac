import { describe, expect, it } from "vitest";
import type { Brand, Proposal, ProposedRecord, RunProgress, Summary } from "../src/bindings";
import {
  acceptedBrand,
  acceptedText,
  addressList,
  daySpan,
  folderList,
  hasUnsubscribe,
  imapFolderLines,
  mailtoParts,
  observedText,
  oneClickConfirmText,
  oneClickDoneText,
  progressBar,
  progressText,
  proposalCounts,
  proposedRecordText,
  recordsByThread,
  skippedLines,
  summaryText,
  urlHost,
} from "../src/discover_format";

const summary = (over: Partial<Summary> = {}): Summary => ({
  messages: 1234, staged: 567, skipped: {}, truncated: 0, proposals_new: 0, proposals_updated: 0, ...over,
});

const proposal = (over: Partial<Proposal> = {}): Proposal => ({
  id: "p1", name: "Shop", domain: "shop.example", senders: ["orders@shop.example"], existing_brand: null,
  messages: 12, inbound: 9, outbound: 3, marketing: 5, orders: 2, holds: ["ana@example.org"],
  first_seen: "2026-03-02", last_seen: "2026-03-05", unsubscribe: null, samples: [], threads: 1, records: [],
  ...over,
});

const brand = (id: string): Brand => ({
  id, name: id, created_at: "2026-01-01T00:00:00Z", updated_at: "2026-01-01T00:00:00Z",
});

describe("the run form", () => {
  it("reads addresses separated by commas (or spaces), as typed", () => {
    expect(addressList(" ana@example.org, ana@work.example;x  ")).toEqual(["ana@example.org", "ana@work.example", "x"]);
    expect(addressList("   ")).toEqual([]);
  });
});

describe("the IMAP form", () => {
  it("reads folders separated by commas, keeping the spaces in their names", () => {
    expect(folderList(" INBOX, Sent Items ,,\nArchive/2025 ")).toEqual(["INBOX", "Sent Items", "Archive/2025"]);
    expect(folderList("")).toEqual([]);
  });

  it("says what each folder gave", () => {
    const summary = { messages: 0, staged: 0, skipped: {}, truncated: 0, proposals_new: 0, proposals_updated: 0 };
    expect(imapFolderLines({ summary, folders: [
      { name: "INBOX", new_messages: 12, reset: false },
      { name: "Sent", new_messages: 1, reset: true },
    ] })).toEqual(["INBOX: 12 new messages", "Sent: 1 new message (renumbered by the server: read again)"]);
  });
});

describe("a run", () => {
  it("shows counts as it goes, and a bar only when the file's size is known", () => {
    const p: RunProgress = { summary: summary(), bytes_done: 50, bytes_total: 200 };
    expect(progressText(p)).toBe("1,234 messages read · 567 staged");
    expect(progressBar(p)).toEqual({ value: 50, max: 200 });
    expect(progressBar({ ...p, bytes_done: 300 })).toEqual({ value: 200, max: 200 });
    expect(progressBar({ ...p, bytes_done: null, bytes_total: null })).toBeNull();
    expect(progressText({ summary: summary({ messages: 1, staged: 0 }), bytes_done: null, bytes_total: null }))
      .toBe("1 message read · 0 staged");
  });

  it("sums up, with what was skipped by reason, most first", () => {
    const s = summary({
      messages: 10, staged: 6, proposals_new: 2, proposals_updated: 1, truncated: 1,
      skipped: { "personal correspondent": 1, "already seen": 3, "from you to you": 0 },
    });
    expect(summaryText(s)).toBe(
      "Read 10 messages; staged 6 for review; 2 new proposals, 1 updated; 1 long message read only in part.");
    expect(summaryText(summary({ messages: 0, staged: 0 }))).toBe("Read 0 messages; staged 0 for review.");
    expect(skippedLines(s)).toEqual(["already seen: 3", "personal correspondent: 1"]);
  });
});

describe("a proposal", () => {
  it("says its counts, leaving out what is none", () => {
    expect(proposalCounts(proposal())).toBe("12 messages · 9 from them · 3 from you · 5 marketing · 2 orders");
    expect(proposalCounts(proposal({ messages: 1, inbound: 1, outbound: 0, marketing: 0, orders: 0 })))
      .toBe("1 message · 1 from them · 0 from you");
  });

  it("groups interactions by thread and keeps the other records apart", () => {
    const r = (kind: ProposedRecord["kind"], summary: string, thread?: string): ProposedRecord => ({
      kind, fields: { summary, date: "2026-03-02T10:00:00Z" }, ...(thread ? { thread } : {}),
    });
    const g = recordsByThread([r("interaction", "a", "t1"), r("purchase", "order"), r("interaction", "b", "t2"),
      r("interaction", "c", "t1")]);
    expect(g.threads.map((t) => [t.thread, t.records.map((x) => x.fields.summary)])).toEqual([
      ["t1", ["a", "c"]],
      ["t2", ["b"]],
    ]);
    expect(g.others.map((x) => x.kind)).toEqual(["purchase"]);
    expect(proposedRecordText(r("interaction", "Your order shipped"))).toBe("2026-03-02 · Your order shipped");
    expect(proposedRecordText({ kind: "account", fields: {} })).toBe("account");
  });

  it("says what acceptance added, and finds the brand it went to", () => {
    expect(acceptedText({ brands_new: 1, brands_updated: 0, records: { interaction: 5, purchase: 2 } }))
      .toBe("Added 7 records (1 new brand).");
    expect(acceptedText({ brands_new: 0, brands_updated: 1, records: { interaction: 1 } }))
      .toBe("Added 1 record (1 brand added to).");
    expect(acceptedBrand(proposal({ existing_brand: "b9" }), [], [])).toBe("b9");
    expect(acceptedBrand(proposal(), [brand("b1")], [brand("b1"), brand("b2")])).toBe("b2");
    expect(acceptedBrand(proposal(), [brand("b1")], [brand("b1")])).toBeNull();
  });
});

describe("what mail showed", () => {
  it("spans the days a holding was seen", () => {
    expect(daySpan("2026-03-02", "2026-03-05")).toBe("2026-03-02 – 2026-03-05");
    expect(daySpan("2026-03-02", "2026-03-02")).toBe("2026-03-02");
    expect(observedText({ first_seen: "2026-03-02", last_seen: "2026-03-05" }))
      .toBe("Seen in mail 2026-03-02 – 2026-03-05");
  });

  it("reads a mailto: URL as an address, a subject and a body to write by hand", () => {
    expect(mailtoParts("mailto:leave@news.example?subject=unsubscribe%20me&body=bye")).toEqual({
      address: "leave@news.example", subject: "unsubscribe me", body: "bye",
    });
    expect(mailtoParts("MAILTO:a%2Bb@x.example")).toEqual({ address: "a+b@x.example", subject: null, body: null });
    expect(mailtoParts("mailto:bad%zz@x")).toEqual({ address: "bad%zz@x", subject: null, body: null });
    expect(hasUnsubscribe(null)).toBe(false);
    expect(hasUnsubscribe({ one_click: true })).toBe(false);
    expect(hasUnsubscribe({ https: "https://x.example/u", one_click: true })).toBe(true);
  });

  it("says where a one-click unsubscription goes, and that it went", () => {
    expect(urlHost("https://lists.example/u/abc?t=1")).toBe("lists.example");
    expect(urlHost("http://127.0.0.1:8025/u")).toBe("127.0.0.1:8025");
    expect(urlHost("not a url")).toBe("not a url");
    expect(oneClickConfirmText("https://lists.example/u/abc")).toContain("Ask lists.example to take you off");
    expect(oneClickConfirmText("https://lists.example/u/abc")).not.toContain("/u/abc");
    expect(oneClickDoneText(202)).toBe(
      "Done: the list's server accepted the request (HTTP 202). Its mail may take a few days to stop.",
    );
  });
});
