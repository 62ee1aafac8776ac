// First run (create, or join a vault from another device), unlock,
// recover: the screens before the vault is open.
import { useState } from "preact/hooks";
import { api } from "../api";
import { errorText } from "../format";

function usePending() {
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const run = async (work: () => Promise<void>) => {
    setBusy(true);
    setError(null);
    try {
      await work();
    } catch (e) {
      setError(errorText(e));
    } finally {
      setBusy(false);
    }
  };
  return { busy, error, setError, run };
}

export function CreateVault(props: { dir: string; onCreated: (code: string) => void; onJoin: () => void }) {
  const [pass, setPass] = useState("");
  const [again, setAgain] = useState("");
  const { busy, error, setError, run } = usePending();
  const submit = (e: Event) => {
    e.preventDefault();
    if (pass !== again) {
      setError("The two passphrases differ.");
      return;
    }
    void run(async () => {
      const code = await api.vaultCreate(pass);
      setPass("");
      setAgain("");
      props.onCreated(code);
    });
  };
  return (
    <main class="center">
      <form class="card" onSubmit={submit} data-testid="create-form">
        <h1>Welcome to VRM Vault</h1>
        <p>
          Your relationships with companies — accounts, purchases, every call and email — kept encrypted on this
          computer, under your terms. Choose a passphrase to create your vault.
        </p>
        <p class="muted">It will live in <code>{props.dir}</code>.</p>
        <label>
          Passphrase (at least 8 characters; a few words are best)
          <input type="password" autocomplete="new-password" value={pass} data-testid="create-passphrase"
            onInput={(e) => setPass(e.currentTarget.value)} autoFocus required />
        </label>
        <label>
          The same again
          <input type="password" autocomplete="new-password" value={again} data-testid="create-passphrase-again"
            onInput={(e) => setAgain(e.currentTarget.value)} required />
        </label>
        {error && <p class="error" role="alert">{error}</p>}
        <button type="submit" disabled={busy} data-testid="create-submit">{busy ? "Creating…" : "Create my vault"}</button>
        <button type="button" class="link" onClick={props.onJoin} data-testid="join-vault">
          Join an existing vault from your other device
        </button>
      </form>
    </main>
  );
}

export function RecoveryCodeShown(props: { code: string; onDone: () => void }) {
  const [saved, setSaved] = useState(false);
  return (
    <main class="center">
      <div class="card">
        <h1>Your recovery code</h1>
        <p>
          If you forget your passphrase, this code is the only way back in. Write it down and keep it somewhere safe.
          It is shown only now.
        </p>
        <p class="recovery-code" data-testid="recovery-code">{props.code}</p>
        <label class="check">
          <input type="checkbox" checked={saved} data-testid="recovery-saved"
            onChange={(e) => setSaved(e.currentTarget.checked)} />
          I have saved my recovery code
        </label>
        <button disabled={!saved} onClick={props.onDone} data-testid="recovery-done">Open my vault</button>
      </div>
    </main>
  );
}

export function Unlock(props: { dir: string; notice?: string; onUnlocked: () => void; onRecover: () => void }) {
  const [pass, setPass] = useState("");
  const { busy, error, run } = usePending();
  const submit = (e: Event) => {
    e.preventDefault();
    void run(async () => {
      try {
        await api.vaultUnlock(pass);
      } finally {
        setPass("");
      }
      props.onUnlocked();
    });
  };
  return (
    <main class="center">
      <form class="card" onSubmit={submit} data-testid="unlock-form">
        <h1>Unlock your vault</h1>
        {props.notice && <p class="muted">{props.notice}</p>}
        <p class="muted"><code>{props.dir}</code></p>
        <label>
          Passphrase
          <input type="password" autocomplete="current-password" value={pass} data-testid="unlock-passphrase"
            onInput={(e) => setPass(e.currentTarget.value)} autoFocus required />
        </label>
        {error && <p class="error" role="alert" data-testid="unlock-error">{error}</p>}
        <button type="submit" disabled={busy} data-testid="unlock-submit">{busy ? "Unlocking…" : "Unlock"}</button>
        <button type="button" class="link" onClick={props.onRecover}>Forgot your passphrase?</button>
      </form>
    </main>
  );
}

export function RecoverVault(props: { onRecovered: (code: string) => void; onCancel: () => void }) {
  const [code, setCode] = useState("");
  const [pass, setPass] = useState("");
  const [again, setAgain] = useState("");
  const { busy, error, setError, run } = usePending();
  const submit = (e: Event) => {
    e.preventDefault();
    if (pass !== again) {
      setError("The two passphrases differ.");
      return;
    }
    void run(async () => {
      const next = await api.vaultRecover(code, pass);
      setCode("");
      setPass("");
      setAgain("");
      props.onRecovered(next);
    });
  };
  return (
    <main class="center">
      <form class="card" onSubmit={submit}>
        <h1>Recover with your code</h1>
        <p>Type the recovery code you saved, and choose a new passphrase. You will get a new recovery code.</p>
        <label>
          Recovery code
          <input value={code} onInput={(e) => setCode(e.currentTarget.value)} autoFocus required
            autocomplete="off" spellcheck={false} data-testid="recover-code" />
        </label>
        <label>
          New passphrase
          <input type="password" autocomplete="new-password" value={pass} onInput={(e) => setPass(e.currentTarget.value)} required />
        </label>
        <label>
          The same again
          <input type="password" autocomplete="new-password" value={again} onInput={(e) => setAgain(e.currentTarget.value)} required />
        </label>
        {error && <p class="error" role="alert">{error}</p>}
        <button type="submit" disabled={busy}>{busy ? "Recovering…" : "Set new passphrase"}</button>
        <button type="button" class="link" onClick={props.onCancel}>Back</button>
      </form>
    </main>
  );
}

/** A new device of a vault kept on another: its invitation file, the
 *  one-time code shown there, and a passphrase for this device. */
export function JoinVault(props: { dir: string; onJoined: (code: string) => void; onCancel: () => void }) {
  const [file, setFile] = useState<{ token: string; name: string } | null>(null);
  const [code, setCode] = useState("");
  const [pass, setPass] = useState("");
  const [again, setAgain] = useState("");
  const { busy, error, setError, run } = usePending();
  const choose = () =>
    void run(async () => {
      const chosen = await api.chooseFile("invitation-in");
      if (chosen) setFile(chosen);
    });
  const submit = (e: Event) => {
    e.preventDefault();
    if (!file) {
      setError("Choose the invitation file first.");
      return;
    }
    if (pass !== again) {
      setError("The two passphrases differ.");
      return;
    }
    void run(async () => {
      // A dialog's answer is good once: a failed join needs the file chosen again.
      const token = file.token;
      setFile(null);
      const recovery = await api.deviceJoin(token, code, pass);
      setCode("");
      setPass("");
      setAgain("");
      props.onJoined(recovery);
    });
  };
  return (
    <main class="center">
      <form class="card" onSubmit={submit} data-testid="join-form">
        <h1>Join your vault</h1>
        <p>
          On your other device, in Settings → Sync, save an invitation for this one. Open it here and type the code it
          showed you. This device gets its own passphrase.
        </p>
        <p class="muted">The vault will live in <code>{props.dir}</code>.</p>
        <div class="row">
          <button type="button" class="secondary" onClick={choose} disabled={busy} data-testid="join-choose">
            Open the invitation…
          </button>
          <span data-testid="join-file">{file ? file.name : "No file chosen"}</span>
        </div>
        <label>
          Invitation code
          <input value={code} onInput={(e) => setCode(e.currentTarget.value)} required autocomplete="off"
            spellcheck={false} data-testid="join-code" />
        </label>
        <label>
          Passphrase for this device (at least 8 characters)
          <input type="password" autocomplete="new-password" value={pass} data-testid="join-passphrase"
            onInput={(e) => setPass(e.currentTarget.value)} required />
        </label>
        <label>
          The same again
          <input type="password" autocomplete="new-password" value={again} data-testid="join-passphrase-again"
            onInput={(e) => setAgain(e.currentTarget.value)} required />
        </label>
        {error && <p class="error" role="alert" data-testid="join-error">{error}</p>}
        <button type="submit" disabled={busy} data-testid="join-submit">{busy ? "Joining…" : "Join"}</button>
        <button type="button" class="link" onClick={props.onCancel}>Back</button>
      </form>
    </main>
  );
}
