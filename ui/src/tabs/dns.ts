// The DNS tab: DNS accounts (provider, name, enabled) with Add, Edit, Delete and Enable. Each
// provider's form is drawn from its field declarations (crates/dns/src/<provider>.rs) by the
// shared builder (../config_form.ts), so a new provider needs no change here.

import { api, DnsAccountInfo, ProviderSpec } from "../api";
import { Ctx, Tab } from "../app";
import { configFields, lastTest } from "../config_form";
import { persistSection } from "./dns_persist";
import { badge, busy, clear, confirmDialog, damagedRows, emptyState, errorSlot, field, h, modal, select, showError } from "../dom";

/** Checks an account's credentials (and its access to a zone); RFC 2136 proves it by adding and removing a test value. */
function testDialog(account: DnsAccountInfo, done: () => void): void {
  modal(`Test ${account.name}`, (close) => {
    const zone = h("input", { id: "dns-test-zone", type: "text", autocomplete: "off", placeholder: "example.com" });
    const run = h("button", { id: "dns-test-run", type: "submit", class: "primary" }, "Test");
    const result = h("p", { id: "dns-test-result", role: "status", "aria-live": "polite" });
    const error = errorSlot("dns-test-error");
    const form = h(
      "form",
      { novalidate: true },
      field("Zone (optional)", zone, "Also check access to this zone. RFC 2136 adds a test value at _acme-challenge.ZONE and removes it; other providers change nothing.").wrap,
      result,
      h("div", { class: "actions" }, h("button", { type: "button", onclick: close }, "Close"), run),
      error,
    );
    form.addEventListener("submit", async (e) => {
      e.preventDefault();
      showError(error, null);
      result.textContent = "";
      try {
        result.textContent = await busy(run, "Testing", () => api.testDnsAccount(account.name, zone.value.trim() || null));
      } catch (err) {
        showError(error, err);
      }
      done();
    });
    return [form];
  });
}

function accountDialog(providers: ProviderSpec[], existing: DnsAccountInfo | null, done: () => void): void {
  modal(existing ? `Edit ${existing.name}` : "Add a DNS account", (close) => {
    const name = h("input", { id: "dns-name", type: "text", value: existing?.name ?? "", autocomplete: "off" });
    const provider = select("dns-provider", providers, existing?.provider ?? providers[0]?.id);
    const enabled = h("input", { id: "dns-enabled", type: "checkbox", checked: existing?.enabled ?? true });
    const config = configFields({ prefix: "dns" });
    const privilege = h("p", { id: "dns-privilege", class: "muted" });
    const error = errorSlot("dns-error");
    const submit = h("button", { id: "dns-submit", type: "submit", class: "primary" }, "Save");

    const drawFields = () => {
      const spec = providers.find((p) => p.id === provider.value);
      privilege.textContent = spec ? `Least privilege: ${spec.privilege}` : "";
      config.draw(spec?.fields ?? [], existing?.provider === provider.value ? existing : null);
    };
    provider.addEventListener("change", drawFields);
    drawFields();

    const form = h(
      "form",
      { novalidate: true },
      field("Name", name).wrap,
      field("Provider", provider).wrap,
      privilege,
      config.box,
      field("Enabled (used for new requests)", enabled).wrap,
      h("div", { class: "actions" }, h("button", { type: "button", onclick: close }, "Cancel"), submit),
      error,
    );
    form.addEventListener("submit", async (e) => {
      e.preventDefault();
      const { fields, secrets } = config.values();
      try {
        await busy(submit, "Saving", () =>
          api.saveDnsAccount({
            original_name: existing?.name,
            name: name.value,
            kind: provider.value,
            enabled: enabled.checked,
            fields,
            secrets,
          }),
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

export function dnsTab(ctx: Ctx): Tab {
  const panel = h("section", {});
  const body = h("div", { id: "dns-list" });
  const error = errorSlot("dns-list-error");
  const add = h("button", { id: "dns-add", type: "button", class: "primary" }, "Add DNS account…");
  const addHelp = h("p", { id: "dns-add-help", class: "muted" });
  add.setAttribute("aria-describedby", addHelp.id);
  const persist = h("div", { id: "persist" });
  let providers: ProviderSpec[] = [];

  const load = async () => {
    try {
      const [p, accounts, damaged] = await Promise.all([api.dnsProviders(), api.dnsAccounts(), api.damaged("dns_accounts")]);
      providers = p;
      showError(error, null);
      add.disabled = providers.length === 0;
      addHelp.textContent = providers.length
        ? `Providers: ${providers.map((x) => x.label).join(", ")}.`
        : "No DNS provider is available yet, so no account can be added.";
      const reload = () => {
        void load();
        ctx.changed("dns");
      };
      clear(persist, persistSection(accounts));
      if (!accounts.length && !damaged.length) {
        clear(
          body,
          emptyState(
            "No DNS accounts",
            providers.length
              ? "Add one to let certdesk publish dns-01 TXT records through your DNS provider's API."
              : "No DNS provider is built in.",
          ),
        );
        return;
      }
      clear(
        body,
        h(
          "table",
          { class: "table", "aria-label": "DNS accounts" },
          h("thead", {}, h("tr", {}, ...["Name", "Provider", "State", "Secrets", ""].map((c) => h("th", { scope: "col" }, c)))),
          h(
            "tbody",
            {},
            ...accounts.map((a) =>
              h(
                "tr",
                {},
                h("th", { scope: "row" }, a.name),
                h("td", {}, providers.find((p) => p.id === a.provider)?.label ?? a.provider),
                h("td", {}, badge(a.enabled ? "Enabled" : "Disabled", a.enabled ? "ok" : "muted"), lastTest(a)),
                h("td", {}, a.secrets_set.length ? a.secrets_set.map((s) => `${s}: set`).join(", ") : "—"),
                h(
                  "td",
                  { class: "row-actions" },
                  h("button", { type: "button", class: "small", onclick: () => accountDialog(providers, a, reload) }, "Edit"),
                  h("button", { type: "button", class: "small", onclick: () => testDialog(a, reload) }, "Test"),
                  h(
                    "button",
                    {
                      type: "button",
                      class: "small",
                      onclick: async () => {
                        try {
                          await api.setDnsAccountEnabled(a.name, !a.enabled);
                          reload();
                        } catch (e) {
                          showError(error, e);
                        }
                      },
                    },
                    a.enabled ? "Disable" : "Enable",
                  ),
                  h(
                    "button",
                    {
                      type: "button",
                      class: "small danger",
                      onclick: async () => {
                        if (!(await confirmDialog(`Delete ${a.name}?`, [h("p", {}, "Its stored credentials are removed from this machine.")], "Delete", true))) return;
                        try {
                          await api.deleteDnsAccount(a.name);
                          reload();
                        } catch (e) {
                          showError(error, e);
                        }
                      },
                    },
                    "Delete",
                  ),
                ),
              ),
            ),
            ...damagedRows(damaged, 5),
          ),
        ),
      );
    } catch (e) {
      showError(error, e);
    }
  };
  add.addEventListener("click", () =>
    accountDialog(providers, null, () => {
      void load();
      ctx.changed("dns");
    }),
  );
  panel.append(h("h2", {}, "DNS accounts"), h("div", { class: "actions start" }, add), addHelp, body, error, persist);
  return { id: "dns", label: "DNS", panel, show: () => void load() };
}
