// A form's error shown beside the field it is about (see placeError in
// format.ts); nothing when the error is about another field or none.
import type { PlacedError } from "../format";

export function FieldMessage(props: { error: PlacedError | null; field: string; testid: string }) {
  const e = props.error;
  if (e === null || e.field !== props.field) return null;
  return <span class="error field-error" role="alert" data-testid={props.testid}>{e.text}</span>;
}
