// The Endpoints tab: the TLS endpoints certdesk watches — what each served at its last check and
// what is wrong with it — with the form that adds one, Check now and Delete. A drifted endpoint
// offers Deploy now through the deploy mapping that should have installed the current version.
// The scheduler checks every endpoint every 6 hours by itself. Discovery scans the hosts or the
// range and the ports the administrator names, with its progress, and watches what it found in
// one click.

import { listen } from "@tauri-apps/api/event";
import { api, EndpointCheck, Finding, FindingKind, ScanReport, Starttls } from "../api";
import { Ctx, Tab } from "../app";
import {
  badge,
  busy,
  clear,
  confirmDialog,
  emptyState,
  errorSlot,
  field,
  formatDate,
  FormFields,
  h,
  select,
  showError,
  showFormError,
} from "../dom";

const STARTTLS: { id: "" | Starttls; label: string }[] = [
  { id: "", label: "None: TLS from the start" },
  { id: "smtp", label: "SMTP (port 25, 587)" },
  { id: "imap", label: "IMAP (port 143)" },
  { id: "pop3", label: "POP3 (port 110)" },
];

/** A finding's kind in words: "incomplete chain". */
export function kindWords(kind: FindingKind): string {
  return kind.replace(/_/g, " ");
}

/** A finding: its kind as a badge, its detail, and Deploy now for a drift with a mapping. */
function findingItem(f: Finding, deploy: (mapping: string, cert: string, b: HTMLButtonElement) => void): HTMLElement {
  const fix =
    f.kind === "drift" && f.mapping && f.cert
      ? h("button", { type: "button", class: "small", "data-deploy": f.mapping, onclick: (e: Event) => deploy(f.mapping as string, f.cert as string, e.currentTarget as HTMLButtonElement) }, "Deploy now")
      : null;
  return h("li", { "data-kind": f.kind }, badge(kindWords(f.kind), "warn"), " ", f.detail, fix ? " " : null, fix);
}

function served(c: EndpointCheck): HTMLElement {
  if (!c.checked_at) return h("span", { class: "muted" }, "not checked yet");
  if (!c.serial) return h("span", { class: "muted" }, "nothing served");
  return h("span", {}, c.names.join(", ") || "no names", h("div", { class: "muted small-text" }, `serial ${c.serial}`));
}

export function endpointsTab(ctx: Ctx): Tab {
  const panel = h("section", { class: "endpoints" });
  const error = errorSlot("endpoints-error");
  const body = h("div", { id: "endpoints-body" });

  const address = h("input", { id: "ep-address", type: "text", placeholder: "www.example.com:443", autocomplete: "off", spellcheck: "false" });
  const sni = h("input", { id: "ep-sni", type: "text", placeholder: "the host", autocomplete: "off", spellcheck: "false" });
  const starttls = select("ep-starttls", STARTTLS, "");
  const addressField = field("Endpoint (HOST:PORT)", address, "An IPv6 address in brackets: [2001:db8::1]:443.");
  const sniField = field("Server name (SNI)", sni, "The name to send and to match the certificate against, when it is not the host.");
  const starttlsField = field("STARTTLS", starttls);
  const fields: FormFields = {
    address: { field: addressField, control: address },
    sni: { field: sniField, control: sni },
  };
  const formError = errorSlot("ep-form-error");
  const add = h("button", { type: "submit", id: "ep-add" }, "Watch");
  const form = h(
    "form",
    { class: "ep-form", "aria-label": "Watch an endpoint" },
    h("div", { class: "ep-fields" }, addressField.wrap, sniField.wrap, starttlsField.wrap),
    h("div", { class: "actions start" }, add),
    formError,
  );
  const checkAll = h("button", { type: "button", id: "ep-check-all" }, "Check all now");

  const deploy = async (mapping: string, cert: string, b: HTMLButtonElement) => {
    try {
      await busy(b, "Deploying", () => api.deployNow(mapping, cert));
      showError(error, null);
      await load();
    } catch (e) {
      showError(error, e);
    }
  };

  const row = (c: EndpointCheck) =>
    h(
      "tr",
      { "data-endpoint": c.endpoint },
      h("th", { scope: "row" }, c.endpoint, c.sni !== c.endpoint.replace(/^\[|\]?:\d+$/g, "") ? h("div", { class: "muted small-text" }, `SNI ${c.sni}`) : null, c.starttls ? h("div", {}, badge(`STARTTLS ${c.starttls}`, "muted")) : null),
      h("td", {}, served(c)),
      h("td", {}, c.not_after ? formatDate(c.not_after) : "—"),
      h(
        "td",
        { class: "ep-findings" },
        !c.checked_at ? "—" : c.findings.length ? h("ul", {}, ...c.findings.map((f) => findingItem(f, deploy))) : badge("OK", "ok"),
        c.checked_at ? h("div", { class: "muted small-text" }, `checked ${formatDate(c.checked_at)}`) : null,
      ),
      h(
        "td",
        { class: "row-actions" },
        h("button", { type: "button", class: "small", "data-check": c.endpoint, onclick: (e: Event) => void check(c.endpoint, e.currentTarget as HTMLButtonElement) }, "Check now"),
        h("button", { type: "button", class: "small danger", onclick: () => void remove(c.endpoint) }, "Delete"),
      ),
    );

  const show = (list: EndpointCheck[]) => {
    body.dataset.endpoints = String(list.length);
    clear(
      body,
      list.length
        ? h(
            "table",
            { class: "table", "aria-label": "Watched endpoints", id: "ep-table" },
            h("thead", {}, h("tr", {}, ...["Endpoint", "Serves", "Expires", "Findings", ""].map((c) => h("th", { scope: "col" }, c)))),
            h("tbody", {}, ...list.map(row)),
          )
        : emptyState(
            "No endpoint is watched",
            "Add a server above (HOST:PORT): certdesk checks what it serves every 6 hours — expiry, names, chain, key, and whether it serves the current version of a certificate certdesk holds — and tells you what it finds.",
          ),
    );
  };

  const load = async () => {
    try {
      show(await api.endpoints());
      showError(error, null);
    } catch (e) {
      showError(error, e);
    }
  };

  const check = async (endpoint: string | null, b: HTMLButtonElement) => {
    try {
      await busy(b, "Checking", () => api.checkEndpoints(endpoint));
      showError(error, null);
      await load();
      ctx.changed("endpoints");
    } catch (e) {
      showError(error, e);
    }
  };

  const remove = async (endpoint: string) => {
    if (!(await confirmDialog(`Stop watching ${endpoint}?`, [h("p", {}, "Its last check is forgotten; the server is not touched.")], "Delete", true))) return;
    try {
      await api.deleteEndpoint(endpoint);
      await load();
      ctx.changed("endpoints");
    } catch (e) {
      showError(error, e);
    }
  };

  form.addEventListener("submit", async (e) => {
    e.preventDefault();
    try {
      await busy(add, "Adding", () => api.addEndpoint(address.value, sni.value.trim() || null, (starttls.value || null) as Starttls | null));
      showFormError(formError, fields, null);
      address.value = "";
      sni.value = "";
      starttls.value = "";
      await load();
      ctx.changed("endpoints");
    } catch (err) {
      showFormError(formError, fields, err);
    }
  });
  checkAll.addEventListener("click", () => void check(null, checkAll));

  // Discovery.
  const hosts = h("input", { id: "scan-hosts", type: "text", placeholder: "10.0.0.0/28 or a.example.com,b.example.com", autocomplete: "off", spellcheck: "false" });
  const ports = h("input", { id: "scan-ports", type: "text", value: "443", autocomplete: "off", spellcheck: "false" });
  const hostsField = field("Hosts or range", hosts, "A list of hosts (H,H,…) or one range (CIDR), at most 1,024 addresses.");
  const portsField = field("Ports", ports, "P,P,… — at most 32 ports and 4,096 probes in all.");
  const scanGo = h("button", { type: "submit", id: "scan-go" }, "Scan");
  const meter = h("progress", { id: "scan-progress", max: 1, value: 0, "aria-label": "Scan progress" });
  meter.hidden = true;
  const scanError = errorSlot("scan-error");
  const found = h("div", { id: "scan-found" });
  const scanForm = h(
    "form",
    { class: "ep-form", "aria-label": "Scan for endpoints" },
    h("div", { class: "ep-fields" }, hostsField.wrap, portsField.wrap),
    h("div", { class: "actions start" }, scanGo, meter),
    scanError,
  );

  const watch = async (c: EndpointCheck, b: HTMLButtonElement) => {
    await busy(b, "Watching", async () => {
      await api.addEndpoint(c.endpoint, null, null);
      await api.checkEndpoints(c.endpoint);
    });
    b.disabled = true;
    b.textContent = "Watched";
  };

  const showScan = async (report: ScanReport) => {
    const watched = new Set((await api.endpoints()).map((e) => e.endpoint));
    const s = report.summary;
    const pending: [EndpointCheck, HTMLButtonElement][] = [];
    const rows = report.found.map((c) => {
      const b = h("button", { type: "button", class: "small", "data-watch": c.endpoint }, watched.has(c.endpoint) ? "Watched" : "Watch");
      b.disabled = watched.has(c.endpoint);
      if (!b.disabled) pending.push([c, b]);
      b.addEventListener("click", () => void watch(c, b).then(load, (e) => showError(scanError, e)));
      const kinds = c.findings.map((f) => kindWords(f.kind)).join(", ");
      return h("li", { "data-found": c.endpoint }, h("strong", {}, c.endpoint), ` — ${c.names.join(", ") || "no names"}${kinds ? ` — ${kinds}` : ""} `, b);
    });
    const all = h("button", { type: "button", id: "scan-watch-all" }, `Watch all ${pending.length}`);
    all.addEventListener("click", async () => {
      try {
        await busy(all, "Watching", async () => {
          for (const [c, b] of pending) if (!b.disabled) await watch(c, b);
        });
        await load();
      } catch (e) {
        showError(scanError, e);
      }
    });
    clear(
      found,
      h(
        "p",
        { id: "scan-summary" },
        `Probed ${report.scanned.hosts} on ${report.scanned.ports.length === 1 ? "port" : "ports"} ${report.scanned.ports.join(", ")}: ${s.probed} probes, ${s.tls} answered TLS, ${s.not_tls} spoke something else, ${s.no_answer} did not answer.`,
      ),
      rows.length ? h("ul", { class: "ov-list" }, ...rows) : null,
      pending.length > 1 ? all : null,
    );
  };

  scanForm.addEventListener("submit", async (e) => {
    e.preventDefault();
    meter.value = 0;
    meter.hidden = false;
    const stop = await listen<{ done: number; total: number }>("scan-progress", (ev) => {
      meter.max = ev.payload.total;
      meter.value = ev.payload.done;
    });
    try {
      const report = await busy(scanGo, "Scanning", () => api.scanEndpoints(hosts.value, ports.value));
      showError(scanError, null);
      await showScan(report);
    } catch (err) {
      clear(found);
      showError(scanError, err);
    } finally {
      stop();
      meter.hidden = true;
    }
  });

  panel.append(
    h("h2", {}, "Endpoints"),
    h("p", { class: "muted" }, "Servers certdesk watches for what they serve, whoever issued it; checked every 6 hours and now with Check. It connects only to the endpoints listed here."),
    form,
    h("div", { class: "actions start" }, checkAll),
    error,
    body,
    h("h3", {}, "Discover endpoints"),
    h("p", { class: "muted" }, "Probes only the hosts and ports you name here, 16 at a time, 3 seconds each at most, and watches nothing until you say so."),
    scanForm,
    found,
  );
  return { id: "endpoints", label: "Endpoints", panel, show: () => void load() };
}
