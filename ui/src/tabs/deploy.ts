// The Deploy tab: deploy mappings (how certdesk reaches an end server: SSH, or a paired agent)
// with whether they answer dns-01 and their last deployment's result and time; Add, Edit (the
// certificate files as rows), Test connection, Deploy now, which
// request deploys through a mapping, and Delete. Each kind's form is drawn from its field
// declarations (engine/src/deploy/<kind>.rs) by the shared builder (../config_form.ts). Test connection shows an unpinned SSH host key and pins it only on the admin's word.

import { api, MappingInfo, TargetSpec } from "../api";
import { Ctx, Tab } from "../app";
import { configFields, lastTest } from "../config_form";
import { badge, busy, clear, confirmDialog, damagedRows, emptyState, errorSlot, field, formatDate, h, modal, select, showError } from "../dom";

/** engine `deploy::FileFormat`, in the order an administrator reaches for them. */
const FILE_FORMATS = ["fullchain", "key", "cert", "chain", "pkcs12", "jks"];

interface FileRow {
  path: string;
  format: string;
  owner?: string;
  mode?: string;
}

/**
 * The `files` field as rows (path, format, owner, mode) rather than JSON to type. Its value is
 * still the JSON list the engine checks, so the engine's messages about a row apply as written.
 */
function filesEditor(label: string, help: string, stored: string): { wrap: HTMLElement; value: () => string } {
  let rows: FileRow[] = [];
  try {
    const parsed: unknown = stored ? JSON.parse(stored) : [];
    if (Array.isArray(parsed)) rows = parsed as FileRow[];
  } catch {
    // A stored value that is not a list starts the editor empty; saving replaces it.
  }
  if (!rows.length) rows = [{ path: "", format: "fullchain" }];
  const list = h("div", { id: "deploy-files" });
  const draw = () => {
    clear(
      list,
      ...rows.map((row, i) => {
        const n = i + 1;
        const text = (key: "path" | "owner" | "mode", placeholder: string) => {
          const input = h("input", {
            id: `deploy-file-${n}-${key}`,
            type: "text",
            autocomplete: "off",
            spellcheck: "false",
            placeholder,
            "aria-label": `File ${n} ${key}`,
            value: row[key] ?? "",
          });
          input.addEventListener("input", () => (row[key] = input.value));
          return input;
        };
        const format = select(
          `deploy-file-${n}-format`,
          FILE_FORMATS.map((f) => ({ id: f, label: f })),
          row.format,
        );
        format.setAttribute("aria-label", `File ${n} format`);
        format.addEventListener("change", () => (row.format = format.value));
        const remove = h("button", { type: "button", class: "small", "aria-label": `Remove file ${n}` }, "Remove");
        remove.addEventListener("click", () => {
          rows.splice(i, 1);
          draw();
        });
        return h("div", { class: "file-row" }, text("path", "/etc/nginx/tls/site.pem"), format, text("owner", "owner (optional)"), text("mode", "mode, e.g. 0640"), remove);
      }),
    );
  };
  draw();
  const add = h("button", { id: "deploy-file-add", type: "button", class: "small" }, "Add a file");
  add.addEventListener("click", () => {
    rows.push({ path: "", format: rows.length ? "key" : "fullchain" });
    draw();
  });
  const wrap = h("fieldset", {}, h("legend", {}, label), h("p", { class: "muted" }, help), list, h("div", { class: "actions start" }, add));
  const value = () => {
    const filled = rows
      .filter((r) => r.path.trim() || r.owner?.trim() || r.mode?.trim())
      .map((r) => ({
        path: r.path.trim(),
        format: r.format,
        ...(r.owner?.trim() ? { owner: r.owner.trim() } : {}),
        ...(r.mode?.trim() ? { mode: r.mode.trim() } : {}),
      }));
    return filled.length ? JSON.stringify(filled) : "";
  };
  return { wrap, value };
}

function mappingDialog(kinds: TargetSpec[], existing: MappingInfo | null, done: () => void): void {
  modal(existing ? `Edit ${existing.name}` : "Add a deploy mapping", (close) => {
    const name = h("input", { id: "deploy-name", type: "text", value: existing?.name ?? "", autocomplete: "off" });
    const kind = select(
      "deploy-kind",
      kinds.map((k) => ({ id: k.kind, label: k.label })),
      existing?.kind ?? kinds[0]?.kind,
    );
    if (existing) kind.disabled = true;
    const config = configFields({
      prefix: "deploy",
      multiline: ["private_key"],
      custom: (f, stored) => (f.name === "files" ? filesEditor(`${f.label}${f.required ? "" : " (optional)"}`, f.help, stored) : null),
    });
    const error = errorSlot("deploy-error");
    const submit = h("button", { id: "deploy-submit", type: "submit", class: "primary" }, "Save");
    const drawFields = () => config.draw(kinds.find((k) => k.kind === kind.value)?.fields ?? [], existing);
    kind.addEventListener("change", drawFields);
    drawFields();

    const form = h(
      "form",
      { novalidate: true },
      field("Name", name).wrap,
      field("Kind", kind).wrap,
      config.box,
      h("div", { class: "actions" }, h("button", { type: "button", onclick: close }, "Cancel"), submit),
      error,
    );
    form.addEventListener("submit", async (e) => {
      e.preventDefault();
      const { fields, secrets } = config.values();
      try {
        await busy(submit, "Saving", () =>
          api.saveDeployment({ original_name: existing?.name, name: name.value, kind: kind.value, fields, secrets }),
        );
        done();
        close();
      } catch (err) {
        showError(error, err);
      }
    });
    return [form];
  });
}

/** Connects and logs in without changing anything; an unpinned host key is shown to compare. */
function testDialog(mapping: MappingInfo, done: () => void): void {
  modal(`Test ${mapping.name}`, (close) => {
    const result = h("p", { id: "deploy-test-result", role: "status", "aria-live": "polite" }, "Connecting…");
    const pinBox = h("div", { id: "deploy-test-pin" });
    const error = errorSlot("deploy-test-error");
    const run = async (accept: boolean) => {
      showError(error, null);
      clear(pinBox);
      try {
        const probe = await api.testDeployment(mapping.name, accept);
        result.textContent = probe.summary;
        done();
        if (probe.unpinned) {
          const pin = h("button", { id: "deploy-test-accept", type: "button", class: "primary" }, "It matches: pin it");
          pin.addEventListener("click", () => void busy(pin, "Pinning", () => run(true)));
          clear(
            pinBox,
            h("p", {}, "Compare with the server's own: ", h("code", {}, "ssh-keygen -lf /etc/ssh/ssh_host_ed25519_key.pub")),
            h("p", {}, h("code", { id: "deploy-test-fingerprint" }, probe.unpinned.value)),
            pin,
          );
        }
      } catch (err) {
        result.textContent = "";
        showError(error, err);
        done();
      }
    };
    void run(false);
    return [result, pinBox, h("div", { class: "actions" }, h("button", { type: "button", onclick: close }, "Close")), error];
  });
}

/** Deploys a saved certificate through the mapping now. */
async function deployDialog(mapping: MappingInfo, done: () => void): Promise<void> {
  const certs = await api.certs();
  modal(`Deploy through ${mapping.name}`, (close) => {
    const cert = select(
      "deploy-now-cert",
      certs.map((c) => ({ id: c.id, label: `${c.names.join(", ")} (${c.id})` })),
    );
    const go = h("button", { id: "deploy-now-run", type: "submit", class: "primary" }, "Deploy now");
    const result = h("p", { id: "deploy-now-result", role: "status", "aria-live": "polite" });
    const error = errorSlot("deploy-now-error");
    go.disabled = certs.length === 0;
    const form = h(
      "form",
      { novalidate: true },
      field("Certificate", cert, certs.length ? "Its current version is installed, then the server is reloaded and checked." : "No certificate is saved yet.").wrap,
      result,
      h("div", { class: "actions" }, h("button", { type: "button", onclick: close }, "Close"), go),
      error,
    );
    form.addEventListener("submit", async (e) => {
      e.preventDefault();
      showError(error, null);
      result.textContent = "";
      try {
        const deployed = await busy(go, "Deploying", () => api.deployNow(mapping.name, cert.value));
        result.textContent = deployed.summary;
      } catch (err) {
        showError(error, err);
      }
      done();
    });
    return [form];
  });
}

/** Lets a request publish its http-01 tokens through the mapping, and deploy automatically. */
async function useDialog(mapping: MappingInfo, ctx: Ctx): Promise<void> {
  const requests = await api.requests();
  modal(`Use ${mapping.name} for a request`, (close) => {
    const request = select(
      "deploy-use-request",
      requests.map((r) => ({ id: r.id, label: `${r.names.join(", ")} (${r.id}, ${r.challenge_type})` })),
    );
    const auto = h("input", { id: "deploy-use-auto", type: "checkbox", checked: true });
    const save = h("button", { id: "deploy-use-save", type: "submit", class: "primary" }, "Save");
    const error = errorSlot("deploy-use-error");
    save.disabled = requests.length === 0;
    const form = h(
      "form",
      { novalidate: true },
      field("Request", request, "Its http-01 tokens are published on the end server from now on.").wrap,
      field("Deploy certificate (after validation and after every renewal)", auto).wrap,
      h("div", { class: "actions" }, h("button", { type: "button", onclick: close }, "Cancel"), save),
      error,
    );
    form.addEventListener("submit", async (e) => {
      e.preventDefault();
      try {
        await busy(save, "Saving", () => api.setDeploy(request.value, mapping.name, auto.checked));
        ctx.changed("requests");
        close();
      } catch (err) {
        showError(error, err);
      }
    });
    return [form];
  });
}

// dns-01 goes through the mapping only when it is set up for it (an SSH mapping's dns_command,
// an agent's own configuration); otherwise the request's DNS account or the admin publishes.
function dns01(m: MappingInfo): HTMLElement {
  if (!m.dns01) return h("span", { class: "muted" }, "No — DNS account or by hand");
  return h("div", {}, badge("Answers dns-01", "ok"), h("div", { class: "muted" }, m.dns01));
}

function lastDeploy(m: MappingInfo): HTMLElement {
  const last = m.last_deploy;
  if (!last) return h("span", { class: "muted" }, "Never deployed");
  return h(
    "div",
    {},
    badge(last.ok ? "Deployed" : "Failed", last.ok ? "ok" : "error"),
    ` ${last.cert}, ${formatDate(last.at)}`,
    h("div", { class: "muted" }, last.message),
  );
}

export function deployTab(ctx: Ctx): Tab {
  const panel = h("section", {});
  const body = h("div", { id: "deploy-list" });
  const error = errorSlot("deploy-list-error");
  const add = h("button", { id: "deploy-add", type: "button", class: "primary" }, "Add mapping…");
  let kinds: TargetSpec[] = [];

  const load = async () => {
    try {
      const [k, mappings, damaged] = await Promise.all([api.deployKinds(), api.deployments(), api.damaged("deployments")]);
      kinds = k;
      showError(error, null);
      const reload = () => void load();
      if (!mappings.length && !damaged.length) {
        clear(
          body,
          emptyState(
            "No deploy mappings",
            "Add one to let certdesk answer http-01 on the end server and install each certificate there after issue and every renewal.",
            "Until then, export a certificate from the Certificates tab and install it yourself.",
          ),
        );
        return;
      }
      const action = (label: string, onclick: () => void, danger = false) =>
        h("button", { type: "button", class: danger ? "small danger" : "small", onclick }, label);
      clear(
        body,
        h(
          "table",
          { class: "table", "aria-label": "Deploy mappings" },
          h("thead", {}, h("tr", {}, ...["Name", "Kind", "Server", "dns-01", "Last deployment", ""].map((c) => h("th", { scope: "col" }, c)))),
          h(
            "tbody",
            {},
            ...mappings.map((m) =>
              h(
                "tr",
                {},
                h("th", { scope: "row" }, m.name, m.enabled ? "" : h("div", {}, badge("Disabled", "muted")), lastTest(m)),
                h("td", {}, kinds.find((k) => k.kind === m.kind)?.label ?? m.kind),
                h("td", {}, m.fields.host ? `${m.fields.user ?? ""}@${m.fields.host}:${m.fields.port ?? "22"}` : (m.fields.url ?? "—")),
                h("td", {}, dns01(m)),
                h("td", {}, lastDeploy(m)),
                h(
                  "td",
                  { class: "row-actions" },
                  action("Edit", () => mappingDialog(kinds, m, reload)),
                  action("Test", () => testDialog(m, reload)),
                  action("Deploy now", () => void deployDialog(m, reload).catch((e) => showError(error, e))),
                  action(m.enabled ? "Disable" : "Enable", async () => {
                    try {
                      await api.setDeploymentEnabled(m.name, !m.enabled);
                      reload();
                    } catch (e) {
                      showError(error, e);
                    }
                  }),
                  action("Use for request", () => void useDialog(m, ctx).catch((e) => showError(error, e))),
                  action(
                    "Delete",
                    async () => {
                      const gone = await confirmDialog(`Delete ${m.name}?`, [h("p", {}, "Its stored credentials are removed from this machine.")], "Delete", true);
                      if (!gone) return;
                      try {
                        await api.deleteDeployment(m.name);
                        reload();
                      } catch (e) {
                        showError(error, e);
                      }
                    },
                    true,
                  ),
                ),
              ),
            ),
            ...damagedRows(damaged, 6),
          ),
        ),
      );
    } catch (e) {
      showError(error, e);
    }
  };
  add.addEventListener("click", () => mappingDialog(kinds, null, () => void load()));
  panel.append(h("h2", {}, "Deploy"), h("div", { class: "actions start" }, add), body, error);
  return { id: "deploy", label: "Deploy", panel, show: () => void load() };
}
