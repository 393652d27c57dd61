// The Activity tab: the activity log, newest first, searchable by any text (a name, a request
// id, a face, a CA's message) and by how far back; a failure shows the CA's problem whole. The
// CSV of what the search keeps is copied for a spreadsheet (the engine writes it, as for
// `certdesk log --csv`).

import { ActivityEntry, ActivityFilter, api } from "../api";
import { Ctx, Tab } from "../app";
import { badge, clear, copyButton, emptyState, errorSlot, field, formatDate, h, problemView, showError } from "../dom";

/** How far back the search looks, as the window offers it. */
const SINCE: { id: string; label: string; days: number | null }[] = [
  { id: "1", label: "Last 24 hours", days: 1 },
  { id: "7", label: "Last 7 days", days: 7 },
  { id: "30", label: "Last 30 days", days: 30 },
  { id: "all", label: "Everything kept", days: null },
];

function about(e: ActivityEntry): string {
  const s = e.subject;
  return [s.request, s.account ? `account ${s.account}` : null, s.names?.join(", "), s.target].filter(Boolean).join(" · ");
}

function row(e: ActivityEntry): HTMLTableRowElement {
  const failed = e.outcome.status === "failed";
  const outcome =
    e.outcome.status === "failed"
      ? h("td", {}, badge("Failed", "error"), " ", e.outcome.message, e.outcome.problem ? problemView(e.outcome.problem) : null)
      : h("td", {}, badge("OK", "ok"), e.outcome.detail ? ` ${e.outcome.detail}` : "");
  return h(
    "tr",
    { "data-action": e.action, "data-face": e.face, "data-status": failed ? "failed" : "ok" },
    h("td", {}, formatDate(e.time)),
    h("td", {}, e.face),
    h("td", {}, e.action.replace(/_/g, " ")),
    h("td", {}, about(e)),
    outcome,
  );
}

export function activityTab(ctx: Ctx): Tab {
  const panel = h("section", { class: "activity" });
  const error = errorSlot("activity-error");
  const search = h("input", { type: "search", id: "activity-search", placeholder: "a name, a request id, a message…" });
  const since = h("select", { id: "activity-since" }, ...SINCE.map((s) => h("option", { value: s.id }, s.label)));
  since.value = "30";
  const copy = h("span", { id: "activity-csv" });
  const body = h("div", { id: "activity-body" });
  panel.append(
    h("div", { class: "toolbar" }, field("Search", search).wrap, field("Since", since).wrap, copy),
    error,
    body,
  );

  const filter = (): ActivityFilter => {
    const days = SINCE.find((s) => s.id === since.value)?.days ?? null;
    return {
      since: days === null ? null : new Date(Date.now() - days * 86_400_000).toISOString(),
      text: search.value.trim() || null,
      cert: null,
    };
  };

  const load = async () => {
    try {
      const f = filter();
      const [log, csv] = await Promise.all([api.activityLog(f), api.activityCsv(f)]);
      showError(error, null);
      clear(copy, "Copy the CSV ", copyButton(csv, "the activity log as CSV"));
      const entries = [...log.entries].reverse();
      clear(
        body,
        entries.length
          ? h(
              "table",
              { class: "list", id: "activity-table" },
              h("thead", {}, h("tr", {}, ...["Time", "By", "Action", "About", "Outcome"].map((c) => h("th", { scope: "col" }, c)))),
              h("tbody", {}, ...entries.map(row)),
            )
          : emptyState("Nothing logged here", "Every action and renewal attempt shows here; widen the search or the time."),
      );
      body.dataset.entries = String(entries.length);
    } catch (e) {
      clear(body);
      showError(error, e);
    }
  };

  search.addEventListener("input", () => void load());
  since.addEventListener("change", () => void load());
  ctx.on("certs", () => void load());
  ctx.on("requests", () => void load());
  return { id: "activity", label: "Activity", panel, show: () => void load() };
}
