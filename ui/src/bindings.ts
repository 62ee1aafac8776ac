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

export type CommandError = { 
/**
 * Stable code, e.g. `vault.wrong_passphrase`.
 */
code: string, 
/**
 * One line for a human.
 */
message: string, };

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
 * The most the person will pay (a decimal amount).
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
offers: number, };

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
 * The brand whose known `did:key` signed it; `None` when the signer is
 * not a known brand (shown as unverified, never trusted silently).
 */
brand: string | null, 
/**
 * The signer's `did:key`.
 */
signer: string, 
/**
 * The price (a decimal amount).
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
 * The brand's name, if the signer is a known brand.
 */
brand_name: string | null, 
/**
 * Signed by a known brand's key.
 */
verified: boolean, 
/**
 * Past its validity.
 */
expired: boolean, };
