// Small DOM helpers. Text always goes in as text (never as HTML), so nothing the CA or a user
// typed can become markup; the CSP forbids inline scripts and styles anyway.

import { CommandError, Damaged, isCommandError, Problem } from "./api";
import { stepText } from "./steps";

type Child = Node | string | number | null | undefined | false;
type Attrs = Record<string, string | number | boolean | EventListener | undefined | null>;

/** `h("button", { class: "primary", onclick: f }, "Save")`. Boolean attributes: true sets, false omits. */
export function h<K extends keyof HTMLElementTagNameMap>(
  tag: K,
  attrs: Attrs = {},
  ...children: Child[]
): HTMLElementTagNameMap[K] {
  const el = document.createElement(tag);
  for (const [key, value] of Object.entries(attrs)) {
    if (value === undefined || value === null || value === false) continue;
    if (key.startsWith("on") && typeof value === "function") {
      el.addEventListener(key.slice(2), value as EventListener);
    } else if (value === true) {
      el.setAttribute(key, "");
    } else {
      el.setAttribute(key, String(value));
    }
  }
  append(el, ...children);
  return el;
}

export function append(el: Element, ...children: Child[]): void {
  for (const c of children) {
    if (c === null || c === undefined || c === false) continue;
    el.append(typeof c === "number" ? String(c) : c);
  }
}

export function clear(el: Element, ...children: Child[]): void {
  el.replaceChildren();
  append(el, ...children);
}

let uid = 0;
/** A unique id for label/description wiring. */
export function nextId(prefix: string): string {
  uid += 1;
  return `${prefix}-${uid}`;
}

export interface Field {
  wrap: HTMLElement;
  error: HTMLElement;
}

/**
 * A labelled control with optional help and an error slot, wired with aria-describedby so that
 * a screen reader reads the help and the error with the control.
 */
export function field(
  label: string,
  control: HTMLInputElement | HTMLSelectElement | HTMLTextAreaElement,
  help?: string | Node,
  extra?: Node,
): Field {
  if (!control.id) control.id = nextId("f");
  const helpEl = help ? h("div", { class: "help", id: `${control.id}-help` }, help) : null;
  const error = h("div", { class: "field-error", id: `${control.id}-error`, role: "alert" });
  const described = [helpEl ? helpEl.id : "", error.id].filter(Boolean).join(" ");
  control.setAttribute("aria-describedby", described);
  const isCheck = control instanceof HTMLInputElement && control.type === "checkbox";
  const wrap = isCheck
    ? h("div", { class: "field check" }, control, h("label", { for: control.id }, label), helpEl, error)
    : h("div", { class: "field" }, h("label", { for: control.id }, label), control, extra ?? null, helpEl, error);
  return { wrap, error };
}

/** Marks a control invalid (or valid again) and shows the message beside it. */
export function setFieldError(f: Field, control: HTMLElement, message: string | null): void {
  f.error.textContent = message ?? "";
  if (message) control.setAttribute("aria-invalid", "true");
  else control.removeAttribute("aria-invalid");
}

export function select(id: string, options: { id: string; label: string }[], value?: string): HTMLSelectElement {
  const s = h("select", { id });
  for (const o of options) s.append(h("option", { value: o.id }, o.label));
  if (value !== undefined) s.value = value;
  return s;
}

/** The status line in the header, read out by screen readers. */
export function announce(text: string): void {
  const status = document.getElementById("status");
  if (status) status.textContent = text;
}

/**
 * Runs `work` with `button` showing that it is busy (disabled, aria-busy, a spinner and the
 * seconds elapsed), so long calls to the CA show progress while the window stays usable.
 */
export async function busy<T>(button: HTMLButtonElement, label: string, work: () => Promise<T>): Promise<T> {
  const original = Array.from(button.childNodes);
  const started = Date.now();
  const text = document.createElement("span");
  const tick = () => {
    const s = Math.floor((Date.now() - started) / 1000);
    text.textContent = s >= 1 ? `${label}… ${s} s` : `${label}…`;
  };
  tick();
  button.disabled = true;
  button.setAttribute("aria-busy", "true");
  button.replaceChildren(h("span", { class: "spinner", "aria-hidden": "true" }), text);
  announce(`${label}…`);
  const timer = window.setInterval(tick, 1000);
  try {
    const result = await work();
    announce(`${label}: done`);
    return result;
  } catch (e) {
    announce(`${label}: failed`);
    throw e;
  } finally {
    window.clearInterval(timer);
    button.disabled = false;
    button.removeAttribute("aria-busy");
    button.replaceChildren(...original);
  }
}

/** The CA's problem document in full: type, status, detail and each subproblem. */
export function problemView(p: Problem): HTMLElement {
  const rows: Child[] = [
    h("dt", {}, "Type"),
    h("dd", {}, h("code", {}, p.type ?? "(none)")),
  ];
  if (p.status !== undefined) rows.push(h("dt", {}, "HTTP status"), h("dd", {}, p.status));
  if (p.detail) rows.push(h("dt", {}, "Detail"), h("dd", {}, p.detail));
  // Shown, never opened by the window: a page the CA sends the administrator to (an unpause link).
  if (p.instance) rows.push(h("dt", {}, "The CA's page"), h("dd", {}, h("code", {}, p.instance)));
  const subs = p.subproblems ?? [];
  return h(
    "div",
    { class: "problem", "data-problem": "" },
    h("strong", {}, "The CA's problem document"),
    h("dl", {}, ...rows),
    subs.length
      ? h(
          "ul",
          { class: "subproblems", "aria-label": "Problems per name" },
          ...subs.map((s) =>
            h(
              "li",
              {},
              h("strong", {}, s.identifier ?? "(no identifier)"),
              ": ",
              h("code", {}, s.type ?? ""),
              " — ",
              s.detail ?? "",
            ),
          ),
        )
      : null,
  );
}

/** Shows an error in `slot` (an element next to what caused it), whole; clears it with null. */
export function showError(slot: HTMLElement, e: unknown): void {
  if (e === null) {
    clear(slot);
    slot.hidden = true;
    return;
  }
  const err: CommandError = isCommandError(e) ? e : { kind: "local", message: String(e) };
  slot.hidden = false;
  clear(
    slot,
    h("p", { class: "error-message" }, err.message),
    err.problem ? problemView(err.problem) : null,
    err.next_step ? h("p", { class: "muted small-text next-step" }, stepText(err.next_step)) : null,
  );
  slot.setAttribute("role", "alert");
}

/** A form's fields by the names the engine gives them (`CommandError.field`). */
export type FormFields = Record<string, { field: Field; control: HTMLElement }>;

/**
 * Shows an error where it belongs: beside the field it names (marked invalid, scrolled into
 * view and focused), else whole in `slot`, scrolled into view. Clears every field's error first;
 * null clears all.
 */
export function showFormError(slot: HTMLElement, fields: FormFields, e: unknown): void {
  for (const { field: f, control } of Object.values(fields)) setFieldError(f, control, null);
  const err = isCommandError(e) ? e : null;
  const target = err?.field ? fields[err.field] : undefined;
  if (err && target) {
    showError(slot, null);
    setFieldError(target.field, target.control, err.message);
    target.control.scrollIntoView({ block: "center" });
    target.control.focus();
    return;
  }
  showError(slot, e);
  if (e !== null) slot.scrollIntoView({ block: "nearest" });
}

/** An error slot: hidden until there is an error. */
export function errorSlot(id?: string): HTMLElement {
  const el = h("div", { class: "error", role: "alert", id });
  el.hidden = true;
  return el;
}

/** A button that copies `value` and says so. */
export function copyButton(value: string, what: string): HTMLButtonElement {
  const b = h("button", { type: "button", class: "small", "aria-label": `Copy ${what}` }, "Copy");
  b.addEventListener("click", async () => {
    await copyText(value);
    b.textContent = "Copied";
    announce(`${what} copied`);
    window.setTimeout(() => (b.textContent = "Copy"), 1500);
  });
  return b;
}

async function copyText(value: string): Promise<void> {
  try {
    await navigator.clipboard.writeText(value);
  } catch {
    // Older WebKit without the async clipboard: copy through a selected text area.
    const area = h("textarea", { class: "offscreen", "aria-hidden": "true" });
    area.value = value;
    document.body.append(area);
    area.select();
    document.execCommand("copy");
    area.remove();
  }
}

/**
 * A modal dialog (native <dialog>: focus is trapped and Escape closes it). `build` receives a
 * close function; the dialog is removed from the page when closed and focus returns to where it
 * was.
 */
export function modal(
  title: string,
  build: (close: () => void) => Node[],
  id?: string,
): HTMLDialogElement {
  const opener = document.activeElement as HTMLElement | null;
  const titleId = nextId("dlg-title");
  const dialog = h("dialog", { "aria-labelledby": titleId, id, class: "modal" });
  const close = () => dialog.close();
  dialog.addEventListener("close", () => {
    dialog.remove();
    opener?.focus();
  });
  append(
    dialog,
    h(
      "div",
      { class: "modal-head" },
      h("h2", { id: titleId }, title),
      h("button", { type: "button", class: "icon", "aria-label": "Close", onclick: close }, "✕"),
    ),
    ...build(close),
  );
  document.body.append(dialog);
  dialog.showModal();
  return dialog;
}

/** Confirms an action in a modal; resolves true when confirmed. */
export function confirmDialog(title: string, body: Node[], confirmLabel: string, danger = false): Promise<boolean> {
  return new Promise((resolve) => {
    let answered = false;
    const dlg = modal(title, (close) => {
      const ok = h("button", { type: "button", class: danger ? "danger" : "primary" }, confirmLabel);
      ok.addEventListener("click", () => {
        answered = true;
        resolve(true);
        close();
      });
      return [
        ...body,
        h(
          "div",
          { class: "actions" },
          h("button", { type: "button", onclick: close }, "Cancel"),
          ok,
        ),
      ];
    });
    dlg.addEventListener("close", () => {
      if (!answered) resolve(false);
    });
  });
}

export function formatDate(iso: string): string {
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return iso;
  return d.toISOString().slice(0, 16).replace("T", " ") + " UTC";
}

export function badge(text: string, kind: string): HTMLElement {
  return h("span", { class: `badge badge-${kind}` }, text);
}

/** An honest empty state: what is missing and what to do instead. */
export function emptyState(title: string, ...lines: Child[]): HTMLElement {
  return h("div", { class: "empty" }, h("h3", {}, title), ...lines.map((l) => h("p", {}, l)));
}

/** An empty state's next step: the button that takes the user where it is done. */
export function goButton(id: string, label: string, go: () => void): HTMLButtonElement {
  return h("button", { type: "button", id, class: "primary", onclick: go }, label);
}

/** What to do about a damaged record: the engine leaves it out of everything it does. */
export const DAMAGED_HELP =
  "It is left out of everything certdesk does; restore the data folder from a backup to get it back.";

/**
 * A listing's damaged records as table rows: the id, marked damaged, what failed and what to do.
 * Nothing on the row acts on the record (it does not read). `columns` is the table's width.
 */
export function damagedRows(damaged: Damaged[], columns: number): HTMLTableRowElement[] {
  return damaged.map((d) =>
    h(
      "tr",
      { class: "damaged" },
      h("th", { scope: "row" }, d.id),
      h("td", { colspan: columns - 1 }, badge("Damaged", "error"), ` ${d.damaged}. `, h("span", { class: "muted" }, DAMAGED_HELP)),
    ),
  );
}
