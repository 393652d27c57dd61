// Where long work stands: the engine reports each stage of an issuance (verify, renew, a new
// order) as the `progress` event, and the window shows it next to the request.

import { listen } from "@tauri-apps/api/event";

export type Stage =
  | "placing_order"
  | "publishing_dns"
  | "waiting_for_dns"
  | "cleaning_up_dns"
  | "answering" | "validating" | "finalizing" | "downloading" | "issued" | "failed";

export interface Progress {
  request: string;
  stage: Stage;
}

/** The engine's words for each stage (`Stage::label`). */
const LABELS: Record<Stage, string> = {
  placing_order: "placing the order",
  publishing_dns: "publishing the TXT records",
  waiting_for_dns: "waiting for the nameservers to answer with the TXT records",
  cleaning_up_dns: "removing the TXT records",
  answering: "answering the challenges",
  validating: "waiting for the CA to validate",
  finalizing: "finalizing with the CSR",
  downloading: "downloading the certificate",
  issued: "issued",
  failed: "failed",
};

export function stageLabel(stage: Stage): string {
  return LABELS[stage] ?? stage;
}

/** Whether work is still going on at this stage. */
export function ongoing(stage: Stage): boolean {
  return stage !== "issued" && stage !== "failed";
}

const latest = new Map<string, Stage>();
const watchers = new Set<(p: Progress) => void>();

/** The last stage heard for a request, if its work is still going on. */
export function currentStage(request: string): Stage | undefined {
  const s = latest.get(request);
  return s && ongoing(s) ? s : undefined;
}

/** Calls `fn` for each stage of every request; returns the way to stop. */
export function onProgress(fn: (p: Progress) => void): () => void {
  watchers.add(fn);
  return () => watchers.delete(fn);
}

/** Starts listening once, at start. */
export async function listenProgress(): Promise<void> {
  await listen<Progress>("progress", (e) => {
    latest.set(e.payload.request, e.payload.stage);
    for (const fn of [...watchers]) fn(e.payload);
  });
}

/**
 * A status line (aria-live) that shows the stages of one request while `label` work runs, e.g.
 * "Verifying — waiting for the CA to validate". `start` begins showing, `stop` ends it.
 */
export function stageLine(id: string, request: () => string | null): { el: HTMLElement; start: (label: string) => void; stop: () => void } {
  const el = document.createElement("p");
  el.id = id;
  el.className = "stage-line muted";
  el.setAttribute("aria-live", "polite");
  el.hidden = true;
  let label: string | null = null;
  let off: (() => void) | null = null;
  const stop = () => {
    off?.();
    off = null;
    label = null;
  };
  const start = (l: string) => {
    stop();
    label = l;
    el.textContent = "";
    el.hidden = true;
    off = onProgress((p) => {
      if (label === null || p.request !== request()) return;
      el.textContent = `${label} — ${stageLabel(p.stage)}`;
      el.dataset.stage = p.stage;
      el.hidden = false;
    });
  };
  return { el, start, stop };
}
