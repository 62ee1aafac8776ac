// Activity: the vault's tamper-evident log of what was shared, revoked,
// requested and deleted, a check of its chain, and the contacts that broke
// the rules of terms a brand accepted.
import { useEffect, useState } from "preact/hooks";
import { api } from "../api";
import type { AuditReport, BrandViolations, DeviceLogEntry } from "../bindings";
import { errorText } from "../format";
import { dayOf, minuteOf } from "../dates";
import { actionLabel } from "../relations_format";
import { deviceOf, manyDevices } from "../sync_format";
import type { Ctx } from "../ctx";

export function ActivityScreen(props: { ctx: Ctx }) {
  const { ctx } = props;
  const [entries, setEntries] = useState<DeviceLogEntry[] | null>(null);
  const [violations, setViolations] = useState<BrandViolations[] | null>(null);
  const [error, setError] = useState<string | null>(null);
  useEffect(() => {
    // Every device's entries (this one's and those synced from the others), newest first.
    api.activityLog().then((l) => setEntries([...l].reverse())).catch((e) => setError(errorText(e)));
    api.contactViolations().then(setViolations).catch((e) => setError(errorText(e)));
  }, []);
  const several = entries !== null && manyDevices(entries);
  const brandName = (id: string | null) => (id ? ctx.brands.find((b) => b.id === id)?.name ?? "a deleted brand" : "");

  return (
    <div>
      <h1>Activity</h1>
      <Verify />
      <div class="card wide">
        <h2>Contact rules broken</h2>
        {violations === null ? (
          <p aria-busy="true">Checking…</p>
        ) : violations.length === 0 ? (
          <p class="empty" data-testid="violations-empty">
            No brand has broken the contact rules of terms it accepted. Log each call, email or letter a brand starts as
            an interaction record (direction “inbound”, with its purpose) and it is checked here.
          </p>
        ) : (
          <ul class="list" data-testid="violations">
            {violations.map((bv) => (
              <li class="entry">
                <strong>{bv.brand.name}</strong>{" "}
                <span class="muted">(terms v{bv.terms_version}, accepted {dayOf(bv.since)})</span>
                <ul>
                  {bv.violations.map((v) => <li data-testid="violation">{v.description}</li>)}
                </ul>
              </li>
            ))}
          </ul>
        )}
      </div>
      <h2>Log</h2>
      {error && <p class="error" role="alert" data-testid="activity-error">{error}</p>}
      {entries === null ? (
        !error && <p aria-busy="true">Loading…</p>
      ) : entries.length === 0 ? (
        <p class="empty" data-testid="activity-empty">
          Nothing logged yet. Making terms, sharing, revoking, data-rights requests, exports and deletions are all
          recorded here, and the log cannot be changed without it showing.
        </p>
      ) : (
        <ol class="list timeline" data-testid="activity-timeline">
          {entries.map((e) => (
            <li class="entry" data-testid="activity-entry" data-action={e.action}>
              <span class="date">{minuteOf(e.at)}</span>{" "}
              {several && <span class="device" data-testid="activity-device">{deviceOf(e)}</span>}{" "}
              <strong>{actionLabel(e.action)}</strong>
              {e.brand && <span class="muted"> · {brandName(e.brand)}</span>}
              <div class="muted small">{e.summary}</div>
            </li>
          ))}
        </ol>
      )}
    </div>
  );
}

function Verify() {
  const [report, setReport] = useState<AuditReport | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const run = async () => {
    setBusy(true);
    setError(null);
    setReport(null);
    try {
      setReport(await api.auditVerify());
    } catch (e) {
      setError(errorText(e));
    } finally {
      setBusy(false);
    }
  };
  return (
    <div class="card wide">
      <div class="row spread">
        <h2>Check the log</h2>
        <button onClick={run} disabled={busy} data-testid="activity-verify">{busy ? "Checking…" : "Verify"}</button>
      </div>
      <p class="muted">Each entry is sealed and names the one before it, so a change, a removal or a reordering shows.</p>
      {report && (
        <p class="notice" role="status" data-testid="activity-verify-result">
          The log is intact: {report.entries} entr{report.entries === 1 ? "y" : "ies"} checked.
          {report.head && (
            <>
              {" "}Fingerprint of the last one: <code>{report.head}</code>
            </>
          )}
        </p>
      )}
      {error && <p class="error" role="alert" data-testid="activity-verify-error">{error}</p>}
    </div>
  );
}
