// Terms: the person's own terms of service. Start from a template, set every
// clause, watch the text it makes, save it as a new version; sign a version
// for a brand; import the brand's answer and see where each brand stands.
import { useEffect, useRef, useState } from "preact/hooks";
import { api } from "../api";
import type { BrandTermsStatus, Agreement, TermsForm, TermsOptions, TermsVersion } from "../bindings";
import { errorText, placeError, type PlacedError } from "../format";
import { FieldMessage } from "../components/field_message";
import { JURISDICTIONS, THIRD_PARTY_LABELS, decisionLabel, termsField, termsForm, toggled } from "../relations_format";
import { dayOf } from "../dates";
import type { Ctx } from "../ctx";

export function TermsScreen(props: { ctx: Ctx }) {
  const { ctx } = props;
  const [options, setOptions] = useState<TermsOptions | null>(null);
  const [versions, setVersions] = useState<TermsVersion[] | null>(null);
  const [status, setStatus] = useState<BrandTermsStatus[]>([]);
  const [editing, setEditing] = useState<TermsForm | null>(null);
  const [error, setError] = useState<string | null>(null);

  const load = () =>
    Promise.all([api.termsVersions().then(setVersions), api.termsStatus().then(setStatus)]).catch((e) =>
      setError(errorText(e)),
    );
  useEffect(() => {
    api.termsOptions().then(setOptions).catch((e) => setError(errorText(e)));
    void load();
  }, []);

  const startFrom = (v?: TermsVersion) => {
    if (v) return setEditing(termsForm(v.template, v.title, v.clauses));
    const t = options?.templates[0];
    if (t) setEditing(termsForm(t.template, "My terms", t.clauses));
  };

  if (error) return <p class="error" role="alert">{error}</p>;
  if (!options || !versions) return <p aria-busy="true">Loading…</p>;
  return (
    <div>
      <div class="row spread">
        <h1>Your terms</h1>
        {!editing && (
          <button onClick={() => startFrom(versions[versions.length - 1])} data-testid="terms-new">
            {versions.length ? "Make a new version" : "Write my terms"}
          </button>
        )}
      </div>
      <p class="muted">
        Your own terms of service for companies, in the spirit of IEEE 7012: what they may use your data for, how long
        they keep it, how often they may contact you. Companies answer them: they accept, refuse or propose changes.
      </p>
      {editing && (
        <TermsEditor form={editing} options={options} onChange={setEditing} onCancel={() => setEditing(null)}
          onSaved={async (v) => {
            setEditing(null);
            await load();
            ctx.notify(`Saved your terms as version ${v.number}.`);
          }} />
      )}
      {versions.length === 0 && !editing ? (
        <div class="empty" data-testid="terms-empty">
          <p>You have no terms yet.</p>
          <p class="muted">
            Press “Write my terms” and start from a template — “Service delivery only” suits most companies — then
            adjust any clause. You can send them to a brand, and share records under them.
          </p>
        </div>
      ) : (
        <Versions versions={versions} onCopy={startFrom} />
      )}
      {versions.length > 0 && <ExportCard versions={versions} ctx={ctx} onDone={load} />}
      <AnswersCard status={status} versions={versions} ctx={ctx} onImported={load} />
    </div>
  );
}

function Versions(props: { versions: TermsVersion[]; onCopy: (v: TermsVersion) => void }) {
  return (
    <div class="card wide">
      <h2>Versions</h2>
      <ul class="list" data-testid="terms-versions">
        {[...props.versions].reverse().map((v) => (
          <li class="entry" data-testid="terms-version">
            <details>
              <summary>
                <strong>v{v.number}</strong> {v.title} <span class="muted">· {v.template} · {dayOf(v.created_at)}</span>
              </summary>
              <pre class="document">{v.text}</pre>
              <button class="secondary" onClick={() => props.onCopy(v)}>Edit a copy as a new version</button>
            </details>
          </li>
        ))}
      </ul>
    </div>
  );
}

function Check(props: { label: string; checked: boolean; onChange: (on: boolean) => void; testid: string; hint?: string }) {
  return (
    <label class="check" title={props.hint}>
      <input type="checkbox" checked={props.checked} data-testid={props.testid}
        onChange={(e) => props.onChange(e.currentTarget.checked)} />
      {props.label}
    </label>
  );
}

function NumberInput(props: {
  label: string;
  value: string;
  min: number;
  max: number;
  testid: string;
  onChange: (v: string) => void;
  error: PlacedError | null;
  field: keyof TermsForm;
}) {
  return (
    <label>
      {props.label}
      <input type="number" inputMode="numeric" min={props.min} max={props.max} step={1} value={props.value}
        data-testid={props.testid} onInput={(e) => props.onChange(e.currentTarget.value)} />
      <FieldMessage error={props.error} field={props.field} testid={`${props.testid}-error`} />
    </label>
  );
}

function TermsEditor(props: {
  form: TermsForm;
  options: TermsOptions;
  onChange: (f: TermsForm) => void;
  onCancel: () => void;
  onSaved: (v: TermsVersion) => void;
}) {
  const { form: f, options: o } = props;
  const set = (patch: Partial<TermsForm>) => props.onChange({ ...f, ...patch });
  const [preview, setPreview] = useState("");
  const [problem, setProblem] = useState<string | null>(null);
  const [error, setError] = useState<PlacedError | null>(null);
  const [busy, setBusy] = useState(false);
  const asked = useRef(0);

  // The preview follows every change (a short pause first while typing).
  // The core reads the form as typed; when it cannot (a number that is not
  // one), its message shows and the last preview stays.
  useEffect(() => {
    const n = ++asked.current;
    const t = window.setTimeout(() => {
      api
        .termsPreview(f)
        .then((p) => {
          if (n !== asked.current) return;
          setPreview(p.text);
          setProblem(p.problem);
        })
        .catch((e) => n === asked.current && setProblem(errorText(e)));
    }, 150);
    return () => window.clearTimeout(t);
  }, [f]);

  const pickTemplate = (id: string) => {
    const t = o.templates.find((x) => x.template === id);
    if (t) props.onChange(termsForm(t.template, f.title, t.clauses));
  };

  const save = async (e: Event) => {
    e.preventDefault();
    setError(null);
    setBusy(true);
    try {
      props.onSaved(await api.termsCreate(f));
    } catch (err) {
      setError(placeError(err, termsField));
    } finally {
      setBusy(false);
    }
  };

  // noValidate: the core checks the form and says what is wrong beside the
  // field; the browser's own checks would stop it before the core is asked.
  return (
    <form class="split" onSubmit={save} data-testid="terms-form" noValidate>
      <div class="card form">
        <h2>Template</h2>
        {o.templates.map((t) => (
          <label class="check choice">
            <input type="radio" name="template" checked={f.template === t.template}
              data-testid={`terms-template-${t.template}`} onChange={() => pickTemplate(t.template)} />
            <span>
              <strong>{t.title}</strong> <span class="muted">({t.template})</span>
              <br />
              <span class="muted">{t.summary}</span>
            </span>
          </label>
        ))}
        <p class="muted small">Choosing a template resets the clauses to its defaults.</p>
        <label>
          Title
          <input value={f.title} required data-testid="terms-title" onInput={(e) => set({ title: e.currentTarget.value })} />
          <FieldMessage error={error} field="title" testid="terms-title-error" />
        </label>

        <fieldset>
          <legend>What my data may be used for</legend>
          <FieldMessage error={error} field="purposes" testid="terms-purposes-error" />
          {o.purposes.map((p) => (
            <Check label={p.name} hint={p.description} checked={f.purposes.includes(p.purpose)}
              testid={`terms-purpose-${p.purpose}`} onChange={(on) => set({ purposes: toggled(f.purposes, p.purpose, on) })} />
          ))}
        </fieldset>

        <fieldset>
          <legend>Keeping, sharing and deleting</legend>
          <NumberInput label="Keep my data at most this many days after its purpose ends" value={f.retention_days}
            min={o.days_min} max={o.days_max} testid="terms-retention" onChange={(v) => set({ retention_days: v })}
            error={error} field="retention_days" />
          <label>
            Sharing with third parties
            <select value={f.third_party_sharing} data-testid="terms-third-party"
              onChange={(e) => set({ third_party_sharing: e.currentTarget.value as TermsForm["third_party_sharing"] })}>
              {THIRD_PARTY_LABELS.map((t) => <option value={t.value}>{t.label}</option>)}
            </select>
          </label>
          <NumberInput label="Erase my data within this many days of my asking" value={f.deletion_on_request_days}
            min={o.days_min} max={o.days_max} testid="terms-deletion" onChange={(v) => set({ deletion_on_request_days: v })}
            error={error} field="deletion_on_request_days" />
          <Check label="Give me my data in a portable form when I ask" checked={f.portability} testid="terms-portability"
            onChange={(on) => set({ portability: on })} />
          <FieldMessage error={error} field="portability" testid="terms-portability-error" />
        </fieldset>

        <fieldset>
          <legend>Tracking and profiling</legend>
          <Check label="No tracking by the company beyond what the service needs" checked={f.no_tracking_first_party}
            testid="terms-no-tracking-first" onChange={(on) => set({ no_tracking_first_party: on })} />
          <Check label="No tracking by others (cookies, pixels, SDKs)" checked={f.no_tracking_third_party}
            testid="terms-no-tracking-third" onChange={(on) => set({ no_tracking_third_party: on })} />
          <Check label="No profiling" checked={f.no_profiling} testid="terms-no-profiling"
            onChange={(on) => set({ no_profiling: on })} />
        </fieldset>

        <fieldset>
          <legend>Contacting me</legend>
          <p class="muted small">Channels the company may use:</p>
          <FieldMessage error={error} field="channels" testid="terms-channels-error" />
          <div class="row">
            {o.channels.map((c) => (
              <Check label={c.label} checked={f.channels.includes(c.channel)} testid={`terms-channel-${c.channel}`}
                onChange={(on) => set({ channels: toggled(f.channels, c.channel, on) })} />
            ))}
          </div>
          <div class="row">
            <NumberInput label="At most this many contacts (0: none)" value={f.max_contacts} min={0} max={o.max_contacts}
              testid="terms-max-contacts" onChange={(v) => set({ max_contacts: v })}
              error={error} field="max_contacts" />
            <NumberInput label="in any this many days" value={f.per_days} min={1} max={o.max_per_days}
              testid="terms-per-days" onChange={(v) => set({ per_days: v })}
              error={error} field="per_days" />
          </div>
          <Check label="Marketing allowed" checked={f.marketing_allowed} testid="terms-marketing"
            onChange={(on) => set({ marketing_allowed: on })} />
          <Check label="Offers of things I did not ask for allowed" checked={f.cross_offers_allowed}
            testid="terms-cross-offers" onChange={(on) => set({ cross_offers_allowed: on })} />
        </fieldset>

        <label>
          Law the terms are read under
          <input value={f.jurisdiction} data-testid="terms-jurisdiction"
            onInput={(e) => set({ jurisdiction: e.currentTarget.value })} />
          <FieldMessage error={error} field="jurisdiction" testid="terms-jurisdiction-error" />
        </label>
        {/* Buttons, not a <datalist>: WebDriver's text atom fails on options outside a select. */}
        <div class="row suggestions" aria-label="Common choices">
          {JURISDICTIONS.map((j) => (
            <button type="button" class={f.jurisdiction === j ? "tab active" : "tab"} onClick={() => set({ jurisdiction: j })}>
              {j}
            </button>
          ))}
        </div>
        <label>
          In my own words (optional)
          <textarea value={f.prose} data-testid="terms-prose" onInput={(e) => set({ prose: e.currentTarget.value })} />
          <FieldMessage error={error} field="prose" testid="terms-prose-error" />
        </label>
        {error && error.field === null && <p class="error" role="alert" data-testid="terms-error">{error.text}</p>}
        <div class="row">
          <button type="submit" disabled={busy} data-testid="terms-save">Save as a new version</button>
          <button type="button" class="secondary" onClick={props.onCancel}>Cancel</button>
        </div>
      </div>
      <div class="card preview">
        <h2>Preview</h2>
        {problem && <p class="error" role="alert" data-testid="terms-problem">{problem}</p>}
        <pre class="document" data-testid="terms-preview" aria-live="polite">{preview}</pre>
      </div>
    </form>
  );
}

function ExportCard(props: { versions: TermsVersion[]; ctx: Ctx; onDone: () => void }) {
  const { ctx } = props;
  const latest = props.versions[props.versions.length - 1];
  const [version, setVersion] = useState(latest.id);
  const [brand, setBrand] = useState("");
  const [result, setResult] = useState<string | null>(null);
  const [error, setError] = useState<string | null>(null);
  useEffect(() => setVersion(latest.id), [latest.id]);
  const run = async (e: Event) => {
    e.preventDefault();
    setError(null);
    setResult(null);
    try {
      const chosen = await api.chooseFile("terms-out");
      if (!chosen) return;
      const ref = await api.termsExport(version, brand, chosen.token);
      const name = ctx.brands.find((b) => b.id === brand)?.name ?? "the brand";
      setResult(`Signed for ${name} and saved to ${chosen.name}. Send it to them; import their answer below.`);
      ctx.notify(`Terms ${ref.id} saved.`);
      props.onDone();
    } catch (err) {
      setError(errorText(err));
    }
  };
  return (
    <form class="card form" onSubmit={run}>
      <h2>Send your terms to a brand</h2>
      <p class="muted">Each brand gets its own signed copy, under a key you use only with that brand.</p>
      {ctx.brands.length === 0 ? (
        <p class="empty">Add the brand on the Brands page first.</p>
      ) : (
        <>
          <div class="row">
            <label>
              Version
              <select value={version} data-testid="terms-export-version" onChange={(e) => setVersion(e.currentTarget.value)}>
                {[...props.versions].reverse().map((v) => <option value={v.id}>v{v.number} — {v.title}</option>)}
              </select>
            </label>
            <label>
              Brand
              <select value={brand} required data-testid="terms-export-brand" onChange={(e) => setBrand(e.currentTarget.value)}>
                <option value="">— choose —</option>
                {ctx.brands.map((b) => <option value={b.id}>{b.name}</option>)}
              </select>
            </label>
          </div>
          {error && <p class="error" role="alert" data-testid="terms-export-error">{error}</p>}
          {result && <p class="notice" role="status" data-testid="terms-export-result">{result}</p>}
          <button type="submit" disabled={!brand} data-testid="terms-export">Sign and save for the brand…</button>
        </>
      )}
    </form>
  );
}

function Answer(props: { a: Agreement; versions: TermsVersion[] }) {
  const { a } = props;
  const v = props.versions.find((x) => x.id === a.terms.version);
  return (
    <div class="answer">
      <span class={`badge decision-${a.decision}`} data-testid="terms-decision">{decisionLabel(a.decision)}</span>{" "}
      <span class="muted">v{v?.number ?? "?"} · signed {dayOf(a.signed_at)}</span>
      {a.changes.length > 0 && (
        <ul class="changes" data-testid="terms-changes">
          {a.changes.map((c) => (
            <li>
              {c.label}: <s>{c.from}</s> → <strong>{c.to}</strong>
            </li>
          ))}
        </ul>
      )}
      {a.note && <p class="muted">“{a.note}”</p>}
    </div>
  );
}

function AnswersCard(props: { status: BrandTermsStatus[]; versions: TermsVersion[]; ctx: Ctx; onImported: () => void }) {
  const [result, setResult] = useState<string | null>(null);
  const [error, setError] = useState<string | null>(null);
  const run = async () => {
    setError(null);
    setResult(null);
    try {
      const chosen = await api.chooseFile("answer-in");
      if (!chosen) return;
      const a = await api.termsImport(chosen.token);
      const name = props.ctx.brands.find((b) => b.id === a.brand)?.name ?? "The brand";
      setResult(`${name}: ${decisionLabel(a.decision).toLowerCase()}.`);
      props.onImported();
    } catch (err) {
      setError(errorText(err));
    }
  };
  return (
    <div class="card wide">
      <div class="row spread">
        <h2>Brands' answers</h2>
        <button class="secondary" onClick={run} data-testid="terms-import">Import a brand's answer…</button>
      </div>
      {error && <p class="error" role="alert" data-testid="terms-import-error">{error}</p>}
      {result && <p class="notice" role="status" data-testid="terms-import-result">{result}</p>}
      {props.status.length === 0 ? (
        <p class="empty">No brands yet. Add one on the Brands page, then send it your terms.</p>
      ) : (
        <table class="grid" data-testid="terms-status">
          <thead>
            <tr><th>Brand</th><th>Latest answer</th><th>Earlier</th></tr>
          </thead>
          <tbody>
            {props.status.map((s) => (
              <tr data-testid="terms-status-row">
                <td>{s.brand.name}</td>
                <td>{s.latest ? <Answer a={s.latest} versions={props.versions} /> : <span class="muted">{decisionLabel(null)}</span>}</td>
                <td>
                  {s.history.length > 1 ? (
                    <details>
                      <summary>{s.history.length - 1} earlier</summary>
                      {s.history.slice(1).map((a) => <Answer a={a} versions={props.versions} />)}
                    </details>
                  ) : (
                    <span class="muted">—</span>
                  )}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </div>
  );
}
