// certdesk's window: builds the tabs and wires them to the engine's commands.

import { listen } from "@tauri-apps/api/event";
import { api, AppInfo } from "./api";
import { listenProgress } from "./progress";
import { Ctx, Tab } from "./app";
import { clear, h, showError, errorSlot } from "./dom";
import { accountTab } from "./tabs/account";
import { certificatesTab } from "./tabs/certificates";
import { dnsTab } from "./tabs/dns";
import { deployTab } from "./tabs/deploy";
import { agentTab } from "./tabs/agent";
import { overviewTab } from "./tabs/overview";
import { endpointsTab } from "./tabs/endpoints";
import { activityTab } from "./tabs/activity";
import { requestsTab } from "./tabs/requests";
import { settingsTab } from "./tabs/settings";

function banners(ctx: Ctx): void {
  const slot = document.getElementById("banners")!;
  clear(slot);
  const info = ctx.info;
  if (info.open_error) {
    const err = errorSlot("open-error");
    showError(err, info.open_error);
    slot.append(
      h(
        "section",
        { class: "banner banner-error", "aria-labelledby": "open-error-title" },
        h("h2", { id: "open-error-title" }, `certdesk cannot open its data folder ${info.data_dir}`),
        err,
        h("p", {}, "Fix the cause and restart certdesk, or choose another data folder in Settings."),
      ),
    );
  }
  if (info.interrupted.length) {
    slot.append(
      h(
        "section",
        { class: "banner banner-warn", "aria-label": "Interrupted requests" },
        h("p", {}, `${info.interrupted.length} request(s) were interrupted by a crash or a kill:`),
        h(
          "ul",
          {},
          ...info.interrupted.map((r) =>
            h(
              "li",
              {},
              h("strong", {}, r.names.join(", ")),
              ` (${r.status}) — `,
              h(
                "button",
                { type: "button", class: "link", onclick: () => ctx.openChallenge(r.id) },
                "open it to continue",
              ),
            ),
          ),
        ),
      ),
    );
  }
}

/**
 * WAI-ARIA tabs: arrow keys move between tabs, Home/End jump, Tab goes into the panel. `order`
 * puts the tabs in an order (the Overview first once an account exists) without a restart;
 * the tab shown stays shown.
 */
function buildTabs(ctx: Ctx, all: Tab[]): { order: (tabs: Tab[]) => void } {
  const list = document.getElementById("tabs")!;
  const panels = document.getElementById("panels")!;
  let tabs = all;
  const button = new Map(
    all.map((t) => [
      t.id,
      h(
        "button",
        {
          type: "button",
          role: "tab",
          id: `tab-${t.id}`,
          "aria-controls": `panel-${t.id}`,
          "aria-selected": "false",
          tabindex: "-1",
        },
        t.label,
      ),
    ]),
  );
  all.forEach((t) => {
    t.panel.id = `panel-${t.id}`;
    t.panel.setAttribute("role", "tabpanel");
    t.panel.setAttribute("aria-labelledby", `tab-${t.id}`);
    t.panel.setAttribute("tabindex", "0");
    t.panel.classList.add("panel");
    t.panel.hidden = true;
    panels.append(t.panel);
  });
  const select = (id: string, focus: boolean) => {
    for (const t of tabs) {
      const on = t.id === id;
      const b = button.get(t.id)!;
      b.setAttribute("aria-selected", String(on));
      b.tabIndex = on ? 0 : -1;
      t.panel.hidden = !on;
      if (on && focus) b.focus();
      if (on) t.show();
    }
  };
  for (const [id, b] of button) {
    b.addEventListener("click", () => select(id, false));
    b.addEventListener("keydown", (e) => {
      const i = tabs.findIndex((t) => t.id === id);
      const last = tabs.length - 1;
      const target =
        e.key === "ArrowRight" ? (i === last ? 0 : i + 1)
        : e.key === "ArrowLeft" ? (i === 0 ? last : i - 1)
        : e.key === "Home" ? 0
        : e.key === "End" ? last
        : -1;
      if (target >= 0) {
        e.preventDefault();
        select(tabs[target].id, true);
      }
    });
  }
  ctx.goTo = (id) => {
    if (tabs.some((t) => t.id === id)) select(id, false);
  };
  const order = (next: Tab[]) => {
    tabs = next;
    list.replaceChildren(...tabs.map((t) => button.get(t.id)!));
  };
  order(all);
  select(all[0].id, false);
  return { order };
}

/** Quit ends certdesk, not just the window (closing it leaves the tray): a button and Ctrl+Q. */
function wireQuit(): void {
  document.getElementById("quit")!.addEventListener("click", () => void api.quit());
  document.addEventListener("keydown", (e) => {
    if (e.ctrlKey && !e.altKey && !e.shiftKey && e.key.toLowerCase() === "q") {
      e.preventDefault();
      void api.quit();
    }
  });
}

async function start(): Promise<void> {
  wireQuit();
  let info: AppInfo;
  try {
    info = await api.appInfo();
  } catch (e) {
    const err = errorSlot();
    showError(err, e);
    document.getElementById("banners")!.append(err);
    return;
  }
  const ctx = new Ctx(info);
  document.getElementById("data-dir")!.textContent = `Data folder: ${info.data_dir}`;
  // The Overview comes first once there is an account to have certificates with; before, the
  // Account tab does (and the Overview, second, says what is missing). The first registration
  // (or the last account's deletion) reorders them at once.
  const hasAccount = () => api.accounts().then((a) => a.length > 0, () => false);
  const account = accountTab(ctx);
  const overview = overviewTab(ctx);
  const rest: Tab[] = [
    dnsTab(ctx),
    requestsTab(ctx),
    certificatesTab(ctx),
    endpointsTab(ctx),
    deployTab(ctx),
    agentTab(),
    settingsTab(ctx),
    activityTab(ctx),
  ];
  const ordered = (accounts: boolean): Tab[] => [...(accounts ? [overview, account] : [account, overview]), ...rest];
  const { order } = buildTabs(ctx, ordered(await hasAccount()));
  ctx.on("accounts", () => void hasAccount().then((a) => order(ordered(a))));
  banners(ctx);
  // The tray renews in the background: reload what it changed.
  await listen("certs-changed", () => {
    ctx.changed("certs");
    ctx.changed("requests");
  });
  // The stages of verify, renew and new orders, shown beside the request.
  await listenProgress();
  document.body.dataset.ready = "true";
}

void start();
