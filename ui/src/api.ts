// The app's commands, as generated from the Rust side (bindings.ts: one
// typed wrapper per command, with the types). This file only adds what every
// call shares: a failure is a CommandError ({code, field, message}), and a call that
// finds the vault locked tells the app.
import { commands, type CommandError, type RecordFilter } from "./bindings";

/** Every failed call rejects with a CommandError ({code, field, message}). */
export function isCommandError(e: unknown): e is CommandError {
  return typeof e === "object" && e !== null && "code" in e && "message" in e;
}

let lockedListener: () => void = () => undefined;

/** Run `listener` whenever a call finds the vault locked: it may have locked
 *  itself (idle time) between the app's checks, and the page must not keep
 *  showing what it decrypted. */
export function whenLocked(listener: () => void): void {
  lockedListener = listener;
}

type Commands = typeof commands;

function checked<A extends unknown[], T>(command: (...args: A) => Promise<T>): (...args: A) => Promise<T> {
  return async (...args: A) => {
    try {
      return await command(...args);
    } catch (e) {
      if (isCommandError(e)) {
        if (e.code === "vault.locked") lockedListener();
        throw e;
      }
      throw { code: "app.ipc", field: null, message: String(e) } satisfies CommandError;
    }
  };
}

/** Every command of the app (`commands` from bindings.ts), each failing with
 *  a CommandError. */
export const api = Object.fromEntries(
  Object.entries(commands).map(([name, command]) => [
    name,
    checked(command as (...args: unknown[]) => Promise<unknown>),
  ]),
) as Commands;

export const emptyFilter: RecordFilter = { brand: null, kind: null, tags: [], since: null, until: null };
