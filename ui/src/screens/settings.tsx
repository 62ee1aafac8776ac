// Settings: auto-lock, where the vault lives, sync across devices, Nostr
// relays, changing the passphrase.
import { useEffect, useState } from "preact/hooks";
import { api } from "../api";
import type { RelayEntry, Settings, VaultInfo } from "../bindings";
import { autoLockError, errorText, placeError, sameNames, type PlacedError } from "../format";
import { FieldMessage } from "../components/field_message";
import type { Ctx } from "../ctx";
import { SyncPanel } from "../components/sync_panel";

export function SettingsScreen(props: { ctx: Ctx }) {
  const [settings, setSettings] = useState<Settings | null>(null);
  const [info, setInfo] = useState<VaultInfo | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [lockError, setLockError] = useState<PlacedError | null>(null);
  useEffect(() => {
    Promise.all([api.settingsGet().then(setSettings), api.vaultInfo().then(setInfo)]).catch((e) => setError(errorText(e)));
  }, []);
  // The core reads the minutes as typed (an empty field is not 0, "never").
  const save = async (input: HTMLInputElement) => {
    try {
      setSettings(await api.settingsSet({ auto_lock_minutes: input.value }));
      setLockError(null);
      props.ctx.notify("Settings saved.");
    } catch (e) {
      // Nothing was changed: the field shows the saved value again.
      input.value = String(settings?.auto_lock_minutes ?? 5);
      setLockError(autoLockError(e));
    }
  };
  return (
    <div>
      <h1>Settings</h1>
      {error && <p class="error" role="alert">{error}</p>}
      <div class="card form">
        <h2>Auto-lock</h2>
        <label>
          Lock after this many idle minutes (0: never)
          <input type="number" min={0} max={1440} value={settings?.auto_lock_minutes ?? 5} data-testid="auto-lock"
            onChange={(e) => void save(e.currentTarget)} />
          <FieldMessage error={lockError} field="auto_lock_minutes" testid="auto-lock-error" />
        </label>
        {lockError && lockError.field === null && <p class="error" role="alert" data-testid="auto-lock-error">{lockError.text}</p>}
        <p class="muted">The vault also locks when you press Ctrl+L, and when the screen locks or the computer sleeps.</p>
      </div>
      {info && (
        <div class="card">
          <h2>This vault</h2>
          <dl>
            <dt>Location</dt>
            <dd><code data-testid="vault-location">{info.dir}</code></dd>
            <dt>Contents</dt>
            <dd>{info.brands} brand(s), {info.records} record(s)</dd>
            <dt>Passphrase protection</dt>
            <dd>Argon2id, {Math.round(info.kdf_m_kib / 1024)} MiB, {info.kdf_t} passes</dd>
          </dl>
        </div>
      )}
      <SyncPanel ctx={props.ctx} />
      <RelaysPanel ctx={props.ctx} />
      <ChangePassphrase ctx={props.ctx} />
      <NewKeys ctx={props.ctx} />
    </div>
  );
}

/** The person's Nostr relays: where intents are broadcast and offers
 *  fetched. The core checks each URL (wss://, or ws:// to this machine). */
function RelaysPanel(props: { ctx: Ctx }) {
  const [list, setList] = useState<RelayEntry[] | null>(null);
  const [url, setUrl] = useState("");
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<PlacedError | null>(null);
  const load = () => api.relaysList().then(setList).catch((e) => setError(placeError(e, () => undefined)));
  useEffect(() => void load(), []);
  const add = async (e: Event) => {
    e.preventDefault();
    setError(null);
    setBusy(true);
    try {
      const got = await api.relayAdd(url);
      setUrl("");
      props.ctx.notify(got.added ? `Added ${got.relay.url}.` : `${got.relay.url} is one of your relays already.`);
      await load();
    } catch (err) {
      setError(placeError(err, sameNames(["relay"] as const)));
    } finally {
      setBusy(false);
    }
  };
  const remove = async (u: string) => {
    setError(null);
    try {
      await api.relayRemove(u);
      props.ctx.notify(`Removed ${u}.`);
      await load();
    } catch (err) {
      setError(placeError(err, () => undefined));
    }
  };
  return (
    <form class="card form" onSubmit={add} data-testid="relays">
      <h2>Relays</h2>
      <p class="muted">
        Nostr relays, where an intent you broadcast is listed for any seller to see, and where sellers' offers wait
        for you. Each relay sees your IP address when the app connects.
      </p>
      {list !== null && list.length === 0 && <p class="muted" data-testid="relays-empty">No relays yet.</p>}
      {list !== null && list.length > 0 && (
        <ul class="list">
          {list.map((r) => (
            <li class="row spread" data-testid="relay-row">
              <code>{r.url}</code>
              <button type="button" class="secondary" onClick={() => void remove(r.url)} data-testid="relay-remove">
                Remove
              </button>
            </li>
          ))}
        </ul>
      )}
      <label>
        Add a relay
        <input value={url} onInput={(e) => { setUrl(e.currentTarget.value); setError(null); }}
          placeholder="wss://relay.example.com" data-testid="relay-url" />
        <FieldMessage error={error} field="relay" testid="relay-error" />
      </label>
      {error && error.field === null && <p class="error" role="alert" data-testid="relay-error">{error.text}</p>}
      <button type="submit" disabled={busy || url.trim() === ""} data-testid="relay-add">
        {busy ? "Adding…" : "Add"}
      </button>
    </form>
  );
}

/** A new vault key (everything sealed again), or only a new recovery code:
 *  for when an old copy of the vault or the code may have been seen. The
 *  new recovery code is shown once, here. */
function NewKeys(props: { ctx: Ctx }) {
  const [current, setCurrent] = useState("");
  const [next, setNext] = useState("");
  const [again, setAgain] = useState("");
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const [code, setCode] = useState<string | null>(null);
  const run = async (what: "rekey" | "code") => {
    setError(null);
    if (what === "rekey" && next !== again) {
      setError("The two new passphrases differ.");
      return;
    }
    setBusy(true);
    try {
      const shown = what === "rekey" ? await api.vaultRekey(current, next) : await api.vaultNewRecoveryCode(current);
      setCurrent("");
      setNext("");
      setAgain("");
      setCode(shown);
      props.ctx.notify(what === "rekey" ? "The vault has a new key." : "The recovery code was replaced.");
    } catch (err) {
      setError(errorText(err));
    } finally {
      setBusy(false);
    }
  };
  if (code) {
    return (
      <div class="card">
        <h2>Your new recovery code</h2>
        <p>The old one no longer works. Write this one down and keep it somewhere safe: it is shown only now.</p>
        <p class="recovery-code" data-testid="new-recovery-code">{code}</p>
        <button onClick={() => setCode(null)} data-testid="new-recovery-code-done">I have saved it</button>
      </div>
    );
  }
  return (
    <form class="card form" onSubmit={(e) => { e.preventDefault(); void run("rekey"); }}>
      <h2>New keys</h2>
      <p>
        A new vault key seals everything again: an old copy of the vault with your old passphrase then opens nothing
        written since. You get a new recovery code either way.
      </p>
      <label>
        Current passphrase
        <input type="password" autocomplete="current-password" value={current} data-testid="rekey-current"
          onInput={(e) => setCurrent(e.currentTarget.value)} required />
      </label>
      <label>
        New passphrase (may be the same)
        <input type="password" autocomplete="new-password" value={next} data-testid="rekey-new"
          onInput={(e) => setNext(e.currentTarget.value)} />
      </label>
      <label>
        The same again
        <input type="password" autocomplete="new-password" value={again} data-testid="rekey-again"
          onInput={(e) => setAgain(e.currentTarget.value)} />
      </label>
      {error && <p class="error" role="alert">{error}</p>}
      <button type="submit" disabled={busy} data-testid="rekey-submit">{busy ? "Working…" : "Make a new vault key"}</button>{" "}
      <button type="button" disabled={busy || current === ""} data-testid="recovery-code-new"
        onClick={() => void run("code")}>Only a new recovery code</button>
    </form>
  );
}

function ChangePassphrase(props: { ctx: Ctx }) {
  const [current, setCurrent] = useState("");
  const [next, setNext] = useState("");
  const [again, setAgain] = useState("");
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const submit = async (e: Event) => {
    e.preventDefault();
    setError(null);
    if (next !== again) {
      setError("The two new passphrases differ.");
      return;
    }
    setBusy(true);
    try {
      await api.vaultChangePassphrase(current, next);
      setCurrent("");
      setNext("");
      setAgain("");
      props.ctx.notify("Passphrase changed.");
    } catch (err) {
      setError(errorText(err));
    } finally {
      setBusy(false);
    }
  };
  return (
    <form class="card form" onSubmit={submit}>
      <h2>Change passphrase</h2>
      <label>
        Current passphrase
        <input type="password" autocomplete="current-password" value={current} onInput={(e) => setCurrent(e.currentTarget.value)} required />
      </label>
      <label>
        New passphrase
        <input type="password" autocomplete="new-password" value={next} onInput={(e) => setNext(e.currentTarget.value)} required />
      </label>
      <label>
        The same again
        <input type="password" autocomplete="new-password" value={again} onInput={(e) => setAgain(e.currentTarget.value)} required />
      </label>
      {error && <p class="error" role="alert">{error}</p>}
      <button type="submit" disabled={busy}>{busy ? "Changing…" : "Change passphrase"}</button>
    </form>
  );
}
