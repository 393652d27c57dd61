// The Requests tab: the certificate request form (with the engine's name check as you type),
// the requests with their status, and each request's challenge window: what to publish, with
// copy buttons, then Verify, Save or New challenge.

import {
  AccountInfo,
  api,
  CaProfile,
  Challenge,
  ChallengeType,
  KeyAlgorithm,
  KeyPolicy,
  KeystoreType,
  NameCheck,
  NextStep,
  Replacement,
  RequestInfo,
  RequestStatus,
  SettingsView,
  SignatureAlgorithm,
} from "../api";
import { Ctx, Tab } from "../app";
import {
  badge,
  busy,
  clear,
  copyButton,
  damagedRows,
  emptyState,
  errorSlot,
  field,
  formatDate,
  goButton,
  h,
  modal,
  problemView,
  select,
  setFieldError,
  showError,
} from "../dom";
import { pathField } from "../files";
import { stepText } from "../steps";
import { currentStage, onProgress, stageLabel, stageLine } from "../progress";

const STATUS: Record<RequestStatus, [string, string]> = {
  created: ["Created", "muted"],
  pending: ["Pending", "warn"],
  verifying: ["Verifying", "info"],
  available: ["Available", "ok"],
  failed: ["Failed", "error"],
  saved: ["Saved", "ok"],
  renewed: ["Renewed", "ok"],
  revoked: ["Revoked", "muted"],
};

export function statusBadge(s: RequestStatus): HTMLElement {
  const [label, kind] = STATUS[s] ?? [s, "muted"];
  const b = badge(label, kind);
  b.dataset.status = s;
  return b;
}

function challengeRows(c: Challenge): HTMLElement {
  const row = (label: string, value: string, attr: string) =>
    h(
      "div",
      { class: "kv" },
      h("span", { class: "kv-label" }, label),
      h("code", { class: "selectable", [attr]: value }, value),
      copyButton(value, `${label} for ${c.domain}`),
    );
  const status = h("span", { class: `badge badge-${c.status === "valid" ? "ok" : c.status === "invalid" ? "error" : "warn"}` }, c.status);
  if (c.type === "http-01") {
    return h(
      "li",
      { class: "challenge", "data-domain": c.domain, "data-type": c.type },
      h("h4", {}, c.domain, " ", status),
      h("p", { class: "muted" }, "Serve this file content at this URL (plain HTTP, port 80):"),
      row("URL", c.url, "data-url"),
      row("Token (file name)", c.token, "data-token"),
      row("File content", c.key_authorization, "data-key-authorization"),
    );
  }
  if (c.type === "tls-alpn-01") {
    return h(
      "li",
      { class: "challenge", "data-domain": c.domain, "data-type": c.type },
      h("h4", {}, c.domain, " ", status),
      h(
        "p",
        { class: "muted" },
        "Port 443 of this name must answer the acme-tls/1 protocol with a self-signed certificate for it whose acmeIdentifier extension is the SHA-256 of this key authorization (the built-in responder does this):",
      ),
      row("Key authorization", c.key_authorization, "data-key-authorization"),
    );
  }
  return h(
    "li",
    { class: "challenge", "data-domain": c.domain, "data-type": c.type },
    h("h4", {}, c.domain, " ", status),
    h("p", { class: "muted" }, "Publish this TXT record:"),
    row("Record name", c.record_name, "data-record-name"),
    row("TXT value", c.record_value, "data-record-value"),
  );
}

const FALLBACK_HELP =
  "An account at another CA that renews after two failed attempts in a row at the request's own CA. The next renewal goes to the request's own CA first again.";

/** The choices of a fallback account: none, or an active account. */
function fallbackOptions(accounts: AccountInfo[]): HTMLOptionElement[] {
  return [
    h("option", { value: "" }, "None"),
    ...accounts.filter((a) => a.status === "active").map((a) => h("option", { value: a.name }, `${a.name} — ${a.directory_url}`)),
  ];
}

/** What the administrator does next by the request's status alone: for a request with no next
 * step from the engine, or only the words an older certdesk stored. */
function statusStep(r: RequestInfo): string {
  switch (r.status) {
    case "created":
      return "The order was not placed yet: press Verify to place it.";
    case "pending":
      if (r.challenge_type === "http-01") return "Serve each file content at its URL (or let the built-in responder answer), then press Verify.";
      return r.dns_account
        ? `Press Verify: the DNS account ${r.dns_account} publishes the TXT records, waits until every nameserver has them, and removes them afterwards.`
        : "Publish each TXT record and wait until it resolves, then press Verify.";
    case "verifying":
      return "Verification was cut off: press Verify to continue where it stopped.";
    case "available":
      return "The certificate is issued: save it to the repository.";
    case "failed":
      return "The CA refused (its problem document is below). Fix the cause, then press New challenge for a fresh order.";
    default:
      return "Done: the certificate is in the Certificates tab.";
  }
}

/** The window's actions a next step can ask for; each runs with the button that was pressed. */
interface StepActions {
  verify: (b: HTMLButtonElement) => Promise<void>;
  save: (b: HTMLButtonElement) => Promise<void>;
  newChallenge: (b: HTMLButtonElement) => Promise<void>;
  renew: (b: HTMLButtonElement, cert: string) => Promise<void>;
  deploy: (b: HTMLButtonElement, mapping: string, cert: string) => Promise<void>;
}

/** A next step's button: its label and what it does. */
type StepButton = [label: string, run: (b: HTMLButtonElement) => Promise<void>];

/** The button that takes a request's next step, where the window has one. */
function stepButton(step: NextStep, does: StepActions): StepButton | undefined {
  switch (step.step) {
    case "publish":
    case "verify":
    case "resume":
      return ["Verify", does.verify];
    case "save":
      return ["Save to repository", does.save];
    case "new_challenge":
      return ["New challenge", does.newChallenge];
    case "renew":
      return ["Renew now", (b) => does.renew(b, step.cert)];
    case "deploy":
      return ["Deploy", (b) => does.deploy(b, step.mapping, step.cert)];
    case "remove_leftovers":
      return step.then ? stepButton(step.then, does) : undefined;
    default:
      return undefined;
  }
}

/** The engine's next step in the window's terms (buttons, never a command line), with the button
 * that does it; `null` where the request's status says it better. */
function stepView(step: NextStep, does: StepActions): { text: string; button?: StepButton } | null {
  if (step.step === "worded") return null;
  return { text: stepText(step), button: stepButton(step, does) };
}

/** The challenge window of one request. */
function challengeWindow(ctx: Ctx, id: string, settings: SettingsView | null): void {
  modal(
    "Challenges",
    (close) => {
      const body = h("div", { id: "challenge-body" });
      const error = errorSlot("ch-error");
      // The engine's stage while Verify or New challenge talks to the CA.
      const stage = stageLine("ch-stage", () => id);
      const verify = h("button", { id: "ch-verify", type: "button", class: "primary" }, "Verify");
      const save = h("button", { id: "ch-save", type: "button", class: "primary" }, "Save to repository");
      const fresh = h("button", { id: "ch-new", type: "button" }, "New challenge");
      // The built-in responder for this request's challenge, where the settings give it an address.
      const listens: Partial<Record<ChallengeType, string | null | undefined>> = {
        "http-01": settings?.http_listen,
        "tls-alpn-01": settings?.tls_alpn_listen,
      };
      let responderFor: ChallengeType | null = null;
      const responder = h("input", { id: "ch-responder", type: "checkbox" });
      const fallback = h("select", { id: "ch-fallback" });
      const fallbackField = field("Fallback CA account", fallback, FALLBACK_HELP);
      let accounts: AccountInfo[] = [];
      const responderField = field("", responder).wrap;
      const responderLabel = responderField.querySelector("label") as HTMLLabelElement;

      const nextStepLine = (r: RequestInfo): HTMLElement => {
        const view = r.next_step ? stepView(r.next_step, does) : null;
        const line = h("p", { class: "next-step", id: "ch-next-step" }, h("strong", {}, "Next step: "), view?.text ?? statusStep(r));
        if (view?.button) {
          const [label, run] = view.button;
          const button = h("button", { id: "ch-step-action", type: "button", class: "link" }, label);
          button.addEventListener("click", () => run(button));
          line.append(" ", button);
        }
        return line;
      };
      const render = (r: RequestInfo) => {
        const canVerify = r.status === "pending" || r.status === "verifying" || r.status === "created";
        verify.hidden = !canVerify;
        save.hidden = r.status !== "available";
        fresh.hidden = !(r.status === "failed" || r.status === "pending" || r.status === "created");
        const listen = listens[r.challenge_type];
        if (r.challenge_type !== responderFor) {
          responderFor = r.challenge_type;
          responder.checked = !!listen;
        }
        responderLabel.textContent = listen ? `Answer ${r.challenge_type} with the built-in responder on ${listen}` : "";
        responderField.hidden = !canVerify || !listen;
        clear(
          body,
          h(
            "p",
            {},
            h("strong", {}, r.names.join(", ")),
            " — ",
            statusBadge(r.status),
            " ",
            h("span", { class: "muted" }, `request ${r.id}, ${r.challenge_type}`),
          ),
          r.names_notice ? h("p", { class: "notice", id: "ch-names-notice" }, r.names_notice) : null,
          r.persist_warning ? h("p", { class: "notice", role: "status", id: "ch-persist-warning" }, r.persist_warning) : null,
          nextStepLine(r),
          r.problem ? problemView(r.problem) : null,
          r.challenges.length ? h("ul", { class: "challenges", "aria-label": "Challenges to publish" }, ...r.challenges.map(challengeRows)) : null,
        );
        body.dataset.status = r.status;
        fallback.replaceChildren(...fallbackOptions(accounts.filter((a) => a.name !== r.account)));
        fallback.value = r.fallback_account ?? "";
      };
      const refresh = async () => {
        try {
          if (!accounts.length) accounts = await api.accounts();
          render(await api.request(id));
        } catch (e) {
          showError(error, e);
        }
      };
      fallback.addEventListener("change", async () => {
        showError(error, null);
        try {
          render(await api.setFallback(id, fallback.value || null));
        } catch (e) {
          showError(error, e);
          await refresh();
        }
        ctx.changed("requests");
      });
      const act = async (button: HTMLButtonElement, label: string, work: () => Promise<unknown>, stages = false) => {
        showError(error, null);
        if (stages) stage.start(label);
        try {
          await busy(button, label, work);
        } catch (e) {
          showError(error, e);
        } finally {
          stage.stop();
        }
        await refresh();
        ctx.changed("requests");
      };
      const does: StepActions = {
        verify: (b) => act(b, "Verifying", () => api.verify(id, responder.checked && !responderField.hidden), true),
        save: (b) =>
          act(b, "Saving", async () => {
            await api.saveRequest(id);
            ctx.changed("certs");
          }),
        newChallenge: (b) => act(b, "New challenge", () => api.newChallenge(id), true),
        renew: (b, cert) =>
          act(b, "Renewing", async () => {
            await api.renew(cert);
            ctx.changed("certs");
          }, true),
        deploy: (b, mapping, cert) => act(b, "Deploying", () => api.deployNow(mapping, cert)),
      };
      verify.addEventListener("click", () => does.verify(verify));
      save.addEventListener("click", () => does.save(save));
      fresh.addEventListener("click", () => does.newChallenge(fresh));
      void refresh();
      return [
        body,
        stage.el,
        responderField,
        fallbackField.wrap,
        h("div", { class: "actions" }, fresh, verify, save, h("button", { type: "button", onclick: close }, "Close")),
        error,
      ];
    },
    "challenge-dialog",
  );
}

function requestForm(ctx: Ctx, opened: (r: RequestInfo) => void): { form: HTMLElement; reload: () => Promise<void>; fill: (r: Replacement) => void } {
  const c = ctx.info.choices;
  const names = h("textarea", { id: "req-names", rows: 4, spellcheck: "false", autocomplete: "off", placeholder: "example.com\nwww.example.com" });
  const namesField = field("Domain names", names, "One per line, or separated by commas. The first is the common name.");
  const count = h("p", { id: "req-count", class: "count", "aria-live": "polite" });
  const nameErrors = h("ul", { id: "req-name-errors", class: "name-errors", "aria-label": "Rejected names" });
  const nameNotice = h("p", { id: "req-name-notice", class: "notice", hidden: true });
  const keyNote = h("p", { id: "req-key-note", class: "notice", hidden: true });
  const challenge = select("req-challenge", c.challenges, "http-01");
  const dnsAccount = h("select", { id: "req-dns-account" }, h("option", { value: "" }, "Publish the TXT records by hand"));
  const dnsField = field("DNS account", dnsAccount, "certdesk publishes the TXT records, waits for them, verifies and removes them. Add accounts in the DNS tab.");
  const key = select("req-key", c.keys, "p256");
  const signature = h("select", { id: "req-signature" });
  const keystore = select("req-keystore", c.keystores, "pem");
  const password = h("input", { id: "req-password", type: "password", autocomplete: "new-password" });
  const passwordField = field("Keystore password", password, "At least 6 printable ASCII characters. Stored sealed; it is never shown again.");
  const keyPolicy = select("req-key-policy", c.key_policies, "new");
  const importKey = pathField("Key to import (PEM)", "req-import-key", "open", "PKCS#1, PKCS#8 or SEC1; it must match the key algorithm.", [
    { name: "PEM", extensions: ["pem", "key"] },
  ]);
  const account = h("select", { id: "req-account" });
  const fallback = h("select", { id: "req-fallback" });
  const profile = h("select", { id: "req-profile" }, h("option", { value: "" }, "(the CA's default)"));
  const profileField = field("ACME profile", profile, "The certificate profiles the account's CA lists, with its descriptions.");
  const submit = h("button", { id: "req-submit", type: "submit", class: "primary" }, "Create request");
  const error = errorSlot("req-error");

  const syncSignatures = () => {
    const k = c.keys.find((x) => x.id === key.value);
    const allowed = c.signatures.filter((s) => k?.signatures.includes(s.id));
    const previous = signature.value;
    signature.replaceChildren(...allowed.map((s) => h("option", { value: s.id }, s.label)));
    if (allowed.some((s) => s.id === previous)) signature.value = previous;
  };
  const syncVisibility = () => {
    const needs = c.keystores.find((k) => k.id === keystore.value)?.needs_password ?? false;
    passwordField.wrap.hidden = !needs;
    importKey.wrap.hidden = keyPolicy.value !== "import";
    dnsField.wrap.hidden = challenge.value !== "dns-01";
  };

  // The live name check: the engine's own rules, so the form and the engine never disagree.
  let checkSeq = 0;
  const check = async () => {
    const seq = ++checkSeq;
    const result: NameCheck = await api.checkNames(names.value, challenge.value as ChallengeType, account.value || null);
    if (seq !== checkSeq) return;
    const typed = result.count;
    count.textContent =
      typed === 0
        ? `No names yet (up to ${c.max_names}).`
        : `${typed} name${typed === 1 ? "" : "s"} of at most ${c.max_names}` +
          (result.errors.length ? `, ${result.errors.length} rejected` : result.message ? "" : ", all valid");
    clear(nameErrors, ...result.errors.map((e) => h("li", {}, h("strong", {}, e.name), ": ", e.reason)));
    nameNotice.textContent = result.notice ?? "";
    nameNotice.hidden = !result.notice;
    const message = typed > 0 && result.message ? result.message : null;
    setFieldError(namesField, names, message ?? (result.errors.length ? "Some names are rejected: see the list below." : null));
  };
  names.addEventListener("input", () => void check());
  challenge.addEventListener("change", () => {
    syncVisibility();
    void check();
  });
  // The account's CA's profiles; the field shows only when its directory lists some.
  let profileSeq = 0;
  const syncProfiles = async () => {
    const seq = ++profileSeq;
    const previous = profile.value;
    let offered: CaProfile[] = [];
    try {
      offered = account.value ? await api.accountProfiles(account.value) : [];
    } catch {
      // The CA could not be reached now: no choice is offered (its default is ordered).
    }
    if (seq !== profileSeq) return;
    profile.replaceChildren(
      h("option", { value: "" }, "(the CA's default)"),
      ...offered.map((p) => h("option", { value: p.name }, `${p.name} — ${p.description}`)),
    );
    if (offered.some((p) => p.name === previous)) profile.value = previous;
    profileField.wrap.hidden = offered.length === 0;
  };
  account.addEventListener("change", () => {
    void syncProfiles();
    void check();
  });
  key.addEventListener("change", syncSignatures);
  keystore.addEventListener("change", syncVisibility);
  keyPolicy.addEventListener("change", syncVisibility);

  const reload = async () => {
    try {
      const [accounts, dns] = await Promise.all([api.accounts(), api.dnsAccounts()]);
      const previous = account.value;
      account.replaceChildren(
        ...accounts.filter((a) => a.status === "active").map((a) => h("option", { value: a.name }, `${a.name} — ${a.directory_url}`)),
      );
      if (!account.options.length) account.append(h("option", { value: "" }, "No account yet: register one in the Account tab"));
      if ([...account.options].some((o) => o.value === previous)) account.value = previous;
      void syncProfiles();
      const previousFallback = fallback.value;
      fallback.replaceChildren(...fallbackOptions(accounts));
      fallback.value = previousFallback;
      dnsAccount.replaceChildren(
        h("option", { value: "" }, "Publish the TXT records by hand"),
        ...dns.filter((d) => d.enabled).map((d) => h("option", { value: d.name }, `${d.name} (${d.provider})`)),
      );
    } catch (e) {
      showError(error, e);
    }
  };

  syncSignatures();
  syncVisibility();
  void check();

  /** Fills in a tracked certificate's names and key type (Replace with ACME). */
  const fill = (r: Replacement) => {
    names.value = r.names.join("\n");
    key.value = r.key;
    syncSignatures();
    keyNote.textContent = r.note ?? "";
    keyNote.hidden = !r.note;
    void check();
    names.focus();
  };

  const form = h(
    "form",
    { id: "request-form", class: "card", "aria-labelledby": "req-title", novalidate: true },
    h("h3", { id: "req-title" }, "New certificate request"),
    namesField.wrap,
    count,
    nameErrors,
    nameNotice,
    h(
      "div",
      { class: "grid2" },
      field("Challenge", challenge).wrap,
      dnsField.wrap,
      field("Key algorithm", key).wrap,
      keyNote,
      field("Signature", signature, "ECDSA keys sign with the hash of their curve.").wrap,
      field("Keystore", keystore).wrap,
      passwordField.wrap,
      field("Key at renewal", keyPolicy).wrap,
      importKey.wrap,
      field("ACME account", account).wrap,
      field("Fallback CA account (optional)", fallback, FALLBACK_HELP).wrap,
      profileField.wrap,
    ),
    // Kept in view at the bottom while the long form scrolls: the tab's main action.
    h("div", { class: "actions sticky" }, submit),
    error,
  );
  form.addEventListener("submit", async (e) => {
    e.preventDefault();
    showError(error, null);
    try {
      const created = await busy(submit, "Placing the order", () =>
        api.createRequest({
          names: names.value,
          // The selects hold the engine's own ids (`choices`).
          key: key.value as KeyAlgorithm,
          signature: (signature.value || undefined) as SignatureAlgorithm | undefined,
          keystore: keystore.value as KeystoreType,
          keystore_password: passwordField.wrap.hidden ? undefined : password.value || undefined,
          key_policy: keyPolicy.value as KeyPolicy,
          import_key_path: importKey.wrap.hidden ? undefined : importKey.input.value || undefined,
          challenge: challenge.value as ChallengeType,
          dns_account: dnsField.wrap.hidden ? undefined : dnsAccount.value || undefined,
          account: account.value || undefined,
          fallback_account: fallback.value || undefined,
          profile: profileField.wrap.hidden ? undefined : profile.value || undefined,
        }),
      );
      password.value = "";
      opened(created);
    } catch (err) {
      showError(error, err);
      const rejected = (err as { names?: { name: string; reason: string }[] }).names;
      if (rejected?.length) {
        clear(nameErrors, ...rejected.map((n) => h("li", {}, h("strong", {}, n.name), ": ", n.reason)));
        names.focus();
      }
    }
    ctx.changed("requests");
  });
  return { form, reload, fill };
}

/**
 * The stage of a request's ongoing work, beside its status in the table: updated as the engine
 * reports, and shown after a reload only while the request is still being worked on.
 */
function stageText(r: RequestInfo): HTMLElement {
  const s = r.status === "created" || r.status === "verifying" ? currentStage(r.id) : undefined;
  return h("span", { class: "stage muted", "data-stage-for": r.id, "aria-live": "polite" }, s ? ` — ${stageLabel(s)}` : "");
}

export function requestsTab(ctx: Ctx): Tab {
  const panel = h("section", {});
  const table = h("div", { id: "requests-list" });
  onProgress((p) => {
    const cell = table.querySelector<HTMLElement>(`[data-stage-for="${CSS.escape(p.request)}"]`);
    if (cell) {
      cell.textContent = ` — ${stageLabel(p.stage)}`;
      cell.dataset.stage = p.stage;
    }
  });
  const listError = errorSlot("requests-error");
  let settings: SettingsView | null = null;

  const open = async (id: string) => {
    try {
      settings = await api.settings();
    } catch {
      settings = null;
    }
    ctx.goTo("requests");
    challengeWindow(ctx, id, settings);
  };
  ctx.openChallenge = (id) => void open(id);

  const { form, reload, fill } = requestForm(ctx, (r) => void open(r.id));
  ctx.fillRequest = (r) => {
    ctx.goTo("requests");
    fill(r);
  };

  const load = async () => {
    try {
      const [requests, damaged, accounts] = await Promise.all([api.requests(), api.damaged("requests"), api.accounts()]);
      const all = requests.reverse();
      showError(listError, null);
      if (!all.length && !damaged.length) {
        clear(
          table,
          accounts.some((a) => a.status === "active")
            ? h("p", { class: "empty-line" }, "No requests yet: fill in the form below.")
            : emptyState(
                "No account yet",
                "A request is made with an account at a CA: register one in the Account tab first.",
                goButton("requests-empty-go", "Register an account", () => ctx.goTo("account")),
              ),
        );
        return;
      }
      clear(
        table,
        h(
          "table",
          { class: "table", "aria-label": "Certificate requests" },
          h("thead", {}, h("tr", {}, ...["Names", "Status", "Challenge", "Key", "Keystore", "Updated", ""].map((c) => h("th", { scope: "col" }, c)))),
          h(
            "tbody",
            {},
            ...all.map((r) =>
              h(
                "tr",
                { "data-request-id": r.id },
                h("th", { scope: "row" }, r.names[0] ?? "", r.names.length > 1 ? h("span", { class: "muted" }, ` +${r.names.length - 1}`) : null),
                h(
                  "td",
                  {},
                  statusBadge(r.status),
                  stageText(r),
                  r.persist_warning ? h("div", { class: "notice small-text", "data-persist-warning": r.id }, r.persist_warning) : null,
                ),
                h("td", {}, r.challenge_type),
                h("td", {}, r.key),
                h("td", {}, r.keystore),
                h("td", {}, formatDate(r.updated)),
                h(
                  "td",
                  {},
                  h(
                    "button",
                    { type: "button", class: "small", "data-open-request": r.id, onclick: () => void open(r.id), "aria-label": `Open request for ${r.names[0]}` },
                    r.status === "available" ? "Save…" : "Open",
                  ),
                ),
              ),
            ),
            ...damagedRows(damaged, 7),
          ),
        ),
      );
    } catch (e) {
      showError(listError, e);
    }
  };

  panel.append(h("h2", {}, "Requests"), table, listError, form);
  ctx.on("requests", load);
  ctx.on("accounts", () => {
    void reload();
    void load();
  });
  ctx.on("dns", () => void reload());
  return {
    id: "requests",
    label: "Requests",
    panel,
    show: () => {
      void reload();
      void load();
    },
  };
}
