import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { render } from "preact";
import { act } from "preact/test-utils";
import { clearMocks, mockIPC, mockWindows } from "@tauri-apps/api/mocks";
import { emit } from "@tauri-apps/api/event";
import { App } from "../src/app";

const flush = async () => {
  for (let i = 0; i < 10; i++) await act(async () => await new Promise((r) => setTimeout(r, 0)));
};

async function find<T extends Element>(selector: string): Promise<T> {
  for (let i = 0; i < 200; i++) {
    const el = root.querySelector<T>(selector);
    if (el) return el;
    await flush();
  }
  throw new Error(`${selector} never appeared`);
}

async function type(selector: string, value: string) {
  const el = await find<HTMLInputElement>(selector);
  el.value = value;
  el.dispatchEvent(new Event("input", { bubbles: true }));
  await flush();
}

async function submit(selector: string) {
  (await find<HTMLFormElement>(selector)).dispatchEvent(new Event("submit", { bubbles: true, cancelable: true }));
  await flush();
}

let root: HTMLElement;
let calls: { cmd: string; args: unknown }[];
let unlocked: boolean;
let lockedBehindOurBack: boolean;

beforeEach(() => {
  root = document.createElement("div");
  document.body.appendChild(root);
  calls = [];
  unlocked = false;
  lockedBehindOurBack = false;
  mockWindows("main");
  mockIPC((cmd, args) => {
    calls.push({ cmd, args });
    switch (cmd) {
      case "app_status":
        return { vault_dir: "/home/ana/.local/share/vrm-vault", exists: true, unlocked, auto_lock_minutes: 5 };
      case "vault_unlock":
        if ((args as { passphrase: string }).passphrase !== "right passphrase") {
          throw { code: "vault.wrong_passphrase", message: "wrong passphrase" };
        }
        unlocked = true;
        return null;
      case "vault_lock":
        unlocked = false;
        return null;
      case "kind_specs":
        return [{ kind: "note", fields: [{ name: "text", type: "text", required: true, options: [] }] }];
      case "brands_list":
        return [{ id: "b1", name: "Secret Bank Ltd", created_at: "2026-01-01T00:00:00Z", updated_at: "2026-01-01T00:00:00Z" }];
      case "activity":
        if (lockedBehindOurBack) throw { code: "vault.locked", message: "the vault is locked" };
        return null;
      default:
        return null;
    }
  }, { shouldMockEvents: true });
});

afterEach(async () => {
  render(null, root);
  await flush(); // let the event listener unregister before the mocks go
  await flush();
  root.remove();
  clearMocks();
});

describe("unlocking and locking", () => {
  it("shows a clear message for a wrong passphrase and clears the field", async () => {
    render(<App />, root);
    await type("[data-testid=unlock-passphrase]", "wrong one");
    await submit("[data-testid=unlock-form]");
    expect((await find("[data-testid=unlock-error]")).textContent).toMatch(/Wrong passphrase/);
    expect(root.querySelector<HTMLInputElement>("[data-testid=unlock-passphrase]")!.value).toBe("");
  });

  it("opens on the right passphrase, and Ctrl+L locks and clears every decrypted value", async () => {
    render(<App />, root);
    await type("[data-testid=unlock-passphrase]", "right passphrase");
    await submit("[data-testid=unlock-form]");
    await find("[data-testid=brand-list]");
    expect(root.textContent).toContain("Secret Bank Ltd");
    window.dispatchEvent(new KeyboardEvent("keydown", { key: "l", ctrlKey: true }));
    await flush();
    expect(calls.some((c) => c.cmd === "vault_lock")).toBe(true);
    await find("[data-testid=unlock-form]");
    expect(root.textContent).not.toContain("Secret Bank Ltd");
  });

  async function openVault() {
    render(<App />, root);
    await type("[data-testid=unlock-passphrase]", "right passphrase");
    await submit("[data-testid=unlock-form]");
    await find("[data-testid=brand-list]");
    expect(root.textContent).toContain("Secret Bank Ltd");
  }

  it("clears the page and says why when the screen lock locks the vault", async () => {
    await openVault();
    await act(async () => await emit("vault-locked", "screen locked"));
    await flush();
    await find("[data-testid=unlock-form]");
    expect(root.textContent, "no decrypted value may stay on the page").not.toContain("Secret Bank Ltd");
    expect(root.textContent).toContain("Locked because the screen locked.");
  });

  it("leaves the unlocked screens when a call finds the vault locked itself", async () => {
    await openVault();
    // The idle time ran out between the app's own checks: the next call
    // (here the keypress that reports activity) is told the vault is locked.
    lockedBehindOurBack = true;
    window.dispatchEvent(new KeyboardEvent("keydown", { key: "a" }));
    await flush();
    await find("[data-testid=unlock-form]");
    expect(calls.some((c) => c.cmd === "activity")).toBe(true);
    expect(root.textContent, "no decrypted value may stay on the page").not.toContain("Secret Bank Ltd");
    expect(root.textContent).toContain("Locked after a period of inactivity.");
  });
});

describe("the sidebar", () => {
  it("lists every section, Settings last", async () => {
    render(<App />, root);
    await type("[data-testid=unlock-passphrase]", "right passphrase");
    await submit("[data-testid=unlock-form]");
    await find("[data-testid=brand-list]");
    const ids = [...root.querySelectorAll("nav.sidebar [data-testid^=nav-]")].map((b) => b.getAttribute("data-testid"));
    expect(ids).toEqual([
      "nav-brands", "nav-discover", "nav-records", "nav-terms", "nav-share", "nav-shares", "nav-exposure", "nav-rights",
      "nav-activity", "nav-intents", "nav-transfer", "nav-settings",
    ]);
  });
});
