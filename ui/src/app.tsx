// The shell of the UI: which screen shows, locking, keyboard shortcuts.
// Every decrypted value lives in the state of the unlocked part (<Main>), so
// locking unmounts it and the page holds none.
import { useEffect, useState } from "preact/hooks";
import { listen } from "@tauri-apps/api/event";
import { api, whenLocked } from "./api";
import type { SessionStatus } from "./bindings";
import { errorText, lockNotice } from "./format";
import { ACTIVITY_REPORT_MS, throttle } from "./keys";
import { CreateVault, JoinVault, RecoverVault, RecoveryCodeShown, Unlock } from "./screens/auth";
import { Main } from "./screens/main";

type Stage =
  | { name: "loading" }
  | { name: "create" }
  | { name: "join" }
  | { name: "code"; code: string }
  | { name: "unlock"; notice?: string }
  | { name: "recover" }
  | { name: "open" };

export function App() {
  const [status, setStatus] = useState<SessionStatus | null>(null);
  const [stage, setStage] = useState<Stage>({ name: "loading" });
  const [fatal, setFatal] = useState<string | null>(null);

  useEffect(() => {
    api
      .appStatus()
      .then((s) => {
        setStatus(s);
        setStage(!s.exists ? { name: "create" } : s.unlocked ? { name: "open" } : { name: "unlock" });
      })
      .catch((e) => setFatal(errorText(e)));
    // Locked behind the page's back (idle time, screen lock, sleep): leave
    // the unlocked part, which unmounts it and every value it decrypted.
    const lockedAway = (reason: string) =>
      setStage((s) => (s.name === "open" ? { name: "unlock", notice: lockNotice(reason) } : s));
    const unlisten = listen<string>("vault-locked", (e) => lockedAway(e.payload));
    whenLocked(() => lockedAway("idle"));
    // Any key or click postpones the auto-lock.
    const touch = throttle(() => void api.activity().catch(() => undefined), ACTIVITY_REPORT_MS);
    window.addEventListener("keydown", touch, true);
    window.addEventListener("pointerdown", touch, true);
    return () => {
      // Unregistering can fail if the IPC is already gone (window closing).
      unlisten.then((f) => f()).catch(() => undefined);
      window.removeEventListener("keydown", touch, true);
      window.removeEventListener("pointerdown", touch, true);
      whenLocked(() => undefined);
    };
  }, []);

  const lock = async () => {
    await api.vaultLock().catch(() => undefined);
    setStage({ name: "unlock" });
  };

  if (fatal) return <div class="center"><p class="error" role="alert">{fatal}</p></div>;
  switch (stage.name) {
    case "loading":
      return <div class="center" aria-busy="true">Opening…</div>;
    case "create":
      return (
        <CreateVault dir={status?.vault_dir ?? ""} onCreated={(code) => setStage({ name: "code", code })}
          onJoin={() => setStage({ name: "join" })} />
      );
    case "join":
      return (
        <JoinVault dir={status?.vault_dir ?? ""} onJoined={(code) => setStage({ name: "code", code })}
          onCancel={() => setStage({ name: "create" })} />
      );
    case "code":
      return <RecoveryCodeShown code={stage.code} onDone={() => setStage({ name: "open" })} />;
    case "unlock":
      return (
        <Unlock
          dir={status?.vault_dir ?? ""}
          notice={stage.notice}
          onUnlocked={() => setStage({ name: "open" })}
          onRecover={() => setStage({ name: "recover" })}
        />
      );
    case "recover":
      return (
        <RecoverVault
          onRecovered={(code) => setStage({ name: "code", code })}
          onCancel={() => setStage({ name: "unlock" })}
        />
      );
    case "open":
      return <Main onLock={lock} />;
  }
}
