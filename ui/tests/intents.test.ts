import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { h, render } from "preact";
import { act } from "preact/test-utils";
import { clearMocks, mockIPC, mockWindows } from "@tauri-apps/api/mocks";
import type { Brand, Broadcast, Delivery, IntentForm, IntentInput, IntentView, OfferView } from "../src/bindings";
import {
  deliveryLine,
  deliverySummary,
  emptyIntentForm,
  intentField,
  money,
  offerCards,
  statusLabel,
} from "../src/intents_format";
import { placeError } from "../src/format";
import { App } from "../src/app";

// The form's checks, canResend, isLive and canAccept are the core's now
// (IntentForm::check, the views' can_* fields): their cases are Rust tests in
// src/intent/mod.rs and tests/intents.rs. What is left here is how things
// are shown.

const NOW = new Date(Date.UTC(2026, 4, 10, 12, 0, 0)); // 10 May 2026, noon UTC

const brands: Brand[] = [
  { id: "b1", name: "Acme Bikes", inbox: "http://127.0.0.1:9/", created_at: "2026-01-01T00:00:00Z", updated_at: "2026-01-01T00:00:00Z" },
  { id: "b2", name: "Velo Shop", created_at: "2026-01-01T00:00:00Z", updated_at: "2026-01-01T00:00:00Z" },
];

const delivery = (over: Partial<Delivery> = {}): Delivery => ({
  brand: "b1", status: "sent", to: "http://127.0.0.1:9/", reason: null, at: "2026-05-10T10:00:00Z", ...over,
});

const offer = (id: string, price: string, currency: string, over: Partial<OfferView> = {}): OfferView => ({
  offer: {
    id, intent: "i1", brand: "b1", signer: "did:key:z6MkBrand", price, currency, description: `offer ${id}`,
    valid_until: "2026-05-17T21:59:59Z", received_at: "2026-05-11T08:00:00Z", decision: "open", decided_at: null,
    document: "{}",
  },
  brand_name: "Acme Bikes", verified: true, unverified_reason: null, expired: false,
  cheapest: true, above_cheapest: "0", can_accept: true, can_decline: true, can_resend_acceptance: false, ...over,
});

/** What the core's IntentForm::check makes of a form that holds. */
const input = (over: Partial<IntentInput> = {}): IntentInput => ({
  category: "bicycle", description: "A city bike, 54 cm frame", quantity: null, budget_max: null, currency: "EUR",
  location: null, needed_by: null, expires_at: "2026-05-17T23:59:59Z", terms: null, brands: ["b1"], ...over,
});

describe("the compose form", () => {
  it("defaults to offers welcome for a week, in EUR", () => {
    expect(emptyIntentForm(NOW)).toMatchObject({ valid_until: "2026-05-17", currency: "EUR", brands: [] });
  });

  it("puts the core's error next to the field it names, by the form's name for it", () => {
    const e = (field: string | null) => ({ code: "input.invalid", field, message: "m" });
    const at = (err: unknown) => placeError(err, intentField).field;
    expect(at(e("budget_max"))).toBe("budget_max");
    expect(at(e("valid_until"))).toBe("valid_until");
    expect(at(e("expires"))).toBe("valid_until");
    expect(at(e("brand"))).toBe("brands");
    expect(at(e("brands"))).toBe("brands");
    expect(at(e("needed_by"))).toBe("needed_by");
    expect(at(e("terms"))).toBeNull();
    expect(at(e("constructor"))).toBeNull();
    expect(at(e(null))).toBeNull();
    expect(at({ code: "vault.locked", message: "locked" })).toBeNull();
  });
});

describe("status labels", () => {
  it("reads each status for a newcomer", () => {
    expect(statusLabel({ status: "draft", offers: 0 })).toBe("Not sent yet");
    expect(statusLabel({ status: "sent", offers: 0 })).toBe("Sent, waiting for offers");
    expect(statusLabel({ status: "has-offers", offers: 1 })).toBe("1 offer received");
    expect(statusLabel({ status: "has-offers", offers: 3 })).toBe("3 offers received");
    expect(statusLabel({ status: "accepted", offers: 2 })).toBe("Accepted");
    expect(statusLabel({ status: "expired", offers: 0 })).toBe("Expired");
    expect(statusLabel({ status: "withdrawn", offers: 0 })).toBe("Withdrawn");
  });

  it("says how each delivery went", () => {
    expect(deliveryLine(delivery(), brands)).toBe("Acme Bikes: sent to http://127.0.0.1:9/");
    expect(deliveryLine(delivery({ brand: "b2", status: "failed", to: "", reason: "Velo Shop has no inbox URL" }), brands))
      .toBe("Velo Shop: failed — Velo Shop has no inbox URL");
    expect(deliveryLine(delivery({ brand: "gone1234xyz" }), brands)).toMatch(/^brand gone1234: sent/);
    expect(deliveryLine(delivery({ reason: "its inbox has it already; not posted again" }), brands))
      .toBe("Acme Bikes: sent to http://127.0.0.1:9/ (its inbox has it already; not posted again)");
    expect(deliverySummary([delivery()])).toBe("Delivered 1 time.");
    expect(deliverySummary([delivery(), delivery({ status: "failed" })])).toBe("Delivered 1 time; 1 failed. See why below.");
    expect(deliverySummary([delivery({ status: "failed" })])).toBe("Not delivered: 1 failed. See why below.");
  });
});

describe("offers side by side", () => {
  it("labels the cheapest in each currency and how much more the others cost, as the core compared them", () => {
    // The core's order and comparison: by currency, then cheapest first.
    const cards = offerCards([
      offer("o1", "24.5", "EUR"),
      offer("o2", "26", "EUR", { cheapest: false, above_cheapest: "1.5" }),
      offer("o3", "30.0001", "EUR", { cheapest: false, above_cheapest: "5.5001" }),
      offer("o4", "25", "USD"),
    ]);
    expect(cards.map((c) => [c.price, c.rank, c.cheapest])).toEqual([
      ["24.5 EUR", "Cheapest in EUR", true],
      ["26 EUR", "+1.50 EUR more", false],
      ["30.0001 EUR", "+5.5001 EUR more", false],
      ["25 USD", "Only offer", true],
    ]);
    expect(cards[0]).toMatchObject({ from: "Acme Bikes", validUntil: "valid until 2026-05-17", canAccept: true, canDecline: true });
    expect([money("1.5"), money("5.50"), money("2"), money("0.1200")]).toEqual(["1.50", "5.50", "2.00", "0.12"]);
  });

  it("shows an unknown signer as UNVERIFIED and does not offer to accept it", () => {
    const [c] = offerCards([offer("o1", "5", "EUR", { verified: false, brand_name: null, can_accept: false })]);
    expect(c).toMatchObject({ from: "UNVERIFIED signer", signer: "did:key:z6MkBrand", canAccept: false, canDecline: true });
    expect(c.acceptHint).toMatch(/DID on the Brands screen/);
  });

  it("gives the core's reason an offer is unverified, e.g. a brand the intent was not sent to", () => {
    const reason = "signed by Velo Shop, a brand of yours this intent was not sent to";
    const [c] = offerCards([offer("o1", "5", "EUR", { verified: false, brand_name: null, unverified_reason: reason, can_accept: false })]);
    expect(c).toMatchObject({ from: "UNVERIFIED signer", canAccept: false });
    expect(c.acceptHint).toContain(reason);
  });

  it("shows a seller from the open market by the name it claims, marked unverified, with its key, acceptable", () => {
    const market = (claimed: string | null): OfferView => {
      const o = offer("o1", "229", "EUR", {
        verified: false, brand_name: null, can_accept: true,
        unverified_reason: "a seller on the open market you do not know yet: signed by did:key:z6MkSeller",
      });
      return { ...o, offer: { ...o.offer, brand: null, signer: "did:key:z6MkSeller",
        market: { seller_key: "ab".repeat(32), relays: ["ws://127.0.0.1:7001"], claimed_name: claimed } } };
    };
    const [c] = offerCards([market("Velo Shop")]);
    expect(c).toMatchObject({
      from: "“Velo Shop” (claimed, UNVERIFIED)", market: true, verified: false, signer: "did:key:z6MkSeller", canAccept: true,
    });
    expect(c.acceptHint).toMatch(/not verified/);
    expect(c.acceptHint).not.toMatch(/Brands screen/);
    expect(offerCards([market(null)])[0].from).toBe("UNVERIFIED seller on the open market");
    expect(offerCards([offer("o2", "5", "EUR")])[0].market).toBe(false);
  });

  it("flags expired offers, decisions, and an intent no longer taking offers", () => {
    const [expired] = offerCards([offer("o1", "5", "EUR", { expired: true, can_accept: false })]);
    expect(expired).toMatchObject({ expired: true, canAccept: false, acceptHint: "This offer has expired." });
    const o2 = offer("o2", "6", "EUR", { cheapest: false, above_cheapest: "1", can_accept: false, can_decline: false });
    const decided = offerCards([
      offer("o1", "5", "EUR", { can_accept: false }),
      { ...o2, offer: { ...o2.offer, decision: "accepted" } },
    ]);
    expect(decided.map((c) => [c.decision, c.canAccept, c.canDecline])).toEqual([
      ["", false, true],
      ["Accepted", false, false],
    ]);
    expect(decided[0].acceptHint).toBe("This intent no longer takes offers.");
    const noEnd = offerCards([{ ...offer("o1", "5", "EUR"), offer: { ...offer("o1", "5", "EUR").offer, valid_until: null } }]);
    expect(noEnd[0].validUntil).toBe("no end date given");
  });
});

// The screen through the real App with a mocked IPC.

const flush = async () => {
  for (let i = 0; i < 10; i++) await act(async () => await new Promise((r) => setTimeout(r, 0)));
};

let root: HTMLElement;
let calls: { cmd: string; args: unknown }[];
let unlocked: boolean;
let intents: IntentView[];
let offers: OfferView[];
let sendGate: Promise<void>;
let releaseSend: () => void;
let createError: unknown;

async function find<T extends Element>(selector: string): Promise<T> {
  for (let i = 0; i < 200; i++) {
    const el = root.querySelector<T>(selector);
    if (el) return el;
    await flush();
  }
  throw new Error(`${selector} never appeared`);
}

async function type(selector: string, value: string) {
  const el = await find<HTMLInputElement>(selector);
  el.value = value;
  el.dispatchEvent(new Event("input", { bubbles: true }));
  await flush();
}

async function click(selector: string) {
  (await find<HTMLElement>(selector)).click();
  await flush();
}

async function submit(selector: string) {
  (await find<HTMLFormElement>(selector)).dispatchEvent(new Event("submit", { bubbles: true, cancelable: true }));
  await flush();
}

const called = (cmd: string) => calls.filter((c) => c.cmd === cmd);

function madeIntent(input: IntentInput): IntentView {
  return {
    intent: {
      id: "i1", input, brands: input.brands, did: "did:key:z6MkIntent", reply_to: "age1reply",
      created_at: "2026-05-10T10:00:00Z", document: "{}", deliveries: [], withdrawn_at: null,
      withdrawal_deliveries: [], accepted_offer: null,
    },
    status: "draft",
    offers: 0,
    is_live: true,
    can_resend: true,
    can_withdraw: true,
  };
}

/** The core's IntentForm::check, as far as these tests need it. */
function checkForm(f: IntentForm): IntentInput {
  if (f.category.trim() === "") throw { code: "input.invalid", message: "the intent needs a category" };
  if (f.budget_max.trim() === "12,50")
    throw { code: "input.invalid", field: "budget_max", message: '"12,50" is not an amount (like 12.50)' };
  return input({
    category: f.category.trim(), description: f.description.trim(), budget_max: f.budget_max || null,
    currency: f.currency.toUpperCase() || null, brands: f.brands,
  });
}

beforeEach(() => {
  root = document.createElement("div");
  document.body.appendChild(root);
  calls = [];
  unlocked = true;
  intents = [];
  offers = [];
  mockWindows("main");
  sendGate = new Promise((r) => (releaseSend = r));
  createError = null;
  mockIPC(async (cmd, args) => {
    calls.push({ cmd, args });
    const a = args as { [k: string]: unknown };
    switch (cmd) {
      case "app_status":
        return { vault_dir: "/v", exists: true, unlocked, auto_lock_minutes: 5 };
      case "vault_lock":
        unlocked = false;
        return null;
      case "kind_specs":
        return [];
      case "brands_list":
        return brands;
      case "intents_list":
        return intents;
      case "intent_check":
        return checkForm(a.form as IntentForm);
      case "intent_create": {
        if (createError) throw createError;
        const v = madeIntent(a.input as IntentInput);
        intents = [v];
        return v.intent;
      }
      case "intent_send": {
        await sendGate;
        const round = [delivery(), delivery({ brand: "b2", status: "failed", to: "", reason: "Velo Shop has no inbox URL" })];
        intents[0] = { ...intents[0], status: "sent", can_resend: true, intent: { ...intents[0].intent, deliveries: round } };
        return round;
      }
      case "offers_list":
        return offers;
      case "choose_offer_file":
        return { token: "t-offer", name: "offer.json" };
      case "offer_import":
        offers = [offer("o2", "26.00", "EUR", { cheapest: false, above_cheapest: "7.00" }), offer("o9", "19.00", "EUR", { verified: false, brand_name: null, can_accept: false, unverified_reason: "signed by did:key:z6MkStranger, which is not the did:key of any brand of yours" })];
        offers[1].offer.signer = "did:key:z6MkStranger";
        intents[0] = { ...intents[0], status: "has-offers", offers: 2 };
        return offers[0];
      case "choose_acceptance_file":
        return { token: "t-acc", name: "acceptance.json" };
      case "intent_withdraw":
        intents[0] = {
          ...intents[0], status: "withdrawn", is_live: false, can_resend: false, can_withdraw: false,
          intent: { ...intents[0].intent, withdrawn_at: "2026-05-11T00:00:00Z" },
        };
        return { deliveries: [delivery()], deletion: null };
      case "intent_broadcast": {
        if (a.geohash === "a!") throw { code: "input.invalid", field: "geohash", message: "geohash takes only 0-9 and b-z" };
        const b: Broadcast = {
          kind: "listing", event_id: "e".repeat(64), geohash: (a.geohash as string | null) ?? null, at: "2026-05-10T11:00:00Z",
          relays: [
            { relay: "ws://127.0.0.1:7001", status: "accepted", message: null },
            { relay: "wss://down.example", status: "unreachable", reason: "connection refused" },
          ],
        };
        intents[0] = { ...intents[0], status: "sent", intent: { ...intents[0].intent, broadcasts: [b] } };
        return b;
      }
      case "offers_fetch": {
        const market = offer("m1", "229", "EUR", {
          verified: false, brand_name: null, can_accept: true, unverified_reason: "a seller on the open market",
        });
        market.offer = { ...market.offer, brand: null, signer: "did:key:z6MkSeller",
          market: { seller_key: "ab".repeat(32), relays: ["ws://127.0.0.1:7001"], claimed_name: "Velo Shop" } };
        const isNew = offers.length === 0;
        offers = [market];
        intents[0] = { ...intents[0], status: "has-offers", offers: 1 };
        return {
          fetch: { imported: isNew ? [market] : [], duplicates: isNew ? 0 : 1, refused: [], failed: [] },
          offers, intent: intents[0],
        };
      }
      case "offer_accept_market": {
        offers = [{ ...offers[0], can_accept: false, can_decline: false, can_resend_acceptance: true, offer: { ...offers[0].offer, decision: "accepted" } }];
        intents[0] = { ...intents[0], status: "accepted", is_live: false, intent: { ...intents[0].intent, accepted_offer: "m1" } };
        return { offer: offers[0].offer, relays: [{ relay: "ws://127.0.0.1:7001", status: "unreachable", reason: "timed out" }] };
      }
      case "offer_resend_acceptance": {
        offers = [{ ...offers[0], can_resend_acceptance: false }];
        return { offer: offers[0].offer, relays: [{ relay: "ws://127.0.0.1:7001", status: "accepted", message: null }] };
      }
      case "offer_decline":
        offers[0] = { ...offers[0], can_accept: false, can_decline: false, offer: { ...offers[0].offer, decision: "declined" } };
        return offers[0].offer;
      case "offer_accept": {
        offers = offers.map((o) => ({ ...o, can_accept: false }));
        offers[0] = { ...offers[0], can_decline: false, offer: { ...offers[0].offer, decision: "accepted" } };
        intents[0] = {
          ...intents[0], status: "accepted", is_live: false, can_resend: false,
          intent: { ...intents[0].intent, accepted_offer: "o2" },
        };
        return offers[0].offer;
      }
      default:
        return null;
    }
  }, { shouldMockEvents: true });
});

afterEach(async () => {
  render(null, root);
  await flush();
  await flush();
  root.remove();
  clearMocks();
});

describe("the Intents screen", () => {
  it("composes, sends, shows deliveries and offers side by side, accepts, and forgets it all on lock", async () => {
    render(h(App, null), root);
    await click("[data-testid=nav-intents]");
    expect((await find("[data-testid=intents-empty]")).textContent).toMatch(/No intents yet/);

    // Nothing is made until the core says the form holds; what it says goes
    // next to the field it names, or above the button.
    await click("[data-testid=new-intent]");
    await submit("[data-testid=intent-form]");
    expect(called("intent_check")[0].args).toMatchObject({ form: { category: "", valid_until: expect.any(String) } });
    expect((await find("[data-testid=intent-error]")).textContent).toBe("the intent needs a category");
    expect(called("intent_create")).toHaveLength(0);
    await type("[data-testid=intent-category]", "bicycle");
    await type("[data-testid=intent-budget]", "12,50");
    await submit("[data-testid=intent-form]");
    expect((await find("[data-testid=intent-error-budget_max]")).textContent).toMatch(/not an amount/);
    expect(root.querySelector("[data-testid=intent-error]")).toBeNull();
    expect(called("intent_create")).toHaveLength(0);

    await type("[data-testid=intent-budget]", "300");
    expect(root.querySelector("[data-testid=intent-error-budget_max]")).toBeNull();
    await type("[data-testid=intent-description]", "A city bike, 54 cm frame");
    await type("[data-testid=intent-currency]", "eur");
    await click("[data-testid='intent-brand-Acme Bikes']");
    await click("[data-testid='intent-brand-Velo Shop']");
    await submit("[data-testid=intent-form]");

    // Sending can take a while: the form says so and cannot be sent twice.
    expect((await find("[data-testid=intent-busy]")).textContent).toMatch(/up to 30 seconds/);
    expect(root.querySelector<HTMLButtonElement>("[data-testid=intent-send]")!.disabled).toBe(true);
    releaseSend();
    await find("[data-testid=intent-page]");
    const made = (called("intent_create")[0].args as { input: IntentInput }).input;
    expect(made).toMatchObject({ category: "bicycle", budget_max: "300", currency: "EUR", brands: ["b1", "b2"] });
    expect(called("intent_send")[0].args).toMatchObject({ id: "i1", outDir: null });
    expect(root.textContent).toContain("Delivered 1 time; 1 failed.");
    const lines = [...root.querySelectorAll("[data-testid=delivery]")].map((e) => e.textContent);
    expect(lines.join("\n")).toMatch(/Acme Bikes: sent to http:\/\/127\.0\.0\.1:9\//);
    expect(lines.join("\n")).toMatch(/Velo Shop: failed — Velo Shop has no inbox URL/);
    expect((await find("[data-testid=intent-status]")).textContent).toBe("Sent, waiting for offers");
    expect(root.querySelector("[data-testid=offers-empty]")).not.toBeNull();

    // Import through the dialog; both offers, cheapest first as the core says.
    await click("[data-testid=offer-import]");
    expect(called("offer_import")[0].args).toEqual({ file: "t-offer" });
    await find("[data-testid=offer-card]");
    const cards = [...root.querySelectorAll("[data-testid=offer-card]")];
    expect(cards).toHaveLength(2);
    expect(cards[0].querySelector("[data-testid=offer-from]")!.textContent).toBe("Acme Bikes");
    expect(cards[0].querySelector("[data-testid=offer-price]")!.textContent).toBe("26.00 EUR");
    expect(cards[1].querySelector("[data-testid=offer-from]")!.textContent).toBe("UNVERIFIED signer");
    expect(cards[1].textContent).toContain("did:key:z6MkStranger");
    expect(cards[1].querySelector("[data-testid=offer-accept]")).toBeNull();
    expect(root.querySelector("[data-testid=intent-status]")!.textContent).toBe("2 offers received");

    // Accept: the token of the save dialog's answer goes to the core.
    (cards[0].querySelector("[data-testid=offer-accept]") as HTMLElement).click();
    await flush();
    await find("[data-testid=intent-result]");
    expect(called("offer_accept")[0].args).toEqual({ id: "o2", file: "t-acc" });
    expect(root.querySelector("[data-testid=intent-result]")!.textContent).toContain("acceptance.json");
    expect(root.querySelector("[data-testid=intent-status]")!.textContent).toBe("Accepted");
    expect(root.querySelector("[data-testid=offer-decision]")!.textContent).toBe("Accepted");

    window.dispatchEvent(new KeyboardEvent("keydown", { key: "l", ctrlKey: true }));
    await flush();
    await find("[data-testid=unlock-form]");
    expect(root.textContent).not.toContain("A city bike");
    expect(root.textContent).not.toContain("26.00 EUR");
  });

  it("shows the core's error beside the field it names, else under the form", async () => {
    render(h(App, null), root);
    await click("[data-testid=nav-intents]");
    await click("[data-testid=new-intent]");
    await type("[data-testid=intent-category]", "bicycle");
    await type("[data-testid=intent-description]", "A city bike");
    await type("[data-testid=intent-budget]", "300");
    await click("[data-testid='intent-brand-Acme Bikes']");
    createError = { code: "input.invalid", field: "budget_max", message: "\"300\" is over what the core takes" };
    await submit("[data-testid=intent-form]");
    expect(called("intent_create")).toHaveLength(1);
    expect((await find("[data-testid=intent-error-budget_max]")).textContent).toBe("\"300\" is over what the core takes");
    expect(root.querySelector("[data-testid=intent-error]")).toBeNull();

    createError = { code: "brand.not_found", field: null, message: "no brand b1" };
    await submit("[data-testid=intent-form]");
    expect((await find("[data-testid=intent-error]")).textContent).toBe("no brand b1");
    expect(root.querySelector("[data-testid=intent-error-budget_max]")).toBeNull();
    expect(called("intent_send")).toHaveLength(0);
  });

  it("lists intents with their status", async () => {
    intents = [{ ...madeIntent(input()), status: "has-offers", offers: 1 }];
    render(h(App, null), root);
    await click("[data-testid=nav-intents]");
    const row = await find("[data-testid=intent-row]");
    expect(row.textContent).toContain("A city bike, 54 cm frame");
    expect(row.querySelector("[data-testid=intent-row-status]")!.textContent).toBe("1 offer received");
  });

  it("resends after a failed delivery, declines and withdraws, each asking first where it cannot be undone", async () => {
    const v = madeIntent(input());
    const failed = delivery({ status: "failed", reason: "cannot reach the inbox: connection refused" });
    intents = [{ ...v, status: "has-offers", offers: 1, intent: { ...v.intent, deliveries: [failed] } }];
    offers = [offer("o1", "10", "EUR")];
    releaseSend();
    render(h(App, null), root);
    await click("[data-testid=nav-intents]");
    await click("[data-testid=intent-row]");
    expect((await find("[data-testid=delivery]")).textContent).toMatch(/Acme Bikes: failed .* connection refused/);

    await click("[data-testid=intent-resend]");
    expect(called("intent_send")[0].args).toEqual({ id: "i1", outDir: null });

    await click("[data-testid=offer-decline]");
    expect(called("offer_decline")).toHaveLength(0);
    await click("[data-testid=offer-decline]");
    expect(called("offer_decline")[0].args).toEqual({ id: "o1" });
    expect((await find("[data-testid=offer-decision]")).textContent).toBe("Declined");

    await click("[data-testid=intent-withdraw]");
    await click("[data-testid=intent-withdraw]");
    expect(called("intent_withdraw")[0].args).toEqual({ id: "i1", outDir: null });
    expect((await find("[data-testid=intent-result]")).textContent).toBe("Withdrawn. Delivered 1 time.");
    expect(root.querySelector("[data-testid=intent-status]")!.textContent).toBe("Withdrawn");
    expect(root.querySelector("[data-testid=intent-withdraw]")).toBeNull();
    expect(root.querySelector("[data-testid=intent-resend]")).toBeNull();
  });

  it("broadcasts with each relay's outcome, checks the relays for offers, and accepts a market offer back", async () => {
    intents = [{ ...madeIntent(input()), status: "sent" }];
    render(h(App, null), root);
    await click("[data-testid=nav-intents]");
    await click("[data-testid=intent-row]");
    expect(root.querySelector("[data-testid=offers-fetch]")).toBeNull();
    expect(called("offers_fetch")).toHaveLength(0);

    // The core's error about the area goes beside its field.
    await type("[data-testid=broadcast-geohash]", "a!");
    await click("[data-testid=intent-broadcast]");
    expect((await find("[data-testid=broadcast-geohash-error]")).textContent).toMatch(/geohash/);
    expect(root.querySelector("[data-testid=intent-error]")).toBeNull();
    await type("[data-testid=broadcast-geohash]", "");
    await click("[data-testid=intent-broadcast]");
    expect(called("intent_broadcast")[1].args).toEqual({ id: "i1", geohash: null });
    expect((await find("[data-testid=intent-result]")).textContent).toBe(
      "1 of 2 relays took the intent; 1 could not be reached.",
    );
    const lines = [...root.querySelectorAll("[data-testid=broadcast-relay]")].map((e) => e.textContent);
    expect(lines).toEqual(["ws://127.0.0.1:7001: accepted", "wss://down.example: unreachable — connection refused"]);
    expect((await find("[data-testid=intent-broadcast]")).textContent).toBe("Retry the broadcast");

    // Broadcast and live: the page asks the relays at once, by itself.
    expect((await find("[data-testid=offer-from]")).textContent).toBe("“Velo Shop” (claimed, UNVERIFIED)");
    expect(called("offers_fetch")[0].args).toEqual({ intent: "i1" });
    expect((await find("[data-testid=offers-fetch-note]")).textContent).toBe("1 new offer from the relays.");
    expect(root.querySelector("[data-testid=offer-signer]")!.textContent).toBe("did:key:z6MkSeller");
    expect(root.querySelector("[data-testid=intent-status]")!.textContent).toBe("1 offer received");
    await click("[data-testid=offers-fetch]");
    expect(called("offers_fetch")).toHaveLength(2);
    expect((await find("[data-testid=offers-fetch-note]")).textContent).toBe("No new offers on the relays.");

    // Accepted with no relay taking the acceptance: said plainly.
    await click("[data-testid=offer-accept]");
    expect(called("offer_accept_market")[0].args).toEqual({ id: "m1" });
    expect(called("choose_acceptance_file")).toHaveLength(0);
    expect((await find("[data-testid=intent-result]")).textContent).toBe(
      "Accepted, but the seller has not been told: No relay took the acceptance: 1 could not be reached. The offer stays accepted; send the acceptance again when a relay is back.",
    );
    expect(root.querySelector("[data-testid=acceptance-publish]")!.textContent).toBe("ws://127.0.0.1:7001: unreachable — timed out");
    expect(root.querySelector("[data-testid=offers-fetch]")).toBeNull();

    // The core says it may be sent again: sent, and the button goes.
    await click("[data-testid=offer-resend-acceptance]");
    expect(called("offer_resend_acceptance")[0].args).toEqual({ id: "m1" });
    expect((await find("[data-testid=intent-result]")).textContent).toMatch(/^Sent\. /);
    expect(root.querySelector("[data-testid=offer-resend-acceptance]")).toBeNull();
  });

  it("makes an intent for no brand when it is broadcast, and broadcasts it at once", async () => {
    render(h(App, null), root);
    await click("[data-testid=nav-intents]");
    await click("[data-testid=new-intent]");
    await type("[data-testid=intent-category]", "bicycle");
    await click("[data-testid=intent-broadcast-too]");
    await submit("[data-testid=intent-form]");
    expect(called("intent_check")[0].args).toMatchObject({ form: { brands: [], broadcast: true } });
    await find("[data-testid=intent-page]");
    expect(called("intent_send")).toHaveLength(0);
    expect(called("intent_broadcast")[0].args).toEqual({ id: "i1", geohash: null });
    expect(root.textContent).toContain("1 of 2 relays took the intent; 1 could not be reached.");
    expect((await find("[data-testid=open-market]")).textContent).toContain("ws://127.0.0.1:7001: accepted");
  });
});
