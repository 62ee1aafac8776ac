// Bring in from email: choose mail files (mbox, Maildir, .eml), run with
// progress and a Cancel button, read the summary, then review the proposals
// the core staged: accept, ignore or merge each into a brand. The core
// decides what is a brand, what is staged and what acceptance adds.
import { Channel } from "@tauri-apps/api/core";
import { useEffect, useState } from "preact/hooks";
import { api } from "../api";
import type { Chosen, ImapForm, ImapRead, MailChoice, Proposal, RunProgress, Summary } from "../bindings";
import { FieldMessage } from "../components/field_message";
import type { Ctx } from "../ctx";
import {
  acceptedBrand,
  acceptedText,
  addressList,
  brandName,
  count,
  daySpan,
  folderList,
  imapFolderLines,
  progressBar,
  progressText,
  proposalCounts,
  proposedRecordText,
  recordsByThread,
  skippedLines,
  summaryText,
} from "../discover_format";
import { errorText, placeError, sameNames, type PlacedError } from "../format";

// The tabs of mail files; the kind the core reads comes with the dialog's answer.
type MailKind = "mbox" | "maildir" | "eml";
const SOURCES: { kind: MailKind; label: string; choices: { choice: MailChoice; label: string }[]; hint: string }[] = [
  {
    kind: "mbox",
    label: "mbox files",
    choices: [{ choice: "mbox-files", label: "Choose mbox files…" }],
    hint: "Thunderbird folders, a Google Takeout export, any mbox file.",
  },
  {
    kind: "maildir",
    label: "A Maildir folder",
    choices: [{ choice: "maildir-folder", label: "Choose a Maildir folder…" }],
    hint: "A folder with cur, new and tmp inside (mutt, notmuch, offlineimap).",
  },
  {
    kind: "eml",
    label: ".eml files",
    choices: [
      { choice: "eml-files", label: "Choose .eml files…" },
      { choice: "eml-folder", label: "Choose a folder of them…" },
    ],
    hint: "Messages saved one per file.",
  },
];

type Source = MailKind | "imap";
const IMAP_FIELDS = ["host", "port", "user", "password", "folders", "ca_file"] as const;
type ImapField = (typeof IMAP_FIELDS)[number];
type Field = "paths" | "me" | ImapField;
const EMPTY_IMAP = { host: "", port: "", user: "", password: "", folders: "", starttls: false, ca_file: "" };

export function DiscoverScreen(props: { ctx: Ctx }) {
  const { ctx } = props;
  const [kind, setKind] = useState<Source>("mbox");
  const [imap, setImap] = useState(EMPTY_IMAP);
  const [imapRead, setImapRead] = useState<ImapRead | null>(null);
  // The dialogs' answers: a token for the command, a name to show.
  const [files, setFiles] = useState<Chosen | null>(null);
  const [caFile, setCaFile] = useState<Chosen | null>(null);
  const [me, setMe] = useState("");
  const [progress, setProgress] = useState<RunProgress | null>(null);
  const [running, setRunning] = useState(false);
  const [summary, setSummary] = useState<Summary | null>(null);
  const [cancelled, setCancelled] = useState(false);
  const [error, setError] = useState<PlacedError<Field> | null>(null);
  const [proposals, setProposals] = useState<Proposal[] | null>(null);
  const [listError, setListError] = useState<string | null>(null);

  const load = () =>
    api.discoverList().then(
      (list) => {
        setProposals(list);
        setListError(null);
      },
      (e) => setListError(errorText(e)),
    );
  useEffect(() => void load(), []);

  const choose = async (choice: MailChoice) => {
    setError(null);
    try {
      const picked = await api.discoverChoose(choice);
      if (picked && choice === "imap-ca-file") setCaFile(picked);
      else if (picked) setFiles(picked);
    } catch (e) {
      setError(placeError<Field>(e, () => null));
    }
  };

  const start = async (e: Event) => {
    e.preventDefault();
    setError(null);
    setSummary(null);
    setImapRead(null);
    setCancelled(false);
    setRunning(true);
    setProgress(null);
    try {
      const onProgress = new Channel<RunProgress>();
      onProgress.onmessage = setProgress;
      if (kind === "imap") {
        const account: ImapForm = { ...imap, folders: folderList(imap.folders), ca_file: caFile?.token ?? "" };
        // A token is good once: the next run chooses again.
        setCaFile(null);
        const read = await api.discoverImap(account, addressList(me), onProgress);
        setImap({ ...imap, password: "" });
        setImapRead(read);
        setSummary(read.summary);
      } else {
        // A token is good once: the next run chooses again.
        setFiles(null);
        setSummary(await api.discoverFiles(files?.token ?? "", addressList(me), onProgress));
      }
    } catch (err) {
      if ((err as { code?: string }).code === "cancelled") setCancelled(true);
      else setError(placeError(err, sameNames<Field>(["paths", "me", ...IMAP_FIELDS])));
    } finally {
      setRunning(false);
      setProgress(null);
      await load();
    }
  };

  const source = SOURCES.find((s) => s.kind === kind);
  const imapInput = (f: Exclude<ImapField, "folders">, label: string, extra: { [k: string]: unknown } = {}) => (
    <label>
      {label}
      <input value={imap[f]} disabled={running} data-testid={`imap-${f}`} {...extra}
        onInput={(e) => setImap({ ...imap, [f]: e.currentTarget.value })} />
      <FieldMessage error={error} field={f} testid={`imap-error-${f}`} />
    </label>
  );
  return (
    <div data-testid="discover">
      <h1>Bring in from email</h1>
      <p class="muted">
        VRM Vault reads your mail here, on this computer, and proposes the companies you deal with, with your orders,
        accounts and conversations. Nothing is added until you accept it, and no message is kept: only what is taken
        from it.
      </p>
      <form class="card form" onSubmit={start} data-testid="discover-form">
        <h2>Where is your mail?</h2>
        <div class="row">
          {SOURCES.map((s) => (
            <label class="check">
              <input type="radio" name="mail-kind" checked={kind === s.kind} disabled={running}
                data-testid={`discover-kind-${s.kind}`} onChange={() => (setKind(s.kind), setFiles(null))} />
              {s.label}
            </label>
          ))}
          <label class="check">
            <input type="radio" name="mail-kind" checked={kind === "imap"} disabled={running}
              data-testid="discover-kind-imap" onChange={() => setKind("imap")} />
            An IMAP account
          </label>
        </div>
        {source ? (
          <>
            <p class="muted">{source.hint}</p>
            <div class="row">
              {source.choices.map((c) => (
                <button type="button" class="secondary" disabled={running} onClick={() => void choose(c.choice)}
                  data-testid={`discover-choose-${c.choice}`}>
                  {c.label}
                </button>
              ))}
            </div>
            <p data-testid="discover-paths">
              {files ? `Chosen: ${files.name}` : "Nothing chosen yet."}
            </p>
            <FieldMessage error={error} field="paths" testid="discover-error-paths" />
          </>
        ) : (
          <div data-testid="imap-form">
            <p class="muted">
              Read-only: nothing on the server is changed or marked as read. The password is used to log in and kept
              nowhere; a second run reads only what is new.
            </p>
            <div class="row">
              {imapInput("host", "Server", { placeholder: "imap.example.org" })}
              {imapInput("port", "Port", { inputmode: "numeric", placeholder: imap.starttls ? "143" : "993" })}
            </div>
            <label class="check">
              <input type="checkbox" checked={imap.starttls} disabled={running} data-testid="imap-starttls"
                onChange={(e) => setImap({ ...imap, starttls: e.currentTarget.checked })} />
              STARTTLS (a plain connection made secure first) rather than TLS from the start
            </label>
            <div class="row">
              {imapInput("user", "User name", { autocomplete: "username" })}
              {imapInput("password", "Password", { type: "password", autocomplete: "current-password" })}
            </div>
            <label>
              Folders, separated by commas (empty: INBOX)
              <input value={imap.folders} disabled={running} data-testid="imap-folders" placeholder="INBOX, Sent"
                onInput={(e) => setImap({ ...imap, folders: e.currentTarget.value })} />
              <FieldMessage error={error} field="folders" testid="imap-error-folders" />
            </label>
            <div class="row">
              <label>
                The server's CA certificate, if private (PEM file)
                <output data-testid="imap-ca_file">{caFile ? caFile.name : "none: the public roots"}</output>
                <FieldMessage error={error} field="ca_file" testid="imap-error-ca_file" />
              </label>
              {caFile && (
                <button type="button" class="secondary" disabled={running} onClick={() => setCaFile(null)}
                  data-testid="imap-ca-file-clear">
                  Clear
                </button>
              )}
              <button type="button" class="secondary" disabled={running} onClick={() => void choose("imap-ca-file")}
                data-testid="discover-choose-imap-ca-file">
                Choose…
              </button>
            </div>
          </div>
        )}
        <label>
          Your own email addresses, separated by commas
          <input value={me} disabled={running} data-testid="discover-me" placeholder="you@example.org, you@work.example"
            onInput={(e) => setMe(e.currentTarget.value)} />
          <span class="muted">So your own messages are told from the companies'. The emails in your profile count too.</span>
          <FieldMessage error={error} field="me" testid="discover-error-me" />
        </label>
        {error && error.field === null && <p class="error" role="alert" data-testid="discover-error">{error.text}</p>}
        <div class="row">
          <button type="submit" disabled={running} data-testid="discover-start">
            {running ? "Reading…" : "Start"}
          </button>
          {running && (
            <button type="button" class="secondary" data-testid="discover-cancel"
              onClick={() => void api.discoverCancel().catch((e) => setError(placeError<Field>(e, () => null)))}>
              Cancel
            </button>
          )}
        </div>
        {running && (
          <div data-testid="discover-progress" role="status">
            <p>{progress ? progressText(progress) : "Starting…"}</p>
            {progress && progressBar(progress) && (
              <progress max={progressBar(progress)!.max} value={progressBar(progress)!.value} />
            )}
          </div>
        )}
      </form>
      {cancelled && (
        <p class="notice" role="status" data-testid="discover-cancelled">
          Stopped. What was read before is kept for review below; start again to read the rest (nothing is staged twice).
        </p>
      )}
      {summary && <SummaryCard summary={summary} folders={imapRead ? imapFolderLines(imapRead) : []} />}
      {listError && <p class="error" role="alert">{listError}</p>}
      {proposals !== null && <Review proposals={proposals} ctx={ctx} reload={load} />}
    </div>
  );
}

function SummaryCard(props: { summary: Summary; folders: string[] }) {
  const s = props.summary;
  const skipped = skippedLines(s);
  return (
    <div class="card" data-testid="discover-summary">
      <h2>Done</h2>
      <p>{summaryText(s)}</p>
      {props.folders.length > 0 && <ul data-testid="discover-folders">{props.folders.map((l) => <li>{l}</li>)}</ul>}
      {skipped.length > 0 && (
        <>
          <p class="muted">Skipped:</p>
          <ul data-testid="discover-skipped">{skipped.map((l) => <li>{l}</li>)}</ul>
        </>
      )}
    </div>
  );
}

function Review(props: { proposals: Proposal[]; ctx: Ctx; reload: () => Promise<void> }) {
  const { ctx } = props;
  const [collapse, setCollapse] = useState(false);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);

  const act = async (what: () => Promise<void>) => {
    setBusy(true);
    setError(null);
    try {
      await what();
    } catch (e) {
      setError(errorText(e));
    } finally {
      setBusy(false);
    }
  };

  // After accepting, go to the brand's page, its timeline.
  const openBrand = async (brandId: string | null, text: string) => {
    await ctx.refreshBrands();
    ctx.notify(text);
    ctx.go(brandId ? { screen: "brands", brandId, from: "discover" } : { screen: "brands" });
  };

  const accept = (p: Proposal) =>
    act(async () => {
      const before = await api.brandsList();
      const a = await api.discoverAccept([p.id], false, collapse);
      await openBrand(acceptedBrand(p, before, await api.brandsList()), `${p.name}: ${acceptedText(a)}`);
    });
  const merge = (p: Proposal, into: string) =>
    act(async () => {
      const a = await api.discoverMerge(p.id, into, collapse);
      await openBrand(into, `${p.name} into ${brandName(ctx.brands, into)}: ${acceptedText(a)}`);
    });
  const ignore = (p: Proposal) =>
    act(async () => {
      await api.discoverIgnore([p.id]);
      ctx.notify(`Ignored ${p.name}; its mail will not be proposed again.`);
      await props.reload();
    });
  const acceptAll = () =>
    act(async () => {
      const a = await api.discoverAccept([], true, collapse);
      await ctx.refreshBrands();
      ctx.notify(acceptedText(a));
      ctx.go({ screen: "brands" });
    });

  if (props.proposals.length === 0) {
    return <p class="empty" data-testid="discover-none">No proposals waiting.</p>;
  }
  return (
    <div data-testid="discover-review">
      <div class="row spread">
        <h2>{count(props.proposals.length, "proposal")} to review</h2>
        <div class="row">
          <label class="check">
            <input type="checkbox" checked={collapse} data-testid="discover-collapse"
              onChange={(e) => setCollapse(e.currentTarget.checked)} />
            One interaction per thread
          </label>
          <button disabled={busy} onClick={() => void acceptAll()} data-testid="discover-accept-all">Accept all</button>
        </div>
      </div>
      {error && <p class="error" role="alert" data-testid="discover-review-error">{error}</p>}
      {props.proposals.map((p) => (
        <ProposalCard key={p.id} proposal={p} ctx={ctx} busy={busy}
          onAccept={() => void accept(p)} onIgnore={() => void ignore(p)} onMerge={(into) => void merge(p, into)} />
      ))}
    </div>
  );
}

function ProposalCard(props: {
  proposal: Proposal;
  ctx: Ctx;
  busy: boolean;
  onAccept: () => void;
  onIgnore: () => void;
  onMerge: (into: string) => void;
}) {
  const p = props.proposal;
  const [into, setInto] = useState("");
  const groups = recordsByThread(p.records);
  return (
    <div class="card proposal" data-testid="proposal" data-domain={p.domain}>
      <div class="row spread">
        <h3>
          {p.name} <span class="muted">· {p.domain}</span>
        </h3>
        {p.existing_brand && (
          <span class="badge existing" data-testid="proposal-existing">
            Adds to {brandName(props.ctx.brands, p.existing_brand)}
          </span>
        )}
      </div>
      <p data-testid="proposal-counts">{proposalCounts(p)}</p>
      <dl>
        {p.holds.length > 0 && (
          <>
            <dt>Writes to</dt>
            <dd>{p.holds.join(", ")}</dd>
          </>
        )}
        <dt>Seen</dt>
        <dd>{daySpan(p.first_seen, p.last_seen)}</dd>
        {p.senders.length > 0 && (
          <>
            <dt>From</dt>
            <dd>{p.senders.join(", ")}</dd>
          </>
        )}
      </dl>
      {p.samples.length > 0 && (
        <ul class="samples" data-testid="proposal-samples">
          {p.samples.map((s) => <li>{s}</li>)}
        </ul>
      )}
      <details data-testid="proposal-records">
        <summary>{count(p.records.length, "record")} would be added</summary>
        {groups.others.length > 0 && (
          <ul class="list">
            {groups.others.map((r) => (
              <li><span class={`kind kind-${r.kind}`}>{r.kind}</span> {proposedRecordText(r)}</li>
            ))}
          </ul>
        )}
        {groups.threads.map((t) =>
          t.records.length === 1 ? (
            <div class="thread">
              <span class="kind kind-interaction">{t.records[0].fields["channel"] ?? t.records[0].kind}</span>{" "}
              {proposedRecordText(t.records[0])}
            </div>
          ) : (
            <details class="thread">
              <summary>
                {proposedRecordText(t.records[0])} <span class="muted">({count(t.records.length, "message")} in the thread)</span>
              </summary>
              <ul class="list">{t.records.map((r) => <li>{proposedRecordText(r)}</li>)}</ul>
            </details>
          ),
        )}
      </details>
      <div class="row">
        <button disabled={props.busy} onClick={props.onAccept} data-testid={`accept-${p.domain}`}>Accept</button>
        <button class="secondary" disabled={props.busy} onClick={props.onIgnore} data-testid={`ignore-${p.domain}`}>
          Ignore
        </button>
        {props.ctx.brands.length > 0 && (
          <>
            <select value={into} onChange={(e) => setInto(e.currentTarget.value)} data-testid={`merge-into-${p.domain}`}
              aria-label="Merge into brand">
              <option value="">Merge into…</option>
              {props.ctx.brands.map((b) => <option value={b.id}>{b.name}</option>)}
            </select>
            <button class="secondary" disabled={props.busy || into === ""} onClick={() => props.onMerge(into)}
              data-testid={`merge-${p.domain}`}>
              Merge
            </button>
          </>
        )}
      </div>
    </div>
  );
}
