// Intents: say what you want to the brands you choose, see how the sending
// went, then compare the brands' signed offers side by side and accept one
// (the signed acceptance is saved for the brand) or decline them.
import { useEffect, useRef, useState } from "preact/hooks";
import { api } from "../api";
import type { Broadcast, Delivery, IntentView, OfferView, Publish } from "../bindings";
import { ConfirmButton } from "../components/confirm_button";
import { errorText, placeError } from "../format";
import { dayOf } from "../dates";
import {
  type FormErrors,
  type IntentForm,
  brandName,
  deliveryLine,
  deliverySummary,
  emptyIntentForm,
  intentField,
  offerCards,
  statusLabel,
} from "../intents_format";
import { fetchSummary, lastDeletion, lastListing, publishLine, publishSummary, someMissed } from "../relays_format";
import type { Ctx } from "../ctx";

/** How often an open intent's page asks the relays for offers. */
const FETCH_EVERY_MS = 30_000;

const SLOW = "Sending… a brand whose inbox does not answer can take up to 30 seconds.";

export function IntentsScreen(props: { intentId?: string; ctx: Ctx }) {
  if (props.intentId === "new") return <ComposeIntent ctx={props.ctx} />;
  if (props.intentId) return <IntentDetail key={props.intentId} id={props.intentId} ctx={props.ctx} />;
  return <IntentList ctx={props.ctx} />;
}

function IntentList(props: { ctx: Ctx }) {
  const { ctx } = props;
  const [list, setList] = useState<IntentView[] | null>(null);
  const [error, setError] = useState<string | null>(null);
  useEffect(() => {
    api.intentsList().then(setList).catch((e) => setError(errorText(e)));
  }, []);
  return (
    <div>
      <div class="row spread">
        <h1>Intents</h1>
        <div class="row">
          <ImportOffer onImported={(v) => ctx.go({ screen: "intents", intentId: v.offer.intent })} />
          <button onClick={() => ctx.go({ screen: "intents", intentId: "new" })} data-testid="new-intent">
            New intent
          </button>
        </div>
      </div>
      {error && <p class="error" role="alert">{error}</p>}
      {list === null ? (
        !error && <p aria-busy="true">Loading…</p>
      ) : list.length === 0 ? (
        <div class="empty" data-testid="intents-empty">
          <p>No intents yet.</p>
          <p class="muted">
            Say what you want — a bicycle, lunch for twelve, a plumber on Tuesday — and which brands may answer. Each
            intent is signed under a fresh identity of its own, so brands cannot tie it to anything else they know about
            you. Brands answer with signed offers that you compare here.
          </p>
          {ctx.brands.length === 0 && (
            <p class="muted">First add a brand, with its inbox URL, on the Brands screen.</p>
          )}
        </div>
      ) : (
        <ul class="list" data-testid="intent-list">
          {list.map((v) => (
            <li>
              <button class="item" data-testid="intent-row"
                onClick={() => ctx.go({ screen: "intents", intentId: v.intent.id })}>
                <span class="kind">{v.intent.input.category}</span>
                <span class="title">{v.intent.input.description}</span>
                <span class={`status status-${v.status}`} data-testid="intent-row-status">{statusLabel(v)}</span>
                <span class="date">until {dayOf(v.intent.input.expires_at)}</span>
              </button>
            </li>
          ))}
        </ul>
      )}
    </div>
  );
}

/** "Import an offer file…": the open dialog, then the core verifies it. */
function ImportOffer(props: { onImported: (v: OfferView) => void; disabled?: boolean }) {
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const run = async () => {
    setError(null);
    const chosen = await api.chooseOfferFile().catch((e) => (setError(errorText(e)), null));
    if (!chosen) return;
    setBusy(true);
    try {
      props.onImported(await api.offerImport(chosen.token));
    } catch (e) {
      setError(`The offer was not imported. ${errorText(e)}`);
    } finally {
      setBusy(false);
    }
  };
  return (
    <>
      <button class="secondary" onClick={run} disabled={busy || props.disabled} data-testid="offer-import">
        {busy ? "Importing…" : "Import an offer file…"}
      </button>
      {error && <p class="error" role="alert" data-testid="offer-import-error">{error}</p>}
    </>
  );
}

function FieldError(props: { errors: FormErrors; field: keyof IntentForm }) {
  const e = props.errors[props.field];
  return e ? <span class="error field-error" data-testid={`intent-error-${props.field}`}>{e}</span> : null;
}

function ComposeIntent(props: { ctx: Ctx }) {
  const { ctx } = props;
  const [form, setForm] = useState<IntentForm>(() => emptyIntentForm());
  const [toFolder, setToFolder] = useState(false);
  const [errors, setErrors] = useState<FormErrors>({});
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState<string | null>(null);
  // Editing a field takes its message away; the next submit checks again.
  const set = (k: keyof IntentForm) => (e: { currentTarget: { value: string } }) => {
    setForm({ ...form, [k]: e.currentTarget.value });
    setErrors({ ...errors, [k]: undefined });
  };
  const toggle = (id: string) => {
    setForm({ ...form, brands: form.brands.includes(id) ? form.brands.filter((b) => b !== id) : [...form.brands, id] });
    setErrors({ ...errors, brands: undefined });
  };

  const submit = async (e: Event) => {
    e.preventDefault();
    setError(null);
    // The core checks the form; nothing is made until it holds.
    let input;
    try {
      input = await api.intentCheck(form);
    } catch (err) {
      // The core's message goes beside the field it names, when the form
      // has it, else under the form.
      const placed = placeError(err, intentField);
      setErrors(placed.field ? { [placed.field]: placed.text } : {});
      if (!placed.field) setError(placed.text);
      return;
    }
    setErrors({});
    let outDir: string | null = null;
    if (toFolder) {
      const folder = await api.chooseIntentFolder().catch((err) => (setError(errorText(err)), null));
      if (!folder) return;
      outDir = folder.token;
    }
    setBusy("Making the intent…");
    try {
      const intent = await api.intentCreate(input);
      const told: string[] = [];
      // A broadcast intent may be for no brand (the core's check allowed it).
      if (input.brands.length > 0) {
        setBusy(SLOW);
        try {
          told.push(deliverySummary(await api.intentSend(intent.id, outDir)));
        } catch (err) {
          told.push(`Made, but not sent: ${errorText(err)}`);
        }
      }
      if (form.broadcast) {
        setBusy("Broadcasting… a relay that does not answer can take up to 10 seconds.");
        try {
          told.push(publishSummary("intent", (await api.intentBroadcast(intent.id, null)).relays));
        } catch (err) {
          told.push(`Made, but not broadcast: ${errorText(err)}`);
        }
      }
      ctx.notify(told.join(" "));
      ctx.go({ screen: "intents", intentId: intent.id });
    } catch (err) {
      // The core checks every value again; its message goes beside the
      // field it names, when the form has it.
      const placed = placeError(err, intentField);
      if (placed.field) setErrors({ [placed.field]: placed.text });
      else setError(placed.text);
      setBusy(null);
    }
  };

  return (
    <form class="card form" onSubmit={submit} data-testid="intent-form" aria-busy={busy !== null} noValidate>
      <button type="button" class="link" onClick={() => ctx.go({ screen: "intents" })}>← All intents</button>
      <h1>Say what you want</h1>
      <p class="muted">
        Only what you write here goes out, signed under a fresh identity made for this intent alone. Leave out
        anything personal you do not want to share.
      </p>
      <label>
        What (a category)
        <input value={form.category} onInput={set("category")} placeholder="bicycle, lunch, plumber…"
          data-testid="intent-category" />
        <FieldError errors={errors} field="category" />
      </label>
      <label>
        Describe it
        <textarea value={form.description} onInput={set("description")}
          placeholder="A city bike, 54 cm frame, with lights" data-testid="intent-description" />
        <FieldError errors={errors} field="description" />
      </label>
      <div class="row">
        <label>
          How many
          <input value={form.quantity} onInput={set("quantity")} inputMode="numeric" placeholder="1"
            data-testid="intent-quantity" />
          <FieldError errors={errors} field="quantity" />
        </label>
        <label>
          Budget (at most)
          <input value={form.budget_max} onInput={set("budget_max")} inputMode="decimal" placeholder="300.00"
            data-testid="intent-budget" />
          <FieldError errors={errors} field="budget_max" />
        </label>
        <label>
          Currency
          <input value={form.currency} onInput={set("currency")} maxLength={3} placeholder="EUR"
            data-testid="intent-currency" />
          <FieldError errors={errors} field="currency" />
        </label>
      </div>
      <label>
        Where
        <input value={form.location} onInput={set("location")} placeholder="a town, a district, or “delivered”"
          data-testid="intent-location" />
        <FieldError errors={errors} field="location" />
      </label>
      <div class="row">
        <label>
          Needed by
          <input type="date" value={form.needed_by} onInput={set("needed_by")} data-testid="intent-needed-by" />
          <FieldError errors={errors} field="needed_by" />
        </label>
        <label>
          Offers welcome until
          <input type="date" value={form.valid_until} onInput={set("valid_until")} data-testid="intent-valid-until" />
          <FieldError errors={errors} field="valid_until" />
        </label>
      </div>
      <fieldset class="brand-choice">
        <legend>Send it to</legend>
        {ctx.brands.length === 0 && (
          <p class="muted">No brands yet: add one, with its inbox URL, on the Brands screen.</p>
        )}
        {ctx.brands.map((b) => (
          <label class="check">
            <input type="checkbox" checked={form.brands.includes(b.id)} onChange={() => toggle(b.id)}
              data-testid={`intent-brand-${b.name}`} />
            {b.name}
            <span class="muted">{b.inbox ? ` · ${b.inbox}` : " · no inbox URL (a file in a folder only)"}</span>
          </label>
        ))}
        <FieldError errors={errors} field="brands" />
      </fieldset>
      <label class="check">
        <input type="checkbox" checked={form.broadcast} data-testid="intent-broadcast-too"
          onChange={() => { setForm({ ...form, broadcast: !form.broadcast }); setErrors({ ...errors, brands: undefined }); }} />
        Also broadcast it to your relays (Settings → Relays), where any seller may answer
      </label>
      <label class="check">
        <input type="checkbox" checked={toFolder} onChange={() => setToFolder(!toFolder)} data-testid="intent-to-folder" />
        Also write a file per brand into a folder, to hand over yourself
      </label>
      {error && <p class="error" role="alert" data-testid="intent-error">{error}</p>}
      {busy && <p class="muted" role="status" aria-busy="true" data-testid="intent-busy">{busy}</p>}
      <button type="submit" disabled={busy !== null} data-testid="intent-send">Make and send</button>
    </form>
  );
}

function Deliveries(props: { title: string; list: Delivery[]; ctx: Ctx }) {
  if (props.list.length === 0) return null;
  return (
    <>
      <h2>{props.title}</h2>
      <ul class="list deliveries">
        {props.list.map((d) => (
          <li class={`delivery delivery-${d.status}`} data-testid="delivery">
            <span class="date">{dayOf(d.at)}</span> {deliveryLine(d, props.ctx.brands)}
          </li>
        ))}
      </ul>
    </>
  );
}

function IntentDetail(props: { id: string; ctx: Ctx }) {
  const { ctx } = props;
  const [view, setView] = useState<IntentView | null>(null);
  const [offers, setOffers] = useState<OfferView[]>([]);
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState<string | null>(null);
  const [result, setResult] = useState<string | null>(null);
  const [geohash, setGeohash] = useState("");
  const [geohashError, setGeohashError] = useState<string | null>(null);
  const [acceptRound, setAcceptRound] = useState<Publish[] | null>(null);
  const [fetchNote, setFetchNote] = useState<string | null>(null);
  const [fetching, setFetching] = useState(false);
  const fetchingNow = useRef(false);

  const load = async () => {
    try {
      const list = await api.intentsList();
      const v = list.find((x) => x.intent.id === props.id);
      if (!v) throw { code: "input.invalid", message: "This intent is no longer in the vault." };
      setView(v);
      setOffers(await api.offersList(props.id));
    } catch (e) {
      setError(errorText(e));
    }
  };
  useEffect(() => void load(), [props.id]);

  // Offers from the relays while the page is shown: at once, then every
  // FETCH_EVERY_MS, for a live intent that was broadcast (the core answers
  // null otherwise). These fetches are not the person's activity: they
  // never keep the vault from locking.
  const fetchOffers = async (byHand: boolean) => {
    if (fetchingNow.current) return;
    fetchingNow.current = true;
    setFetching(true);
    try {
      const got = await api.offersFetch(props.id);
      if (got === null) {
        if (byHand) setFetchNote("Nothing to ask the relays for: the intent is not live, or was never broadcast.");
        return;
      }
      setOffers(got.offers);
      if (got.intent) setView(got.intent);
      const note = fetchSummary(got.fetch);
      if (note || byHand) setFetchNote(note || "No new offers on the relays.");
    } catch (e) {
      setFetchNote(`Could not check the relays for offers: ${errorText(e)}`);
    } finally {
      fetchingNow.current = false;
      setFetching(false);
    }
  };
  const polling = view !== null && view.is_live && lastListing(view.intent.broadcasts) !== null;
  useEffect(() => {
    if (!polling) return;
    void fetchOffers(false);
    const timer = setInterval(() => void fetchOffers(false), FETCH_EVERY_MS);
    return () => clearInterval(timer);
  }, [props.id, polling]);

  if (!view) return error ? <p class="error" role="alert">{error}</p> : <p aria-busy="true">Loading…</p>;
  const i = view.intent;
  const cards = offerCards(offers);

  const act = async (message: string, f: () => Promise<string>) => {
    setError(null);
    setResult(null);
    setBusy(message);
    try {
      const r = await f();
      setResult(r === "" ? null : r);
    } catch (e) {
      setError(errorText(e));
    } finally {
      setBusy(null);
      await load();
    }
  };
  const send = () => act(SLOW, async () => deliverySummary(await api.intentSend(i.id, null)));
  const withdraw = () =>
    act("Withdrawing… a brand or a relay that does not answer can take up to 30 seconds.", async () => {
      const { deliveries, deletion } = await api.intentWithdraw(i.id, null);
      const told = deliveries.length === 0 ? "No brand had received it." : deliverySummary(deliveries);
      const unlisted = deletion ? ` ${publishSummary("deletion request", deletion.relays)}` : "";
      return `Withdrawn. ${told}${unlisted}`;
    });
  const broadcast = async () => {
    setGeohashError(null);
    const g = geohash.trim();
    await act("Broadcasting… a relay that does not answer can take up to 10 seconds.", async () => {
      try {
        const b = await api.intentBroadcast(i.id, g === "" ? null : g);
        return publishSummary("intent", b.relays);
      } catch (e) {
        const placed = placeError(e, (f) => (f === "geohash" ? f : undefined));
        if (placed.field) {
          setGeohashError(placed.text);
          return "";
        }
        throw e;
      }
    });
  };
  const acceptMarket = (offerId: string) =>
    act("Accepting… sending the signed acceptance to the seller over the relays.", async () => {
      setAcceptRound(null);
      const got = await api.offerAcceptMarket(offerId);
      setAcceptRound(got.relays);
      ctx.notify(`Accepted ${got.offer.price} ${got.offer.currency}.`);
      const sent = got.relays.some((p) => p.status === "accepted");
      return sent
        ? `Accepted. ${publishSummary("acceptance", got.relays)}`
        : `Accepted, but the seller has not been told: ${publishSummary("acceptance", got.relays)} The offer stays accepted; send the acceptance again when a relay is back.`;
    });
  const resendAcceptance = (offerId: string) =>
    act("Sending the signed acceptance to the seller again…", async () => {
      setAcceptRound(null);
      const got = await api.offerResendAcceptance(offerId);
      setAcceptRound(got.relays);
      const sent = got.relays.some((p) => p.status === "accepted");
      return sent
        ? `Sent. ${publishSummary("acceptance", got.relays)}`
        : `The seller has still not been told: ${publishSummary("acceptance", got.relays)}`;
    });
  const accept = async (offerId: string) => {
    setError(null);
    const chosen = await api.chooseAcceptanceFile().catch((e) => (setError(errorText(e)), null));
    if (!chosen) return;
    await act("Accepting…", async () => {
      const o = await api.offerAccept(offerId, chosen.token);
      ctx.notify(`Accepted ${o.price} ${o.currency}.`);
      return `Accepted. Send the signed acceptance in ${chosen.name} to the brand.`;
    });
  };
  const decline = (offerId: string) =>
    act("Declining…", async () => {
      await api.offerDecline(offerId);
      return "Declined.";
    });

  return (
    <div data-testid="intent-page" aria-busy={busy !== null}>
      <button class="link" onClick={() => ctx.go({ screen: "intents" })}>← All intents</button>
      <div class="card">
        <div class="row spread">
          <h1>{i.input.category}</h1>
          <span class={`status status-${view.status}`} data-testid="intent-status">{statusLabel(view)}</span>
        </div>
        <p>{i.input.description}</p>
        <dl>
          {i.input.quantity !== null && (<><dt>How many</dt><dd>{i.input.quantity}</dd></>)}
          {i.input.budget_max !== null && (<><dt>Budget</dt><dd>at most {i.input.budget_max} {i.input.currency}</dd></>)}
          {i.input.location !== null && (<><dt>Where</dt><dd>{i.input.location}</dd></>)}
          {i.input.needed_by !== null && (<><dt>Needed by</dt><dd>{i.input.needed_by}</dd></>)}
          <dt>Offers welcome until</dt><dd>{dayOf(i.input.expires_at)}</dd>
          <dt>For</dt><dd>{i.brands.map((b) => brandName(ctx.brands, b)).join(", ")}</dd>
          <dt>Its own identity</dt><dd><code>{i.did}</code></dd>
        </dl>
        <div class="row">
          {view.can_resend && (
            <button onClick={send} disabled={busy !== null} data-testid="intent-resend"
              class={view.status === "draft" ? "" : "secondary"}>
              {view.status === "draft" ? "Send" : "Send again"}
            </button>
          )}
          {view.can_withdraw && (
            <ConfirmButton label="Withdraw" confirm="Withdraw it and tell the brands it reached?" testid="intent-withdraw"
              onConfirm={() => void withdraw()} />
          )}
        </div>
        {busy && <p class="muted" role="status" aria-busy="true" data-testid="intent-busy">{busy}</p>}
        {result && <p class="notice" role="status" data-testid="intent-result">{result}</p>}
        {error && <p class="error" role="alert" data-testid="intent-error">{error}</p>}
      </div>

      <OpenMarket view={view} busy={busy !== null} geohash={geohash} geohashError={geohashError}
        onGeohash={(g) => { setGeohash(g); setGeohashError(null); }} onBroadcast={() => void broadcast()} />

      <div class="row spread">
        <h2>Offers</h2>
        <ImportOffer disabled={busy !== null} onImported={(v) => {
          const what = v.verified
            ? `Imported an offer of ${v.offer.price} ${v.offer.currency} from ${v.brand_name ?? "a known brand"}.`
            : `Imported an UNVERIFIED offer: ${v.unverified_reason ?? "no brand of yours has its key"}.`;
          if (v.offer.intent !== i.id) {
            // It answers another of the person's intents: show that one.
            ctx.notify(`${what} It answers another of your intents.`);
            ctx.go({ screen: "intents", intentId: v.offer.intent });
            return;
          }
          setResult(what);
          void load();
        }} />
      </div>
      {polling && (
        <div class="row">
          <button class="secondary" onClick={() => void fetchOffers(true)} disabled={fetching || busy !== null}
            data-testid="offers-fetch">
            {fetching ? "Checking the relays…" : "Check for offers"}
          </button>
          <span class="muted">Offers from the relays are checked every 30 seconds while this page is open.</span>
        </div>
      )}
      {fetchNote && <p class="muted" role="status" data-testid="offers-fetch-note">{fetchNote}</p>}
      {acceptRound && <PublishList title="The acceptance, sent to the seller" round={acceptRound} testid="acceptance-publish" />}
      {cards.length === 0 ? (
        <div class="empty" data-testid="offers-empty">
          <p>No offers yet.</p>
          <p class="muted">
            A brand answers with a signed offer file. When you get one, import it with “Import an offer file…”: its
            signature is checked, and offers are laid side by side here, cheapest first.
          </p>
        </div>
      ) : (
        <div class="offers" data-testid="offers">
          {cards.map((c) => (
            <div class={`card offer${c.cheapest ? " cheapest" : ""}${c.verified ? "" : " unverified"}`}
              data-testid="offer-card">
              <div class="offer-from" data-testid="offer-from">{c.from}</div>
              {!c.verified && <code class="muted" data-testid="offer-signer">{c.signer}</code>}
              <div class="offer-price" data-testid="offer-price">{c.price}</div>
              {c.rank && <div class="muted" data-testid="offer-rank">{c.rank}</div>}
              {c.description && <p>{c.description}</p>}
              <div class="date">{c.validUntil}</div>
              {c.expired && <div class="error" data-testid="offer-expired">Expired</div>}
              {c.decision && <div class="offer-decision" data-testid="offer-decision">{c.decision}</div>}
              {c.acceptHint && <p class="muted">{c.acceptHint}</p>}
              <div class="row">
                {c.canAccept && c.market && (
                  <button onClick={() => void acceptMarket(c.id)} disabled={busy !== null} data-testid="offer-accept">
                    Accept
                  </button>
                )}
                {c.canAccept && !c.market && (
                  <button onClick={() => void accept(c.id)} disabled={busy !== null} data-testid="offer-accept">
                    Accept…
                  </button>
                )}
                {c.canResendAcceptance && (
                  <button onClick={() => void resendAcceptance(c.id)} disabled={busy !== null}
                    data-testid="offer-resend-acceptance">
                    Send the acceptance again
                  </button>
                )}
                {c.canDecline && (
                  <ConfirmButton label="Decline" confirm="Decline it for good?" testid="offer-decline"
                    onConfirm={() => void decline(c.id)} />
                )}
              </div>
            </div>
          ))}
        </div>
      )}

      <Deliveries title="Deliveries" list={i.deliveries} ctx={ctx} />
      <Deliveries title="Withdrawal deliveries" list={i.withdrawal_deliveries} ctx={ctx} />
    </div>
  );
}

/** Each relay's outcome for one round. */
function PublishList(props: { title: string; round: Publish[]; testid: string }) {
  return (
    <>
      <h3>{props.title}</h3>
      <ul class="list deliveries">
        {props.round.map((p) => (
          <li class={`delivery publish-${p.status}`} data-testid={props.testid}>{publishLine(p)}</li>
        ))}
      </ul>
    </>
  );
}

/** Broadcasting the intent to the person's relays (Settings), where any
 *  seller may answer, and how each relay took it. */
function OpenMarket(props: {
  view: IntentView;
  busy: boolean;
  geohash: string;
  geohashError: string | null;
  onGeohash: (g: string) => void;
  onBroadcast: () => void;
}) {
  const { view } = props;
  const listing: Broadcast | null = lastListing(view.intent.broadcasts);
  const deletion: Broadcast | null = lastDeletion(view.intent.broadcasts);
  if (!view.is_live && listing === null) return null;
  return (
    <div class="card form" data-testid="open-market">
      <h2>On the open market</h2>
      <p class="muted">
        Broadcast it to your relays (Settings → Relays) and any seller may answer. The intent is public there, under
        its own identity; offers and your acceptance travel encrypted.
      </p>
      {view.is_live && (
        <div class="row">
          <label>
            Area (a geohash, optional: fewer characters is coarser)
            <input value={props.geohash} onInput={(e) => props.onGeohash(e.currentTarget.value)} maxLength={12}
              placeholder="u0 (a region), u09t (a town)" data-testid="broadcast-geohash" />
            {props.geohashError && (
              <span class="error field-error" role="alert" data-testid="broadcast-geohash-error">{props.geohashError}</span>
            )}
          </label>
          <button onClick={props.onBroadcast} disabled={props.busy} data-testid="intent-broadcast"
            class={listing === null ? "" : "secondary"}>
            {listing === null ? "Broadcast" : someMissed(listing.relays) ? "Retry the broadcast" : "Broadcast again"}
          </button>
        </div>
      )}
      {listing && (
        <PublishList title={`Broadcast${listing.geohash ? ` (area ${listing.geohash})` : ""}: ${publishSummary("intent", listing.relays)}`}
          round={listing.relays} testid="broadcast-relay" />
      )}
      {deletion && (
        <PublishList title={`Deletion request: ${publishSummary("deletion request", deletion.relays)}`}
          round={deletion.relays} testid="deletion-relay" />
      )}
    </div>
  );
}
