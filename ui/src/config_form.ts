// The one form builder of credentialed configurations (DNS accounts, deploy mappings): their
// fields are drawn from the kind's FieldSpecs (engine `form::FieldSpec`), so a new provider or
// kind of mapping needs no change here. A secret shows "set" once saved and is never sent back:
// it is kept unless a new value is typed or its "Remove" box is ticked.

import { FieldSpec, SecretChange, TestResult } from "./api";
import { badge, clear, field, formatDate, h } from "./dom";

/** A field drawn by its tab instead (the Deploy tab's certificate files as rows). */
export type CustomField = (spec: FieldSpec, stored: string) => { wrap: HTMLElement; value: () => string } | null;

/** What the builder reads of a stored configuration (engine `form::Configured`). */
export interface Stored {
  fields: { [key in string]: string };
  secrets_set: string[];
}

export interface ConfigFields {
  /** Where the fields are drawn, with the id `${prefix}-fields`. */
  box: HTMLElement;
  /** Draws the fields of `specs`; `existing` is the configuration edited when it is of that kind. */
  draw(specs: readonly FieldSpec[], existing: Stored | null): void;
  /** The plain fields and the secret changes, as the save command takes them. */
  values(): { fields: Record<string, string>; secrets: Record<string, SecretChange> };
}

interface Options {
  /** The ids' prefix: `${prefix}-field-NAME`, `${prefix}-clear-NAME`. */
  prefix: string;
  /** Fields typed over several lines (a private key). */
  multiline?: readonly string[];
  custom?: CustomField;
}

export function configFields({ prefix, multiline = [], custom }: Options): ConfigFields {
  const box = h("div", { id: `${prefix}-fields` });
  type Control = { name: string; secret: boolean; value: () => string; clear?: HTMLInputElement };
  let controls: Control[] = [];

  const draw = (specs: readonly FieldSpec[], existing: Stored | null) => {
    controls = [];
    clear(box);
    for (const f of specs) {
      const isSet = !!existing && existing.secrets_set.includes(f.name);
      const stored = f.secret ? "" : (existing?.fields[f.name] ?? "");
      const label = `${f.label}${f.required ? "" : " (optional)"}`;
      const drawn = custom?.(f, stored);
      if (drawn) {
        box.append(drawn.wrap);
        controls.push({ name: f.name, secret: f.secret, value: drawn.value });
        continue;
      }
      const placeholder = isSet ? "set — leave empty to keep" : "";
      const input = multiline.includes(f.name)
        ? h("textarea", { id: `${prefix}-field-${f.name}`, rows: 4, placeholder })
        : h("input", { id: `${prefix}-field-${f.name}`, type: f.secret ? "password" : "text", autocomplete: "off", placeholder, value: stored });
      if (input instanceof HTMLTextAreaElement) input.value = stored;
      input.required = f.required;
      box.append(field(label, input, f.help).wrap);
      const entry: Control = { name: f.name, secret: f.secret, value: () => input.value };
      if (isSet && !f.required) {
        entry.clear = h("input", { id: `${prefix}-clear-${f.name}`, type: "checkbox" });
        box.append(field(`Remove the stored ${f.label}`, entry.clear).wrap);
      }
      controls.push(entry);
    }
  };

  const values = () => {
    const fields: Record<string, string> = {};
    const secrets: Record<string, SecretChange> = {};
    for (const c of controls) {
      if (!c.secret) fields[c.name] = c.value();
      else if (c.clear?.checked) secrets[c.name] = { action: "clear" };
      else if (c.value()) secrets[c.name] = { action: "set", value: c.value() };
      else secrets[c.name] = { action: "keep" };
    }
    return { fields, secrets };
  };

  return { box, draw, values };
}

/** A configuration's last test, for its row: passed or failed, when, and what it found. */
export function lastTest(info: { last_test?: TestResult | null }): HTMLElement {
  const test = info.last_test;
  if (!test) return h("div", { class: "muted" }, "Not tested yet");
  return h("div", { class: "muted", title: test.message }, badge(test.ok ? "Test passed" : "Test failed", test.ok ? "ok" : "error"), ` ${formatDate(test.at)}`);
}
