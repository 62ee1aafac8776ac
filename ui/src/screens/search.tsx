// Search as you type, over every decrypted field of brands and records.
import { useEffect, useState } from "preact/hooks";
import { api, emptyFilter } from "../api";
import type { SearchItem } from "../bindings";
import { errorText } from "../format";
import type { Ctx } from "../ctx";
import { RecordRow } from "../components/record_row";

export function SearchResults(props: { query: string; ctx: Ctx }) {
  const { ctx } = props;
  const [items, setItems] = useState<SearchItem[] | null>(null);
  const [error, setError] = useState<string | null>(null);
  useEffect(() => {
    let current = true;
    api
      .search(props.query, emptyFilter)
      .then((r) => current && (setItems(r), setError(null)))
      .catch((e) => current && setError(errorText(e)));
    return () => {
      current = false;
    };
  }, [props.query]);
  if (error) return <p class="error" role="alert">{error}</p>;
  if (!items) return <p aria-busy="true">Searching…</p>;
  if (items.length === 0) return <p class="empty" data-testid="search-empty">Nothing matches “{props.query}”.</p>;
  return (
    <ul class="list" data-testid="search-results">
      {items.map((it) =>
        it.type === "brand" ? (
          <li>
            <button class="item" data-testid="search-brand" onClick={() => ctx.go({ screen: "brands", brandId: it.brand.id })}>
              <span class="kind">brand</span> <strong>{it.brand.name}</strong>
            </button>
          </li>
        ) : (
          <RecordRow record={it.record} brands={ctx.brands}
            onOpen={() => ctx.go({ screen: "records", recordId: it.record.id })} />
        ),
      )}
    </ul>
  );
}
