// How the open market (Nostr relays) reads on screen: each relay's outcome
// for a published event, a round in one sentence, what a fetch of offers
// found. The core publishes, checks and decides; nothing here does.
import type { Broadcast, MarketFetch, Publish } from "./bindings";

/** One relay's outcome as a line: "accepted", "rejected (why)", "unreachable (why)". */
export function publishLine(p: Publish): string {
  switch (p.status) {
    case "accepted":
      return `${p.relay}: accepted${p.message ? ` (${p.message})` : ""}`;
    case "rejected":
      return `${p.relay}: rejected — ${p.reason}`;
    case "unreachable":
      return `${p.relay}: unreachable — ${p.reason}`;
  }
}

function relays(n: number): string {
  return `${n} relay${n === 1 ? "" : "s"}`;
}

/** A round of publishing `what` (an intent, an acceptance…) in one sentence. */
export function publishSummary(what: string, round: Publish[]): string {
  const took = round.filter((p) => p.status === "accepted").length;
  const rejected = round.filter((p) => p.status === "rejected").length;
  const unreachable = round.filter((p) => p.status === "unreachable").length;
  if (round.length === 0) return `There was no relay to send the ${what} to.`;
  if (took === 0) return `No relay took the ${what}: ${missed(rejected, unreachable)}.`;
  if (took === round.length) return `${relays(took)} took the ${what}.`;
  return `${took} of ${relays(round.length)} took the ${what}; ${missed(rejected, unreachable)}.`;
}

function missed(rejected: number, unreachable: number): string {
  const parts = [];
  if (rejected > 0) parts.push(`${rejected} rejected it`);
  if (unreachable > 0) parts.push(`${unreachable} could not be reached`);
  return parts.join(", ");
}

/** Whether some relay of the round does not hold it (a retry may help). */
export function someMissed(round: Publish[]): boolean {
  return round.some((p) => p.status !== "accepted");
}

/** The intent's last listing round, if it was ever broadcast. */
export function lastListing(broadcasts: Broadcast[] | undefined): Broadcast | null {
  const listings = (broadcasts ?? []).filter((b) => b.kind === "listing");
  return listings.length === 0 ? null : listings[listings.length - 1];
}

/** The withdrawal's deletion request round, if any. */
export function lastDeletion(broadcasts: Broadcast[] | undefined): Broadcast | null {
  const deletions = (broadcasts ?? []).filter((b) => b.kind === "deletion");
  return deletions.length === 0 ? null : deletions[deletions.length - 1];
}

/** What fetching offers from relays found, in one sentence; empty when
 *  nothing new and nothing went wrong (a periodic check says nothing). */
export function fetchSummary(f: MarketFetch): string {
  const parts = [];
  const n = f.imported.length;
  if (n > 0) parts.push(`${n} new offer${n === 1 ? "" : "s"} from the relays`);
  if (f.refused.length > 0) parts.push(`${f.refused.length} refused (${f.refused[0].reason})`);
  if (f.failed.length > 0)
    parts.push(`${relays(f.failed.length)} could not be read (${f.failed.map((x) => `${x.relay}: ${x.reason}`).join("; ")})`);
  if (parts.length === 0) return "";
  const s = parts.join("; ");
  return `${s[0].toUpperCase()}${s.slice(1)}.`;
}
