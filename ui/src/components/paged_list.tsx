// A list loaded a page at a time: the state (usePaged) and the line under it
// with its "Show more" button (ShowMore).
import { useEffect, useRef, useState } from "preact/hooks";
import type { Page, PageRequest } from "../bindings";
import { firstPage, hasMore, nextPage, showingText, withPage, type Listed } from "../paging";

export type Paged<T> = {
  /** What is shown; null until the first page came. */
  listed: Listed<T> | null;
  loading: boolean;
  /** The last failure (a CommandError), or null. */
  error: unknown;
  /** Load the next page after what is shown. */
  more: () => void;
  /** Load the first page again (after a change), keeping what is shown until it comes. */
  reload: () => void;
};

/** The pages `fetchPage` gives, from the first; started again when `deps`
 *  change. An answer to an earlier start is dropped, so a slow page of the
 *  previous tab never lands in this one. */
export function usePaged<T extends { id: string }>(
  fetchPage: (page: PageRequest) => Promise<Page<T>>,
  deps: unknown[],
): Paged<T> {
  const [listed, setListed] = useState<Listed<T> | null>(null);
  const [loading, setLoading] = useState(false);
  const [error, setError] = useState<unknown>(null);
  const generation = useRef(0);
  const run = (request: PageRequest, restart: boolean) => {
    if (restart) generation.current += 1;
    const mine = generation.current;
    setLoading(true);
    fetchPage(request)
      .then(
        (page) => {
          if (mine !== generation.current) return;
          setListed((shown) => withPage(restart ? null : shown, page));
          setError(null);
        },
        (e) => {
          if (mine === generation.current) setError(e);
        },
      )
      .finally(() => {
        if (mine === generation.current) setLoading(false);
      });
  };
  useEffect(() => {
    setListed(null);
    setError(null);
    run(firstPage(), true);
  }, deps);
  return {
    listed,
    loading,
    error,
    more: () => {
      if (listed && !loading) run(nextPage(listed.items.length), false);
    },
    reload: () => run(firstPage(), true),
  };
}

/** "Showing 200 of 1,000,000" and, while more are left, "Show more". */
export function ShowMore(props: { paged: Paged<unknown>; testid: string }) {
  const { listed, loading } = props.paged;
  if (!listed) return null;
  return (
    <div class="row paging" data-testid={`${props.testid}-paging`}>
      <span class="muted" role="status" data-testid={`${props.testid}-showing`}>{showingText(listed)}</span>
      {hasMore(listed) && (
        <button type="button" class="secondary" disabled={loading} aria-busy={loading}
          data-testid={`${props.testid}-more`} onClick={props.paged.more}>
          {loading ? "Loading…" : "Show more"}
        </button>
      )}
    </div>
  );
}
