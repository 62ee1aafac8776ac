// Exposure: who holds what. Each data item shared (a field such as email)
// against each brand that may still hold it, beside what the person's mail
// showed brands holding (observed, not shared), and revoking an item
// everywhere at once.
import { useEffect, useState } from "preact/hooks";
import { api } from "../api";
import type { ExposureItem } from "../bindings";
import { ConfirmButton } from "../components/confirm_button";
import { errorText } from "../format";
import { observedText } from "../discover_format";
import { exposureMatrix, holdingText } from "../relations_format";
import type { Ctx } from "../ctx";

export function ExposureScreen(props: { ctx: Ctx }) {
  const { ctx } = props;
  const [items, setItems] = useState<ExposureItem[] | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [result, setResult] = useState<string[] | null>(null);
  const load = () => api.exposure().then(setItems).catch((e) => setError(errorText(e)));
  useEffect(() => void load(), []);

  const revokeEverywhere = async (item: string) => {
    setError(null);
    setResult(null);
    try {
      const folder = await api.chooseFile("revocations-folder");
      if (!folder) return;
      const written = await api.exposureRevokeItem(item, folder.token);
      setResult([
        `Revoked ${written.length} share(s) holding ${item}. Send each brand its revocation:`,
        ...written.map((w) => w.path),
      ]);
      ctx.notify(`${item} revoked everywhere.`);
      await load();
    } catch (e) {
      setError(errorText(e));
    }
  };

  if (items === null) return error ? <p class="error" role="alert">{error}</p> : <p aria-busy="true">Loading…</p>;
  const m = exposureMatrix(items);
  return (
    <div>
      <h1>Exposure</h1>
      <p class="muted">
        Each piece of your data that a brand may still hold through a share: live shares, and revoked ones whose erasure
        the brand has not confirmed yet; and, marked “seen in mail”, what your mail shows a brand holding although you
        never shared it here.
      </p>
      {error && <p class="error" role="alert" data-testid="exposure-error">{error}</p>}
      {result && (
        <div class="notice" role="status" data-testid="exposure-result">
          {result.map((line) => <div><code>{line}</code></div>)}
        </div>
      )}
      {m.rows.length === 0 ? (
        <div class="empty" data-testid="exposure-empty">
          <p>No brand holds your data through a share, and none was seen with it in your mail.</p>
          <p class="muted">
            When you share records on the Share page, or bring brands in from your email, what each brand holds shows
            up here.
          </p>
        </div>
      ) : (
        <div class="scroll">
          <table class="grid matrix" data-testid="exposure-matrix">
            <thead>
              <tr>
                <th>Data</th>
                {m.brands.map((b) => <th>{b.name}</th>)}
                <th />
              </tr>
            </thead>
            <tbody>
              {m.rows.map((row) => (
                <tr data-testid="exposure-row" data-item={row.item}>
                  <th scope="row">{row.item}</th>
                  {row.cells.map((holders, col) => (
                    <td data-testid="exposure-cell">
                      {holders.map((h) => (
                        <div class={`badge status-${h.status}`} title={`${h.purpose} (until ${h.until.slice(0, 10)})`}>
                          {holdingText(h)}
                        </div>
                      ))}
                      {row.seen[col].map((o) => (
                        <div class="badge observed" data-testid="exposure-observed"
                          title={`${o.value}: ${o.messages} message(s)`}>
                          {observedText(o)}
                        </div>
                      ))}
                    </td>
                  ))}
                  <td>
                    {row.live && (
                      <ConfirmButton label="Revoke everywhere…" confirm={`Revoke every live share of ${row.item}?`}
                        testid={`exposure-revoke-${row.item}`} onConfirm={() => void revokeEverywhere(row.item)} />
                    )}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
    </div>
  );
}
