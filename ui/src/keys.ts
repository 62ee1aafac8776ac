// The keyboard: the app's shortcuts, and how often typing or clicking tells
// the app the person is there (for the idle auto-lock).

/** How often a key or click tells the app the person is there: well inside
 *  the shortest auto-lock time (1 minute), so typing never lets it lapse. */
export const ACTIVITY_REPORT_MS = 10_000;

export type Shortcut = "search" | "lock" | "new-record";

/** Ctrl+F search, Ctrl+L lock, Ctrl+N new record (Cmd on macOS). */
export function shortcutFor(e: Pick<KeyboardEvent, "key" | "ctrlKey" | "metaKey" | "altKey" | "shiftKey">): Shortcut | null {
  if (!(e.ctrlKey || e.metaKey) || e.altKey || e.shiftKey) return null;
  switch (e.key.toLowerCase()) {
    case "f":
      return "search";
    case "l":
      return "lock";
    case "n":
      return "new-record";
    default:
      return null;
  }
}

/** Call `fn` at most once per `ms`. */
export function throttle(fn: () => void, ms: number, now: () => number = Date.now): () => void {
  let last = -Infinity;
  return () => {
    const t = now();
    if (t - last >= ms) {
      last = t;
      fn();
    }
  };
}
