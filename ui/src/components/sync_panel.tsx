// Settings → Sync: setting it up (a folder or an S3-compatible store), where
// this vault syncs, the last sync, records with conflicting values kept in
// their history, the devices (revoke one), sync now, and inviting a new
// device (its one-time code shown once). Sync runs in the background (the
// app's sync thread); this panel only shows it.
import { useEffect, useState } from "preact/hooks";
import { listen } from "@tauri-apps/api/event";
import { api } from "../api";
import type { DeviceView, S3Form, SyncOutcome, SyncPanel as Panel } from "../bindings";
import { errorText, placeError, sameNames, type PlacedError } from "../format";
import { lastSyncText, outcomeText } from "../sync_format";
import { ConfirmButton } from "./confirm_button";
import { FieldMessage } from "./field_message";
import type { Ctx } from "../ctx";

export function SyncPanel(props: { ctx: Ctx }) {
  const { ctx } = props;
  const [panel, setPanel] = useState<Panel | null>(null);
  const [devices, setDevices] = useState<DeviceView[]>([]);
  const [last, setLast] = useState<SyncOutcome | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);

  const load = async () => {
    try {
      const p = await api.syncStatus();
      setPanel(p);
      // The newer of what the panel has and what the app kept.
      setLast((l) => (l && (!p.last || l.at_ms > p.last.at_ms) ? l : p.last));
      setDevices(await api.devicesList());
    } catch (e) {
      setError(errorText(e));
    }
  };
  useEffect(() => {
    void load();
    // A background sync's outcome, as it comes (no reload: a sync is not
    // the person's activity, and must not postpone the auto-lock).
    const unlisten = listen<SyncOutcome>("sync-finished", (e) => setLast(e.payload));
    return () => {
      unlisten.then((f) => f()).catch(() => undefined);
    };
  }, []);

  const syncNow = async () => {
    setBusy(true);
    setError(null);
    try {
      const outcome = await api.syncNow();
      if (outcome) setLast(outcome);
      await load();
    } catch (e) {
      setError(errorText(e));
    } finally {
      setBusy(false);
    }
  };

  const revoke = async (d: DeviceView) => {
    setError(null);
    try {
      await api.deviceRevoke(d.id);
      ctx.notify(`${d.name} was revoked: nothing synced from now on opens there.`);
      await load();
    } catch (e) {
      setError(errorText(e));
    }
  };

  if (!panel) {
    return (
      <div class="card" data-testid="sync-panel">
        <h2>Sync</h2>
        {error ? <p class="error" role="alert">{error}</p> : <p aria-busy="true">Loading…</p>}
      </div>
    );
  }
  if (!panel.set_up) return <SetUp onDone={load} error={error} />;
  const status = panel.status;
  const lastMs = last?.at_ms ?? status.last_sync_ms;
  return (
    <div class="card wide" data-testid="sync-panel">
      <div class="row spread">
        <h2>Sync</h2>
        <button onClick={() => void syncNow()} disabled={busy} data-testid="sync-now">
          {busy ? "Syncing…" : "Sync now"}
        </button>
      </div>
      <p class="muted">
        Everything is encrypted on this device before it reaches the store; it syncs by itself a few seconds after a
        change and every few minutes while the vault is unlocked.
      </p>
      <dl>
        <dt>Store</dt>
        <dd data-testid="sync-target">{status.target ?? "none"}</dd>
        <dt>Last sync</dt>
        <dd data-testid="sync-last" data-at={lastMs ?? ""}>{lastSyncText(lastMs)}</dd>
        {last && (
          <>
            <dt>Result</dt>
            <dd data-testid="sync-result" class={last.error ? "error" : undefined}>{outcomeText(last)}</dd>
          </>
        )}
        <dt>Waiting to be sent</dt>
        <dd>{status.pending_rows} change(s)</dd>
      </dl>
      {error && <p class="error" role="alert" data-testid="sync-error">{error}</p>}
      <h3>Conflicts kept in history</h3>
      {status.conflicts.length === 0 ? (
        <p class="empty" data-testid="sync-conflicts-empty">
          None. When the same field is edited on two devices at once, the later edit wins and the other value is kept
          in the record's history, where you can put it back.
        </p>
      ) : (
        <ul class="list" data-testid="sync-conflicts">
          {status.conflicts.map((c) => (
            <li class="entry">
              <button class="link" onClick={() => ctx.go({ screen: "records", recordId: c.record })}>
                Record {c.record.slice(0, 8)}
              </button>{" "}
              <span class="muted">{c.values} value(s) in its history</span>
            </li>
          ))}
        </ul>
      )}
      <h3>Devices</h3>
      <ul class="list" data-testid="sync-devices">
        {devices.map((d) => (
          <li class="entry row spread" data-testid="sync-device" data-device={d.id}>
            <span>
              <strong>{d.name}</strong>
              {d.this_device && <span class="muted"> (this device)</span>}
              {d.revoked_after !== null && <span class="muted"> (revoked)</span>}
              {!d.joined && !d.this_device && d.revoked_after === null && <span class="muted"> (invited, not joined yet)</span>}
            </span>
            {d.can_revoke && (
              <ConfirmButton label="Revoke" confirm={`Revoke ${d.name}? Click again`} testid="device-revoke"
                onConfirm={() => void revoke(d)} />
            )}
          </li>
        ))}
      </ul>
      <Invite onInvited={load} />
    </div>
  );
}

const S3_FIELDS = ["target", "endpoint", "region", "access_key", "secret_key"] as const;
type S3Field = (typeof S3_FIELDS)[number];
const EMPTY_S3: S3Form = { target: "", endpoint: "", region: "", access_key: "" };

/** Sync is not set up: a folder (one a file-sync tool replicates) or an
 *  S3-compatible store. The core checks what is typed and names the field
 *  it is about; the store is reached before anything is kept. */
function SetUp(props: { onDone: () => Promise<void>; error: string | null }) {
  const [name, setName] = useState("");
  const [s3, setS3] = useState<S3Form>(EMPTY_S3);
  const [secret, setSecret] = useState("");
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<PlacedError | null>(null);
  const place = (err: unknown) => setError(placeError(err, sameNames<S3Field | "name">([...S3_FIELDS, "name"])));
  const run = async (setUp: () => Promise<boolean>) => {
    setBusy(true);
    setError(null);
    try {
      if (await setUp()) await props.onDone();
    } catch (err) {
      place(err);
    } finally {
      setBusy(false);
    }
  };
  const folder = (e: Event) => {
    e.preventDefault();
    void run(async () => {
      const chosen = await api.chooseFile("sync-folder");
      if (!chosen) return false;
      await api.syncSetupFolder(chosen.token, name);
      return true;
    });
  };
  const store = (e: Event) => {
    e.preventDefault();
    void run(async () => {
      await api.syncSetupS3(s3, secret, name);
      setSecret("");
      return true;
    });
  };
  const s3Input = (f: Exclude<S3Field, "secret_key">, label: string, extra: { [k: string]: unknown } = {}) => (
    <label>
      {label}
      <input value={s3[f]} disabled={busy} data-testid={`s3-${f}`} {...extra}
        onInput={(e) => setS3({ ...s3, [f]: e.currentTarget.value })} />
      <FieldMessage error={error} field={f} testid={`s3-error-${f}`} />
    </label>
  );
  const general = error ? (error.field === null ? error.text : null) : props.error;
  return (
    <div class="card form" data-testid="sync-panel">
      <h2>Sync</h2>
      <p>
        Keep this vault on your other devices through a folder that a file-sync tool (Syncthing, a shared drive)
        replicates, or through an S3-compatible store. Only encrypted, signed changes go there.
      </p>
      <label>
        This device's name
        <input value={name} placeholder="laptop" data-testid="sync-device-name" disabled={busy}
          onInput={(e) => setName(e.currentTarget.value)} />
        <FieldMessage error={error} field="name" testid="sync-error-name" />
      </label>
      {general && <p class="error" role="alert" data-testid="sync-error">{general}</p>}
      <form class="form" onSubmit={folder} data-testid="sync-folder-form">
        <h3>Sync through a folder</h3>
        <p class="muted">A folder that Syncthing, a shared drive or a NAS keeps the same on your devices.</p>
        <button type="submit" disabled={busy} data-testid="sync-setup">{busy ? "Setting up…" : "Choose a folder to sync through"}</button>
      </form>
      <form class="form" onSubmit={store} data-testid="s3-form">
        <h3>Sync through an S3-compatible store</h3>
        <p class="muted">
          A bucket made beforehand at AWS S3, Garage, MinIO, Ceph, R2 or B2. The keys are kept encrypted in the vault
          and go to a new device only inside its invitation.
        </p>
        {s3Input("endpoint", "The store's address", { placeholder: "https://s3.eu-west-1.amazonaws.com" })}
        <div class="row">
          {s3Input("target", "Bucket and prefix", { placeholder: "s3://my-bucket/vault" })}
          {s3Input("region", "Region (optional)", { placeholder: "us-east-1" })}
        </div>
        <div class="row">
          {s3Input("access_key", "Access key", { autocomplete: "off", spellcheck: false })}
          <label>
            Secret key
            <input type="password" value={secret} disabled={busy} data-testid="s3-secret_key" autocomplete="off"
              onInput={(e) => setSecret(e.currentTarget.value)} />
            <FieldMessage error={error} field="secret_key" testid="s3-error-secret_key" />
          </label>
        </div>
        <button type="submit" disabled={busy} data-testid="s3-setup">{busy ? "Setting up…" : "Sync through this store"}</button>
      </form>
    </div>
  );
}

/** Invite a device: the invitation goes to a file; its code is shown here, once. */
function Invite(props: { onInvited: () => Promise<void> }) {
  const [name, setName] = useState("");
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const [shown, setShown] = useState<{ code: string; file: string } | null>(null);
  const submit = async (e: Event) => {
    e.preventDefault();
    setBusy(true);
    setError(null);
    try {
      const chosen = await api.chooseFile("invitation-out");
      if (!chosen) return;
      const code = await api.deviceInvite(name, chosen.token);
      setName("");
      setShown({ code, file: chosen.name });
      await props.onInvited();
    } catch (err) {
      setError(errorText(err));
    } finally {
      setBusy(false);
    }
  };
  if (shown) {
    return (
      <div class="notice" data-testid="invite-shown">
        <p>
          The invitation is saved to <strong>{shown.file}</strong>. Take it to the new device and, in VRM Vault there,
          choose “Join an existing vault” and type this code. It works once, for a day, and is shown only now.
        </p>
        <p class="recovery-code" data-testid="invite-code">{shown.code}</p>
        <button onClick={() => setShown(null)} data-testid="invite-done">Done</button>
      </div>
    );
  }
  return (
    <form class="form" onSubmit={submit}>
      <h3>Add a device</h3>
      <label>
        The new device's name
        <input value={name} placeholder="desktop" data-testid="invite-name" required
          onInput={(e) => setName(e.currentTarget.value)} />
      </label>
      {error && <p class="error" role="alert" data-testid="invite-error">{error}</p>}
      <button type="submit" disabled={busy} data-testid="invite-submit">{busy ? "Inviting…" : "Save an invitation"}</button>
    </form>
  );
}
