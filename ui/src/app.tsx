// The shell of the UI: which screen shows, locking, keyboard shortcuts.
// Every decrypted value lives in the state of the unlocked part (<Main>), so
// locking unmounts it and the page holds none.
import { useEffect, useState } from "preact/hooks";
import { listen } from "@tauri-apps/api/event";
import { api } from "./api";
import type { SessionStatus } from "./bindings";
import { errorText, throttle } from "./logic";
import { CreateVault, RecoverVault, RecoveryCodeShown, Unlock } from "./screens/auth";
import { Main } from "./screens/main";

type Stage =
  | { name: "loading" }
  | { name: "create" }
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
      .status()
      .then((s) => {
        setStatus(s);
        setStage(!s.exists ? { name: "create" } : s.unlocked ? { name: "open" } : { name: "unlock" });
      })
      .catch((e) => setFatal(errorText(e)));
    const unlisten = listen<string>("vault-locked", () =>
      setStage({ name: "unlock", notice: "Locked after a period of inactivity." }),
    );
    // Any key or click postpones the auto-lock (at most one call a minute).
    const touch = throttle(() => void api.activity().catch(() => undefined), 60_000);
    window.addEventListener("keydown", touch, true);
    window.addEventListener("pointerdown", touch, true);
    return () => {
      // Unregistering can fail if the IPC is already gone (window closing).
      unlisten.then((f) => f()).catch(() => undefined);
      window.removeEventListener("keydown", touch, true);
      window.removeEventListener("pointerdown", touch, true);
    };
  }, []);

  const lock = async () => {
    await api.lock().catch(() => undefined);
    setStage({ name: "unlock" });
  };

  if (fatal) return <div class="center"><p class="error" role="alert">{fatal}</p></div>;
  switch (stage.name) {
    case "loading":
      return <div class="center" aria-busy="true">Opening…</div>;
    case "create":
      return <CreateVault dir={status?.vault_dir ?? ""} onCreated={(code) => setStage({ name: "code", code })} />;
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
