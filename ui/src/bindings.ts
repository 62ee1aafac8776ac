// Generated from the Rust types by `cargo test -p vrm-vault-app bindings`.
// Do not edit: change the Rust type, then run it with UPDATE_BINDINGS=1.

export type Brand = { 
/**
 * Random id (UUID v4).
 */
id: string, 
/**
 * Display name, unique in the vault (case-insensitive).
 */
name: string, 
/**
 * Web domain, e.g. `example.com`.
 */
domain?: string | null, 
/**
 * How to reach them (address, phone, email…).
 */
contact?: string | null, 
/**
 * The person's own notes.
 */
notes?: string | null, 
/**
 * The brand's age recipient (`age1…`), for encrypted shares.
 */
age_recipient?: string | null, 
/**
 * The brand's `did:key`, to verify what it signs.
 */
did?: string | null, 
/**
 * Where the brand receives documents (an http(s) URL).
 */
inbox?: string | null, 
/**
 * When the brand was added.
 */
created_at: string, 
/**
 * When the brand was last changed.
 */
updated_at: string, };

export type BrandInput = { 
/**
 * Display name (required when adding).
 */
name: string | null, 
/**
 * Web domain.
 */
domain: string | null, 
/**
 * Contact details.
 */
contact: string | null, 
/**
 * Notes.
 */
notes: string | null, 
/**
 * `age1…` recipient.
 */
age_recipient: string | null, 
/**
 * `did:key:…`.
 */
did: string | null, 
/**
 * Inbox URL.
 */
inbox: string | null, };

export type BrandPage = { 
/**
 * The brand.
 */
brand: Brand, 
/**
 * Its records across every kind and channel, newest first.
 */
records: Array<Record>, };

export type RecordKind = "profile" | "account" | "purchase" | "warranty" | "subscription" | "preference" | "note" | "interaction";

export type Record = { 
/**
 * Random id (UUID v4).
 */
id: string, 
/**
 * What kind of record this is.
 */
kind: RecordKind, 
/**
 * The brand it belongs to, if any.
 */
brand: string | null, 
/**
 * Typed fields.
 */
fields: { [key in string]: string }, 
/**
 * Tags.
 */
tags: Array<string>, 
/**
 * When the record was added.
 */
created_at: string, 
/**
 * When the record was last changed.
 */
updated_at: string, };

export type NewRecord = { 
/**
 * Kind.
 */
kind: RecordKind, 
/**
 * Brand id, name or id prefix; resolved by the vault.
 */
brand: string | null, 
/**
 * Fields.
 */
fields: { [key in string]: string }, 
/**
 * Tags.
 */
tags: Array<string>, };

export type RecordPatch = { 
/**
 * New kind (the fields must then suit it).
 */
kind: RecordKind | null, 
/**
 * `Some(None)` detaches the record from its brand; `Some(Some(b))` moves
 * it. In JSON: absent leaves it, `null` detaches, a string moves it.
 */
brand?: string | null, 
/**
 * Fields to add or replace.
 */
set: { [key in string]: string }, 
/**
 * Field names to remove.
 */
remove: Array<string>, 
/**
 * Tags to add.
 */
add_tags: Array<string>, 
/**
 * Tags to remove.
 */
remove_tags: Array<string>, };

export type RecordFilter = { 
/**
 * Only this brand (id, id prefix or name).
 */
brand: string | null, 
/**
 * Only this kind.
 */
kind: RecordKind | null, 
/**
 * Only records carrying every one of these tags.
 */
tags: Array<string>, 
/**
 * Only records dated on or after this day.
 */
since: string | null, 
/**
 * Only records dated on or before this day.
 */
until: string | null, };

export type SearchItem = { "type": "brand", 
/**
 * The brand.
 */
brand: Brand, } | { "type": "record", 
/**
 * The record.
 */
record: Record, };

export type KindSpec = { 
/**
 * The kind.
 */
kind: RecordKind, 
/**
 * Its known fields, in display order.
 */
fields: Array<FieldSpecView>, };

export type FieldSpecView = { 
/**
 * Field name.
 */
name: string, 
/**
 * `text`, `date`, `email`, `phone`, `url`, `money` or `choice`.
 */
type: string, 
/**
 * Whether a record of the kind must have it.
 */
required: boolean, 
/**
 * The allowed values of a `choice` field.
 */
options: Array<string>, };

export type SessionStatus = { 
/**
 * The vault folder.
 */
vault_dir: string, 
/**
 * Whether a vault exists there.
 */
exists: boolean, 
/**
 * Whether it is unlocked.
 */
unlocked: boolean, 
/**
 * Minutes of inactivity before it locks itself (0: never).
 */
auto_lock_minutes: number, };

export type VaultInfo = { 
/**
 * The vault folder.
 */
dir: string, 
/**
 * Random id of this vault.
 */
vault_id: string, 
/**
 * When it was created.
 */
created_at: string, 
/**
 * Number of brands.
 */
brands: number, 
/**
 * Number of records.
 */
records: number, 
/**
 * Argon2id memory, KiB.
 */
kdf_m_kib: number, 
/**
 * Argon2id passes.
 */
kdf_t: number, };

export type Settings = { 
/**
 * Minutes of inactivity before the vault locks itself (0: never).
 */
auto_lock_minutes: number, };

export type ImportSummary = { 
/**
 * Brands created.
 */
brands_added: number, 
/**
 * Records created.
 */
records_added: number, 
/**
 * Records skipped because a record with the same id is already there.
 */
records_skipped: number, };

export type ExportSummary = { 
/**
 * Brands written.
 */
brands: number, 
/**
 * Records written.
 */
records: number, 
/**
 * Records left out because their rows are damaged.
 */
damaged_left_out: number, };

export type ImportProgress = { 
/**
 * Rows written so far.
 */
done: number, 
/**
 * Rows in all.
 */
total: number, };

export type FileChoice = "terms-out" | "answer-in" | "share-out" | "revocation-out" | "acknowledgment-in" | "rights-request-out" | "revocations-folder";

export type Template = "SD-BASE" | "SD-BASE-DP" | "PDC-INTENT";

export type TemplateInfo = { 
/**
 * The template.
 */
template: Template, 
/**
 * Its short name.
 */
title: string, 
/**
 * What it means.
 */
summary: string, 
/**
 * Its default clauses.
 */
clauses: Clauses, };

export type Purpose = "service-delivery" | "support" | "billing" | "warranty" | "legal-obligation" | "security" | "personalisation" | "analytics" | "marketing" | "intent-response";

export type ThirdParty = "never" | "only-with-consent";

export type Channel = "call" | "chat" | "email" | "social" | "in-store" | "letter";

export type ContactRules = { 
/**
 * The channels the brand may use (none: no channel).
 */
channels: Array<Channel>, 
/**
 * At most this many inbound contacts in any `per_days` days (0: none).
 */
max_contacts: number, 
/**
 * The length of the window, in days.
 */
per_days: number, 
/**
 * Whether the brand may send marketing.
 */
marketing_allowed: boolean, 
/**
 * Whether the brand may offer what the person did not ask for.
 */
cross_offers_allowed: boolean, };

export type Clauses = { 
/**
 * What the brand may use the data for.
 */
purposes: Array<Purpose>, 
/**
 * How long the brand may keep data after its purpose has ended.
 */
retention_days: number, 
/**
 * Whether the brand may pass data on.
 */
third_party_sharing: ThirdParty, 
/**
 * No tracking by the brand itself beyond what the service needs.
 */
no_tracking_first_party: boolean, 
/**
 * No tracking by others on the brand's sites, apps or messages.
 */
no_tracking_third_party: boolean, 
/**
 * No profiling.
 */
no_profiling: boolean, 
/**
 * Data is erased within this many days of a request (also the deadline
 * a share revocation demands).
 */
deletion_on_request_days: number, 
/**
 * The brand hands over the person's data in a portable form on request.
 */
portability: boolean, 
/**
 * How the brand may contact the person.
 */
contact: ContactRules, 
/**
 * The law the terms are read under, e.g. `EU (GDPR)`.
 */
jurisdiction: string, 
/**
 * The person's own words, appended to the terms.
 */
prose?: string | null, };

export type PurposeOption = { 
/**
 * The purpose.
 */
purpose: Purpose, 
/**
 * Its short name.
 */
name: string, 
/**
 * What it allows, as it reads in the terms.
 */
description: string, };

export type ChannelOption = { 
/**
 * The channel.
 */
channel: Channel, 
/**
 * A few words for a human.
 */
label: string, };

export type TermsOptions = { 
/**
 * Every template, with its default clauses.
 */
templates: Array<TemplateInfo>, 
/**
 * Every purpose.
 */
purposes: Array<PurposeOption>, 
/**
 * Every contact channel.
 */
channels: Array<ChannelOption>, 
/**
 * Shortest retention and deletion period, in days.
 */
days_min: number, 
/**
 * Longest retention and deletion period, in days.
 */
days_max: number, 
/**
 * Most contacts per window.
 */
max_contacts: number, 
/**
 * Longest contact window, in days.
 */
max_per_days: number, };

export type TermsPreview = { 
/**
 * The generated document.
 */
text: string, 
/**
 * Why saving would fail, if it would.
 */
problem: string | null, };

export type TermsVersion = { 
/**
 * Random id of this version.
 */
id: string, 
/**
 * 1, 2, 3… in the order they were made.
 */
number: number, 
/**
 * The template it started from.
 */
template: Template, 
/**
 * The person's title for it.
 */
title: string, 
/**
 * Every clause.
 */
clauses: Clauses, 
/**
 * The human-readable text generated from the clauses.
 */
text: string, 
/**
 * When it was made.
 */
created_at: string, };

export type TermsRef = { 
/**
 * The local terms version.
 */
version: string, 
/**
 * The issued credential's id (`urn:uuid:…`, per brand).
 */
id: string, 
/**
 * SHA-256 (hex) of the issued credential's JCS form.
 */
digest: string, };

export type Decision = "accepted" | "refused" | "counter";

export type ClauseChange = { 
/**
 * The clause's key, as in [`subject_json`] (`retentionDays`,
 * `contact.maxContacts`…).
 */
clause: string, 
/**
 * The clause's name for a human.
 */
label: string, 
/**
 * The value before, for a human.
 */
from: string, 
/**
 * The value after, for a human.
 */
to: string, };

export type Agreement = { 
/**
 * Local id (from the credential's `urn:uuid:`).
 */
id: string, 
/**
 * The brand that answered.
 */
brand: string, 
/**
 * The terms it answers.
 */
terms: TermsRef, 
/**
 * What it answered.
 */
decision: Decision, 
/**
 * For a counter-offer: what it wants changed.
 */
changes: Array<ClauseChange>, 
/**
 * The brand's note, if any.
 */
note: string | null, 
/**
 * When the brand signed it.
 */
signed_at: string, 
/**
 * When it was imported.
 */
received_at: string, 
/**
 * The signed credential as received (JSON).
 */
document: string, };

export type BrandTermsStatus = { 
/**
 * The brand.
 */
brand: Brand, 
/**
 * Its latest answer, if any.
 */
latest: Agreement | null, 
/**
 * Every answer, newest first (refusals are kept too).
 */
history: Array<Agreement>, };

export type ShareRequest = { 
/**
 * The brand (id, name or prefix).
 */
brand: string, 
/**
 * Record ids (or unique prefixes).
 */
records: Array<string>, 
/**
 * Only these fields of each record (all fields when empty).
 */
fields: Array<string>, 
/**
 * What the brand may use them for.
 */
purpose: string, 
/**
 * When the share ends.
 */
expires_at: string, 
/**
 * The terms version it is under (number, id or `latest`); none: the
 * latest version if there is one.
 */
terms: string | null, };

export type SharedItem = { 
/**
 * The record's id in the vault (never sent to the brand).
 */
record: string, 
/**
 * The id the brand sees for it (different for every share).
 */
reference: string, 
/**
 * Its kind.
 */
kind: RecordKind, 
/**
 * The names of the fields shared.
 */
fields: Array<string>, };

export type Revocation = { 
/**
 * The revocation document's id.
 */
id: string, 
/**
 * When it was made.
 */
at: string, 
/**
 * The date by which the brand must have erased the data.
 */
erase_by: string, };

export type Acknowledgment = { 
/**
 * The acknowledgment document's id.
 */
id: string, 
/**
 * When the brand says it erased the data.
 */
erased_at: string, 
/**
 * When it was imported.
 */
received_at: string, 
/**
 * The signed document as received (JSON).
 */
document: string, };

export type Share = { 
/**
 * Share id (the grant is `urn:uuid:<id>`).
 */
id: string, 
/**
 * The brand.
 */
brand: string, 
/**
 * The purpose.
 */
purpose: string, 
/**
 * What was shared.
 */
items: Array<SharedItem>, 
/**
 * When it was made.
 */
created_at: string, 
/**
 * When it ends by itself.
 */
expires_at: string, 
/**
 * The terms it is under.
 */
terms: TermsRef | null, 
/**
 * Days the brand has to erase after a revocation.
 */
erasure_days: number, 
/**
 * SHA-256 (hex) of the signed grant's JCS form.
 */
grant_digest: string, 
/**
 * Set once revoked.
 */
revocation: Revocation | null, 
/**
 * Set once the brand acknowledged erasure.
 */
acknowledgment: Acknowledgment | null, };

export type ShareStatus = "live" | "expired" | "revoked" | "overdue" | "erased";

export type ShareView = { 
/**
 * The share.
 */
share: Share, 
/**
 * Its status now.
 */
status: ShareStatus, 
/**
 * The brand's name.
 */
brand_name: string, 
/**
 * It may be revoked ([`Share::can_revoke`]).
 */
can_revoke: boolean, };

export type Holder = { 
/**
 * The brand's id.
 */
brand: string, 
/**
 * The brand's name.
 */
brand_name: string, 
/**
 * The share through which it holds the item.
 */
share: string, 
/**
 * Since when.
 */
since: string, 
/**
 * Until when the share runs.
 */
until: string, 
/**
 * The share's status (live, revoked, overdue).
 */
status: ShareStatus, 
/**
 * The terms it holds it under.
 */
terms: TermsRef | null, 
/**
 * The purpose.
 */
purpose: string, };

export type ExposureItem = { 
/**
 * The field name.
 */
item: string, 
/**
 * Each brand holding it, by share.
 */
holders: Array<Holder>, };

export type Written = { 
/**
 * The share.
 */
share: Share, 
/**
 * Where the document for the brand was written.
 */
path: string, };

export type Regime = "gdpr" | "ccpa";

export type Right = "gdpr-access" | "gdpr-rectification" | "gdpr-erasure" | "gdpr-portability" | "gdpr-objection" | "ccpa-know" | "ccpa-delete" | "ccpa-correct" | "ccpa-opt-out";

export type RightInfo = { 
/**
 * The right.
 */
right: Right, 
/**
 * Its law.
 */
regime: Regime, 
/**
 * `Art. 15`, `§1798.110`.
 */
article: string, 
/**
 * Its name.
 */
title: string, };

export type RequestStatus = "open" | "in-progress" | "fulfilled" | "denied" | "expired";

export type StatusChange = { 
/**
 * When.
 */
at: string, 
/**
 * To what.
 */
status: RequestStatus, };

export type RightsRequest = { 
/**
 * Random id; also the reference quoted in letters.
 */
id: string, 
/**
 * The brand asked.
 */
brand: string, 
/**
 * The right exercised.
 */
right: Right, 
/**
 * The day the request reached (or was sent to) the brand.
 */
sent_on: string, 
/**
 * Whether the brand extended the deadline as the law allows.
 */
extended: boolean, 
/**
 * Where it stands.
 */
status: RequestStatus, 
/**
 * The brand's reason, when denied.
 */
reason: string | null, 
/**
 * What exactly the person asks (what to correct, an account number…).
 */
details: string | null, 
/**
 * Every status it had, oldest first.
 */
history: Array<StatusChange>, 
/**
 * When it was made.
 */
created_at: string, };

export type RightsRequestView = { 
/**
 * The request.
 */
request: RightsRequest, 
/**
 * The brand's name.
 */
brand_name: string, 
/**
 * The deadline.
 */
due: string, 
/**
 * Days to the deadline (negative once past).
 */
days_left: number, 
/**
 * Still pending and past the deadline: a follow-up is due.
 */
overdue: boolean, };

export type NewRightsRequest = { 
/**
 * The request.
 */
request: RightsRequest, 
/**
 * The letter to send by email or post.
 */
letter: string, 
/**
 * The signed `DataRightsRequest` credential.
 */
document: unknown, };

export type ContactPurpose = "service" | "support" | "billing" | "marketing" | "sales" | "other";

export type ViolationKind = { "kind": "too-many", 
/**
 * This contact's number in its window.
 */
count: number, 
/**
 * The most the rules allow.
 */
max: number, 
/**
 * The window, in days.
 */
per_days: number, } | { "kind": "channel-not-allowed", 
/**
 * The channel used.
 */
channel: Channel, } | { "kind": "marketing-not-allowed", 
/**
 * `marketing` or `sales`.
 */
purpose: ContactPurpose, } | { "kind": "cross-offer-not-allowed" };

export type Violation = { 
/**
 * The day of the contact.
 */
at: string, 
/**
 * The rule it broke.
 */
rule: ViolationKind, 
/**
 * The interaction record of the contact, if known.
 */
record?: string | null, 
/**
 * One line for a human.
 */
description: string, };

export type BrandViolations = { 
/**
 * The brand.
 */
brand: Brand, 
/**
 * The terms version whose rules apply (the one it accepted last).
 */
terms_version: number, 
/**
 * Since when the rules apply (when it accepted them).
 */
since: string, 
/**
 * Each broken rule, oldest first.
 */
violations: Array<Violation>, };

export type AuditAction = "terms-created" | "terms-issued" | "agreement-imported" | "share-created" | "share-revoked" | "erasure-acknowledged" | "rights-requested" | "rights-updated" | "exported" | "imported" | "record-deleted" | "brand-deleted" | "intent-created" | "intent-sent" | "intent-withdrawn" | "offer-imported" | "offer-accepted" | "offer-declined";

export type AuditEntry = { 
/**
 * 1, 2, 3… with no gaps.
 */
seq: number, 
/**
 * When it happened.
 */
at: string, 
/**
 * What happened.
 */
action: AuditAction, 
/**
 * The brand concerned (its id; the brand may since have been deleted).
 */
brand: string | null, 
/**
 * The id of what it is about (share, terms version, request, record…).
 */
subject: string | null, 
/**
 * A short description without any value the person typed.
 */
summary: string, 
/**
 * SHA-256 (hex) of the previous entry's plaintext; empty for the first.
 */
prev: string, };

export type AuditReport = { 
/**
 * Entries checked.
 */
entries: number, 
/**
 * SHA-256 (hex) of the last entry: a person who writes it down can later
 * tell that nothing before it changed.
 */
head: string, };

export type AuditLog = { 
/**
 * Every entry, oldest first.
 */
entries: Array<AuditEntry>, 
/**
 * What the check found.
 */
report: AuditReport, };

export type IntentForm = { 
/**
 * What kind of thing.
 */
category: string, 
/**
 * In the person's words.
 */
description: string, 
/**
 * How many: a whole number, 1 or more; empty for none.
 */
quantity: string, 
/**
 * The most the person will pay: an amount like `24.50`; empty for none.
 */
budget_max: string, 
/**
 * Its currency (ISO 4217, any case); needed with a budget.
 */
currency: string, 
/**
 * Where; empty for nowhere in particular.
 */
location: string, 
/**
 * By which day it is needed; empty for none.
 */
needed_by: string, 
/**
 * The last day offers are welcome: until the end of that day, UTC (as
 * `vrm intent create --expires YYYY-MM-DD` reads a day).
 */
valid_until: string, 
/**
 * The brands to send it to (ids); at least one, as the form makes and
 * sends at once.
 */
brands: Array<string>, };

export type IntentInput = { 
/**
 * What kind of thing (e.g. `lunch`, `bicycle`).
 */
category: string, 
/**
 * In the person's words.
 */
description: string, 
/**
 * How many.
 */
quantity: number | null, 
/**
 * The most the person will pay (a decimal amount; a string in JSON).
 */
budget_max: string | null, 
/**
 * The currency of the budget (ISO 4217, e.g. `EUR`).
 */
currency: string | null, 
/**
 * Where.
 */
location: string | null, 
/**
 * By when it is needed.
 */
needed_by: string | null, 
/**
 * Until when offers are welcome.
 */
expires_at: string, 
/**
 * The PDC-INTENT terms version it is under (number, id or `latest`);
 * none: the latest PDC-INTENT version, if any.
 */
terms: string | null, 
/**
 * The brands to send it to (ids, names or prefixes).
 */
brands: Array<string>, };

export type Intent = { 
/**
 * Random id (the credential is `urn:uuid:<id>`).
 */
id: string, 
/**
 * What was asked.
 */
input: IntentInput, 
/**
 * The brands it is for (ids).
 */
brands: Array<string>, 
/**
 * The intent's own `did:key`.
 */
did: string, 
/**
 * Where offers may be encrypted to (`age1…`).
 */
reply_to: string, 
/**
 * When it was made.
 */
created_at: string, 
/**
 * The signed `IntentRequest` (JSON).
 */
document: string, 
/**
 * Deliveries of the intent, newest last.
 */
deliveries: Array<Delivery>, 
/**
 * Set once withdrawn.
 */
withdrawn_at: string | null, 
/**
 * Deliveries of the withdrawal.
 */
withdrawal_deliveries: Array<Delivery>, 
/**
 * The offer accepted, if any.
 */
accepted_offer: string | null, };

export type IntentStatus = "draft" | "sent" | "has-offers" | "accepted" | "expired" | "withdrawn";

export type IntentView = { 
/**
 * The intent.
 */
intent: Intent, 
/**
 * Where it stands now.
 */
status: IntentStatus, 
/**
 * Offers received.
 */
offers: number, 
/**
 * Offers may still be taken, and it may be sent ([`Intent::is_live`]).
 */
is_live: boolean, 
/**
 * It may be sent (again) now ([`Intent::can_resend`]).
 */
can_resend: boolean, 
/**
 * It may be withdrawn ([`Intent::can_withdraw`]).
 */
can_withdraw: boolean, };

export type Delivery = { 
/**
 * The brand.
 */
brand: string, 
/**
 * `sent` or `failed`.
 */
status: DeliveryStatus, 
/**
 * Where it went: a file path or an inbox URL.
 */
to: string, 
/**
 * Why it failed.
 */
reason: string | null, 
/**
 * When.
 */
at: string, };

export type DeliveryStatus = "sent" | "failed";

export type Offer = { 
/**
 * Local id (from the offer's `urn:uuid:`).
 */
id: string, 
/**
 * The intent it answers.
 */
intent: string, 
/**
 * The brand, among those the intent was sent to, whose known `did:key`
 * signed it; `None` when the signer is not one of them (shown as
 * unverified, never trusted silently).
 */
brand: string | null, 
/**
 * The signer's `did:key`.
 */
signer: string, 
/**
 * The price (a decimal amount; a string in JSON).
 */
price: string, 
/**
 * The currency.
 */
currency: string, 
/**
 * What the brand offers.
 */
description: string | null, 
/**
 * Until when it stands.
 */
valid_until: string | null, 
/**
 * When it was imported.
 */
received_at: string, 
/**
 * What the person decided.
 */
decision: OfferDecision, 
/**
 * When.
 */
decided_at: string | null, 
/**
 * The signed offer as received (JSON).
 */
document: string, };

export type OfferDecision = "open" | "accepted" | "declined";

export type OfferView = { 
/**
 * The offer.
 */
offer: Offer, 
/**
 * The brand's name, when the offer is verified.
 */
brand_name: string | null, 
/**
 * Signed by the key of a brand the intent was sent to.
 */
verified: boolean, 
/**
 * Why it is not verified (signed by a brand the intent was not sent
 * to, or by a key no brand has).
 */
unverified_reason: string | null, 
/**
 * Past its validity.
 */
expired: boolean, 
/**
 * The lowest price among its intent's offers in its currency.
 */
cheapest: boolean, 
/**
 * How much more it costs than the cheapest of its intent's offers in
 * its currency (zero for the cheapest; a string in JSON).
 */
above_cheapest: string, 
/**
 * It may be accepted now: open, verified, unexpired, and its intent
 * live (what [`Intents::accept_offer`] checks).
 */
can_accept: boolean, 
/**
 * It may be declined now: still open.
 */
can_decline: boolean, };

export type CommandError = { 
/**
 * Stable code, e.g. `vault.wrong_passphrase`.
 */
code: string, 
/**
 * The input value the error is about, named as the core names it (see
 * `vrm_vault::Error::field`: `name`, `budget_max`, `fields.email`,
 * `contact.maxContacts`…), so a form can show the message beside it;
 * `null` when it is about no one value.
 */
field: string | null, 
/**
 * One line for a human.
 */
message: string, };
