// The Settings tab's notice channels: a signed webhook, Slack, Microsoft Teams and ntfy, which get
// every renewal notice beside e-mail and the desktop. Each kind's form is drawn from its field
// declarations (engine/src/notify/<kind>.rs) by the shared builder (../config_form.ts), so a new
// kind needs no change here. Secrets (the webhook's secret, the Slack and Teams URLs, the ntfy
// token) show "set" once saved and are never sent back.

import { api, ChannelInfo, ChannelKind } from "../api";
import { configFields, lastTest } from "../config_form";
import { badge, busy, clear, confirmDialog, damagedRows, emptyState, errorSlot, field, h, modal, select, showError } from "../dom";

function channelDialog(kinds: ChannelKind[], existing: ChannelInfo | null, done: () => void): void {
  modal(existing ? `Edit ${existing.name}` : "Add a notice channel", (close) => {
    const name = h("input", { id: "channel-name", type: "text", value: existing?.name ?? "", autocomplete: "off" });
    const kind = select(
      "channel-kind",
      kinds.map((k) => ({ id: k.kind, label: k.label })),
      existing?.kind ?? kinds[0]?.kind,
    );
    const enabled = h("input", { id: "channel-enabled", type: "checkbox", checked: existing?.enabled ?? true });
    const config = configFields({ prefix: "channel" });
    const error = errorSlot("channel-error");
    const submit = h("button", { id: "channel-submit", type: "submit", class: "primary" }, "Save");
    const drawFields = () => {
      const spec = kinds.find((k) => k.kind === kind.value);
      config.draw(spec?.fields ?? [], existing?.kind === kind.value ? existing : null);
    };
    kind.addEventListener("change", drawFields);
    drawFields();
    const form = h(
      "form",
      { novalidate: true },
      field("Name", name).wrap,
      field("Kind", kind).wrap,
      config.box,
      field("Enabled (gets every renewal notice)", enabled).wrap,
      h("div", { class: "actions" }, h("button", { type: "button", onclick: close }, "Cancel"), submit),
      error,
    );
    form.addEventListener("submit", async (e) => {
      e.preventDefault();
      const { fields, secrets } = config.values();
      try {
        await busy(submit, "Saving", () =>
          api.saveNoticeChannel({
            original_name: existing?.name,
            name: name.value,
            kind: kind.value,
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

/** The channels card: a table of the channels with Edit, Test, Enable/Disable and Delete. */
export function channelsCard(): { card: HTMLElement; load: () => Promise<void> } {
  const body = h("div", { id: "channels-list" });
  const error = errorSlot("channels-error");
  const add = h("button", { id: "channels-add", type: "button" }, "Add notice channel…");
  let kinds: ChannelKind[] = [];
  /** The last Test's outcome, shown in its channel's row beside the button until the next Test. */
  let tested: { name: string; answer: string } | { name: string; error: unknown } | null = null;

  const act = async (work: () => Promise<unknown>) => {
    try {
      await work();
      showError(error, null);
    } catch (e) {
      showError(error, e);
    }
    await load();
  };

  const row = (c: ChannelInfo) => {
    const test = h("button", { type: "button", class: "small" }, "Test");
    test.addEventListener("click", async () => {
      tested = null;
      try {
        tested = { name: c.name, answer: await busy(test, "Testing", () => api.testNoticeChannel(c.name)) };
      } catch (e) {
        tested = { name: c.name, error: e };
      }
      await load();
    });
    let outcome: HTMLElement | null = null;
    if (tested?.name === c.name) {
      if ("answer" in tested) {
        outcome = h("p", { class: "ok", role: "status", "data-test-result": "ok" }, tested.answer);
      } else {
        outcome = errorSlot();
        outcome.dataset.testResult = "failed";
        showError(outcome, tested.error);
      }
    }
    return h(
      "tr",
      { "data-channel": c.name },
      h("th", { scope: "row" }, c.name),
      h("td", {}, kinds.find((k) => k.kind === c.kind)?.label ?? c.kind),
      h("td", {}, badge(c.enabled ? "Enabled" : "Disabled", c.enabled ? "ok" : "muted"), lastTest(c), outcome),
      h(
        "td",
        { class: "row-actions" },
        h("button", { type: "button", class: "small", onclick: () => channelDialog(kinds, c, () => void load()) }, "Edit"),
        test,
        h("button", { type: "button", class: "small", onclick: () => act(() => api.setNoticeChannelEnabled(c.name, !c.enabled)) }, c.enabled ? "Disable" : "Enable"),
        h(
          "button",
          {
            type: "button",
            class: "small danger",
            onclick: async () => {
              if (!(await confirmDialog(`Delete ${c.name}?`, [h("p", {}, "Its stored secrets are removed from this machine.")], "Delete", true))) return;
              await act(() => api.deleteNoticeChannel(c.name));
            },
          },
          "Delete",
        ),
      ),
    );
  };

  const load = async () => {
    try {
      const [k, channels, damaged] = await Promise.all([api.noticeChannelKinds(), api.noticeChannels(), api.damaged("notice_channels")]);
      kinds = k;
      if (!channels.length && !damaged.length) {
        clear(body, emptyState("No notice channels", `Add one to get renewal notices in ${kinds.map((x) => x.label).join(", ")}.`));
        return;
      }
      clear(
        body,
        h(
          "table",
          { class: "table", "aria-label": "Notice channels" },
          h("thead", {}, h("tr", {}, ...["Name", "Kind", "State", ""].map((c) => h("th", { scope: "col" }, c)))),
          h("tbody", {}, ...channels.map(row), ...damagedRows(damaged, 4)),
        ),
      );
    } catch (e) {
      showError(error, e);
    }
  };
  add.addEventListener("click", () => channelDialog(kinds, null, () => void load()));
  const card = h(
    "div",
    { class: "card", "aria-labelledby": "channels-title" },
    h("h3", { id: "channels-title" }, "Notice channels"),
    h("p", { class: "muted" }, "Webhook (signed with X-Certdesk-Signature), Slack, Microsoft Teams and ntfy get every renewal notice beside e-mail."),
    h("div", { class: "actions start" }, add),
    body,
    error,
  );
  return { card, load };
}
