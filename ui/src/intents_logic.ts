// Presentation helpers of the Intents screen: the compose form → an
// IntentInput (with the messages shown before calling the core, which checks
// every value again), status labels, and the offers laid side by side.
import type { Brand, Delivery, IntentInput, IntentStatus, IntentView, OfferView } from "./bindings";

/** The compose form, as typed. Dates are `YYYY-MM-DD` (date inputs). */
export type IntentForm = {
  category: string;
  description: string;
  quantity: string;
  budget: string;
  currency: string;
  location: string;
  neededBy: string;
  validUntil: string;
  brands: string[];
};

export type IntentField = keyof IntentForm;

/** Field → what to tell the person. */
export type FormErrors = Partial<{ [K in IntentField]: string }>;

export type FormResult = { ok: true; input: IntentInput } | { ok: false; errors: FormErrors };

/** The compose form's field for a field the core names (its `vrm intent
 *  new` options), if the form has one. */
const INTENT_FIELDS = new Map<string, IntentField>([
  ["category", "category"],
  ["description", "description"],
  ["quantity", "quantity"],
  ["budget_max", "budget"],
  ["currency", "currency"],
  ["location", "location"],
  ["needed_by", "neededBy"],
  ["expires", "validUntil"],
  ["brand", "brands"],
]);

export function intentField(core: string): IntentField | undefined {
  return INTENT_FIELDS.get(core);
}

/** Longest an intent may run, in days (the core's limit). */
export const MAX_INTENT_DAYS = 366;

/** A local calendar day as `YYYY-MM-DD`. */
export function isoDay(d: Date): string {
  const p = (n: number) => String(n).padStart(2, "0");
  return `${d.getFullYear()}-${p(d.getMonth() + 1)}-${p(d.getDate())}`;
}

function parseDay(s: string): Date | null {
  const m = /^(\d{4})-(\d{2})-(\d{2})$/.exec(s.trim());
  if (!m) return null;
  const d = new Date(Number(m[1]), Number(m[2]) - 1, Number(m[3]));
  return isoDay(d) === s.trim() ? d : null;
}

/** A fresh form: offers welcome for a week. */
export function emptyIntentForm(now: Date = new Date()): IntentForm {
  const week = new Date(now.getFullYear(), now.getMonth(), now.getDate() + 7);
  return {
    category: "",
    description: "",
    quantity: "",
    budget: "",
    currency: "EUR",
    location: "",
    neededBy: "",
    validUntil: isoDay(week),
    brands: [],
  };
}

const opt = (s: string): string | null => (s.trim() === "" ? null : s.trim());

/** The form → the intent to make, or the messages to show next to fields. */
export function intentInputFrom(form: IntentForm, now: Date = new Date()): FormResult {
  const errors: FormErrors = {};
  if (form.category.trim() === "") errors.category = "Say what kind of thing you want, e.g. bicycle or lunch.";
  if (form.description.trim() === "") errors.description = "Describe what you want in your own words.";

  let quantity: number | null = null;
  if (form.quantity.trim() !== "") {
    const q = form.quantity.trim();
    if (!/^\d+$/.test(q) || Number(q) < 1 || Number(q) > 4294967295) {
      errors.quantity = "The quantity is a whole number, 1 or more.";
    } else {
      quantity = Number(q);
    }
  }

  const budget = opt(form.budget);
  const currency = opt(form.currency)?.toUpperCase() ?? null;
  if (budget !== null && !/^\d{1,15}(\.\d{1,4})?$/.test(budget)) {
    errors.budget = "The budget is an amount like 24.50 (digits, a dot, at most 4 decimals).";
  }
  if (budget !== null && currency === null) {
    errors.currency = "Give the budget's currency, e.g. EUR.";
  } else if (currency !== null && !/^[A-Z]{3}$/.test(currency)) {
    errors.currency = "The currency is three letters, like EUR or USD.";
  }

  let neededBy: string | null = null;
  if (form.neededBy.trim() !== "") {
    if (parseDay(form.neededBy) === null) errors.neededBy = "Pick a day, or leave it empty.";
    else neededBy = form.neededBy.trim();
  }

  let expiresAt = "";
  const until = parseDay(form.validUntil);
  if (until === null) {
    errors.validUntil = "Pick the last day on which offers are welcome.";
  } else {
    // Offers are welcome until the end of that day, local time.
    const end = new Date(until.getFullYear(), until.getMonth(), until.getDate(), 23, 59, 59);
    if (end.getTime() <= now.getTime()) {
      errors.validUntil = "That day is past; offers must be welcome until today or later.";
    } else if (end.getTime() - now.getTime() > MAX_INTENT_DAYS * 86_400_000) {
      errors.validUntil = "An intent may run at most a year.";
    } else {
      expiresAt = end.toISOString();
    }
  }

  if (form.brands.length === 0) errors.brands = "Choose at least one brand to send it to.";

  if (Object.keys(errors).length > 0) return { ok: false, errors };
  return {
    ok: true,
    input: {
      category: form.category.trim(),
      description: form.description.trim(),
      quantity,
      budget_max: budget,
      currency: budget === null && currency === null ? null : currency,
      location: opt(form.location),
      needed_by: neededBy,
      expires_at: expiresAt,
      terms: null,
      brands: [...form.brands],
    },
  };
}

const STATUS: { [S in IntentStatus]: string } = {
  draft: "Not sent yet",
  sent: "Sent, waiting for offers",
  "has-offers": "Offers in",
  accepted: "Accepted",
  expired: "Expired",
  withdrawn: "Withdrawn",
};

/** How an intent's status reads in lists. */
export function statusLabel(v: Pick<IntentView, "status" | "offers">): string {
  if (v.status === "has-offers") return `${v.offers} offer${v.offers === 1 ? "" : "s"} received`;
  return STATUS[v.status];
}

/** Whether offers may still be taken and the intent sent or withdrawn. */
export function isLive(status: IntentStatus): boolean {
  return status === "draft" || status === "sent" || status === "has-offers";
}

/** Offer a (re)send: a live intent not sent yet, or with a failed delivery. */
export function canResend(v: Pick<IntentView, "status" | "intent">): boolean {
  return isLive(v.status) && (v.status === "draft" || v.intent.deliveries.some((d) => d.status === "failed"));
}

/** A calendar day of an RFC 3339 time, as shown (local time). */
export function dayOf(t: string | null | undefined): string {
  if (!t) return "";
  const d = new Date(t);
  return Number.isNaN(d.getTime()) ? t.slice(0, 10) : isoDay(d);
}

/** A brand's name by id (a deleted brand: its id's start). */
export function brandName(brands: Brand[], id: string): string {
  return brands.find((b) => b.id === id)?.name ?? `brand ${id.slice(0, 8)}`;
}

/** One delivery as a line: who, and sent where or why not. */
export function deliveryLine(d: Delivery, brands: Brand[]): string {
  const who = brandName(brands, d.brand);
  if (d.status === "sent") return `${who}: sent to ${d.to}${d.reason ? ` (${d.reason})` : ""}`;
  return `${who}: failed${d.to ? ` (${d.to})` : ""} — ${d.reason ?? "no reason given"}`;
}

/** This round's deliveries in one sentence. */
export function deliverySummary(round: Delivery[]): string {
  const sent = round.filter((d) => d.status === "sent").length;
  const failed = round.length - sent;
  if (round.length === 0) return "There was no brand to send it to.";
  if (failed === 0) return `Delivered ${sent} time${sent === 1 ? "" : "s"}.`;
  if (sent === 0) return `Not delivered: ${failed} failed. See why below.`;
  return `Delivered ${sent} time${sent === 1 ? "" : "s"}; ${failed} failed. See why below.`;
}

// Amounts as ten-thousandths (BigInt): no float rounding in comparisons.
function units(amount: string): bigint | null {
  const m = /^(\d+)(?:\.(\d{1,4}))?$/.exec(amount.trim());
  if (!m) return null;
  return BigInt(m[1]) * 10000n + BigInt((m[2] ?? "").padEnd(4, "0"));
}

function formatUnits(u: bigint): string {
  const whole = u / 10000n;
  let frac = (u % 10000n).toString().padStart(4, "0");
  while (frac.length > 2 && frac.endsWith("0")) frac = frac.slice(0, -1);
  return `${whole}.${frac}`;
}

/** An offer as laid out for comparison. */
export type OfferCard = {
  id: string;
  /** The brand's name, or UNVERIFIED signer. */
  from: string;
  verified: boolean;
  /** The signer's did:key (shown for unverified offers). */
  signer: string;
  /** e.g. `24.50 EUR`. */
  price: string;
  /** `Cheapest` in its currency, or how much more than the cheapest. */
  rank: string;
  cheapest: boolean;
  description: string;
  /** e.g. `valid until 2026-05-01`. */
  validUntil: string;
  expired: boolean;
  /** `Accepted`, `Declined`, or empty while open. */
  decision: string;
  /** The person may accept it now (the core checks again). */
  canAccept: boolean;
  /** Why not, when it is open but cannot be accepted. */
  acceptHint: string;
  canDecline: boolean;
};

/** Offers → cards, in the core's order (cheapest first within a currency). */
export function offerCards(offers: OfferView[], intentStatus: IntentStatus): OfferCard[] {
  const cheapest = new Map<string, bigint>();
  for (const v of offers) {
    const u = units(v.offer.price);
    const best = cheapest.get(v.offer.currency);
    if (u !== null && (best === undefined || u < best)) cheapest.set(v.offer.currency, u);
  }
  const live = isLive(intentStatus);
  return offers.map((v) => {
    const o = v.offer;
    const u = units(o.price);
    const best = cheapest.get(o.currency);
    const isCheapest = u !== null && best !== undefined && u === best;
    const rank =
      u === null || best === undefined
        ? ""
        : isCheapest
          ? offers.filter((x) => x.offer.currency === o.currency).length > 1
            ? `Cheapest in ${o.currency}`
            : "Only offer"
          : `+${formatUnits(u - best)} ${o.currency} more`;
    const open = o.decision === "open";
    let acceptHint = "";
    // Only an offer signed by a brand the intent was sent to is verified.
    if (open && !v.verified)
      acceptHint = `Unverified: ${v.unverified_reason ?? "signed by a key no brand of yours has"}. Only an offer signed by a brand you sent the intent to (with its DID on the Brands screen) can be accepted.`;
    else if (open && v.expired) acceptHint = "This offer has expired.";
    else if (open && !live) acceptHint = "This intent no longer takes offers.";
    return {
      id: o.id,
      from: v.verified ? (v.brand_name ?? "a known brand") : "UNVERIFIED signer",
      verified: v.verified,
      signer: o.signer,
      price: `${o.price} ${o.currency}`,
      rank,
      cheapest: isCheapest,
      description: o.description ?? "",
      validUntil: o.valid_until ? `valid until ${dayOf(o.valid_until)}` : "no end date given",
      expired: v.expired,
      decision: o.decision === "accepted" ? "Accepted" : o.decision === "declined" ? "Declined" : "",
      canAccept: open && v.verified && !v.expired && live,
      acceptHint,
      canDecline: open,
    };
  });
}
