// How the person's relations with brands are shown: terms, shares,
// exposure, rights requests and the activity log: labels, the exposure
// matrix, and form state → the request objects the commands take. The core
// decides every rule (deadlines, statuses, what may be revoked, what is
// valid, what a typed number is) and says it in its views and errors;
// nothing here second-guesses it. Dates: dates.ts.
import type {
  AuditAction,
  AuditEntry,
  Clauses,
  Decision,
  ExposureItem,
  Holder,
  ObservedHolder,
  Record,
  Regime,
  RequestStatus,
  RightInfo,
  RightsRequestView,
  ShareRequest,
  ShareStatus,
  Template,
  TermsForm,
  ThirdParty,
} from "./bindings";
import { dayOf, days, endOfDay } from "./dates";
import { recordTitle, sameNames } from "./format";

// ---- lists -----------------------------------------------------------------

/** The list with `item` in it (`on`) or not, keeping the others' order. */
export function toggled<T>(list: T[], item: T, on: boolean): T[] {
  const without = list.filter((x) => x !== item);
  return on ? [...without, item] : without;
}

// ---- terms -----------------------------------------------------------------

/** The editor's state for clauses (a template's defaults, or a version to
 *  copy): numbers as the inputs show them. The core reads the form back
 *  (TermsForm::clauses) and checks it; the editor parses nothing. */
export function termsForm(template: Template, title: string, c: Clauses): TermsForm {
  return {
    template,
    title,
    purposes: [...c.purposes],
    retention_days: String(c.retention_days),
    third_party_sharing: c.third_party_sharing,
    no_tracking_first_party: c.no_tracking_first_party,
    no_tracking_third_party: c.no_tracking_third_party,
    no_profiling: c.no_profiling,
    deletion_on_request_days: String(c.deletion_on_request_days),
    portability: c.portability,
    channels: [...c.contact.channels],
    max_contacts: String(c.contact.max_contacts),
    per_days: String(c.contact.per_days),
    marketing_allowed: c.contact.marketing_allowed,
    cross_offers_allowed: c.contact.cross_offers_allowed,
    jurisdiction: c.jurisdiction,
    prose: c.prose ?? "",
  };
}

/** The editor's fields that show an error beside them. The core names the
 *  form's own fields (TermsForm::check); any other goes under the form. */
export const TERMS_FIELDS = [
  "title",
  "purposes",
  "retention_days",
  "deletion_on_request_days",
  "portability",
  "channels",
  "max_contacts",
  "per_days",
  "jurisdiction",
  "prose",
] as const satisfies readonly (keyof TermsForm)[];

export const termsField = sameNames(TERMS_FIELDS);

export const THIRD_PARTY_LABELS: { value: ThirdParty; label: string }[] = [
  { value: "never", label: "Never" },
  { value: "only-with-consent", label: "Only with my consent, each time" },
];

/** Jurisdictions offered as suggestions (any other may be typed). */
export const JURISDICTIONS = ["EU (GDPR)", "UK (UK GDPR)", "US-CA (CCPA/CPRA)", "CH (FADP)"];

/** What a brand answered, in words; no answer yet when null. */
export function decisionLabel(d: Decision | null | undefined): string {
  switch (d) {
    case "accepted":
      return "Accepted";
    case "refused":
      return "Refused";
    case "counter":
      return "Counter-offer";
    default:
      return "No answer yet";
  }
}

// ---- shares ----------------------------------------------------------------

/** The Share screen's state. */
export type ShareForm = {
  brand: string;
  records: string[];
  fields: string[];
  purpose: string;
  expires: string; // YYYY-MM-DD
  terms: string; // a version id, or "" for the latest
};

/** The Share screen's field for a field the core names (its `vrm share new`
 *  options), if the screen has one. */
const SHARE_FIELDS = new Map<string, keyof ShareForm>([
  ["brand", "brand"],
  ["record", "records"],
  ["fields", "fields"],
  ["purpose", "purpose"],
  ["expires", "expires"],
]);

export function shareField(core: string): keyof ShareForm | undefined {
  return SHARE_FIELDS.get(core);
}

/** The Share screen's state → the request (no fields chosen: every field). */
export function shareRequestFrom(f: ShareForm): ShareRequest {
  return {
    brand: f.brand,
    records: [...f.records],
    fields: [...f.fields],
    purpose: f.purpose.trim(),
    expires_at: endOfDay(f.expires),
    terms: f.terms === "" ? null : f.terms,
  };
}

/** The field names of the chosen records, sorted, once each. */
export function fieldNames(records: Record[], chosen: string[]): string[] {
  const names = new Set<string>();
  for (const r of records) if (chosen.includes(r.id)) for (const k of Object.keys(r.fields)) names.add(k);
  return [...names].sort();
}

/** Records to pick from: the brand's own first, then those of no brand, then the rest; newest first in each. */
export function shareableRecords(records: Record[], brand: string): Record[] {
  const rank = (r: Record) => (brand && r.brand === brand ? 0 : r.brand ? 2 : 1);
  return [...records].sort((a, b) => rank(a) - rank(b) || b.created_at.localeCompare(a.created_at));
}

/** A record in the picker: "profile · ana@example.org". */
export function recordLabel(r: Record): string {
  return `${r.kind} · ${recordTitle(r)}`;
}

export const SHARE_STATUS_LABELS: { [s in ShareStatus]: string } = {
  live: "Live",
  expired: "Expired",
  revoked: "Revoked, awaiting erasure",
  overdue: "Erasure overdue",
  erased: "Erased",
};

/** A share's status in words. */
export function shareStatusLabel(s: ShareStatus): string {
  return SHARE_STATUS_LABELS[s] ?? s;
}

// ---- exposure --------------------------------------------------------------

export type ExposureMatrix = {
  /** The columns: every brand holding something (by share or seen in mail), by name. */
  brands: { id: string; name: string }[];
  /** One row per data item, one cell per brand (empty: it does not hold
   *  it): the shares in `cells`, what the person's mail showed in `seen`. */
  rows: { item: string; cells: Holder[][]; seen: ObservedHolder[][]; live: boolean }[];
};

/** Data items × brands: who holds what, through which shares, and what the
 *  person's mail showed them holding. */
export function exposureMatrix(items: ExposureItem[]): ExposureMatrix {
  const names = new Map<string, string>();
  for (const i of items) {
    for (const h of i.holders) names.set(h.brand, h.brand_name);
    for (const o of i.observed ?? []) names.set(o.brand, o.brand_name);
  }
  const brands = [...names]
    .map(([id, name]) => ({ id, name }))
    .sort((a, b) => a.name.toLowerCase().localeCompare(b.name.toLowerCase()) || a.id.localeCompare(b.id));
  const rows = [...items]
    .sort((a, b) => a.item.localeCompare(b.item))
    .map((i) => ({
      item: i.item,
      cells: brands.map((b) => i.holders.filter((h) => h.brand === b.id)),
      seen: brands.map((b) => (i.observed ?? []).filter((o) => o.brand === b.id)),
      live: i.holders.some((h) => h.status === "live"),
    }));
  return { brands, rows };
}

/** One holding in a cell: "Live since 2026-03-01". */
export function holdingText(h: Holder): string {
  return `${shareStatusLabel(h.status)} since ${dayOf(h.since)}`;
}

// ---- rights requests -------------------------------------------------------

export const REQUEST_STATUS_LABELS: { [s in RequestStatus]: string } = {
  open: "Open",
  "in-progress": "In progress",
  fulfilled: "Fulfilled",
  denied: "Denied",
  expired: "Expired unanswered",
};

export function requestStatusLabel(s: RequestStatus): string {
  return REQUEST_STATUS_LABELS[s] ?? s;
}

/** The clock of a request as shown: "Overdue by 3 days", "Due today", "12 days left"; "" once answered. */
export function deadlineText(v: RightsRequestView): string {
  if (v.overdue) return `Overdue by ${days(-v.days_left)}`;
  if (v.request.status !== "open" && v.request.status !== "in-progress") return "";
  if (v.days_left === 0) return "Due today";
  return `${days(v.days_left)} left`;
}

const REGIME_NAMES: { [r in Regime]: string } = { gdpr: "GDPR (EU)", ccpa: "CCPA/CPRA (California)" };

/** Rights grouped by law, for a picker. */
export function rightsByRegime(infos: RightInfo[]): { regime: Regime; name: string; rights: RightInfo[] }[] {
  const out: { regime: Regime; name: string; rights: RightInfo[] }[] = [];
  for (const r of infos) {
    let g = out.find((x) => x.regime === r.regime);
    if (!g) out.push((g = { regime: r.regime, name: REGIME_NAMES[r.regime] ?? r.regime, rights: [] }));
    g.rights.push(r);
  }
  return out;
}

/** "Right of access (Art. 15)". */
export function rightLabel(r: RightInfo | undefined, fallback: string): string {
  return r ? `${r.title} (${r.article})` : fallback;
}

// ---- activity --------------------------------------------------------------

const ACTION_LABELS: { [a in AuditAction]: string } = {
  "terms-created": "Terms version made",
  "terms-issued": "Terms signed for a brand",
  "agreement-imported": "Brand's answer imported",
  "share-created": "Shared",
  "share-revoked": "Share revoked",
  "erasure-acknowledged": "Erasure acknowledged",
  "rights-requested": "Rights request made",
  "rights-updated": "Rights request updated",
  exported: "Exported",
  imported: "Imported",
  "record-deleted": "Record deleted",
  "brand-deleted": "Brand deleted",
  "intent-created": "Intent made",
  "intent-sent": "Intent sent",
  "intent-withdrawn": "Intent withdrawn",
  "offer-imported": "Offer imported",
  "offer-accepted": "Offer accepted",
  "offer-declined": "Offer declined",
  "discovery-accepted": "Brought in from email",
};

export function actionLabel(a: AuditAction): string {
  return ACTION_LABELS[a] ?? a;
}

/** The log as a timeline: newest first. */
export function newestFirst(entries: AuditEntry[]): AuditEntry[] {
  return [...entries].sort((a, b) => b.seq - a.seq);
}
