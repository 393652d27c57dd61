// The Overview tab: "is everything all right?" at a glance. The counts, a timeline of the
// expiries of the coming days drawn as inline SVG (no library, no remote content; each
// certificate one focusable mark that opens its details, a crowded day's overflow one mark),
// the scheduler's health and the next actions, each a button to the request or certificate it
// is about, and what the watched endpoints' last checks found. One engine call fills it.

import { api, EndpointCheck, Mark, MarkState, NextAction, NextStep, Overview } from "../api";
import { Ctx, Tab } from "../app";
import { clear, emptyState, errorSlot, formatDate, goButton, h, showError } from "../dom";
import { stepText } from "../steps";
import { kindWords } from "./endpoints";

/** The states as the legend and the marks' labels say them, the most pressing first. */
const STATES: Record<MarkState, string> = {
  revoked: "Revoked",
  expired: "Expired",
  failing: "Renewal failing",
  waiting: "Waiting for you",
  expiring: "Expiring soon",
  valid: "Valid",
};

const SVG = "http://www.w3.org/2000/svg";

/** An SVG element with its attributes (geometry only: the colors are the stylesheet's classes). */
function s<K extends keyof SVGElementTagNameMap>(
  tag: K,
  attrs: Record<string, string | number>,
  ...children: (Node | string)[]
): SVGElementTagNameMap[K] {
  const el = document.createElementNS(SVG, tag);
  for (const [k, v] of Object.entries(attrs)) el.setAttribute(k, String(v));
  el.append(...children);
  return el;
}

// The chart's geometry in viewBox units; it scales to the panel's width.
const WIDTH = 1000;
const HEIGHT = 150;
const LEFT = 40;
const RIGHT = 24;
const AXIS_Y = 120;
const RADIUS = 6;
/** Marks on the same slot stack upwards, this many high; the top one then stands for the rest. */
const STACK = 8;

function plural(n: number, one: string, many = `${one}s`): string {
  return `${n} ${n === 1 ? one : many}`;
}

function markLabel(m: Mark): string {
  const left = m.days_left < 0 ? `expired ${plural(-m.days_left, "day")} ago` : `${plural(m.days_left, "day")} left`;
  const tracked = m.tracked ? " (tracked: renewed where it was issued)" : "";
  return `${m.name}${tracked}: ${STATES[m.state]}, expires ${formatDate(m.not_after)}, ${left}`;
}

/** The states, the most pressing first: the order marks stack in within a slot. */
const PRESSING = Object.keys(STATES) as MarkState[];

/**
 * The timeline: one mark per certificate at its days left, from 0 (and the expired, at the left
 * edge) to the horizon (and those beyond it, at the right edge). Marks on one slot stack
 * STACK high, the most pressing lowest; a fuller slot's top mark stands for the rest ("+N
 * more", in the most pressing of their states) and opens the Certificates tab, so that ten
 * thousand certificates draw a few hundred marks, not ten thousand overlapping ones.
 */
function timeline(o: Overview, open: (id: string) => void, more: () => void): SVGSVGElement {
  const span = WIDTH - LEFT - RIGHT;
  const x = (days: number) => LEFT + (Math.min(Math.max(days, 0), o.horizon_days) / o.horizon_days) * span;
  const svg = s("svg", {
    id: "overview-chart",
    class: "timeline",
    viewBox: `0 0 ${WIDTH} ${HEIGHT}`,
    role: "group",
    "aria-label": `Expiries over the coming ${o.horizon_days} days, one mark per certificate or per group of many`,
  });
  svg.append(
    s("rect", { class: "tl-soon", x: LEFT, y: 8, width: x(o.expiring_days) - LEFT, height: AXIS_Y - 8 }),
    s("line", { class: "tl-axis", x1: LEFT, y1: AXIS_Y, x2: WIDTH - RIGHT, y2: AXIS_Y }),
  );
  for (let d = 0; d <= o.horizon_days; d += 15) {
    const label = d === o.horizon_days ? `${d}+ days` : d === 0 ? "today" : `${d}`;
    svg.append(
      s("line", { class: "tl-tick", x1: x(d), y1: AXIS_Y, x2: x(d), y2: AXIS_Y + 5 }),
      s("text", { class: "tl-label", x: x(d), y: AXIS_Y + 20, "text-anchor": d === o.horizon_days ? "end" : "middle", "aria-hidden": "true" }, label),
    );
  }
  const slots = new Map<number, Mark[]>();
  for (const m of o.marks) {
    const slot = Math.round(x(m.days_left) / (RADIUS * 2));
    const marks = slots.get(slot);
    if (marks) marks.push(m);
    else slots.set(slot, [m]);
  }
  const markAt = (cx: number, k: number, state: MarkState, label: string, onClick: () => void, data: Record<string, string>) => {
    const mark = s(
      "a",
      { class: `tl-mark mark-${state}`, href: "#", role: "button", "data-state": state, "aria-label": label, ...data },
      s("circle", { cx, cy: AXIS_Y - RADIUS - 3 - k * (RADIUS * 2 + 2), r: RADIUS }),
      s("title", {}, label),
    );
    mark.addEventListener("click", (e) => {
      e.preventDefault();
      onClick();
    });
    svg.append(mark);
  };
  for (const marks of slots.values()) {
    marks.sort((a, b) => PRESSING.indexOf(a.state) - PRESSING.indexOf(b.state));
    const shown = marks.length > STACK ? marks.slice(0, STACK - 1) : marks;
    shown.forEach((m, k) => {
      markAt(x(m.days_left), k, m.state, markLabel(m), () => open(m.id), { "data-mark": m.id });
    });
    const rest = marks.slice(shown.length);
    if (rest.length) {
      const label = `${plural(rest.length, "more certificate")} expiring about then: open the Certificates tab`;
      markAt(x(rest[0].days_left), shown.length, rest[0].state, label, more, { "data-more": String(rest.length) });
    }
  }
  return svg;
}

function legend(o: Overview): HTMLElement {
  const used = (Object.keys(STATES) as MarkState[]).map((state) => ({ state, n: o.marks.filter((m) => m.state === state).length }));
  return h(
    "ul",
    { class: "tl-legend", "aria-label": "Legend" },
    ...used.map(({ state, n }) => h("li", {}, h("span", { class: `swatch mark-${state}`, "aria-hidden": "true" }), `${STATES[state]} (${n})`)),
    h("li", {}, h("span", { class: "swatch tl-soon", "aria-hidden": "true" }), `${o.expiring_days} days or fewer left`),
  );
}

/** The chart in words, for who does not see it. */
function chartText(o: Overview): string {
  const ahead = o.marks.filter((m) => m.state !== "revoked" && m.state !== "expired" && m.days_left <= o.horizon_days);
  if (!o.marks.length) return "No certificate is saved yet.";
  const first = ahead[0];
  return first
    ? `${plural(ahead.length, "certificate")} ${ahead.length === 1 ? "expires" : "expire"} within ${o.horizon_days} days; the first, ${first.name}, in ${plural(first.days_left, "day")}.`
    : `No certificate expires within ${o.horizon_days} days.`;
}

function counts(o: Overview, ctx: Ctx): HTMLElement {
  const c = o.counts;
  const card = (id: string, n: number, label: string, kind: string, tab: string) =>
    h(
      "button",
      { type: "button", class: `count count-${kind}${n ? "" : " zero"}`, id: `count-${id}`, "data-count": n, onclick: () => ctx.goTo(tab) },
      h("span", { class: "count-n" }, n),
      h("span", { class: "count-label" }, label),
    );
  return h(
    "div",
    { class: "counts", role: "group", "aria-label": "Counts" },
    card("valid", c.valid, "Valid", "valid", "certificates"),
    card("expiring", c.expiring, `Expiring within ${o.expiring_days} days`, "expiring", "certificates"),
    card("failing", c.failing, "Renewals failing", "failing", "certificates"),
    card("waiting", c.waiting, "Waiting for you", "waiting", "requests"),
    c.expired || c.revoked ? h("p", { class: "muted count-more" }, `Also ${c.expired} expired and ${c.revoked} revoked.`) : null,
  );
}

function scheduler(o: Overview, ctx: Ctx): HTMLElement {
  const health = o.scheduler;
  const failing = health.failing;
  return h(
    "section",
    { class: "ov-box", id: "overview-scheduler", "aria-labelledby": "ov-sched-title" },
    h("h3", { id: "ov-sched-title" }, "Renewal scheduler"),
    h(
      "dl",
      { class: "ov-kv" },
      h("dt", {}, "Last pass"),
      h("dd", { id: "ov-sched-last" }, health.last_run ? formatDate(health.last_run) : "none since certdesk started"),
      h("dt", {}, "Next pass"),
      h("dd", { id: "ov-sched-next" }, health.next_run ? formatDate(health.next_run) : "not scheduled"),
      h("dt", {}, "Failing"),
      h("dd", { id: "ov-sched-failing" }, failing.length ? plural(failing.length, "renewal") : "none"),
    ),
    failing.length
      ? h(
          "ul",
          { class: "ov-list" },
          ...failing.slice(0, 3).map((p) =>
            h(
              "li",
              {},
              h("button", { type: "button", class: "link", onclick: () => ctx.openCert(p.id) }, p.names[0] ?? p.id),
              ` — ${plural(p.failures, "failure")}${p.next_attempt ? `, next try ${formatDate(p.next_attempt)}` : ""}${p.last_error ? `: ${p.last_error}` : ""}`,
            ),
          ),
        )
      : null,
    health.skipped.length ? h("p", { class: "muted" }, `${plural(health.skipped.length, "damaged record")} left out of the last pass.`) : null,
  );
}

/** What waits, as the count and the kind: "2 requests wait for a challenge to be published". */
function actionWords(a: NextAction): string {
  const n = a.requests.length;
  const reqs = plural(n, "request");
  const wait = n === 1 ? "waits" : "wait";
  switch (a.step.step) {
    case "publish":
      return `${reqs} ${wait} for a challenge to be published`;
    case "verify":
      return `${reqs} ${wait} for Verify`;
    case "resume":
      return `${reqs} ${n === 1 ? "was" : "were"} cut off and ${wait} to be resumed`;
    case "save":
      return `${reqs} ${wait} to be saved`;
    case "new_challenge":
      return `${reqs} failed and ${wait} for a new challenge`;
    case "renew":
      return `${plural(n, "certificate")} ${wait} to be renewed by hand`;
    case "deploy":
      return `${plural(n, "certificate")} failed to deploy`;
    default:
      return `${reqs} ${wait}: ${stepText(a.step)}`;
  }
}

/** The button that takes the first request of an action where its step is done, if there is one. */
function actionButton(step: NextStep, first: string, ctx: Ctx): HTMLElement | null {
  const go = (label: string, fn: () => void) => h("button", { type: "button", class: "ov-action-go", onclick: fn }, label);
  if (step.step === "renew") return go("Open the certificate", () => ctx.openCert(step.cert));
  if (step.step === "deploy") return go("Open the certificate", () => ctx.openCert(step.cert));
  if ("request" in step) return go("Open the request", () => ctx.openChallenge(first));
  return null;
}

function actions(o: Overview, ctx: Ctx): HTMLElement {
  return h(
    "section",
    { class: "ov-box", id: "overview-actions", "aria-labelledby": "ov-actions-title" },
    h("h3", { id: "ov-actions-title" }, "Next actions"),
    o.actions.length
      ? h(
          "ul",
          { class: "ov-list" },
          ...o.actions.map((a) =>
            h("li", { "data-step": a.step.step }, h("span", {}, actionWords(a)), " ", actionButton(a.step, a.requests[0], ctx)),
          ),
        )
      : h("p", { class: "muted" }, "Nothing waits for you."),
  );
}

/** One endpoint's findings, each in words; a drift's certificate is a button to it. */
function alertItem(a: EndpointCheck, ctx: Ctx): HTMLElement {
  const kinds = a.findings.map((f) => kindWords(f.kind)).join(", ");
  return h(
    "li",
    { "data-endpoint": a.endpoint },
    h("strong", {}, a.endpoint),
    a.sni !== a.endpoint.replace(/:\d+$/, "") ? ` (${a.sni})` : "",
    ` — ${kinds}`,
    h(
      "ul",
      { class: "ov-findings" },
      ...a.findings.map((f) =>
        h(
          "li",
          { "data-kind": f.kind },
          f.detail,
          f.cert ? " " : null,
          f.cert ? h("button", { type: "button", class: "link", onclick: () => ctx.openCert(f.cert as string) }, "Open the certificate") : null,
        ),
      ),
    ),
  );
}

function endpoints(o: Overview, ctx: Ctx): HTMLElement | null {
  const e = o.endpoints;
  if (!e.watched) return null;
  const checked = e.unchecked ? `; ${plural(e.unchecked, "endpoint")} not checked yet (the scheduler's next pass checks it)` : "";
  return h(
    "section",
    { class: "ov-box", id: "overview-endpoints", "aria-labelledby": "ov-endpoints-title" },
    h("h3", { id: "ov-endpoints-title" }, "Watched endpoints"),
    h(
      "p",
      { id: "ov-endpoints-summary" },
      `${plural(e.watched, "endpoint")} watched, ${e.alerts.length ? `${e.alerts.length} with findings` : "nothing found"}${checked}.`,
    ),
    e.alerts.length ? h("ul", { class: "ov-list" }, ...e.alerts.map((a) => alertItem(a, ctx))) : null,
  );
}

export function overviewTab(ctx: Ctx): Tab {
  const panel = h("section", { class: "overview" });
  const error = errorSlot("overview-error");
  const body = h("div", { id: "overview-body" });
  panel.append(error, body);

  const load = async () => {
    try {
      const [o, accounts] = await Promise.all([api.overview(), api.accounts()]);
      showError(error, null);
      const chart = o.marks.length
        ? h(
            "figure",
            { class: "ov-chart" },
            timeline(o, (id) => ctx.openCert(id), () => ctx.goTo("certificates")),
            h("figcaption", { id: "overview-chart-text" }, chartText(o)),
            legend(o),
          )
        : accounts.length
          ? emptyState(
              "No certificates yet",
              "Create a request in the Requests tab; its certificate shows here once it is verified and saved.",
              goButton("overview-empty-go", "Create a request", () => ctx.goTo("requests")),
            )
          : emptyState(
              "No account yet",
              "Register an account at a CA in the Account tab, then create a request in the Requests tab.",
              goButton("overview-empty-go", "Register an account", () => ctx.goTo("account")),
            );
      clear(
        body,
        counts(o, ctx),
        h("h3", { class: "ov-heading" }, `Expiries over the coming ${o.horizon_days} days`),
        chart,
        h("div", { class: "ov-columns" }, scheduler(o, ctx), actions(o, ctx)),
        endpoints(o, ctx),
      );
      body.dataset.marks = String(o.marks.length);
    } catch (e) {
      clear(body);
      showError(error, e);
    }
  };

  ctx.on("certs", () => void load());
  ctx.on("requests", () => void load());
  ctx.on("accounts", () => void load());
  ctx.on("endpoints", () => void load());
  return { id: "overview", label: "Overview", panel, show: () => void load() };
}
