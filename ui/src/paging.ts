// Long lists a page at a time (a vault can hold a million records): which
// page to ask for next, how a page joins those shown, and the line under
// the list. The core cuts the pages and caps their size; this only lays
// them out.
import type { Page, PageRequest } from "./bindings";

/** Items asked for per page (the core serves at most 500). */
export const PAGE_SIZE = 200;

/** What a list shows: the items loaded so far, and how many there are in all. */
export type Listed<T> = { items: T[]; total: number };

/** The first page. */
export function firstPage(limit = PAGE_SIZE): PageRequest {
  return { offset: 0, limit };
}

/** The page after the `shown` items already listed. */
export function nextPage(shown: number, limit = PAGE_SIZE): PageRequest {
  return { offset: shown, limit };
}

/** `listed` with `page` added after it (`null`: the page starts the list).
 *  An item already shown is not shown twice (a record added meanwhile
 *  shifts the later pages by one); the total is the newest count. */
export function withPage<T extends { id: string }>(listed: Listed<T> | null, page: Page<T>): Listed<T> {
  if (listed === null) return { items: page.items, total: page.total };
  const seen = new Set(listed.items.map((i) => i.id));
  return { items: [...listed.items, ...page.items.filter((i) => !seen.has(i.id))], total: page.total };
}

/** Whether more can be loaded. */
export function hasMore(listed: Listed<unknown>): boolean {
  return listed.items.length < listed.total;
}

/** The line under a list: "Showing 200 of 1,000,000", or "Showing all 12". */
export function showingText(listed: Listed<unknown>): string {
  if (listed.total === 0) return "Nothing to show";
  const total = listed.total.toLocaleString("en");
  if (!hasMore(listed)) return listed.total === 1 ? "Showing the only one" : `Showing all ${total}`;
  return `Showing ${listed.items.length.toLocaleString("en")} of ${total}`;
}
