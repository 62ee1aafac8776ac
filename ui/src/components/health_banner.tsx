// What is wrong with the vault, where the person cannot miss it: rows that
// fail to authenticate are left out of every list, so without this they
// would silently vanish from view.
import { useEffect, useState } from "preact/hooks";
import { api } from "../api";
import type { Health } from "../bindings";
import { healthSummary, rowFindingText, vaultProblemText } from "../format";

export function HealthBanner(props: { refresh?: unknown }) {
  const [health, setHealth] = useState<Health | null>(null);
  const [confirming, setConfirming] = useState(false);
  const [error, setError] = useState<string | null>(null);
  useEffect(() => {
    // A failure to ask is not damage: the screens report their own errors.
    api.vaultHealth().then(setHealth).catch(() => undefined);
  }, [props.refresh]);
  const summary = health && healthSummary(health);
  if (!health || !summary) return null;
  return (
    <div class="error" role="alert" data-testid="health-banner">
      <strong>This vault needs attention: {summary}.</strong>{" "}
      {(health.damaged_brands.length > 0 || health.damaged_records.length > 0 || health.damaged_documents.length > 0) &&
        "These rows fail their integrity check (damaged, or changed outside VRM Vault) and are left out of every list. "}
      {(health.integrity.problems.length > 0 || health.integrity.rows.length > 0) &&
        "The vault is not as VRM Vault left it: rows were deleted, added or put back outside it, or an older copy was put in its place. "}
      {health.integrity.problems.length > 0 &&
        "Nothing can be changed until you decide to keep the vault as it is now. "}
      {health.wal_residue_pending &&
        "Another program is reading the vault, so old pages of something deleted stay on disk until it stops. "}
      <details>
        <summary>Details</summary>
        <ul data-testid="health-details">
          {health.damaged_brands.map((id) => <li key={`b${id}`}>brand <code>{id}</code></li>)}
          {health.damaged_records.map((id) => <li key={`r${id}`}>record <code>{id}</code></li>)}
          {health.damaged_documents.map((d) => <li key={`d${d.kind}${d.id}`}>{d.kind} <code>{d.id}</code></li>)}
          {health.integrity.problems.map((p) => <li key={`p${p.kind}`}>{vaultProblemText(p)}</li>)}
          {health.integrity.rows.map((r) => <li key={`i${r.table}${r.id}`}>{rowFindingText(r)}</li>)}
        </ul>
      </details>
      {(health.integrity.problems.length > 0 || health.integrity.rows.length > 0) &&
        (confirming ? (
          <p>
            Keep the vault exactly as it is now, and stop reporting these differences? Only do this if you put an
            older copy in place on purpose, or have read the details above.{" "}
            <button
              data-testid="health-accept-confirm"
              onClick={() =>
                api
                  .vaultAcceptIntegrity()
                  .then((h) => {
                    setHealth(h);
                    setConfirming(false);
                  })
                  .catch((e) => setError(String(e?.message ?? e)))
              }
            >
              Keep it as it is
            </button>{" "}
            <button onClick={() => setConfirming(false)}>Cancel</button>
          </p>
        ) : (
          <button data-testid="health-accept" onClick={() => setConfirming(true)}>
            Keep the vault as it is now…
          </button>
        ))}
      {error && <p data-testid="health-error">{error}</p>}
    </div>
  );
}
