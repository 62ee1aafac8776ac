// Brands: the list, adding and editing one, and a brand's page with its whole
// timeline across channels.
import { useEffect, useState } from "preact/hooks";
import { api } from "../api";
import type { Brand, BrandInput, Observed, Unsubscribe } from "../bindings";
import { errorText, placeError, sameNames, type PlacedError } from "../format";
import type { Ctx } from "../ctx";
import { ConfirmButton } from "../components/confirm_button";
import { RecordRow } from "../components/record_row";
import { ShowMore, usePaged } from "../components/paged_list";
import { FieldMessage } from "../components/field_message";
import { copyText } from "../components/letter";
import {
  daySpan,
  hasUnsubscribe,
  mailtoParts,
  oneClickConfirmText,
  oneClickDoneText,
} from "../discover_format";

const DETAILS: { key: keyof BrandInput; label: string; placeholder?: string }[] = [
  { key: "name", label: "Name" },
  { key: "domain", label: "Web domain", placeholder: "example.com" },
  { key: "contact", label: "Contact", placeholder: "phone, address, email" },
  { key: "notes", label: "Notes" },
  { key: "age_recipient", label: "age recipient (for encrypted shares)", placeholder: "age1…" },
  { key: "did", label: "DID (to verify what they sign)", placeholder: "did:key:z6Mk…" },
  { key: "inbox", label: "Inbox URL", placeholder: "https://…" },
];

function BrandForm(props: { brand?: Brand; onSaved: (b: Brand) => void; onCancel: () => void }) {
  const [values, setValues] = useState<{ [k: string]: string }>(() => {
    const v: { [k: string]: string } = {};
    for (const d of DETAILS) v[d.key] = (props.brand?.[d.key as keyof Brand] as string | undefined) ?? "";
    return v;
  });
  const [allowPrivate, setAllowPrivate] = useState(props.brand?.allow_private_inbox ?? false);
  const [error, setError] = useState<PlacedError | null>(null);
  const save = async (e: Event) => {
    e.preventDefault();
    const input: BrandInput = {
      name: values.name ?? null,
      domain: values.domain ?? null,
      contact: values.contact ?? null,
      notes: values.notes ?? null,
      age_recipient: values.age_recipient ?? null,
      did: values.did ?? null,
      inbox: values.inbox ?? null,
      allow_private_inbox: allowPrivate,
    };
    try {
      props.onSaved(props.brand ? await api.brandUpdate(props.brand.id, input) : await api.brandAdd(input));
    } catch (err) {
      setError(placeError(err, sameNames(DETAILS.map((d) => d.key))));
    }
  };
  return (
    <form class="card form" onSubmit={save} data-testid="brand-form">
      <h2>{props.brand ? `Edit ${props.brand.name}` : "Add a brand"}</h2>
      {DETAILS.map((d) => (
        <label>
          {d.label}
          <input value={values[d.key]} placeholder={d.placeholder} data-testid={`brand-${d.key}`}
            required={d.key === "name"} onInput={(e) => setValues({ ...values, [d.key]: e.currentTarget.value })} />
          <FieldMessage error={error} field={d.key} testid={`brand-error-${d.key}`} />
        </label>
      ))}
      <label class="check">
        <input type="checkbox" checked={allowPrivate} data-testid="brand-allow-private-inbox"
          onChange={(e) => setAllowPrivate(e.currentTarget.checked)} />
        The inbox is on my own network (a private address); otherwise only addresses on the internet and this computer
        are reached
      </label>
      {error && error.field === null && <p class="error" role="alert" data-testid="brand-error">{error.text}</p>}
      <div class="row">
        <button type="submit" data-testid="brand-save">Save</button>
        <button type="button" class="secondary" onClick={props.onCancel}>Cancel</button>
      </div>
    </form>
  );
}

export function BrandsScreen(props: { brandId?: string; from?: "discover"; ctx: Ctx }) {
  const { ctx } = props;
  const [adding, setAdding] = useState(false);
  if (props.brandId) return <BrandView id={props.brandId} from={props.from} ctx={ctx} />;
  return (
    <div>
      <div class="row spread">
        <h1>Brands</h1>
        <button onClick={() => setAdding(true)} data-testid="add-brand">Add a brand</button>
      </div>
      {adding && (
        <BrandForm
          onCancel={() => setAdding(false)}
          onSaved={async (b) => {
            setAdding(false);
            await ctx.refreshBrands();
            ctx.notify(`Added ${b.name}.`);
          }}
        />
      )}
      {ctx.brands.length === 0 && !adding ? (
        <div class="empty" data-testid="brands-empty">
          <p>No brands yet.</p>
          <p class="muted">
            Your mail already knows the companies you deal with — your bank, your phone company, the shop you order
            from. Bring them in from it, with your orders and conversations, read here on this computer; or add them one
            by one.
          </p>
          <div class="row">
            <button onClick={() => ctx.go({ screen: "discover" })} data-testid="brands-discover">
              Bring in from email
            </button>
            <button class="secondary" onClick={() => setAdding(true)} data-testid="brands-add-by-hand">
              Add one by hand
            </button>
          </div>
        </div>
      ) : (
        <ul class="list" data-testid="brand-list">
          {ctx.brands.map((b) => (
            <li>
              <button class="item" onClick={() => ctx.go({ screen: "brands", brandId: b.id })}>
                <strong>{b.name}</strong>
                {b.domain && <span class="muted"> · {b.domain}</span>}
              </button>
            </li>
          ))}
        </ul>
      )}
    </div>
  );
}

function BrandView(props: { id: string; from?: "discover"; ctx: Ctx }) {
  const { ctx } = props;
  const [brand, setBrand] = useState<Brand | null>(null);
  const [editing, setEditing] = useState(false);
  const [error, setError] = useState<string | null>(null);
  useEffect(() => {
    setBrand(null);
    setError(null);
  }, [props.id]);
  // The brand comes with each page of its timeline (a brand from a heavy
  // mailbox can have hundreds of thousands of records: a page at a time).
  const timeline = usePaged(
    (page) =>
      api.brandTimeline(props.id, page).then((t) => {
        setBrand(t.brand);
        return t.records;
      }),
    [props.id],
  );
  const failed = error ?? (timeline.error ? errorText(timeline.error) : null);
  if (failed && !brand) return <p class="error" role="alert">{failed}</p>;
  if (!brand || !timeline.listed) return <p aria-busy="true">Loading…</p>;
  const b = brand;
  const records = timeline.listed;
  const remove = async () => {
    try {
      await api.brandDelete(b.id);
      await ctx.refreshBrands();
      ctx.notify(`Deleted ${b.name}.`);
      ctx.go({ screen: "brands" });
    } catch (e) {
      setError(errorText(e));
    }
  };
  return (
    <div data-testid="brand-page">
      <div class="row">
        <button class="link" onClick={() => ctx.go({ screen: "brands" })}>← All brands</button>
        {props.from === "discover" && (
          <button class="link" onClick={() => ctx.go({ screen: "discover" })} data-testid="back-to-review">
            ← Back to the proposals
          </button>
        )}
      </div>
      {failed && <p class="error" role="alert">{failed}</p>}
      {editing ? (
        <BrandForm brand={b} onCancel={() => setEditing(false)}
          onSaved={async () => { setEditing(false); await ctx.refreshBrands(); timeline.reload(); }} />
      ) : (
        <div class="card">
          <div class="row spread">
            <h1>{b.name}</h1>
            <div class="row">
              <button class="secondary" onClick={() => setEditing(true)}>Edit</button>
              <ConfirmButton label="Delete" testid="brand-delete" onConfirm={remove}
                confirm={`Delete ${b.name} and ${records.total.toLocaleString("en")} record(s) for good?`} />
            </div>
          </div>
          <dl>
            {DETAILS.filter((d) => d.key !== "name" && b[d.key as keyof Brand]).map((d) => (
              <>
                <dt>{d.label}</dt>
                <dd>{b[d.key as keyof Brand] as string}</dd>
              </>
            ))}
          </dl>
        </div>
      )}
      <FromMail brandId={b.id} />
      <h2>Timeline</h2>
      {records.items.length === 0 ? (
        <p class="empty">Nothing with {b.name} yet. Add a purchase, an account or a call with “New record”.</p>
      ) : (
        <>
          <ul class="list timeline" data-testid="timeline">
            {records.items.map((r) => (
              <RecordRow record={r} brands={ctx.brands} onOpen={() => ctx.go({ screen: "records", recordId: r.id })} />
            ))}
          </ul>
          <ShowMore paged={timeline} testid="timeline" />
        </>
      )}
    </div>
  );
}

/** What the brand's mail showed: the addresses it writes to, and how to
 *  leave its mailing list. Plain text only: nothing remote is rendered. */
function FromMail(props: { brandId: string }) {
  const [observed, setObserved] = useState<Observed | null>(null);
  const [unsubscribe, setUnsubscribe] = useState<Unsubscribe | null>(null);
  useEffect(() => {
    setObserved(null);
    setUnsubscribe(null);
    // Best effort: a brand never seen in mail has nothing to show.
    api.brandObserved(props.brandId).then(setObserved, () => undefined);
    api.brandUnsubscribe(props.brandId).then(setUnsubscribe, () => undefined);
  }, [props.brandId]);
  const holdings = observed?.holdings ?? [];
  if (holdings.length === 0 && !hasUnsubscribe(unsubscribe)) return null;
  return (
    <div class="card" data-testid="brand-from-mail">
      <h2>From your mail</h2>
      {holdings.length > 0 && (
        <dl data-testid="brand-observed">
          {holdings.map((h) => (
            <>
              <dt>Writes to</dt>
              <dd>{h.value} <span class="muted">(seen {daySpan(h.first_seen, h.last_seen)}, {h.messages} messages)</span></dd>
            </>
          ))}
        </dl>
      )}
      {hasUnsubscribe(unsubscribe) && <UnsubscribeOffer brandId={props.brandId} offer={unsubscribe} />}
    </div>
  );
}

function CopyButton(props: { text: string; testid: string }) {
  const [state, setState] = useState<"yes" | "no" | null>(null);
  return (
    <>
      <button type="button" class="secondary" data-testid={props.testid}
        onClick={() => copyText(props.text).then(() => setState("yes"), () => setState("no"))}>
        Copy
      </button>
      {state === "yes" && <span class="notice" role="status">Copied.</span>}
      {state === "no" && <span class="error" role="alert">Could not copy; select the text instead.</span>}
    </>
  );
}

function UnsubscribeOffer(props: { brandId: string; offer: Unsubscribe }) {
  const u = props.offer;
  const mail = u.mailto ? mailtoParts(u.mailto) : null;
  return (
    <div data-testid="brand-unsubscribe">
      <h3>Leave its mailing list</h3>
      {mail && (
        <p>
          Write to <code class="selectable" data-testid="unsubscribe-mailto">{mail.address}</code>
          {mail.subject && <> with the subject <code class="selectable">{mail.subject}</code></>}{" "}
          <CopyButton text={mail.address} testid="unsubscribe-mailto-copy" />
        </p>
      )}
      {u.https && (
        <p>
          {u.one_click ? "Or use its one-click address: open " : "Or open "}
          <code class="selectable" data-testid="unsubscribe-https">{u.https}</code> in your browser{" "}
          <CopyButton text={u.https} testid="unsubscribe-https-copy" />
          {u.one_click && <span class="badge" data-testid="unsubscribe-one-click">one-click</span>}
        </p>
      )}
      {u.one_click && u.https && <OneClick brandId={props.brandId} url={u.https} />}
    </div>
  );
}

/** RFC 8058 one-click unsubscription: asked for here, confirmed, then sent
 *  by the app (the command takes the brand, and posts to the address the
 *  vault kept from its mail; `url` is only shown). */
function OneClick(props: { brandId: string; url: string }) {
  const [step, setStep] = useState<"offer" | "confirm" | "sending" | "done" | "failed">("offer");
  const [message, setMessage] = useState("");
  useEffect(() => setStep("offer"), [props.brandId]);
  const send = async () => {
    setStep("sending");
    try {
      setMessage(oneClickDoneText(await api.brandUnsubscribeOneClick(props.brandId)));
      setStep("done");
    } catch (e) {
      setMessage(errorText(e));
      setStep("failed");
    }
  };
  switch (step) {
    case "offer":
      return (
        <p>
          <button type="button" data-testid="unsubscribe-start" onClick={() => setStep("confirm")}>Unsubscribe</button>
        </p>
      );
    case "confirm":
      return (
        <div class="confirm" role="group" aria-label="Confirm unsubscribing" data-testid="unsubscribe-confirm">
          <p>{oneClickConfirmText(props.url)}</p>
          <div class="row">
            <button type="button" data-testid="unsubscribe-send" onClick={send}>Yes, unsubscribe</button>
            <button type="button" class="secondary" data-testid="unsubscribe-cancel" onClick={() => setStep("offer")}>
              Cancel
            </button>
          </div>
        </div>
      );
    case "sending":
      return <p aria-busy="true" data-testid="unsubscribe-sending">Asking the list to unsubscribe you…</p>;
    case "done":
      return <p class="notice" role="status" data-testid="unsubscribe-done">{message}</p>;
    case "failed":
      return (
        <div>
          <p class="error" role="alert" data-testid="unsubscribe-error">{message}</p>
          <button type="button" class="secondary" data-testid="unsubscribe-retry" onClick={() => setStep("confirm")}>
            Try again
          </button>
        </div>
      );
  }
}
