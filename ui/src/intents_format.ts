// How the Intents screen shows things: the compose form's state and where
// the core's error about it goes, status labels, deliveries, and the offers
// laid side by side. The core checks the form (IntentForm::check), says what
// may be done with an intent or an offer (can_resend, can_accept…) and
// compares prices; nothing here decides any of it.
import type { Brand, Delivery, IntentForm, IntentStatus, IntentView, OfferView } from "./bindings";
import { addDays, dayOf, today } from "./dates";

export type { IntentForm };

export type IntentField = keyof IntentForm;

/** Field → what to tell the person. */
export type FormErrors = Partial<{ [K in IntentField]: string }>;

/** A fresh form: offers welcome for a week. */
export function emptyIntentForm(now: Date = new Date()): IntentForm {
  return {
    category: "",
    description: "",
    quantity: "",
    budget_max: "",
    currency: "EUR",
    location: "",
    needed_by: "",
    valid_until: addDays(today(now), 7),
    brands: [],
    broadcast: false,
  };
}

/** The compose form's field for a field the core names (IntentForm::check
 *  names the form's own; `vrm intent new`'s options where the create call
 *  names them), if the form has one. A map, not an object: no inherited
 *  names such as `constructor`. */
const INTENT_FIELDS = new Map<string, IntentField>([
  ["category", "category"],
  ["description", "description"],
  ["quantity", "quantity"],
  ["budget_max", "budget_max"],
  ["currency", "currency"],
  ["location", "location"],
  ["needed_by", "needed_by"],
  ["valid_until", "valid_until"],
  ["expires", "valid_until"],
  ["brand", "brands"],
  ["brands", "brands"],
]);

export function intentField(core: string): IntentField | undefined {
  return INTENT_FIELDS.get(core);
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

/** A difference of prices as the core gives it, shown with cents: "1.5" → "1.50". */
export function money(amount: string): string {
  const [whole, frac = ""] = amount.split(".");
  return `${whole}.${frac.replace(/0+$/, "").padEnd(2, "0")}`;
}

/** An offer as laid out for comparison. */
export type OfferCard = {
  id: string;
  /** The brand's name, or UNVERIFIED signer, or the name a seller on the
   *  open market claims, marked unverified. */
  from: string;
  verified: boolean;
  /** It came over relays (a seller on the open market). */
  market: boolean;
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
  /** The core says it may be accepted now. */
  canAccept: boolean;
  /** Why not, when it is open but cannot be accepted. */
  acceptHint: string;
  canDecline: boolean;
  /** The core says its acceptance reached no relay and may be sent again. */
  canResendAcceptance: boolean;
};

/** Offers → cards, in the core's order (cheapest first within a currency). */
export function offerCards(offers: OfferView[]): OfferCard[] {
  return offers.map((v) => {
    const o = v.offer;
    const rank = v.cheapest
      ? offers.filter((x) => x.offer.intent === o.intent && x.offer.currency === o.currency).length > 1
        ? `Cheapest in ${o.currency}`
        : "Only offer"
      : `+${money(v.above_cheapest)} ${o.currency} more`;
    const open = o.decision === "open";
    let acceptHint = "";
    // Why the core says it cannot be accepted, most telling reason first.
    if (open && !v.verified && o.market && v.can_accept)
      acceptHint =
        "A seller on the open market you do not know yet: its name is what it claims, not verified. Accepting sends the signed acceptance back to it over the relays.";
    else if (open && !v.verified && !o.market)
      acceptHint = `Unverified: ${v.unverified_reason ?? "signed by a key no brand of yours has"}. Only an offer signed by a brand you sent the intent to (with its DID on the Brands screen) can be accepted.`;
    else if (open && v.expired) acceptHint = "This offer has expired.";
    else if (open && !v.can_accept) acceptHint = "This intent no longer takes offers.";
    else if (v.can_resend_acceptance)
      acceptHint = "No relay took the acceptance yet: the seller has not been told. Send it again.";
    return {
      id: o.id,
      from: v.verified
        ? (v.brand_name ?? "a known brand")
        : o.market
          ? o.market.claimed_name
            ? `“${o.market.claimed_name}” (claimed, UNVERIFIED)`
            : "UNVERIFIED seller on the open market"
          : "UNVERIFIED signer",
      verified: v.verified,
      market: !!o.market,
      signer: o.signer,
      price: `${o.price} ${o.currency}`,
      rank,
      cheapest: v.cheapest,
      description: o.description ?? "",
      validUntil: o.valid_until ? `valid until ${dayOf(o.valid_until)}` : "no end date given",
      expired: v.expired,
      decision: o.decision === "accepted" ? "Accepted" : o.decision === "declined" ? "Declined" : "",
      canAccept: v.can_accept,
      acceptHint,
      canDecline: v.can_decline,
      canResendAcceptance: v.can_resend_acceptance,
    };
  });
}
