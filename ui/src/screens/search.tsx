// Search as you type, over every decrypted field of brands and records, a
// page at a time (a common word can match a million records).
import { api, emptyFilter } from "../api";
import type { SearchItem } from "../bindings";
import { errorText } from "../format";
import type { Ctx } from "../ctx";
import { RecordRow } from "../components/record_row";
import { ShowMore, usePaged } from "../components/paged_list";

/** A search item with the id a paged list keys it by (brands and records
 *  have ids of their own kinds, so each is prefixed). */
type Keyed = SearchItem & { id: string };

function keyed(it: SearchItem): Keyed {
  return { ...it, id: it.type === "brand" ? `brand:${it.brand.id}` : `record:${it.record.id}` };
}

export function SearchResults(props: { query: string; ctx: Ctx }) {
  const { ctx } = props;
  const paged = usePaged<Keyed>(
    (page) =>
      api.searchPage(props.query, emptyFilter, page).then((p) => ({ ...p, items: p.items.map(keyed) })),
    [props.query],
  );
  const { listed, error } = paged;
  if (error) return <p class="error" role="alert">{errorText(error)}</p>;
  if (!listed) return <p aria-busy="true">Searching…</p>;
  if (listed.items.length === 0) return <p class="empty" data-testid="search-empty">Nothing matches “{props.query}”.</p>;
  return (
    <>
      <ul class="list" data-testid="search-results">
        {listed.items.map((it) =>
          it.type === "brand" ? (
            <li key={it.id}>
              <button class="item" data-testid="search-brand" onClick={() => ctx.go({ screen: "brands", brandId: it.brand.id })}>
                <span class="kind">brand</span> <strong>{it.brand.name}</strong>
              </button>
            </li>
          ) : (
            <RecordRow key={it.id} record={it.record} brands={ctx.brands}
              onOpen={() => ctx.go({ screen: "records", recordId: it.record.id })} />
          ),
        )}
      </ul>
      <ShowMore paged={paged} testid="search" />
    </>
  );
}
