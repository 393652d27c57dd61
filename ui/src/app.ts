// What the tabs share: the app's facts from the engine, a way to switch tabs, and change
// notices between tabs (a request saved in Requests must show up in Certificates).

import type { AppInfo, Replacement } from "./api";

export type Change = "accounts" | "requests" | "certs" | "settings" | "dns" | "endpoints";

export interface Tab {
  id: string;
  label: string;
  panel: HTMLElement;
  /** Called each time the tab is shown: reload what may have changed. */
  show(): void;
}

export class Ctx {
  private listeners = new Map<Change, Array<() => void>>();
  /** Set by main.ts once the tab list exists. */
  goTo: (tabId: string) => void = () => {};
  /** Set by the Requests tab: opens a request's challenge window. */
  openChallenge: (id: string) => void = () => {};
  /** Set by the Certificates tab: shows that tab with a certificate's details open. */
  openCert: (id: string) => void = () => {};
  /** Set by the Requests tab: shows that tab with its form filled in (Replace with ACME). */
  fillRequest: (form: Replacement) => void = () => {};

  constructor(public info: AppInfo) {}

  on(change: Change, fn: () => void): void {
    const list = this.listeners.get(change) ?? [];
    list.push(fn);
    this.listeners.set(change, list);
  }

  changed(change: Change): void {
    for (const fn of this.listeners.get(change) ?? []) fn();
  }
}
