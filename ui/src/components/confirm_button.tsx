// A button that asks before doing something that cannot be undone: the
// first click arms it, the second (within a few seconds) acts.
import { useEffect, useState } from "preact/hooks";

export function ConfirmButton(props: { label: string; confirm: string; onConfirm: () => void; testid?: string }) {
  const [armed, setArmed] = useState(false);
  useEffect(() => {
    if (!armed) return;
    const t = window.setTimeout(() => setArmed(false), 5000);
    return () => window.clearTimeout(t);
  }, [armed]);
  return (
    <button type="button" class={armed ? "danger armed" : "danger"} data-testid={props.testid}
      onClick={() => (armed ? (setArmed(false), props.onConfirm()) : setArmed(true))}>
      {armed ? props.confirm : props.label}
    </button>
  );
}
