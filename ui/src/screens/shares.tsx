// Shares: everything shared, where each share stands, revoking one (the
// signed revocation is saved for the brand), and the brand's acknowledgment
// that it erased the data.
import { useEffect, useState } from "preact/hooks";
import { api } from "../api";
import type { ShareView } from "../bindings";
import { ConfirmButton } from "../components/confirm_button";
import { errorText } from "../format";
import { dayOf } from "../dates";
import { shareStatusLabel } from "../relations_format";
import type { Ctx } from "../ctx";

export function SharesScreen(props: { ctx: Ctx }) {
  const { ctx } = props;
  const [shares, setShares] = useState<ShareView[] | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [result, setResult] = useState<string | null>(null);
  const load = () => api.sharesList(null).then(setShares).catch((e) => setError(errorText(e)));
  useEffect(() => void load(), []);

  const importAck = async () => {
    setError(null);
    setResult(null);
    try {
      const chosen = await api.chooseFile("acknowledgment-in");
      if (!chosen) return;
      const s = await api.shareImportAck(chosen.token);
      const name = ctx.brands.find((b) => b.id === s.brand)?.name ?? "The brand";
      setResult(`${name} confirmed it erased the data on ${dayOf(s.acknowledgment?.erased_at)}.`);
      await load();
    } catch (e) {
      setError(errorText(e));
    }
  };

  return (
    <div>
      <div class="row spread">
        <h1>Shares</h1>
        <button class="secondary" onClick={importAck} data-testid="shares-import-ack">Import an acknowledgment…</button>
      </div>
      {error && <p class="error" role="alert" data-testid="shares-error">{error}</p>}
      {result && <p class="notice" role="status" data-testid="shares-result">{result}</p>}
      {shares === null ? (
        <p aria-busy="true">Loading…</p>
      ) : shares.length === 0 ? (
        <div class="empty" data-testid="shares-empty">
          <p>Nothing shared yet.</p>
          <p class="muted">
            Use Share to give a brand chosen records for a purpose and a time. Each share is listed here, and you can
            revoke it whenever you like.
          </p>
        </div>
      ) : (
        <ul class="list" data-testid="share-list">
          {shares.map((v) => (
            <ShareRow view={v} key={v.share.id} onChanged={load} onResult={setResult} onError={setError} />
          ))}
        </ul>
      )}
    </div>
  );
}

function ShareRow(props: {
  view: ShareView;
  onChanged: () => void;
  onResult: (text: string) => void;
  onError: (text: string) => void;
}) {
  const { share: s, status, can_revoke } = props.view;
  const [revoking, setRevoking] = useState(false);
  const [reason, setReason] = useState("");
  const fields = [...new Set(s.items.flatMap((i) => i.fields))].sort();
  const revoke = async () => {
    try {
      const chosen = await api.chooseFile("revocation-out");
      if (!chosen) return;
      const r = await api.shareRevoke(s.id, reason.trim() || null, chosen.token);
      props.onResult(
        `Revoked. The revocation is ${chosen.name}: send it to ${props.view.brand_name}, who must erase the data by ` +
          `${dayOf(r.revocation?.erase_by)}.`,
      );
      setRevoking(false);
      props.onChanged();
    } catch (e) {
      props.onError(errorText(e));
    }
  };
  return (
    <li class={`entry status-${status}`} data-testid="share-row" data-status={status}>
      <div class="row spread">
        <strong>{props.view.brand_name}</strong>
        <span class={`badge status-${status}`} data-testid="share-status">{shareStatusLabel(status)}</span>
      </div>
      <div>{s.purpose}</div>
      <div class="muted small">
        {s.items.length} record(s): {fields.join(", ")}
      </div>
      <dl class="facts">
        <dt>Shared</dt>
        <dd>{dayOf(s.created_at)}</dd>
        <dt>Until</dt>
        <dd>{dayOf(s.expires_at)}</dd>
        {s.revocation && (
          <>
            <dt>Revoked</dt>
            <dd>{dayOf(s.revocation.at)}</dd>
            <dt>Erase by</dt>
            <dd data-testid="share-erase-by">{dayOf(s.revocation.erase_by)}</dd>
          </>
        )}
        {s.acknowledgment && (
          <>
            <dt>Erased</dt>
            <dd>{dayOf(s.acknowledgment.erased_at)} (confirmed {dayOf(s.acknowledgment.received_at)})</dd>
          </>
        )}
      </dl>
      {can_revoke &&
        (revoking ? (
          <div class="row">
            <label>
              Reason (optional, sent to the brand)
              <input value={reason} maxLength={500} data-testid="share-revoke-reason"
                onInput={(e) => setReason(e.currentTarget.value)} />
            </label>
            <ConfirmButton label="Revoke and save the revocation…" confirm="Revoke for good? Click again"
              testid="share-revoke-confirm" onConfirm={revoke} />
            <button class="secondary" onClick={() => setRevoking(false)}>Cancel</button>
          </div>
        ) : (
          <button class="secondary" onClick={() => setRevoking(true)} data-testid="share-revoke">Revoke…</button>
        ))}
    </li>
  );
}
