// File fields: a text field for the path (typed or pasted, which keyboard users and tests rely
// on) and a Browse button that opens the system's file dialog. The page only ever handles the
// path: the app reads and writes the file, so keys never pass through the page.

import { open, save } from "@tauri-apps/plugin-dialog";
import { field, Field, h } from "./dom";

export type PathMode = "open" | "save" | "folder";

export interface PathField extends Field {
  input: HTMLInputElement;
  /** Sets the suggested file name for a save dialog. */
  suggest(name: string): void;
}

export function pathField(
  label: string,
  id: string,
  mode: PathMode,
  help?: string,
  filters?: { name: string; extensions: string[] }[],
): PathField {
  const input = h("input", { id, type: "text", autocomplete: "off", spellcheck: "false" });
  let suggested = "";
  const browse = h("button", { type: "button", class: "small", "aria-label": `Browse for ${label}` }, "Browse…");
  browse.addEventListener("click", async () => {
    const picked =
      mode === "save"
        ? await save({ defaultPath: input.value || suggested || undefined, filters })
        : await open({ directory: mode === "folder", multiple: false, filters });
    if (typeof picked === "string") {
      input.value = picked;
      input.dispatchEvent(new Event("input"));
    }
  });
  const f = field(label, input, help, browse);
  f.wrap.classList.add("path");
  return { ...f, input, suggest: (name) => (suggested = name) };
}
