// How discovery is shown: a run's progress and summary, a proposal's counts
// and the records it would add (grouped by thread), what a brand was seen to
// hold, and how to leave its mailing list. The core decides what is a brand,
// what is staged and what acceptance adds; nothing here second-guesses it.
import type { Accepted, Brand, ImapRead, ObservedHolder, Proposal, ProposedRecord, RunProgress, Summary, Unsubscribe } from "./bindings";

/** "1 message", "3 messages". */
export function count(n: number, one: string, many = `${one}s`): string {
  return `${n.toLocaleString("en")} ${n === 1 ? one : many}`;
}

/** The person's addresses typed as "a@x.org, b@y.org" → each one, as
 *  typed (the core checks them and names the field `me`). */
export function addressList(text: string): string[] {
  return text
    .split(/[\s,;]+/)
    .map((a) => a.trim())
    .filter((a) => a.length > 0);
}

/** IMAP folders typed as "INBOX, Sent Items" → each one (names may hold
 *  spaces; the core checks them: `folders`). */
export function folderList(text: string): string[] {
  return text
    .split(/[,\n]/)
    .map((f) => f.trim())
    .filter((f) => f.length > 0);
}

/** What an IMAP run read, per folder: "INBOX: 12 new messages". */
export function imapFolderLines(r: ImapRead): string[] {
  return r.folders.map(
    (f) => `${f.name}: ${count(f.new_messages, "new message")}${f.reset ? " (renumbered by the server: read again)" : ""}`,
  );
}

/** A run as it goes: "1,234 messages read · 567 staged". */
export function progressText(p: RunProgress): string {
  return `${count(p.summary.messages, "message")} read · ${p.summary.staged.toLocaleString("en")} staged`;
}

/** The bar for the current file when its size is known, else null. */
export function progressBar(p: RunProgress): { value: number; max: number } | null {
  if (p.bytes_total === null || p.bytes_total === undefined || p.bytes_total <= 0) return null;
  return { value: Math.min(p.bytes_done ?? 0, p.bytes_total), max: p.bytes_total };
}

/** A finished run in one line. */
export function summaryText(s: Summary): string {
  const parts = [`Read ${count(s.messages, "message")}`, `staged ${s.staged.toLocaleString("en")} for review`];
  if (s.proposals_new || s.proposals_updated) {
    parts.push(`${count(s.proposals_new, "new proposal")}, ${s.proposals_updated.toLocaleString("en")} updated`);
  }
  if (s.truncated) parts.push(`${count(s.truncated, "long message")} read only in part`);
  return `${parts.join("; ")}.`;
}

/** What was skipped, by reason, most first: ["personal correspondent: 4", …]. */
export function skippedLines(s: Summary): string[] {
  return Object.entries(s.skipped)
    .filter(([, n]) => (n ?? 0) > 0)
    .sort((a, b) => (b[1] ?? 0) - (a[1] ?? 0) || a[0].localeCompare(b[0]))
    .map(([reason, n]) => `${reason}: ${(n ?? 0).toLocaleString("en")}`);
}

/** A proposal's counts: "12 messages · 9 from them · 3 from you · 5 marketing · 2 orders". */
export function proposalCounts(p: Proposal): string {
  const parts = [count(p.messages, "message"), `${p.inbound} from them`, `${p.outbound} from you`];
  if (p.marketing) parts.push(`${p.marketing} marketing`);
  if (p.orders) parts.push(count(p.orders, "order"));
  return parts.join(" · ");
}

/** "2026-03-02 – 2026-03-05", or one day. */
export function daySpan(first: string, last: string): string {
  return first === last ? first : `${first} – ${last}`;
}

/** An observed holding as a cell shows it: "Seen in mail 2026-03-02 – 2026-03-05". */
export function observedText(h: Pick<ObservedHolder, "first_seen" | "last_seen">): string {
  return `Seen in mail ${daySpan(h.first_seen, h.last_seen)}`;
}

/** The records a proposal would add: interactions by thread (in order of
 *  their first record), then the others (orders, accounts, subscriptions). */
export function recordsByThread(records: ProposedRecord[]): {
  threads: { thread: string; records: ProposedRecord[] }[];
  others: ProposedRecord[];
} {
  const threads: { thread: string; records: ProposedRecord[] }[] = [];
  const others: ProposedRecord[] = [];
  for (const r of records) {
    if (!r.thread) {
      others.push(r);
      continue;
    }
    let t = threads.find((x) => x.thread === r.thread);
    if (!t) threads.push((t = { thread: r.thread, records: [] }));
    t.records.push(r);
  }
  return { threads, others };
}

/** A proposed record in a line: its date, then the field that names it best. */
export function proposedRecordText(r: ProposedRecord): string {
  const f = r.fields;
  const pick = ["summary", "item", "plan", "text", "topic", "username", "email", "name"];
  const title = pick.map((k) => f[k]).find((v) => v) ?? r.kind;
  const date = f["date"]?.slice(0, 10);
  return date ? `${date} · ${title}` : title;
}

/** What an acceptance added: "Added 1 brand and 7 records." */
export function acceptedText(a: Accepted): string {
  const records = Object.values(a.records).reduce((n: number, k) => n + (k ?? 0), 0);
  const brands: string[] = [];
  if (a.brands_new) brands.push(count(a.brands_new, "new brand"));
  if (a.brands_updated) brands.push(`${count(a.brands_updated, "brand")} added to`);
  const to = brands.length ? ` (${brands.join(", ")})` : "";
  return `Added ${count(records, "record")}${to}.`;
}

/** The brand an acceptance of one proposal went to: the one it matched, else
 *  the one that was not there before. */
export function acceptedBrand(p: Proposal, before: Brand[], after: Brand[]): string | null {
  if (p.existing_brand) return p.existing_brand;
  const known = new Set(before.map((b) => b.id));
  const made = after.filter((b) => !known.has(b.id));
  return made.length === 1 ? made[0].id : null;
}

/** A brand's name by id, or the id. */
export function brandName(brands: Brand[], id: string): string {
  return brands.find((b) => b.id === id)?.name ?? id;
}

/** A `mailto:` URL as the person writes it by hand: the address, and the
 *  subject and body it asks for (if any). */
export function mailtoParts(url: string): { address: string; subject: string | null; body: string | null } {
  const rest = url.replace(/^mailto:/i, "");
  const q = rest.indexOf("?");
  const decode = (s: string) => {
    try {
      return decodeURIComponent(s);
    } catch {
      return s;
    }
  };
  const address = decode(q < 0 ? rest : rest.slice(0, q));
  let subject: string | null = null;
  let body: string | null = null;
  if (q >= 0) {
    for (const pair of rest.slice(q + 1).split("&")) {
      const [k, v = ""] = pair.split("=");
      if (k.toLowerCase() === "subject") subject = decode(v);
      if (k.toLowerCase() === "body") body = decode(v);
    }
  }
  return { address, subject, body };
}

/** Whether the brand's mail offered a way out at all. */
export function hasUnsubscribe(u: Unsubscribe | null | undefined): u is Unsubscribe {
  return !!u && (!!u.mailto || !!u.https);
}

/** The host a URL goes to, to say where a request goes; the text itself
 *  when it is not a URL. */
export function urlHost(url: string): string {
  try {
    return new URL(url).host || url;
  } catch {
    return url;
  }
}

/** What the person confirms before a one-click unsubscription (RFC 8058). */
export function oneClickConfirmText(url: string): string {
  return (
    `Ask ${urlHost(url)} to take you off this mailing list? The app sends it one request, ` +
    "with no cookie and nothing but what its own address carries."
  );
}

/** A one-click unsubscription the list's server accepted with `status`. */
export function oneClickDoneText(status: number): string {
  return `Done: the list's server accepted the request (HTTP ${status}). Its mail may take a few days to stop.`;
}
