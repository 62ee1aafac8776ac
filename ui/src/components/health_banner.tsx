// What is wrong with the vault, where the person cannot miss it: rows that
// fail to authenticate are left out of every list, so without this they
// would silently vanish from view.
import { useEffect, useState } from "preact/hooks";
import { api } from "../api";
import type { Health } from "../bindings";
import { healthSummary } from "../format";

export function HealthBanner(props: { refresh?: unknown }) {
  const [health, setHealth] = useState<Health | null>(null);
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
      {health.wal_residue_pending &&
        "Another program is reading the vault, so old pages of something deleted stay on disk until it stops. "}
      <details>
        <summary>Details</summary>
        <ul data-testid="health-details">
          {health.damaged_brands.map((id) => <li key={`b${id}`}>brand <code>{id}</code></li>)}
          {health.damaged_records.map((id) => <li key={`r${id}`}>record <code>{id}</code></li>)}
          {health.damaged_documents.map((d) => <li key={`d${d.kind}${d.id}`}>{d.kind} <code>{d.id}</code></li>)}
        </ul>
      </details>
    </div>
  );
}
