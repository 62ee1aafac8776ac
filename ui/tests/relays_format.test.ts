import { describe, expect, it } from "vitest";
import type { Broadcast, MarketFetch, Publish } from "../src/bindings";
import { fetchSummary, lastDeletion, lastListing, publishLine, publishSummary, someMissed } from "../src/relays_format";

// How relays' answers read; the core publishes, checks and decides.

const ok = (relay: string, message: string | null = null): Publish => ({ relay, status: "accepted", message });
const no = (relay: string, reason: string): Publish => ({ relay, status: "rejected", reason });
const down = (relay: string, reason: string): Publish => ({ relay, status: "unreachable", reason });

const A = "wss://a.example";
const B = "wss://b.example";
const C = "ws://127.0.0.1:7001";

describe("a relay's outcome", () => {
  it("says accepted, rejected with the relay's reason, or unreachable with why", () => {
    expect(publishLine(ok(A))).toBe(`${A}: accepted`);
    expect(publishLine(ok(A, "duplicate: already have it"))).toBe(`${A}: accepted (duplicate: already have it)`);
    expect(publishLine(no(B, "blocked: pay first"))).toBe(`${B}: rejected — blocked: pay first`);
    expect(publishLine(down(C, "connection refused"))).toBe(`${C}: unreachable — connection refused`);
  });
});

describe("a round in one sentence", () => {
  it("counts the relays that took it and says what happened to the others", () => {
    expect(publishSummary("intent", [ok(A)])).toBe("1 relay took the intent.");
    expect(publishSummary("intent", [ok(A), ok(B)])).toBe("2 relays took the intent.");
    expect(publishSummary("intent", [ok(A), no(B, "x"), down(C, "y")])).toBe(
      "1 of 3 relays took the intent; 1 rejected it, 1 could not be reached.",
    );
    expect(publishSummary("acceptance", [down(C, "y")])).toBe("No relay took the acceptance: 1 could not be reached.");
    expect(publishSummary("intent", [])).toBe("There was no relay to send the intent to.");
  });

  it("offers a retry only when some relay does not hold it", () => {
    expect(someMissed([ok(A), ok(B)])).toBe(false);
    expect(someMissed([ok(A), down(B, "y")])).toBe(true);
    expect(someMissed([no(A, "x")])).toBe(true);
  });
});

describe("an intent's broadcasts", () => {
  const round = (kind: "listing" | "deletion", at: string, relays: Publish[]): Broadcast => ({
    kind, event_id: "e".repeat(64), geohash: null, at, relays,
  });
  it("finds the last listing and the deletion request", () => {
    const first = round("listing", "2026-05-10T10:00:00Z", [down(A, "y")]);
    const retry = round("listing", "2026-05-10T10:01:00Z", [ok(A)]);
    const deletion = round("deletion", "2026-05-11T10:00:00Z", [ok(A)]);
    expect(lastListing([first, retry, deletion])).toBe(retry);
    expect(lastDeletion([first, retry, deletion])).toBe(deletion);
    expect(lastListing([])).toBeNull();
    expect(lastListing(undefined)).toBeNull();
    expect(lastDeletion([first])).toBeNull();
  });
});

describe("what a fetch of offers found", () => {
  const empty: MarketFetch = { imported: [], duplicates: 0, refused: [], failed: [] };
  it("says nothing when nothing is new and nothing went wrong (a periodic check stays quiet)", () => {
    expect(fetchSummary(empty)).toBe("");
    expect(fetchSummary({ ...empty, duplicates: 3 })).toBe("");
  });
  it("counts new offers, and names refusals and relays that could not be read", () => {
    const imported = [{} as MarketFetch["imported"][number]];
    expect(fetchSummary({ ...empty, imported })).toBe("1 new offer from the relays.");
    expect(
      fetchSummary({
        ...empty,
        imported: [...imported, ...imported],
        refused: [{ relay: A, reason: "a gift wrap to another key" }],
        failed: [{ relay: C, reason: "connection refused" }],
      }),
    ).toBe(
      `2 new offers from the relays; 1 refused (a gift wrap to another key); 1 relay could not be read (${C}: connection refused).`,
    );
  });
});
