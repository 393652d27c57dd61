// The Settings tab: data folder, renewal window, the built-in http-01 responder, notifications
// (the notice channels in ./channels.ts),
// start at login, and SMTP (renewal notices, the daily digest, a test mail). The SMTP password shows "set"
// once saved and is never sent back.

import { api, RenewalOutcome, SecretChange, SettingsView, SmtpSecurity } from "../api";
import { Ctx, Tab } from "../app";
import { badge, busy, clear, DAMAGED_HELP, errorSlot, field, formatDate, h, select, showError } from "../dom";
import { pathField } from "../files";
import { channelsCard } from "./channels";

/**
 * The renewal scheduler at a glance: when it last ran and runs next, and each certificate whose
 * renewal is failing with its next attempt, so a failure is seen at once, not near expiry.
 */
/** One certificate of a "Renew due now" pass, in words (desktop notifications say the same). */
function outcomeLine(o: RenewalOutcome): HTMLElement {
  const name = o.names[0] ?? o.id;
  const what: Record<RenewalOutcome["action"], string> = {
    renewed: "renewed",
    waiting: "ordered; publish its challenges in the Requests tab, then Verify",
    failed: `failed: ${o.error ?? "see the Requests tab"}`,
    reminder: "due, and its challenges are published by hand: renew it by hand in the Certificates tab",
  };
  // What the renewal did besides its plan (an order the CA refused as alreadyReplaced, placed
  // again without `replaces`): said with the outcome, so the second order is not a surprise.
  return h("li", {}, h("strong", {}, name), `: ${what[o.action]}`, o.note ? h("div", { class: "muted", "data-note": "" }, `Note: ${o.note}.`) : null);
}

function schedulerCard(): { card: HTMLElement; load: () => Promise<void> } {
  const runs = h("p", { id: "sched-runs" });
  const failing = h("ul", { id: "sched-failing", "aria-label": "Failing renewals" });
  const skipped = h("ul", { id: "sched-skipped", "aria-label": "Damaged records the last run skipped" });
  const error = errorSlot("sched-error");
  const run = h("button", { id: "sched-run", type: "button" }, "Renew due now");
  const result = h("ul", { id: "sched-result", role: "status", "aria-label": "Last renewals" });
  const card = h(
    "div",
    { class: "card", "aria-labelledby": "sched-title" },
    h("h3", { id: "sched-title" }, "Renewal scheduler"),
    runs,
    failing,
    skipped,
    h("div", { class: "actions" }, run),
    result,
    error,
  );
  run.addEventListener("click", async () => {
    try {
      const report = await busy(run, "Renewing", () => api.renewDue());
      showError(error, null);
      clear(result, ...(report.outcomes.length ? report.outcomes.map(outcomeLine) : [h("li", { class: "muted" }, "Nothing is due.")]));
      await load();
    } catch (e) {
      clear(result);
      showError(error, e);
    }
  });
  const load = async () => {
    try {
      const health = await api.renewalHealth();
      showError(error, null);
      const last = health.last_run ? formatDate(health.last_run) : "not yet";
      const next = health.next_run ? formatDate(health.next_run) : "when a certificate is saved";
      runs.textContent = `Last run: ${last}. Next run: ${next}.`;
      clear(
        failing,
        ...(health.failing.length
          ? health.failing.map((f) =>
              h(
                "li",
                {},
                h("strong", {}, f.names.join(", ")),
                `: ${f.failures} failed attempt${f.failures === 1 ? "" : "s"}`,
                f.next_attempt ? `, next at ${formatDate(f.next_attempt)}` : "",
                f.last_error ? ` — ${f.last_error}` : "",
              ),
            )
          : [h("li", { class: "muted" }, "No renewal is failing.")]),
      );
      clear(
        skipped,
        ...health.skipped.map((d) =>
          h("li", { class: "damaged" }, badge("Damaged", "error"), ` skipped damaged record ${d.id}: ${d.damaged}. ${DAMAGED_HELP}`),
        ),
      );
    } catch (e) {
      showError(error, e);
    }
  };
  return { card, load };
}

function dataFolderCard(ctx: Ctx): HTMLElement {
  const info = ctx.info;
  const path = pathField("New data folder", "set-data-dir", "folder", "Opened at the next start; the current folder is left as it is.");
  const choose = h("button", { id: "set-data-dir-submit", type: "submit", class: "primary" }, "Use at next start");
  const restart = h("button", { id: "set-restart", type: "button" }, "Restart now");
  restart.hidden = true;
  restart.addEventListener("click", () => void api.restart());
  const error = errorSlot("set-data-dir-error");
  const note = h("p", { class: "ok", role: "status" });
  const fromEnv = info.data_dir_source === "env";
  const form = h(
    "form",
    { class: "card", "aria-labelledby": "set-data-title", novalidate: true },
    h("h3", { id: "set-data-title" }, "Data folder"),
    h("p", {}, h("code", { id: "set-current-data-dir", class: "selectable" }, info.data_dir)),
    h(
      "p",
      { class: "muted" },
      fromEnv
        ? "Set by CERTDESK_DATA_DIR for this run."
        : "Certificates, requests and sealed secrets live here; the key that unseals them lives in the system keychain.",
    ),
    fromEnv ? null : path.wrap,
    fromEnv ? null : h("div", { class: "actions" }, restart, choose),
    note,
    error,
  );
  form.addEventListener("submit", async (e) => {
    e.preventDefault();
    showError(error, null);
    try {
      const dir = await busy(choose, "Saving", () => api.chooseDataDir(path.input.value));
      note.textContent = `certdesk opens ${dir} at its next start.`;
      restart.hidden = false;
    } catch (err) {
      showError(error, err);
    }
  });
  return form;
}

function settingsForm(): { form: HTMLElement; load: () => Promise<void> } {
  const days = h("input", { id: "set-renew-days", type: "number", min: 0, max: 397 });
  const listen = h("input", { id: "set-http-listen", type: "text", placeholder: "0.0.0.0:80", autocomplete: "off" });
  const tlsListen = h("input", { id: "set-tls-alpn-listen", type: "text", placeholder: "0.0.0.0:443", autocomplete: "off" });
  const issued = h("input", { id: "set-notify-issued", type: "checkbox" });
  const failed = h("input", { id: "set-notify-failed", type: "checkbox" });
  const renewed = h("input", { id: "set-notify-renewed", type: "checkbox" });
  const autostart = h("input", { id: "set-autostart", type: "checkbox" });
  const autostartError = errorSlot("set-autostart-error");
  const host = h("input", { id: "set-smtp-host", type: "text", autocomplete: "off" });
  const port = h("input", { id: "set-smtp-port", type: "number", min: 1, max: 65535 });
  const user = h("input", { id: "set-smtp-user", type: "text", autocomplete: "off" });
  const password = h("input", { id: "set-smtp-password", type: "password", autocomplete: "new-password" });
  const clearPassword = h("input", { id: "set-smtp-clear", type: "checkbox" });
  const clearField = field("Remove the stored password", clearPassword);
  const from = h("input", { id: "set-smtp-from", type: "email" });
  const to = h("input", { id: "set-smtp-to", type: "email" });
  const security = select("set-smtp-security", [
    { id: "starttls", label: "STARTTLS (port 587)" },
    { id: "tls", label: "TLS (port 465)" },
    { id: "none", label: "None (port 25, unencrypted)" },
  ]);
  const digest = h("input", { id: "set-mail-digest", type: "checkbox" });
  const testMail = h("button", { id: "set-test-mail", type: "button" }, "Send test e-mail");
  const testMailNote = h("p", { class: "ok", role: "status", id: "set-test-mail-sent" });
  const testMailError = errorSlot("set-test-mail-error");
  const submit = h("button", { id: "set-submit", type: "submit", class: "primary" }, "Save settings");
  const error = errorSlot("set-error");
  const saved = h("p", { class: "ok", role: "status", id: "set-saved" });

  const fill = (s: SettingsView) => {
    days.value = String(s.renew_days_before);
    listen.value = s.http_listen ?? "";
    tlsListen.value = s.tls_alpn_listen ?? "";
    issued.checked = s.notify_issued;
    failed.checked = s.notify_failed;
    renewed.checked = s.notify_renewed;
    host.value = s.smtp.host;
    port.value = String(s.smtp.port);
    user.value = s.smtp.username;
    password.value = "";
    password.placeholder = s.smtp.password_set ? "set — leave empty to keep" : "";
    clearPassword.checked = false;
    clearField.wrap.hidden = !s.smtp.password_set;
    from.value = s.smtp.from;
    to.value = s.smtp.to;
    security.value = s.smtp.security;
    digest.checked = s.smtp.digest;
  };
  const load = async () => {
    try {
      fill(await api.settings());
      autostart.checked = await api.autostartEnabled();
    } catch (e) {
      showError(error, e);
    }
  };
  autostart.addEventListener("change", async () => {
    showError(autostartError, null);
    try {
      autostart.checked = await api.setAutostart(autostart.checked);
    } catch (e) {
      autostart.checked = !autostart.checked;
      showError(autostartError, e);
    }
  });

  const form = h(
    "form",
    { class: "card", "aria-labelledby": "set-title", novalidate: true },
    h("h3", { id: "set-title" }, "Renewal and notifications"),
    field("Renew when this many days are left", days, "0: when the CA suggests (ACME Renewal Information), else with a third of the lifetime left (30 days of a 90-day certificate), or at half the lifetime for a certificate valid under 10 days.").wrap,
    field(
      "Built-in http-01 responder address (optional)",
      listen,
      "IP:PORT where certdesk answers http-01 itself during Verify and renewals, e.g. 0.0.0.0:80 or a port your web server proxies /.well-known/acme-challenge/ to.",
    ).wrap,
    field(
      "Built-in tls-alpn-01 responder address (optional)",
      tlsListen,
      "IP:PORT where certdesk answers tls-alpn-01 itself during Verify and renewals: port 443 of the names, e.g. 0.0.0.0:443, while no web server holds it.",
    ).wrap,
    h(
      "fieldset",
      {},
      h("legend", {}, "Desktop notifications"),
      field("When a certificate is issued", issued).wrap,
      field("When issuance or renewal fails", failed).wrap,
      field("When a certificate is renewed", renewed).wrap,
    ),
    h("fieldset", {}, h("legend", {}, "Start"), field("Start certdesk at login (in the tray)", autostart).wrap, autostartError),
    h(
      "fieldset",
      {},
      h("legend", {}, "E-mail (SMTP): renewal notices and certificates"),
      h(
        "div",
        { class: "grid2" },
        field("Server", host).wrap,
        field("Port", port, "587 with STARTTLS, 465 with TLS.").wrap,
        field("User name", user).wrap,
        field("Password", password, "Stored sealed; never shown again.").wrap,
        clearField.wrap,
        field("From", from).wrap,
        field("To", to).wrap,
        field("Security", security).wrap,
        field("Daily digest", digest, "One mail a day with every renewal notice instead of one mail each.").wrap,
      ),
      h("div", { class: "actions" }, testMail),
      testMailNote,
      testMailError,
    ),
    h("div", { class: "actions" }, submit),
    saved,
    error,
  );
  form.addEventListener("submit", async (e) => {
    e.preventDefault();
    showError(error, null);
    saved.textContent = "";
    const pw: SecretChange = clearPassword.checked
      ? { action: "clear" }
      : password.value
        ? { action: "set", value: password.value }
        : { action: "keep" };
    try {
      const s = await busy(submit, "Saving", () =>
        api.saveSettings({
          renew_days_before: Number(days.value),
          notify_issued: issued.checked,
          notify_failed: failed.checked,
          notify_renewed: renewed.checked,
          http_listen: listen.value.trim() || null,
          tls_alpn_listen: tlsListen.value.trim() || null,
          smtp: {
            host: host.value,
            port: Number(port.value) || 0,
            username: user.value,
            from: from.value,
            to: to.value,
            security: security.value as SmtpSecurity,
            digest: digest.checked,
            password: pw,
          },
        }),
      );
      fill(s);
      saved.textContent = "Settings saved.";
    } catch (err) {
      showError(error, err);
    }
  });
  // Sends with the saved settings: save first, then test.
  testMail.addEventListener("click", async () => {
    showError(testMailError, null);
    testMailNote.textContent = "";
    try {
      const sent = await busy(testMail, "Sending", () => api.sendTestMail());
      testMailNote.textContent = `Test e-mail sent to ${sent.to} through ${sent.server}.`;
    } catch (err) {
      showError(testMailError, err);
    }
  });
  return { form, load };
}

export function settingsTab(ctx: Ctx): Tab {
  const panel = h("section", {});
  const { form, load } = settingsForm();
  const about = h("p", { class: "muted" });
  clear(about, `certdesk ${ctx.info.version}`);
  const scheduler = schedulerCard();
  const channels = channelsCard();
  panel.append(h("h2", {}, "Settings"), h("div", { class: "columns" }, form, h("div", {}, scheduler.card, channels.card, dataFolderCard(ctx))), about);
  return {
    id: "settings",
    label: "Settings",
    panel,
    show: () => {
      void load();
      void scheduler.load();
      void channels.load();
      ctx.changed("settings");
    },
  };
}
