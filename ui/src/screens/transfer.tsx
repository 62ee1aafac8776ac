// Import (file chosen through the dialog, progress, the failing line shown)
// and export to an encrypted backup.
import { Channel } from "@tauri-apps/api/core";
import { useState } from "preact/hooks";
import { api } from "../api";
import type { ImportProgress } from "../bindings";
import { errorText } from "../format";
import type { Ctx } from "../ctx";

export function TransferScreen(props: { ctx: Ctx }) {
  return (
    <div>
      <h1>Import &amp; export</h1>
      <ImportCard ctx={props.ctx} />
      <ExportCard ctx={props.ctx} />
    </div>
  );
}

function ImportCard(props: { ctx: Ctx }) {
  const [progress, setProgress] = useState<ImportProgress | null>(null);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const [result, setResult] = useState<string | null>(null);
  const run = async () => {
    setError(null);
    setResult(null);
    const chosen = await api.chooseImportFile().catch((e) => (setError(errorText(e)), null));
    if (!chosen) return;
    setBusy(true);
    setProgress({ done: 0, total: 0 });
    try {
      const onProgress = new Channel<ImportProgress>();
      onProgress.onmessage = setProgress;
      const s = await api.importFile(chosen.token, onProgress);
      await props.ctx.refreshBrands();
      setResult(`Imported ${s.records_added} record(s) and ${s.brands_added} new brand(s)` +
        (s.records_skipped ? `; ${s.records_skipped} were already here.` : "."));
    } catch (e) {
      setError(`Nothing was imported. ${errorText(e)}`);
    } finally {
      setBusy(false);
      setProgress(null);
    }
  };
  return (
    <div class="card">
      <h2>Import</h2>
      <p class="muted">
        A JSON export of VRM Vault, or a CSV file whose header names the columns: <code>kind</code>, <code>brand</code>,{" "}
        <code>date</code>, <code>tags</code>, and <code>field:NAME</code> for anything else. All or nothing: a bad row
        stops the import and names its line.
      </p>
      <button onClick={run} disabled={busy} data-testid="import">Choose a file to import…</button>
      {progress && (
        <progress max={progress.total || 1} value={progress.done} data-testid="import-progress" />
      )}
      {result && <p class="notice" role="status" data-testid="import-result">{result}</p>}
      {error && <p class="error" role="alert" data-testid="import-error">{error}</p>}
    </div>
  );
}

function ExportCard(props: { ctx: Ctx }) {
  const [mode, setMode] = useState<"recipient" | "passphrase">("passphrase");
  const [recipient, setRecipient] = useState("");
  const [pass, setPass] = useState("");
  const [again, setAgain] = useState("");
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const [result, setResult] = useState<string | null>(null);
  const run = async (e: Event) => {
    e.preventDefault();
    setError(null);
    setResult(null);
    if (mode === "passphrase" && pass !== again) {
      setError("The two passphrases differ.");
      return;
    }
    const chosen = await api.chooseExportFile().catch((err) => (setError(errorText(err)), null));
    if (!chosen) return;
    setBusy(true);
    try {
      const s = await api.exportBackup(chosen.token, mode === "recipient" ? recipient : null, mode === "passphrase" ? pass : null);
      setPass("");
      setAgain("");
      setResult(`Saved ${s.records} record(s) and ${s.brands} brand(s) to ${chosen.name}.`);
      props.ctx.notify("Backup saved.");
    } catch (err) {
      setError(errorText(err));
    } finally {
      setBusy(false);
    }
  };
  return (
    <form class="card form" onSubmit={run}>
      <h2>Export an encrypted backup</h2>
      <p class="muted">Everything in the vault, as JSON inside an age file. The <code>age</code> tool can open it too.</p>
      <div class="row">
        <label class="check">
          <input type="radio" name="to" checked={mode === "passphrase"} onChange={() => setMode("passphrase")} />
          Protect with a passphrase
        </label>
        <label class="check">
          <input type="radio" name="to" checked={mode === "recipient"} onChange={() => setMode("recipient")}
            data-testid="export-to-recipient" />
          Encrypt to an age recipient
        </label>
      </div>
      {mode === "recipient" ? (
        <label>
          age recipient
          <input value={recipient} placeholder="age1…" data-testid="export-recipient"
            onInput={(e) => setRecipient(e.currentTarget.value)} required />
        </label>
      ) : (
        <>
          <label>
            Backup passphrase
            <input type="password" value={pass} data-testid="export-passphrase" autocomplete="new-password"
              onInput={(e) => setPass(e.currentTarget.value)} required />
          </label>
          <label>
            The same again
            <input type="password" value={again} data-testid="export-passphrase-again" autocomplete="new-password"
              onInput={(e) => setAgain(e.currentTarget.value)} required />
          </label>
        </>
      )}
      {error && <p class="error" role="alert" data-testid="export-error">{error}</p>}
      {result && <p class="notice" role="status" data-testid="export-result">{result}</p>}
      <button type="submit" disabled={busy} data-testid="export">{busy ? "Saving…" : "Choose where to save…"}</button>
    </form>
  );
}
