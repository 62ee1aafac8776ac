// One record in a list (records, a brand's timeline, search results).
import type { Brand, Record } from "../bindings";
import { recordDate, recordTitle } from "../format";

export function RecordRow(props: { record: Record; brands: Brand[]; onOpen: () => void }) {
  const r = props.record;
  const brand = props.brands.find((b) => b.id === r.brand);
  return (
    <li>
      <button class="item record" onClick={props.onOpen} data-testid="record-row">
        <span class={`kind kind-${r.kind}`}>{r.fields["channel"] ?? r.kind}</span>
        <span class="date">{recordDate(r)}</span>
        <span class="title">{recordTitle(r)}</span>
        {brand && <span class="muted">{brand.name}</span>}
        {(r.tags ?? []).map((t) => <span class="tag">#{t}</span>)}
      </button>
    </li>
  );
}
