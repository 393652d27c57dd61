// The Certificates tab: the repository as a searchable, sortable list (virtual, so ten thousand
// rows filter and scroll at once), a details pane, and the actions on a certificate: save its
// keystore, export, e-mail, renew, revoke, delete, history; and importing one certdesk did not
// issue, to track it.

import { api, CertDetails, CertSummary, Damaged, ExportFormat, RevocationReason } from "../api";
import { Ctx, Tab } from "../app";
import { stageLine } from "../progress";
import {
  badge,
  busy,
  clear,
  confirmDialog,
  copyButton,
  damagedRows,
  emptyState,
  errorSlot,
  field,
  formatDate,
  goButton,
  h,
  modal,
  select,
  showError,
} from "../dom";
import { pathField } from "../files";

const ROW_HEIGHT = 34;

interface Row {
  cert: CertSummary;
  /** Everything the search box matches, lower-cased once. */
  haystack: string;
  firstName: string;
  notAfter: number;
  notBefore: number;
}

type DaysFilter = "all" | "expired" | "7" | "30" | "over30" | "revoked";
type Sort = "expiry" | "expiry-desc" | "name" | "issued-desc";

function toRow(c: CertSummary): Row {
  return {
    cert: c,
    haystack: [c.id, c.serial, c.issuer, c.key_type, ...c.names].join(" ").toLowerCase(),
    firstName: c.names[0] ?? c.id,
    notAfter: Date.parse(c.not_after),
    notBefore: Date.parse(c.not_before),
  };
}

function matchesDays(c: CertSummary, f: DaysFilter): boolean {
  switch (f) {
    case "all":
      return true;
    case "expired":
      return c.status === "expired";
    case "revoked":
      return c.status === "revoked";
    case "7":
      return c.status === "valid" && c.days_left <= 7;
    case "30":
      return c.status === "valid" && c.days_left <= 30;
    case "over30":
      return c.status === "valid" && c.days_left > 30;
  }
}

const SORTS: Record<Sort, (a: Row, b: Row) => number> = {
  expiry: (a, b) => a.notAfter - b.notAfter,
  "expiry-desc": (a, b) => b.notAfter - a.notAfter,
  name: (a, b) => (a.firstName < b.firstName ? -1 : a.firstName > b.firstName ? 1 : 0),
  "issued-desc": (a, b) => b.notBefore - a.notBefore,
};

/**
 * Filters the rows, keeping the order of `sorted`: the one place that decides what the list shows.
 * Sorting happens once per sort order (see `sortedBy`), so a keystroke costs one pass.
 */
export function filterRows(sorted: Row[], query: string, days: DaysFilter): Row[] {
  const terms = query.toLowerCase().split(/\s+/).filter(Boolean);
  return sorted.filter((r) => matchesDays(r.cert, days) && terms.every((t) => r.haystack.includes(t)));
}

function daysBadge(c: CertSummary): HTMLElement {
  if (c.status === "revoked") return badge("Revoked", "muted");
  if (c.status === "expired") return badge("Expired", "error");
  const kind = c.days_left <= 7 ? "error" : c.days_left <= 30 ? "warn" : "ok";
  return badge(`${c.days_left} d`, kind);
}

function shortIssuer(dn: string): string {
  const cn = /CN=([^,]+)/.exec(dn);
  return cn ? cn[1] : dn;
}

function exportDialog(d: CertDetails, ctx: Ctx, keystoreOnly: boolean): void {
  const formats = ctx.info.choices.export_formats;
  const keystoreId = d.request?.keystore ?? "pem";
  modal(
    keystoreOnly ? `Save the ${keystoreId.toUpperCase()} keystore of ${d.names[0]}` : `Export ${d.names[0]}`,
    (close) => {
      const format = select("exp-format", formats.map((f) => ({ id: f.id, label: `${f.label} (.${f.extension})` })), keystoreId);
      format.disabled = keystoreOnly;
      const password = h("input", { id: "exp-password", type: "password", autocomplete: "new-password" });
      const passwordField = field(
        "Password",
        password,
        "Leave empty to use the request's keystore password (it is never shown).",
      );
      const path = pathField("Save to", "exp-path", "save", "Written readable by you only (mode 0600).");
      const sync = () => {
        const f = formats.find((x) => x.id === format.value);
        passwordField.wrap.hidden = keystoreOnly || !f?.needs_password;
        path.suggest(`${d.names[0]?.replace("*", "wildcard") ?? d.id}.${f?.extension ?? "pem"}`);
      };
      format.addEventListener("change", sync);
      sync();
      const submit = h("button", { id: "exp-submit", type: "submit", class: "primary" }, keystoreOnly ? "Save" : "Export");
      const error = errorSlot("exp-error");
      const form = dialogForm(close, submit, error, [field("Format", format).wrap, passwordField.wrap, path.wrap], async () => {
        const pw = passwordField.wrap.hidden ? null : password.value || null;
        const written = await busy(submit, "Writing", () => api.exportCert(d.id, format.value as ExportFormat, pw, path.input.value));
        showDone(form, close, "exp-done", `Written to ${written}.`);
      });
      return [form];
    },
    "export-dialog",
  );
}

/** Tracks a certificate certdesk did not issue: the engine reads the file (PEM, DER, PKCS#12,
 * JKS) at the path given, so the page sends only the path, the keystore's password and a label. */
function importDialog(done: (id: string) => void): void {
  modal(
    "Import a certificate to track",
    (close) => {
      const path = pathField("Certificate file", "imp-path", "open", "PEM, DER, PKCS#12 (.p12, .pfx) or Java KeyStore (.jks), with or without its private key.");
      const password = h("input", { id: "imp-password", type: "password", autocomplete: "off" });
      const label = h("input", { id: "imp-label", type: "text", autocomplete: "off", maxlength: "64" });
      const submit = h("button", { id: "imp-submit", type: "submit", class: "primary" }, "Import");
      const error = errorSlot("imp-error");
      const intro = h("p", { class: "muted" }, "A tracked certificate is listed, noticed before it expires and exported like certdesk's own, but certdesk does not renew it.");
      const fields = [intro, path.wrap, field("Password", password, "Only for a PKCS#12 or JKS file.").wrap, field("Name", label, "Optional: shown beside its names.").wrap];
      const form = dialogForm(close, submit, error, fields, async () => {
        const imported = await busy(submit, "Importing", () => api.importCert(path.input.value, password.value || null, label.value || null));
        close();
        done(imported.id);
      });
      return [form];
    },
    "import-dialog",
  );
}

/** E-mails the certificate through the SMTP server of Settings. A private key travels only inside
 * a password-protected keystore; PEM carries the certificate and its chain only. */
function mailDialog(d: CertDetails): void {
  modal(
    `E-mail ${d.names[0]}`,
    (close) => {
      const to = h("input", { id: "mail-to", type: "email", autocomplete: "email" });
      const format = select(
        "mail-format",
        [
          { id: "pkcs12", label: "PKCS#12 with the private key (password protected)" },
          { id: "jks", label: "Java KeyStore with the private key (password protected)" },
          { id: "pem", label: "PEM: certificate and chain, no private key" },
        ],
        d.request?.keystore === "jks" ? "jks" : "pkcs12",
      );
      const password = h("input", { id: "mail-password", type: "password", autocomplete: "new-password" });
      const passwordField = field(
        "Keystore password",
        password,
        "Leave empty to use the request's keystore password. It is not put in the mail: tell the recipient another way.",
      );
      const message = h("textarea", { id: "mail-message", rows: 3 });
      const sync = () => {
        passwordField.wrap.hidden = format.value === "pem";
      };
      format.addEventListener("change", sync);
      sync();
      const submit = h("button", { id: "mail-submit", type: "submit", class: "primary" }, "Send");
      const error = errorSlot("mail-error");
      const fields = [field("To", to).wrap, field("Format", format).wrap, passwordField.wrap, field("Message (optional)", message).wrap];
      const form = dialogForm(close, submit, error, fields, async () => {
        const sent = await busy(submit, "Sending", () =>
          api.mailCert(d.id, {
            to: to.value,
            format: format.value as "pkcs12" | "jks" | "pem",
            password: passwordField.wrap.hidden ? undefined : password.value || undefined,
            message: message.value || undefined,
          }),
        );
        showDone(form, close, "mail-done", `Sent to ${sent.to} through ${sent.server}.`);
      });
      return [form];
    },
    "mail-dialog",
  );
}

function revokeDialog(d: CertDetails, ctx: Ctx, done: () => void): void {
  modal(
    `Revoke ${d.names[0]}`,
    (close) => {
      const reason = select("revoke-reason", ctx.info.choices.revocation_reasons, "unspecified");
      const submit = h("button", { id: "revoke-submit", type: "submit", class: "danger" }, "Revoke at the CA");
      const error = errorSlot("revoke-error");
      const warning = h("p", { class: "warn" }, "Revocation is final: clients stop trusting this certificate. Choose key compromise if the private key leaked.");
      const form = dialogForm(close, submit, error, [warning, field("Reason (RFC 5280)", reason).wrap], async () => {
        await busy(submit, "Revoking", () => api.revoke(d.id, reason.value as RevocationReason));
        done();
        close();
      });
      return [form];
    },
    "revoke-dialog",
  );
}

async function historyDialog(d: CertDetails): Promise<void> {
  const versions = await api.history(d.id);
  modal(
    `History of ${d.names[0]}`,
    (close) => [
      h(
        "table",
        { class: "table", "aria-label": "Versions, oldest first", id: "history-table" },
        h("thead", {}, h("tr", {}, ...["#", "Serial", "Not before", "Not after", "Saved", "Issued by", "Revoked"].map((c) => h("th", { scope: "col" }, c)))),
        h(
          "tbody",
          {},
          ...versions.map((v, i) =>
            h(
              "tr",
              {},
              h("td", {}, i + 1),
              h("td", {}, h("code", {}, v.serial)),
              h("td", {}, formatDate(v.not_before)),
              h("td", {}, formatDate(v.not_after)),
              h("td", {}, formatDate(v.saved)),
              h("td", {}, v.issued_by ? `${v.issued_by.account} — ${v.issued_by.directory_url}` : "the request's account"),
              h("td", {}, v.revoked ? `${v.revoked.reason}, ${formatDate(v.revoked.at)}` : "—"),
            ),
          ),
        ),
      ),
      h("div", { class: "actions" }, h("button", { type: "button", onclick: close }, "Close")),
    ],
    "history-dialog",
  );
}

function detailsView(d: CertDetails, ctx: Ctx, reload: () => void, error: HTMLElement): HTMLElement {
  const kv = (label: string, value: Node | string) => [h("dt", {}, label), h("dd", {}, value)];
  const act = (label: string, busyLabel: string, work: () => Promise<unknown>, cls = "") => {
    const b = h("button", { type: "button", class: cls }, label);
    b.addEventListener("click", async () => {
      showError(error, null);
      try {
        await busy(b, busyLabel, work);
      } catch (e) {
        showError(error, e);
      }
    });
    return b;
  };
  // The engine's stage while a renewal talks to the CA (the request keeps the certificate's id).
  const stage = stageLine("cert-renew-stage", () => d.id);
  const renew = act("Renew now", "Renewing", async () => {
    stage.start("Renewing");
    const r = await api.renew(d.id).finally(stage.stop);
    reload();
    ctx.changed("requests");
    if (r.status !== "renewed") ctx.openChallenge(r.id);
  });
  renew.id = "cert-renew";
  const save = h("button", { type: "button", id: "cert-save", onclick: () => exportDialog(d, ctx, true) }, "Save keystore…");
  const exp = h("button", { type: "button", id: "cert-export", class: "primary", onclick: () => exportDialog(d, ctx, false) }, "Export…");
  const mail = h("button", { type: "button", id: "cert-mail", onclick: () => mailDialog(d) }, "E-mail…");
  const revoke = h("button", { type: "button", id: "cert-revoke", class: "danger", disabled: d.status === "revoked", onclick: () => revokeDialog(d, ctx, reload) }, "Revoke…");
  const del = h("button", { type: "button", id: "cert-delete" }, "Delete…");
  del.addEventListener("click", async () => {
    const yes = await confirmDialog(
      `Delete ${d.names[0]} from the repository?`,
      [h("p", {}, "certdesk forgets this certificate and its request. The certificate stays valid at the CA until it expires: revoke it first if it must stop working.")],
      "Delete",
      true,
    );
    if (!yes) return;
    try {
      await api.deleteCert(d.id);
      reload();
      ctx.changed("requests");
    } catch (e) {
      showError(error, e);
    }
  });
  // A tracked certificate was issued elsewhere: certdesk neither renews nor revokes it, and it has
  // no request whose keystore to save.
  const tracked = d.origin.kind === "tracked";
  const replace = h(
    "button",
    {
      type: "button",
      id: "cert-replace",
      title: "A request for its names and key type at an ACME CA, which certdesk then renews",
      onclick: () => void api.certReplacement(d.id).then((r) => ctx.fillRequest(r), (e) => showError(error, e)),
    },
    "Replace with ACME",
  );
  const history = h("button", { type: "button", id: "cert-history", onclick: () => void historyDialog(d).catch((e) => showError(error, e)) }, `History (${d.versions})…`);
  return h(
    "div",
    { class: "details", "data-cert-details": d.id },
    h("h3", {}, d.names[0] ?? d.id, " ", daysBadge(d)),
    h("div", { class: "actions wrap" }, ...(tracked ? [exp, mail, replace] : [save, exp, mail, renew, revoke]), del, history),
    stage.el,
    h(
      "dl",
      { class: "facts" },
      ...(d.origin.kind === "tracked"
        ? kv(
            "Origin",
            h("span", { id: "cert-origin" }, `tracked: not renewed by certdesk${d.origin.label ? ` (${d.origin.label})` : ""}; imported ${formatDate(d.origin.imported)} from ${d.origin.file}${d.private_key ? "" : ", without its private key"}`),
          )
        : []),
      ...kv("Names (SANs)", h("ul", { class: "plain" }, ...d.names.map((n) => h("li", {}, n)))),
      ...kv("Valid", `${formatDate(d.not_before)} → ${formatDate(d.not_after)}`),
      ...kv("Days left", String(d.days_left)),
      ...kv("Serial", h("code", { id: "cert-serial", class: "selectable" }, d.serial)),
      ...kv("SHA-256", h("span", {}, h("code", { class: "selectable wrap-anywhere" }, d.sha256_fingerprint), " ", copyButton(d.sha256_fingerprint, "SHA-256 fingerprint"))),
      ...kv("Key", d.key_type),
      ...kv("Subject", d.subject),
      ...kv("Issuer", d.issuer),
      ...(d.revoked ? kv("Revoked", `${d.revoked.reason}, ${formatDate(d.revoked.at)}`) : []),
      ...(d.request
        ? kv("Request", `${d.request.challenge_type}, ${d.request.key}, ${d.request.signature}, keystore ${d.request.keystore}, key policy ${d.request.key_policy}`)
        : []),
    ),
    h("h4", {}, "Chain"),
    d.chain.length
      ? h(
          "ol",
          { class: "chain" },
          ...d.chain.map((c) =>
            h(
              "li",
              {},
              h("strong", {}, shortIssuer(c.subject)),
              h("div", { class: "muted small-text" }, `issued by ${shortIssuer(c.issuer)}, valid until ${formatDate(c.not_after)}`),
              h("div", { class: "muted small-text wrap-anywhere" }, `SHA-256 ${c.sha256_fingerprint}`),
            ),
          ),
        )
      : h("p", { class: "muted" }, "The CA sent no intermediates."),
  );
}

export function certificatesTab(ctx: Ctx): Tab {
  const panel = h("section", { class: "certs" });
  const search = h("input", { id: "cert-search", type: "search", placeholder: "Name, serial, issuer…", autocomplete: "off" });
  const days = select(
    "cert-days",
    [
      { id: "all", label: "All" },
      { id: "expired", label: "Expired" },
      { id: "7", label: "7 days left or fewer" },
      { id: "30", label: "30 days left or fewer" },
      { id: "over30", label: "More than 30 days left" },
      { id: "revoked", label: "Revoked" },
    ],
    "all",
  );
  const sort = select(
    "cert-sort",
    [
      { id: "expiry", label: "Expires soonest" },
      { id: "expiry-desc", label: "Expires latest" },
      { id: "name", label: "Name A–Z" },
      { id: "issued-desc", label: "Issued newest" },
    ],
    "expiry",
  );
  const shown = h("p", { id: "cert-count", class: "muted", "aria-live": "polite" });
  const listError = errorSlot("certs-error");
  const detailError = errorSlot("cert-detail-error");
  const details = h("div", { id: "cert-details", class: "details-pane", "aria-live": "polite" }, h("p", { class: "muted" }, "Choose a certificate to see its details."));

  const columns = ["Name", "Issuer", "Expires", "Left", "Key", "Serial"];
  const header = h("div", { class: "vrow vhead", role: "row", "aria-rowindex": 1 }, ...columns.map((c) => h("div", { role: "columnheader", class: "vcell" }, c)));
  const spacer = h("div", { class: "vspacer", role: "rowgroup" });
  const viewport = h("div", { class: "vviewport", role: "presentation" }, spacer);
  const list = h("div", { id: "cert-list", class: "vlist", role: "table", "aria-label": "Certificates", "aria-rowcount": "0" }, header, viewport);

  let rows: Row[] = [];
  let visible: Row[] = [];
  /** The rows in each sort order asked for so far; dropped when the rows are reloaded. */
  let sortedBy = new Map<Sort, Row[]>();
  const sorted = (order: Sort): Row[] => {
    let list = sortedBy.get(order);
    if (!list) {
      list = [...rows].sort(SORTS[order]);
      sortedBy.set(order, list);
    }
    return list;
  };
  let selected: string | null = null;

  const renderWindow = () => {
    const top = viewport.scrollTop;
    const height = viewport.clientHeight || 400;
    const first = Math.max(0, Math.floor(top / ROW_HEIGHT) - 5);
    const last = Math.min(visible.length, Math.ceil((top + height) / ROW_HEIGHT) + 5);
    const nodes: HTMLElement[] = [];
    for (let i = first; i < last; i++) {
      const r = visible[i];
      const c = r.cert;
      const isSel = c.id === selected;
      const row = h(
        "div",
        {
          class: `vrow${isSel ? " selected" : ""}`,
          role: "row",
          "aria-rowindex": i + 2,
          "aria-selected": String(isSel),
          tabindex: isSel || (selected === null && i === 0) ? "0" : "-1",
          "data-cert-id": c.id,
        },
        h("div", { role: "cell", class: "vcell name" }, r.firstName, c.names.length > 1 ? h("span", { class: "muted" }, ` +${c.names.length - 1}`) : null),
        h("div", { role: "cell", class: "vcell" }, shortIssuer(c.issuer)),
        h("div", { role: "cell", class: "vcell" }, c.not_after.slice(0, 10)),
        h("div", { role: "cell", class: "vcell" }, daysBadge(c)),
        h("div", { role: "cell", class: "vcell" }, c.key_type),
        h("div", { role: "cell", class: "vcell mono" }, c.serial.slice(0, 16)),
      );
      row.style.transform = `translateY(${i * ROW_HEIGHT}px)`;
      nodes.push(row);
    }
    spacer.replaceChildren(...nodes);
  };

  const apply = () => {
    const t0 = performance.now();
    visible = filterRows(sorted(sort.value as Sort), search.value, days.value as DaysFilter);
    const t1 = performance.now();
    spacer.style.height = `${visible.length * ROW_HEIGHT}px`;
    list.setAttribute("aria-rowcount", String(visible.length + 1));
    shown.textContent = `Showing ${visible.length} of ${rows.length} certificate${rows.length === 1 ? "" : "s"}`;
    renderWindow();
    // Read by the benchmark (bench/app.py): time to filter and sort, and to redraw.
    list.dataset.filterMs = (t1 - t0).toFixed(2);
    list.dataset.renderMs = (performance.now() - t1).toFixed(2);
  };

  const showDetails = async (id: string) => {
    selected = id;
    renderWindow();
    showError(detailError, null);
    try {
      const d = await api.certDetails(id);
      clear(details, detailsView(d, ctx, () => void load(), detailError), detailError);
    } catch (e) {
      clear(details, detailError);
      showError(detailError, e);
    }
  };

  // The virtual list holds certificates that read; those that do not are listed above it.
  const damagedList = h("div", { id: "certs-damaged" });
  const showDamaged = (damaged: Damaged[]) =>
    damaged.length
      ? clear(
          damagedList,
          h(
            "table",
            { class: "table", "aria-label": "Damaged certificates" },
            h("thead", {}, h("tr", {}, ...["ID", "Damaged"].map((c) => h("th", { scope: "col" }, c)))),
            h("tbody", {}, ...damagedRows(damaged, 2)),
          ),
        )
      : clear(damagedList);

  // With nothing saved, the list and its search give way to what to do next.
  const toolbar = h(
    "div",
    { class: "toolbar", role: "search" },
    field("Search", search).wrap,
    field("Days left", days).wrap,
    field("Sort", sort).wrap,
    shown,
    h("button", { type: "button", id: "cert-import", onclick: () => importDialog(opened) }, "Import…"),
  );
  const split = h("div", { class: "split" }, list, details);
  const empty = emptyState(
    "No certificates yet",
    "Create a request in the Requests tab and answer its challenges; once it is verified and saved, its certificate shows here, ready to export, e-mail, deploy and renew.",
    goButton("certs-empty-go", "Create a request", () => ctx.goTo("requests")),
    h("button", { type: "button", id: "certs-empty-import", onclick: () => importDialog(opened) }, "Import a certificate…"),
  );
  empty.id = "certs-empty";
  empty.hidden = true;

  const load = async () => {
    try {
      const [certs, damaged] = await Promise.all([api.certs(), api.damaged("certificates")]);
      rows = certs.map(toRow);
      sortedBy = new Map();
      showError(listError, null);
      showDamaged(damaged);
      empty.hidden = rows.length > 0 || damaged.length > 0;
      toolbar.hidden = split.hidden = !empty.hidden;
      apply();
      if (selected && rows.some((r) => r.cert.id === selected)) void showDetails(selected);
      else if (selected) {
        selected = null;
        clear(details, h("p", { class: "muted" }, "Choose a certificate to see its details."));
      }
    } catch (e) {
      showError(listError, e);
    }
  };

  /** After an import: the list again, with the new certificate's details open. */
  const opened = (id: string) => {
    selected = id;
    void load();
  };

  viewport.addEventListener("scroll", () => renderWindow(), { passive: true });
  viewport.addEventListener("click", (e) => {
    const row = (e.target as HTMLElement).closest<HTMLElement>("[data-cert-id]");
    if (row?.dataset.certId) void showDetails(row.dataset.certId);
  });
  viewport.addEventListener("keydown", (e) => {
    const row = (e.target as HTMLElement).closest<HTMLElement>("[data-cert-id]");
    if (!row) return;
    const i = visible.findIndex((r) => r.cert.id === row.dataset.certId);
    if (e.key === "Enter" || e.key === " ") {
      e.preventDefault();
      void showDetails(row.dataset.certId!);
    } else if (e.key === "ArrowDown" || e.key === "ArrowUp") {
      e.preventDefault();
      const next = visible[i + (e.key === "ArrowDown" ? 1 : -1)];
      if (!next) return;
      selected = next.cert.id;
      const y = visible.indexOf(next) * ROW_HEIGHT;
      if (y < viewport.scrollTop || y > viewport.scrollTop + viewport.clientHeight - ROW_HEIGHT) viewport.scrollTop = y;
      renderWindow();
      viewport.querySelector<HTMLElement>(`[data-cert-id="${CSS.escape(next.cert.id)}"]`)?.focus();
      void showDetails(next.cert.id);
    }
  });
  search.addEventListener("input", apply);
  days.addEventListener("change", apply);
  sort.addEventListener("change", apply);

  panel.append(toolbar, listError, damagedList, empty, split);
  ctx.on("certs", () => void load());
  // Showing the tab loads the list, which opens the selected certificate's details.
  ctx.openCert = (id) => {
    selected = id;
    ctx.goTo("certificates");
  };
  return { id: "certificates", label: "Certificates", panel, show: () => void load() };
}

/** A dialog's form: `fields`, then Cancel and `submit`, then `error`. Submitting runs `action`
 * and shows what it throws in `error`, so each dialog says only what it sends. */
function dialogForm(close: () => void, submit: HTMLButtonElement, error: HTMLElement, fields: Node[], action: () => Promise<void>): HTMLFormElement {
  const form = h(
    "form",
    { novalidate: true },
    ...fields,
    h("div", { class: "actions" }, h("button", { type: "button", onclick: close }, "Cancel"), submit),
    error,
  );
  form.addEventListener("submit", async (e) => {
    e.preventDefault();
    showError(error, null);
    try {
      await action();
    } catch (err) {
      showError(error, err);
    }
  });
  return form;
}

/** Replaces a dialog's `form` with what it did (`text`, in the status `id`) and a Close button. */
function showDone(form: HTMLFormElement, close: () => void, id: string, text: string): void {
  clear(form, h("p", { class: "ok", role: "status", id }, text), h("div", { class: "actions" }, h("button", { type: "button", onclick: close }, "Close")));
}
