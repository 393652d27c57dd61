// The typed command layer: one function per Tauri command of src-tauri. Every failure arrives as
// a CommandError, whatever went wrong.
//
// The types, the command names and each command's arguments and answer are the Rust
// definitions' own: ./bindings.ts is generated from them (see README, Development) and a test
// fails when it is stale, so a changed type, argument or command fails the page's build instead
// of drifting. This file only adds the error mapping the wrappers go through.

import { invoke } from "@tauri-apps/api/core";
import { commands, type Command, type CommandError, type Ca, type OrderChallenge } from "./bindings";

export type * from "./bindings";

/** The CA presets of the account form (engine `acme::Ca`). */
export type CaKind = Ca["kind"];

/** A challenge of the request's current order (engine `request::OrderChallenge`). */
export type Challenge = OrderChallenge;

/** Any rejection as a CommandError: the app's own, or a bare string from Tauri itself. */
function asCommandError(e: unknown): CommandError {
  if (e && typeof e === "object" && "message" in e && "kind" in e) return e as CommandError;
  return { kind: "local", message: typeof e === "string" ? e : String(e) };
}

async function call<T>(cmd: Command, args?: Record<string, unknown>): Promise<T> {
  try {
    return await invoke<T>(cmd, args);
  } catch (e) {
    throw asCommandError(e);
  }
}

export function isCommandError(e: unknown): e is CommandError {
  return !!e && typeof e === "object" && "kind" in e && "message" in e;
}

/** Every command, as bindings.ts's generated wrappers over `call`. */
export const api = commands(call);
