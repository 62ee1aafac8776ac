// Records: by kind, with a form per kind built from the kind's field specs.
import { useEffect, useState } from "preact/hooks";
import { api, emptyFilter } from "../api";
import type { FieldSpecView, HistoryEntry, Record, RecordKind } from "../bindings";
import { errorText, formFields, newRecordFrom, patchFrom, placeError, sameNames, type PlacedError } from "../format";
import { FieldMessage } from "../components/field_message";
import { ConfirmButton } from "../components/confirm_button";
import { RecordRow } from "../components/record_row";
import { ShowMore, usePaged } from "../components/paged_list";
import type { Ctx } from "../ctx";
import { historyField, historyValue, minuteOfMs } from "../sync_format";

export function RecordsScreen(props: { recordId?: string; ctx: Ctx }) {
  if (props.recordId) return <RecordEditor id={props.recordId} ctx={props.ctx} />;
  return <RecordList ctx={props.ctx} />;
}

/** The records of one kind (or all), newest first, a page at a time. */
function RecordList(props: { ctx: Ctx }) {
  const { ctx } = props;
  const [kind, setKind] = useState<RecordKind | null>(null);
  const paged = usePaged((page) => api.recordsPage({ ...emptyFilter, kind }, page), [kind]);
  const records = paged.listed?.items ?? null;
  const error = paged.error ? errorText(paged.error) : null;
  return (
    <div>
      <div class="row spread">
        <h1>Records</h1>
        <button onClick={() => ctx.go({ screen: "records", recordId: "new" })}>New record</button>
      </div>
      <div class="tabs" role="tablist">
        <button role="tab" class={kind === null ? "tab active" : "tab"} onClick={() => setKind(null)}>All</button>
        {ctx.specs.map((s) => (
          <button role="tab" class={kind === s.kind ? "tab active" : "tab"} onClick={() => setKind(s.kind)}
            data-testid={`tab-${s.kind}`}>
            {s.kind}
          </button>
        ))}
      </div>
      {error && <p class="error" role="alert">{error}</p>}
      {records === null ? (
        !error && <p aria-busy="true">Loading…</p>
      ) : records.length === 0 ? (
        <div class="empty">
          <p>No {kind ?? ""} records yet.</p>
          <p class="muted">Press Ctrl+N to add one: a personal fact, an account, a purchase, or a call you just had.</p>
        </div>
      ) : (
        <>
          <ul class="list" data-testid="record-list">
            {records.map((r) => (
              <RecordRow record={r} brands={ctx.brands} onOpen={() => ctx.go({ screen: "records", recordId: r.id })} />
            ))}
          </ul>
          <ShowMore paged={paged} testid="records" />
        </>
      )}
    </div>
  );
}

function FieldInput(props: {
  name: string;
  spec?: FieldSpecView;
  value: string;
  onChange: (v: string) => void;
  error: PlacedError | null;
}) {
  const { spec } = props;
  const label = `${props.name}${spec?.required ? " *" : ""}`;
  const testid = `field-${props.name}`;
  if (spec?.type === "choice") {
    return (
      <label>
        {label}
        <select value={props.value} data-testid={testid} onChange={(e) => props.onChange(e.currentTarget.value)}>
          <option value="">—</option>
          {spec.options.map((o) => <option value={o}>{o}</option>)}
        </select>
        <FieldMessage error={props.error} field={`fields.${props.name}`} testid={`${testid}-error`} />
      </label>
    );
  }
  const type = spec?.type === "date" ? "date" : spec?.type === "email" ? "email" : spec?.type === "url" ? "url" : "text";
  const multiline = props.name === "text" || props.name === "summary";
  return (
    <label>
      {label}
      {multiline ? (
        <textarea value={props.value} data-testid={testid} onInput={(e) => props.onChange(e.currentTarget.value)} />
      ) : (
        // Preact types each input type separately; the union needs a cast.
        <input type={type as "text"} value={props.value} data-testid={testid}
          placeholder={spec?.type === "money" ? "12.50 EUR" : undefined}
          onInput={(e) => props.onChange(e.currentTarget.value)} />
      )}
      <FieldMessage error={props.error} field={`fields.${props.name}`} testid={`${testid}-error`} />
    </label>
  );
}

function RecordEditor(props: { id: string; ctx: Ctx }) {
  const { ctx } = props;
  const isNew = props.id === "new";
  const [original, setOriginal] = useState<Record | null>(null);
  const [kind, setKind] = useState<RecordKind>("note");
  const [brand, setBrand] = useState("");
  const [values, setValues] = useState<{ [k: string]: string }>({});
  const [tags, setTags] = useState("");
  const [extraName, setExtraName] = useState("");
  const [error, setError] = useState<PlacedError | null>(null);
  const fail = (e: unknown) => setError({ field: null, text: errorText(e) });

  useEffect(() => {
    if (isNew) return;
    api
      .recordGet(props.id)
      .then((r) => {
        setOriginal(r);
        setKind(r.kind);
        setBrand(r.brand ?? "");
        setValues({ ...(r.fields as { [k: string]: string }) });
        setTags((r.tags ?? []).join(" "));
      })
      .catch(fail);
  }, [props.id]);

  const spec = ctx.specs.find((s) => s.kind === kind);
  const names = [...new Set([...formFields(spec, original ?? undefined), ...Object.keys(values)])];

  const save = async (e: Event) => {
    e.preventDefault();
    try {
      if (isNew) {
        const r = await api.recordAdd(newRecordFrom(kind, brand, values, tags));
        ctx.notify(`Added a ${r.kind} record.`);
      } else if (original) {
        await api.recordUpdate(original.id, patchFrom(original, kind, brand, values, tags));
        ctx.notify("Saved.");
      }
      ctx.go(brand ? { screen: "brands", brandId: brand } : { screen: "records" });
    } catch (err) {
      setError(placeError(err, sameNames(["tags", ...names.map((n) => `fields.${n}`)])));
    }
  };
  const remove = async () => {
    if (!original) return;
    try {
      await api.recordDelete(original.id);
      ctx.notify("Deleted.");
      ctx.go({ screen: "records" });
    } catch (err) {
      fail(err);
    }
  };

  if (!isNew && !original && !error) return <p aria-busy="true">Loading…</p>;
  return (
    <>
    <form class="card form" onSubmit={save} data-testid="record-form">
      <h1>{isNew ? "New record" : `Edit ${kind}`}</h1>
      <div class="row">
        <label>
          Kind
          <select value={kind} data-testid="record-kind" onChange={(e) => setKind(e.currentTarget.value as RecordKind)}>
            {ctx.specs.map((s) => <option value={s.kind}>{s.kind}</option>)}
          </select>
        </label>
        <label>
          Brand
          <select value={brand} data-testid="record-brand" onChange={(e) => setBrand(e.currentTarget.value)}>
            <option value="">— none —</option>
            {ctx.brands.map((b) => <option value={b.id}>{b.name}</option>)}
          </select>
        </label>
      </div>
      {names.map((n) => (
        <FieldInput name={n} spec={spec?.fields.find((f) => f.name === n)} value={values[n] ?? ""}
          onChange={(v) => setValues({ ...values, [n]: v })} error={error} />
      ))}
      <div class="row">
        <input placeholder="another field, e.g. size" value={extraName} aria-label="New field name"
          onInput={(e) => setExtraName(e.currentTarget.value)} />
        <button type="button" class="secondary" disabled={!extraName.trim()}
          onClick={() => { setValues({ ...values, [extraName.trim().toLowerCase()]: "" }); setExtraName(""); }}>
          Add field
        </button>
      </div>
      <label>
        Tags (separated by spaces)
        <input value={tags} data-testid="record-tags" onInput={(e) => setTags(e.currentTarget.value)} />
        <FieldMessage error={error} field="tags" testid="record-tags-error" />
      </label>
      {error && error.field === null && <p class="error" role="alert" data-testid="record-error">{error.text}</p>}
      <div class="row">
        <button type="submit" data-testid="record-save">Save</button>
        <button type="button" class="secondary" onClick={() => ctx.go({ screen: "records" })}>Cancel</button>
        {!isNew && (
          <ConfirmButton label="Delete" confirm="Delete for good? Click again" testid="record-delete" onConfirm={remove} />
        )}
      </div>
    </form>
    {original && (
      <RecordHistory id={original.id} onRestored={(r) => {
        setOriginal(r);
        setValues({ ...(r.fields as { [k: string]: string }) });
        ctx.notify("The value was put back.");
      }} />
    )}
    </>
  );
}

/** The values sync set aside for this record (an edit of the same field
 *  on another device that lost to a later one), and putting one back. */
function RecordHistory(props: { id: string; onRestored: (r: Record) => void }) {
  const [entries, setEntries] = useState<HistoryEntry[] | null>(null);
  const [error, setError] = useState<string | null>(null);
  const load = () => api.recordHistory(props.id).then(setEntries).catch((e) => setError(errorText(e)));
  useEffect(() => {
    void load();
  }, [props.id]);
  const restore = async (e: HistoryEntry) => {
    setError(null);
    try {
      props.onRestored(await api.recordRestore(props.id, e.version));
      await load();
    } catch (err) {
      setError(errorText(err));
    }
  };
  return (
    <div class="card" data-testid="record-history">
      <h2>History</h2>
      {error && <p class="error" role="alert" data-testid="record-history-error">{error}</p>}
      {entries === null ? (
        !error && <p aria-busy="true">Loading…</p>
      ) : entries.length === 0 ? (
        <p class="empty muted" data-testid="record-history-empty">
          No other values. When this record is edited on two devices at once, the value that loses is kept here.
        </p>
      ) : (
        <ol class="list">
          {entries.map((e) => (
            <li class="entry row spread" data-testid="history-entry">
              <span>
                <strong>{historyField(e)}</strong>: {historyValue(e)}{" "}
                <span class="muted small">set aside {minuteOfMs(e.at_ms)}</span>
              </span>
              {e.can_restore && (
                <button type="button" class="secondary" data-testid="history-restore" onClick={() => void restore(e)}>
                  Restore
                </button>
              )}
            </li>
          ))}
        </ol>
      )}
    </div>
  );
}
