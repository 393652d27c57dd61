// The Account tab: ACME accounts (one per CA), registration with the CA's terms, adding an
// existing account from its key, e-mail updates, key export, delete and deactivate.

import { AccountInfo, api, CaForm, CaKind, CaTerms } from "../api";
import { Ctx, Tab } from "../app";
import {
  badge,
  busy,
  clear,
  confirmDialog,
  damagedRows,
  errorSlot,
  field,
  FormFields,
  formatDate,
  h,
  modal,
  select,
  showError,
  showFormError,
} from "../dom";
import { pathField } from "../files";

/** The CA chooser shared by the registration and import forms. */
function caPicker(ctx: Ctx, prefix: string) {
  const kind = select(
    `${prefix}-ca`,
    ctx.info.choices.cas.map((c) => ({ id: c.kind, label: c.label })),
  );
  const url = h("input", {
    id: `${prefix}-url`,
    type: "url",
    placeholder: "https://acme.example.com/directory",
    autocomplete: "off",
    spellcheck: "false",
  });
  const urlField = field("Directory URL", url, "The CA's RFC 8555 directory, e.g. ZeroSSL's or your step-ca's.");
  const root = pathField(
    "Extra CA root (PEM, optional)",
    `${prefix}-ca-root`,
    "open",
    "Only for a private CA whose HTTPS certificate is not publicly trusted.",
    [{ name: "PEM", extensions: ["pem", "crt", "cer"] }],
  );
  const sync = () => {
    const custom = kind.value === "directory";
    urlField.wrap.hidden = !custom;
    root.wrap.hidden = !custom;
  };
  kind.addEventListener("change", sync);
  sync();
  const value = (): CaForm => ({ kind: kind.value as CaKind, url: kind.value === "directory" ? url.value : undefined });
  const rootPath = () => (kind.value === "directory" && root.input.value.trim() ? root.input.value.trim() : undefined);
  return {
    wraps: [field("Certificate authority", kind).wrap, urlField.wrap, root.wrap],
    value,
    rootPath,
    /** After a form reset, which puts the choice back to the first CA: the fields follow it. */
    refresh: sync,
    onChange: (fn: () => void) => {
      kind.addEventListener("change", fn);
      url.addEventListener("change", fn);
      root.input.addEventListener("change", fn);
      root.input.addEventListener("input", fn);
    },
  };
}

function registrationForm(ctx: Ctx, done: () => void): HTMLElement {
  const name = h("input", { id: "reg-name", type: "text", autocomplete: "off", required: true });
  const email = h("input", { id: "reg-email", type: "email", autocomplete: "email" });
  const ca = caPicker(ctx, "reg");
  const eabKid = h("input", { id: "reg-eab-kid", type: "text", autocomplete: "off" });
  const eabHmac = h("input", { id: "reg-eab-hmac", type: "password", autocomplete: "off" });
  const terms = h("div", { id: "reg-terms", class: "terms", "aria-live": "polite" });
  const agree = h("input", { id: "reg-agree", type: "checkbox" });
  const submit = h("button", { id: "reg-submit", type: "submit", class: "primary", disabled: true }, "Register");
  const error = errorSlot("reg-error");
  const termsButton = h("button", { id: "reg-fetch-terms", type: "button", class: "small" }, "Read the CA's terms");
  agree.addEventListener("change", () => (submit.disabled = !agree.checked));

  const showTerms = (t: CaTerms) => {
    clear(
      terms,
      t.terms_of_service
        ? h(
            "p",
            {},
            "Terms of service: ",
            h("code", { id: "reg-terms-url", class: "selectable" }, t.terms_of_service),
            " ",
          )
        : h("p", {}, "This CA publishes no terms of service URL."),
      t.external_account_required
        ? h("p", { class: "warn" }, "This CA requires External Account Binding: fill in the key id and HMAC key below.")
        : null,
      t.profiles.length
        ? h(
            "div",
            { class: "muted" },
            "Certificate profiles offered:",
            h("ul", { id: "reg-profiles" }, ...t.profiles.map((p) => h("li", {}, h("code", {}, p.name), ` — ${p.description}`))),
          )
        : null,
    );
  };
  const fetchTerms = async () => {
    clear(terms);
    showError(error, null);
    try {
      showTerms(await busy(termsButton, "Reading the directory", () => api.caTerms(ca.value(), ca.rootPath() ?? null)));
    } catch (e) {
      showError(error, e);
    }
  };
  termsButton.addEventListener("click", fetchTerms);
  ca.onChange(() => clear(terms));

  const nameField = field("Account name", name, "A name for this account here, e.g. letsencrypt.");
  const emailField = field(
    "E-mail (optional)",
    email,
    "A contact for the CA. The CA no longer sends expiry warnings (Let's Encrypt stopped in 2025 and keeps no contacts): certdesk's own notices are the expiry warnings — Settings → notifications and e-mail.",
  );
  const fields: FormFields = {
    name: { field: nameField, control: name },
    email: { field: emailField, control: email },
  };
  const form = h(
    "form",
    { id: "register-form", class: "card", "aria-labelledby": "reg-title", novalidate: true },
    h("h3", { id: "reg-title" }, "New registration"),
    nameField.wrap,
    emailField.wrap,
    ...ca.wraps,
    h(
      "details",
      {},
      h("summary", {}, "External Account Binding (ZeroSSL, Google Trust Services, step-ca…)"),
      field("EAB key id", eabKid).wrap,
      field("EAB HMAC key", eabHmac, "As the CA shows it (base64url). It is used once and not stored.").wrap,
    ),
    h("div", { class: "terms-row" }, termsButton, terms),
    field("I have read and accept the CA's terms of service", agree).wrap,
    h("div", { class: "actions" }, submit),
    error,
  );
  form.addEventListener("submit", async (e) => {
    e.preventDefault();
    showFormError(error, fields, null);
    try {
      const info = await busy(submit, "Registering", () =>
        api.registerAccount({
          name: name.value,
          email: email.value.trim() || undefined,
          ca: ca.value(),
          ca_root_path: ca.rootPath(),
          eab_kid: eabKid.value || undefined,
          eab_hmac: eabHmac.value || undefined,
          agree_tos: agree.checked,
        }),
      );
      form.reset();
      ca.refresh();
      submit.disabled = true;
      clear(terms);
      done();
      ctx.changed("accounts");
      showError(error, null);
      form.append(h("p", { class: "ok", role: "status" }, `Account ${info.name} registered at ${info.directory_url}.`));
    } catch (err) {
      showFormError(error, fields, err);
    }
  });
  return form;
}

function importForm(ctx: Ctx, done: () => void): HTMLElement {
  const name = h("input", { id: "imp-name", type: "text", autocomplete: "off" });
  const key = pathField("Account key (PEM)", "imp-key", "open", "The ECDSA P-256 key exported from certdesk or another ACME client.", [
    { name: "PEM", extensions: ["pem", "key"] },
  ]);
  const ca = caPicker(ctx, "imp");
  const submit = h("button", { id: "imp-submit", type: "submit", class: "primary" }, "Add account");
  const error = errorSlot("imp-error");
  const form = h(
    "form",
    { id: "import-form", class: "card", "aria-labelledby": "imp-title", novalidate: true },
    h("h3", { id: "imp-title" }, "Add an existing account"),
    h("p", { class: "muted" }, "The CA finds the account by its key."),
    field("Account name", name).wrap,
    key.wrap,
    ...ca.wraps,
    h("div", { class: "actions" }, submit),
    error,
  );
  form.addEventListener("submit", async (e) => {
    e.preventDefault();
    showError(error, null);
    try {
      await busy(submit, "Looking up the account", () =>
        api.importAccount({ name: name.value, key_path: key.input.value, ca: ca.value(), ca_root_path: ca.rootPath() }),
      );
      form.reset();
      ca.refresh();
      done();
      ctx.changed("accounts");
    } catch (err) {
      showError(error, err);
    }
  });
  return form;
}

function updateEmailDialog(account: AccountInfo, done: () => void): void {
  modal(`Update the e-mail of ${account.name}`, (close) => {
    const email = h("input", { id: "upd-email", type: "email", value: account.email });
    const error = errorSlot("upd-error");
    const submit = h("button", { id: "upd-submit", type: "submit", class: "primary" }, "Update at the CA");
    const emailField = field("New e-mail", email);
    const fields: FormFields = { email: { field: emailField, control: email } };
    const form = h("form", { novalidate: true }, emailField.wrap, h("div", { class: "actions" }, submit), error);
    form.addEventListener("submit", async (e) => {
      e.preventDefault();
      showFormError(error, fields, null);
      try {
        await busy(submit, "Updating", () => api.updateAccountEmail(account.name, email.value));
        done();
        close();
      } catch (err) {
        showFormError(error, fields, err);
      }
    });
    return [form];
  });
}

/** The CAA records that bind a typed domain to this account, and what CAA allows there today. */
function caaDialog(account: AccountInfo): void {
  modal(`CAA for ${account.name}`, () => {
    const domain = h("input", { id: "caa-domain", type: "text", placeholder: "example.com" });
    const error = errorSlot("caa-error");
    const result = h("div", { id: "caa-result", role: "status" });
    const submit = h("button", { id: "caa-submit", type: "submit", class: "primary" }, "Look up CAA");
    const form = h(
      "form",
      { novalidate: true },
      field("Domain", domain, "CAA records with accounturi let only this account issue for the domain (RFC 8657).").wrap,
      h("div", { class: "actions" }, submit),
      error,
      result,
    );
    form.addEventListener("submit", async (e) => {
      e.preventDefault();
      try {
        const reports = await busy(submit, "Looking up CAA", () => api.accountCaa(account.name, [domain.value], []));
        showError(error, null);
        clear(
          result,
          ...reports.map((r) =>
            h(
              "div",
              { class: "card" },
              h("p", {}, `Publish to bind ${r.domain} to ${account.name}:`),
              ...r.binding.map((b) => h("pre", {}, h("code", {}, b))),
              h("p", {}, r.found_at ? `CAA today (records at ${r.found_at}):` : "CAA today: no records up the tree."),
              ...r.records.map((b) => h("pre", {}, h("code", {}, b))),
              h("p", { class: r.allowed ? "ok" : "warn" }, r.summary),
            ),
          ),
        );
      } catch (err) {
        showError(error, err);
      }
    });
    return [form];
  });
}

function exportKeyDialog(account: AccountInfo): void {
  modal(`Export the key of ${account.name}`, (close) => {
    const path = pathField("Save the key to", "key-path", "save", "Written as PEM, readable by you only (mode 0600).", [
      { name: "PEM", extensions: ["pem"] },
    ]);
    path.suggest(`${account.name}-account-key.pem`);
    const error = errorSlot("key-error");
    const submit = h("button", { id: "key-submit", type: "submit", class: "primary" }, "Export key");
    const form = h(
      "form",
      { novalidate: true },
      h("p", { class: "warn" }, "Whoever holds this key controls the account: keep the file safe."),
      path.wrap,
      h("div", { class: "actions" }, submit),
      error,
    );
    form.addEventListener("submit", async (e) => {
      e.preventDefault();
      try {
        const written = await busy(submit, "Exporting", () => api.exportAccountKey(account.name, path.input.value));
        clear(form, h("p", { class: "ok", role: "status" }, `Key written to ${written}.`), h("div", { class: "actions" }, h("button", { type: "button", onclick: close }, "Close")));
      } catch (err) {
        showError(error, err);
      }
    });
    return [form];
  });
}

function deactivateDialog(account: AccountInfo, done: () => void): void {
  modal(`Deactivate ${account.name} at the CA`, (close) => {
    const typed = h("input", { id: "deact-confirm", type: "text", autocomplete: "off" });
    const submit = h("button", { id: "deact-submit", type: "submit", class: "danger", disabled: true }, "Deactivate for ever");
    typed.addEventListener("input", () => (submit.disabled = typed.value.trim() !== account.name));
    const error = errorSlot("deact-error");
    const form = h(
      "form",
      { novalidate: true },
      h(
        "p",
        { class: "warn" },
        "Deactivation is final: the CA will never accept this account again, and its certificates can no longer be renewed with it.",
      ),
      field(`Type the account name (${account.name}) to confirm`, typed).wrap,
      h("div", { class: "actions" }, h("button", { type: "button", onclick: close }, "Cancel"), submit),
      error,
    );
    form.addEventListener("submit", async (e) => {
      e.preventDefault();
      try {
        await busy(submit, "Deactivating", () => api.deactivateAccount(account.name, typed.value));
        done();
        close();
      } catch (err) {
        showError(error, err);
      }
    });
    return [form];
  });
}

export function accountTab(ctx: Ctx): Tab {
  const panel = h("section", {});
  const list = h("div", { id: "accounts-list" });
  const listError = errorSlot("accounts-error");

  const load = async () => {
    try {
      const [accounts, damaged] = await Promise.all([api.accounts(), api.damaged("accounts")]);
      showError(listError, null);
      if (!accounts.length && !damaged.length) {
        clear(list, h("p", { class: "empty-line" }, "No account yet: register one with a CA below, or add one you have from its key."));
        return;
      }
      clear(
        list,
        h(
          "table",
          { class: "table", "aria-label": "ACME accounts" },
          h("thead", {}, h("tr", {}, ...["Name", "E-mail", "CA directory", "Status", "Created", "Actions"].map((c) => h("th", { scope: "col" }, c)))),
          h(
            "tbody",
            {},
            ...accounts.map((a) => {
              const actions = h(
                "div",
                { class: "row-actions" },
                h("button", { type: "button", class: "small", onclick: () => updateEmailDialog(a, load) }, "Update e-mail"),
                h("button", { type: "button", class: "small", onclick: () => exportKeyDialog(a) }, "Export key"),
                h("button", { type: "button", class: "small", onclick: () => caaDialog(a) }, "CAA"),
                h(
                  "button",
                  {
                    type: "button",
                    class: "small",
                    onclick: async () => {
                      const yes = await confirmDialog(
                        `Delete ${a.name} here?`,
                        [h("p", {}, "certdesk forgets this account on this machine. It stays active at the CA: deactivate it instead to close it there.")],
                        "Delete here",
                        true,
                      );
                      if (!yes) return;
                      try {
                        await api.deleteAccount(a.name);
                        void load();
                        ctx.changed("accounts");
                      } catch (err) {
                        showError(listError, err);
                      }
                    },
                  },
                  "Delete",
                ),
                a.status === "active"
                  ? h("button", { type: "button", class: "small danger", onclick: () => deactivateDialog(a, load) }, "Deactivate")
                  : null,
              );
              return h(
                "tr",
                { "data-account": a.name },
                h("th", { scope: "row" }, a.name),
                h("td", {}, a.email || "—"),
                h("td", {}, h("code", {}, a.directory_url), h("div", { class: "muted small-text" }, a.url)),
                h("td", {}, badge(a.status === "active" ? "Active" : "Deactivated", a.status === "active" ? "ok" : "muted")),
                h("td", {}, formatDate(a.created)),
                h("td", {}, actions),
              );
            }),
            ...damagedRows(damaged, 6),
          ),
        ),
      );
    } catch (e) {
      showError(listError, e);
    }
  };

  panel.append(
    h("h2", {}, "Accounts"),
    list,
    listError,
    h("div", { class: "columns" }, registrationForm(ctx, load), importForm(ctx, load)),
  );
  ctx.on("accounts", load);
  return { id: "account", label: "Account", panel, show: load };
}
