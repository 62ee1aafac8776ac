// Rights: data-rights requests under the GDPR and the CCPA/CPRA. Make one
// (the letter to send is shown, ready to copy), follow each deadline, chase
// an overdue one with the follow-up letter, and record the brand's answer.
import { useEffect, useState } from "preact/hooks";
import { api } from "../api";
import type { NewRightsRequest, RequestStatus, Right, RightInfo, RightsRequestView } from "../bindings";
import { Letter } from "../components/letter";
import { errorText, placeError, sameNames, type PlacedError } from "../format";
import { FieldMessage } from "../components/field_message";
import {
  REQUEST_STATUS_LABELS,
  deadlineText,
  requestStatusLabel,
  rightLabel,
  rightsByRegime,
} from "../relations_format";
import { today } from "../dates";
import type { Ctx } from "../ctx";

export function RightsScreen(props: { ctx: Ctx }) {
  const { ctx } = props;
  const [kinds, setKinds] = useState<RightInfo[]>([]);
  const [list, setList] = useState<RightsRequestView[] | null>(null);
  const [made, setMade] = useState<NewRightsRequest | null>(null);
  const [error, setError] = useState<string | null>(null);
  const load = () => api.rightsList().then(setList).catch((e) => setError(errorText(e)));
  useEffect(() => {
    api.rightsKinds().then(setKinds).catch((e) => setError(errorText(e)));
    void load();
  }, []);

  return (
    <div>
      <h1>Your data rights</h1>
      <p class="muted">
        Ask a company what it holds about you, to correct or erase it, to hand it over, or to stop selling it. The law
        gives it a deadline; VRM Vault counts the days and writes the letters.
      </p>
      {error && <p class="error" role="alert">{error}</p>}
      {made ? (
        <div class="card wide" data-testid="rights-made">
          <h2>Request made</h2>
          <p>
            Send this letter to {ctx.brands.find((b) => b.id === made.request.brand)?.name ?? "the company"} by email or
            post. It is due by <strong data-testid="rights-made-due">{dueOf(list, made.request.id)}</strong>.
          </p>
          <Letter text={made.letter} testid="rights-letter" />
          <button onClick={() => setMade(null)} data-testid="rights-made-done">Done</button>
        </div>
      ) : (
        <NewRequest ctx={ctx} kinds={kinds} onMade={async (m) => { await load(); setMade(m); }} />
      )}
      <h2>Requests</h2>
      {list === null ? (
        <p aria-busy="true">Loading…</p>
      ) : list.length === 0 ? (
        <div class="empty" data-testid="rights-empty">
          <p>No requests yet.</p>
          <p class="muted">
            A good first one: ask a company you deal with for a copy of everything it holds about you (GDPR “Right of
            access”, or CCPA “Right to know” in California).
          </p>
        </div>
      ) : (
        <ul class="list" data-testid="rights-list">
          {list.map((v) => (
            <RequestRow view={v} kinds={kinds} key={v.request.id} onChanged={load} />
          ))}
        </ul>
      )}
    </div>
  );
}

function dueOf(list: RightsRequestView[] | null, id: string): string {
  return list?.find((v) => v.request.id === id)?.due ?? "";
}

function NewRequest(props: { ctx: Ctx; kinds: RightInfo[]; onMade: (m: NewRightsRequest) => void }) {
  const { ctx } = props;
  const [brand, setBrand] = useState("");
  const [right, setRight] = useState<Right>("gdpr-access");
  const [sentOn, setSentOn] = useState(() => today());
  const [details, setDetails] = useState("");
  const [saveSigned, setSaveSigned] = useState(false);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<PlacedError | null>(null);
  const submit = async (e: Event) => {
    e.preventDefault();
    setError(null);
    try {
      let file: string | null = null;
      if (saveSigned) {
        const chosen = await api.chooseFile("rights-request-out");
        if (!chosen) return;
        file = chosen.token;
      }
      setBusy(true);
      const m = await api.rightsCreate(brand, right, sentOn, details.trim() || null, file);
      setDetails("");
      props.onMade(m);
    } catch (err) {
      setError(placeError(err, sameNames(["sent_on", "details"])));
    } finally {
      setBusy(false);
    }
  };
  if (ctx.brands.length === 0) {
    return <p class="empty">Add the company on the Brands page first; then make a request to it here.</p>;
  }
  return (
    <form class="card form wide" onSubmit={submit} data-testid="rights-form">
      <h2>Make a request</h2>
      <div class="row">
        <label>
          Brand
          <select value={brand} required data-testid="rights-brand" onChange={(e) => setBrand(e.currentTarget.value)}>
            <option value="">— choose —</option>
            {ctx.brands.map((b) => <option value={b.id}>{b.name}</option>)}
          </select>
        </label>
        <label>
          Right
          <select value={right} data-testid="rights-right" onChange={(e) => setRight(e.currentTarget.value as Right)}>
            {rightsByRegime(props.kinds).map((g) => (
              <optgroup label={g.name}>
                {g.rights.map((r) => <option value={r.right}>{rightLabel(r, r.right)}</option>)}
              </optgroup>
            ))}
          </select>
        </label>
      </div>
      <label>
        Sent on (the deadline counts from the day the company receives it)
        <input type="date" value={sentOn} required data-testid="rights-sent-on"
          onInput={(e) => setSentOn(e.currentTarget.value)} />
        <FieldMessage error={error} field="sent_on" testid="rights-error-sent-on" />
      </label>
      <label>
        Details (optional: an account number, what to correct…)
        <textarea value={details} data-testid="rights-details" onInput={(e) => setDetails(e.currentTarget.value)} />
        <FieldMessage error={error} field="details" testid="rights-error-details" />
      </label>
      <label class="check">
        <input type="checkbox" checked={saveSigned} data-testid="rights-save-signed"
          onChange={(e) => setSaveSigned(e.currentTarget.checked)} />
        Also save a signed copy of the request (JSON) for the company
      </label>
      {error && error.field === null && <p class="error" role="alert" data-testid="rights-error">{error.text}</p>}
      <button type="submit" disabled={busy || !brand} data-testid="rights-submit">
        {busy ? "Making…" : saveSigned ? "Make the request and save the signed copy…" : "Make the request"}
      </button>
    </form>
  );
}

const STATUSES = Object.keys(REQUEST_STATUS_LABELS) as RequestStatus[];

function RequestRow(props: { view: RightsRequestView; kinds: RightInfo[]; onChanged: () => void }) {
  const v = props.view;
  const r = v.request;
  const [letter, setLetter] = useState<{ text: string; followUp: boolean } | null>(null);
  const [updating, setUpdating] = useState(false);
  const [status, setStatus] = useState<RequestStatus>(r.status);
  const [reason, setReason] = useState(r.reason ?? "");
  const [extended, setExtended] = useState(r.extended);
  const [error, setError] = useState<string | null>(null);
  const [updateError, setUpdateError] = useState<PlacedError | null>(null);
  const show = async (followUp: boolean) => {
    setError(null);
    try {
      setLetter({ text: await api.rightsLetter(r.id, followUp), followUp });
    } catch (e) {
      setError(errorText(e));
    }
  };
  const save = async (e: Event) => {
    e.preventDefault();
    setUpdateError(null);
    try {
      await api.rightsUpdate(
        r.id,
        status === r.status ? null : status,
        reason.trim() === (r.reason ?? "") ? null : reason,
        extended === r.extended ? null : extended,
      );
      setUpdating(false);
      props.onChanged();
    } catch (err) {
      setUpdateError(placeError(err, sameNames(["status", "reason"])));
    }
  };
  const info = props.kinds.find((k) => k.right === r.right);
  const clock = deadlineText(v);
  return (
    <li class={v.overdue ? "entry overdue" : "entry"} data-testid="rights-row" data-overdue={String(v.overdue)}>
      <div class="row spread">
        <strong>{rightLabel(info, r.right)}</strong>
        <span class={`badge request-${r.status}`} data-testid="rights-status">{requestStatusLabel(r.status)}</span>
      </div>
      <div>
        {v.brand_name} <span class="muted">· sent {r.sent_on} · due {v.due}{r.extended ? " (extended)" : ""}</span>
        {clock && (
          <span class={v.overdue ? "clock late" : "clock"} data-testid="rights-deadline"> · {clock}</span>
        )}
      </div>
      {r.details && <div class="muted small">{r.details}</div>}
      {r.reason && <div class="small">Reason given: {r.reason}</div>}
      <div class="row">
        <button class="secondary" onClick={() => show(false)} data-testid="rights-show-letter">Letter</button>
        {v.overdue && (
          <button onClick={() => show(true)} data-testid="rights-follow-up">Follow-up letter</button>
        )}
        <button class="secondary" onClick={() => setUpdating(!updating)} data-testid="rights-update">Update…</button>
      </div>
      {error && <p class="error" role="alert" data-testid="rights-row-error">{error}</p>}
      {updating && (
        <form class="form" onSubmit={save} data-testid="rights-update-form">
          <div class="row">
            <label>
              Status
              <select value={status} data-testid="rights-update-status"
                onChange={(e) => setStatus(e.currentTarget.value as RequestStatus)}>
                {STATUSES.map((s) => <option value={s}>{requestStatusLabel(s)}</option>)}
              </select>
              <FieldMessage error={updateError} field="status" testid="rights-update-error-status" />
            </label>
            <label class="check">
              <input type="checkbox" checked={extended} data-testid="rights-update-extended"
                onChange={(e) => setExtended(e.currentTarget.checked)} />
              The company extended the deadline
            </label>
          </div>
          {(status === "denied" || r.reason) && (
            <label>
              The company's reason for denying it
              <input value={reason} data-testid="rights-update-reason" onInput={(e) => setReason(e.currentTarget.value)} />
              <FieldMessage error={updateError} field="reason" testid="rights-update-error-reason" />
            </label>
          )}
          {updateError && (updateError.field === null || (updateError.field === "reason" && status !== "denied" && !r.reason)) && (
            <p class="error" role="alert" data-testid="rights-update-error">{updateError.text}</p>
          )}
          <button type="submit" data-testid="rights-update-save">Save</button>
        </form>
      )}
      {letter && (
        <Letter text={letter.text} testid={letter.followUp ? "rights-follow-up-letter" : "rights-row-letter"}
          title={letter.followUp ? "Follow-up letter" : "The request letter"} />
      )}
    </li>
  );
}
