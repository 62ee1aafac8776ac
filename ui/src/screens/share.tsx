// Share: chosen records (and only chosen fields) for one brand, for one
// purpose, until a date, under a version of the person's terms. The bundle is
// encrypted to the brand and saved where the person says.
import { useEffect, useState } from "preact/hooks";
import { api, emptyFilter } from "../api";
import type { Record, TermsVersion } from "../bindings";
import { errorText, placeError, type PlacedError } from "../format";
import { FieldMessage } from "../components/field_message";
import {
  fieldNames,
  recordLabel,
  shareField,
  shareRequestFrom,
  shareableRecords,
  toggled,
  type ShareForm,
} from "../relations_format";
import { addDays, dayOf, today } from "../dates";
import type { Ctx } from "../ctx";

export function ShareScreen(props: { ctx: Ctx }) {
  const { ctx } = props;
  const [records, setRecords] = useState<Record[] | null>(null);
  const [versions, setVersions] = useState<TermsVersion[]>([]);
  const [form, setForm] = useState<ShareForm>(() => ({
    brand: "",
    records: [],
    fields: [],
    purpose: "",
    expires: addDays(today(), 30),
    terms: "",
  }));
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<PlacedError | null>(null);
  const [result, setResult] = useState<string | null>(null);

  useEffect(() => {
    Promise.all([api.recordsList(emptyFilter).then(setRecords), api.termsVersions().then(setVersions)]).catch((e) =>
      setError({ field: null, text: errorText(e) }),
    );
  }, []);

  const set = (patch: Partial<ShareForm>) => setForm({ ...form, ...patch });
  const brand = ctx.brands.find((b) => b.id === form.brand);
  const names = records ? fieldNames(records, form.records) : [];

  const submit = async (e: Event) => {
    e.preventDefault();
    setError(null);
    setResult(null);
    try {
      const chosen = await api.chooseFile("share-out");
      if (!chosen) return;
      setBusy(true);
      const s = await api.shareCreate(shareRequestFrom({ ...form, fields: form.fields.filter((f) => names.includes(f)) }), chosen.token);
      const fields = [...new Set(s.items.flatMap((i) => i.fields))].sort().join(", ");
      setResult(
        `Shared ${s.items.length} record(s) (${fields}) with ${brand?.name ?? "the brand"} until ${dayOf(s.expires_at)}. ` +
          `The encrypted file is ${chosen.name}: send it to them.`,
      );
      ctx.notify("Shared.");
      setForm({ ...form, records: [], fields: [] });
    } catch (err) {
      // Beside the field the core names, if the screen shows it now.
      setError(placeError(err, (f) => (f === "fields" && names.length === 0 ? undefined : shareField(f))));
    } finally {
      setBusy(false);
    }
  };

  if (!records) return error ? <p class="error" role="alert">{error.text}</p> : <p aria-busy="true">Loading…</p>;
  if (ctx.brands.length === 0 || records.length === 0) {
    return (
      <div>
        <h1>Share</h1>
        <div class="empty" data-testid="share-empty">
          <p>Nothing to share yet.</p>
          <p class="muted">
            {ctx.brands.length === 0
              ? "Add the brand you want to share with on the Brands page, with its age recipient. "
              : ""}
            {records.length === 0 ? "Add the records to share — your email address, your shoe size — with “New record”." : ""}
          </p>
        </div>
      </div>
    );
  }
  return (
    <div>
      <h1>Share</h1>
      <p class="muted">
        Choose what a brand may have, for what, and until when. It receives only the fields you tick, encrypted to its
        key and signed by you; you can revoke the share at any time.
      </p>
      <form class="card form wide" onSubmit={submit} data-testid="share-form">
        <label>
          Brand
          <select value={form.brand} required data-testid="share-brand" onChange={(e) => set({ brand: e.currentTarget.value })}>
            <option value="">— choose —</option>
            {ctx.brands.map((b) => <option value={b.id}>{b.name}</option>)}
          </select>
          <FieldMessage error={error} field="brand" testid="share-error-brand" />
        </label>
        {brand && !brand.age_recipient && (
          <p class="error" role="alert" data-testid="share-no-recipient">
            {brand.name} has no age recipient to encrypt to.{" "}
            <button type="button" class="link" onClick={() => ctx.go({ screen: "brands", brandId: brand.id })}>
              Add it on its page
            </button>
            .
          </p>
        )}
        <fieldset>
          <legend>Records</legend>
          <FieldMessage error={error} field="records" testid="share-error-records" />
          <ul class="picks" data-testid="share-records">
            {shareableRecords(records, form.brand).map((r) => (
              <li>
                <label class="check">
                  <input type="checkbox" value={r.id} checked={form.records.includes(r.id)} data-testid="share-record"
                    onChange={(e) => set({ records: toggled(form.records, r.id, e.currentTarget.checked) })} />
                  <span>
                    {recordLabel(r)}
                    {r.brand && <span class="muted"> · {ctx.brands.find((b) => b.id === r.brand)?.name}</span>}
                  </span>
                </label>
              </li>
            ))}
          </ul>
        </fieldset>
        {names.length > 0 && (
          <fieldset>
            <legend>Fields</legend>
            <FieldMessage error={error} field="fields" testid="share-error-fields" />
            <p class="muted small">Tick the fields to share; none ticked shares every field of the chosen records.</p>
            <div class="row">
              {names.map((n) => (
                <label class="check">
                  <input type="checkbox" checked={form.fields.includes(n)} data-testid={`share-field-${n}`}
                    onChange={(e) => set({ fields: toggled(form.fields, n, e.currentTarget.checked) })} />
                  {n}
                </label>
              ))}
            </div>
          </fieldset>
        )}
        <label>
          Purpose (what they may use it for)
          <input value={form.purpose} required placeholder="e.g. delivering my order" data-testid="share-purpose"
            onInput={(e) => set({ purpose: e.currentTarget.value })} />
          <FieldMessage error={error} field="purpose" testid="share-error-purpose" />
        </label>
        <div class="row">
          <label>
            Until (the share ends at the end of this day, UTC)
            <input type="date" value={form.expires} required data-testid="share-expires"
              onInput={(e) => set({ expires: e.currentTarget.value })} />
            <FieldMessage error={error} field="expires" testid="share-error-expires" />
          </label>
          <label>
            Under my terms
            {versions.length === 0 ? (
              <p class="muted small" data-testid="share-no-terms">
                You have no terms yet: the brand will be asked to erase within 30 days of a revocation.
              </p>
            ) : (
              <select value={form.terms} data-testid="share-terms" onChange={(e) => set({ terms: e.currentTarget.value })}>
                <option value="">The latest (v{versions[versions.length - 1].number})</option>
                {[...versions].reverse().map((v) => <option value={v.id}>v{v.number} — {v.title}</option>)}
              </select>
            )}
          </label>
        </div>
        {error && error.field === null && <p class="error" role="alert" data-testid="share-error">{error.text}</p>}
        {result && <p class="notice" role="status" data-testid="share-result">{result}</p>}
        <button type="submit" disabled={busy || !form.brand || form.records.length === 0} data-testid="share-submit">
          {busy ? "Sharing…" : "Encrypt and save for the brand…"}
        </button>
      </form>
    </div>
  );
}
