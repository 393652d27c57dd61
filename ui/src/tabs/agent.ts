// The Windows Agent tab: paired certdesk agents with their status (each is asked for its health
// when the tab is shown), pairing a new one, and how to install one. Pairing shows the
// fingerprint the agent presents for the administrator to compare with what certdesk-agent
// printed on the server, pins it only once confirmed, and shows the token once.

import { AgentStatus, api } from "../api";
import { Tab } from "../app";
import { badge, busy, clear, confirmDialog, copyButton, emptyState, errorSlot, field, h, modal, showError } from "../dom";
import { pathField } from "../files";

/** Step 1: name and address, then the fingerprint to confirm; step 2: the token, once. */
function pairDialog(done: () => void): void {
  modal("Pair an agent", (close) => {
    const name = h("input", { id: "agent-name", type: "text", autocomplete: "off", placeholder: "web1" });
    const url = h("input", { id: "agent-url", type: "text", autocomplete: "off", placeholder: "https://web1.example.com:8443" });
    const read = h("button", { id: "agent-read", type: "submit", class: "primary" }, "Connect");
    const step = h("div", { id: "agent-step" });
    const error = errorSlot("agent-pair-error");
    const form = h(
      "form",
      { novalidate: true },
      field("Name", name, "How certdesk calls this server.").wrap,
      field("Address", url, "The agent's https://HOST:PORT (its listen port).").wrap,
      h("div", { class: "actions" }, h("button", { type: "button", onclick: close }, "Cancel"), read),
      step,
      error,
    );
    const showToken = (token: string) => {
      clear(
        step,
        h("h3", {}, "Give this token to the agent"),
        h("p", {}, "It is shown only now. On the server, run ", h("code", {}, "certdesk-agent pair"), " and paste it."),
        h("p", {}, h("code", { id: "agent-token" }, token), " ", copyButton(token, "Pairing token")),
        h("div", { class: "actions" }, h("button", { type: "button", class: "primary", onclick: close }, "Done")),
      );
    };
    form.addEventListener("submit", async (e) => {
      e.preventDefault();
      showError(error, null);
      clear(step);
      try {
        const fingerprint = await busy(read, "Connecting", () => api.agentFingerprint(url.value.trim()));
        const pin = h("button", { id: "agent-pin", type: "button", class: "primary" }, "It matches: pair");
        pin.addEventListener("click", async () => {
          try {
            const paired = await busy(pin, "Pairing", () => api.pairAgent(name.value.trim(), url.value.trim(), fingerprint));
            done();
            read.disabled = true;
            showToken(paired.token);
          } catch (err) {
            showError(error, err);
          }
        });
        clear(
          step,
          h("p", {}, "The agent presents the certificate"),
          h("p", {}, h("code", { id: "agent-fingerprint" }, `SHA256 ${fingerprint}`)),
          h("p", {}, "Compare it with the fingerprint certdesk-agent printed on the server. If they differ, something else answers at that address: do not pair."),
          h("div", { class: "actions" }, pin),
        );
      } catch (err) {
        showError(error, err);
      }
    });
    return [form];
  });
}

/** Saves the agent package (the certdesk-agent shipped with this app) where the admin picks. */
function packageDialog(): void {
  modal("Download the agent package", (close) => {
    const path = pathField("Save as", "agent-package-path", "save", "A .tar.gz: copy it to the server and unpack it there (tar -xzf).", [
      { name: "Package", extensions: ["tar.gz", "tgz"] },
    ]);
    path.suggest("certdesk-agent.tar.gz");
    const submit = h("button", { id: "agent-package-save", type: "submit", class: "primary" }, "Save");
    const result = h("div", { id: "agent-package-result", "aria-live": "polite" });
    const error = errorSlot("agent-package-error");
    const form = h(
      "form",
      { novalidate: true },
      h("p", { class: "muted" }, "The certdesk-agent that ships with this certdesk, its install steps and an example configuration."),
      path.wrap,
      h("div", { class: "actions" }, h("button", { type: "button", onclick: close }, "Close"), submit),
      error,
      result,
    );
    form.addEventListener("submit", async (e) => {
      e.preventDefault();
      try {
        const written = await busy(submit, "Saving", () => api.agentPackage(path.input.value.trim()));
        showError(error, null);
        clear(
          result,
          h("p", {}, `Saved ${written.path} (${written.size.toLocaleString()} bytes); it unpacks into ${written.folder}/.`),
          h("p", {}, "SHA-256 of certdesk-agent inside, to compare on the server (sha256sum):"),
          h("code", { id: "agent-package-sha256" }, written.binary_sha256),
          copyButton(written.binary_sha256, "the SHA-256"),
        );
      } catch (err) {
        clear(result);
        showError(error, err);
      }
    });
    return [form];
  });
}

function howToInstall(): HTMLElement {
  // The same examples as the package's, from the engine.
  const examples = h("div", { id: "agent-examples" });
  api
    .agentExamples()
    .then((list) => clear(examples, ...list.flatMap((e) => [h("p", {}, `${e.title}, as ${e.file} in the package:`), h("pre", {}, e.config)])))
    .catch((err) => showError(examples, err));
  return h(
    "details",
    { id: "agent-install-help" },
    h("summary", {}, "How to install an agent"),
    h(
      "ol",
      {},
      h("li", {}, "Download the agent package (above) and copy it to the server: it carries the certdesk-agent built with this certdesk (certdesk-agent.exe in the Windows release)."),
      h("li", {}, "Write its configuration: C:\\ProgramData\\certdesk-agent\\agent.json on Windows, /etc/certdesk-agent/agent.json on Linux."),
      h("li", {}, "As an administrator, run ", h("code", {}, "certdesk-agent install"), " then ", h("code", {}, "certdesk-agent start"), " (a Windows service, or a systemd unit). Note the fingerprint it prints (", h("code", {}, "certdesk-agent fingerprint"), ")."),
      h("li", {}, "Let this machine reach the agent's port through the server's firewall, then pair it here."),
    ),
    examples,
    h("p", { class: "muted" }, "Then give a request this agent in the Deploy tab: its http-01 challenges are answered by the agent and its certificate installed after every issue and renewal."),
  );
}

function statusTable(agents: AgentStatus[], remove: (a: AgentStatus) => void): HTMLElement {
  return h(
    "table",
    { class: "table", "aria-label": "Paired agents" },
    h("thead", {}, h("tr", {}, ...["Name", "Address", "Status", "Certificate", ""].map((c) => h("th", { scope: "col" }, c)))),
    h(
      "tbody",
      {},
      ...agents.map((a) =>
        h(
          "tr",
          {},
          h("th", { scope: "row" }, a.name),
          h("td", {}, a.url),
          h("td", {}, badge(a.online ? "Online" : "Offline", a.online ? "ok" : "error"), " ", a.message),
          h("td", {}, h("code", { title: a.fingerprint }, `${a.fingerprint.slice(0, 23)}…`)),
          h("td", { class: "row-actions" }, h("button", { type: "button", class: "small danger", onclick: () => remove(a) }, "Remove")),
        ),
      ),
    ),
  );
}

export function agentTab(): Tab {
  const body = h("div", { id: "agent-list" });
  const error = errorSlot("agent-list-error");
  const pair = h("button", { id: "agent-pair", type: "button", class: "primary" }, "Pair an agent…");
  const download = h("button", { id: "agent-download", type: "button", onclick: packageDialog }, "Download agent package…");
  const panel = h(
    "section",
    {},
    h("h2", {}, "Windows Agent"),
    h("p", { class: "muted" }, "certdesk-agent runs on servers certdesk cannot reach over SSH (Windows with IIS, or Linux): it answers http-01 and installs each issued and renewed certificate. Only this certdesk, holding the pairing token, can call it."),
    h("div", { class: "actions" }, pair, download),
    error,
    body,
    howToInstall(),
  );

  const load = async () => {
    clear(body, h("p", { class: "muted" }, "Asking the agents…"));
    try {
      const agents = await api.agents();
      showError(error, null);
      if (!agents.length) {
        clear(body, emptyState("No agents paired", "Install certdesk-agent on a server (see below), then pair it."));
        return;
      }
      clear(
        body,
        statusTable(agents, async (a) => {
          const ok = await confirmDialog(
            `Remove ${a.name}?`,
            [h("p", {}, "certdesk forgets the agent and its token. Uninstall it on the server with certdesk-agent uninstall.")],
            "Remove",
            true,
          );
          if (!ok) return;
          try {
            await api.removeAgent(a.name);
            void load();
          } catch (e) {
            showError(error, e);
          }
        }),
      );
    } catch (e) {
      clear(body);
      showError(error, e);
    }
  };
  pair.addEventListener("click", () => pairDialog(() => void load()));
  return { id: "agent", label: "Windows Agent", panel, show: () => void load() };
}
