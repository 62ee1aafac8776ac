// A letter or document shown whole, with a button that copies it.
import { useState } from "preact/hooks";

export async function copyText(text: string): Promise<void> {
  if (navigator.clipboard?.writeText) {
    try {
      await navigator.clipboard.writeText(text);
      return;
    } catch {
      // Fall through to the older way (some web views refuse the new one).
    }
  }
  const area = document.createElement("textarea");
  area.value = text;
  area.setAttribute("readonly", "");
  area.style.position = "fixed";
  area.style.opacity = "0";
  document.body.appendChild(area);
  area.select();
  const ok = document.execCommand("copy");
  area.remove();
  if (!ok) throw new Error("copy refused");
}

export function Letter(props: { text: string; testid: string; title?: string }) {
  const [copied, setCopied] = useState<"yes" | "no" | null>(null);
  const copy = () =>
    copyText(props.text).then(
      () => setCopied("yes"),
      () => setCopied("no"),
    );
  return (
    <div class="letter">
      <div class="row spread">
        {props.title ? <h3>{props.title}</h3> : <span />}
        <div class="row">
          {copied === "yes" && <span class="notice" role="status">Copied.</span>}
          {copied === "no" && <span class="error" role="alert">Could not copy; select the text instead.</span>}
          <button type="button" class="secondary" onClick={copy} data-testid={`${props.testid}-copy`}>Copy</button>
        </div>
      </div>
      <pre class="document" data-testid={props.testid}>{props.text}</pre>
    </div>
  );
}
