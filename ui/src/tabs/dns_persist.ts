// The DNS tab's dns-persist-01 section: the one standing TXT record that lets orders for a name
// prove it with no DNS change (engine/src/persist.rs). Shown for the account and name, written
// through a DNS account when asked (it stays), and checked at every authoritative nameserver.

import { api, DnsAccountInfo, PersistCheck, PersistRecordInfo } from "../api";
import { busy, errorSlot, field, h, select, showError } from "../dom";

function recordText(r: PersistRecordInfo): string {
  const lines = [`Name:  ${r.name}`, `Value: ${r.value}`, `(account ${r.account}, CA ${r.issuer})`];
  if (r.notice) lines.push(r.notice);
  return lines.join("\n");
}

function checkText(c: PersistCheck): string {
  const lines = [
    `${c.name} in zone ${c.zone}: ${c.ok ? "every authoritative nameserver serves the record" : "not every authoritative nameserver serves the record"}`,
    ...c.servers.map((s) => `${s.server}: ${s.state} (${s.detail})`),
  ];
  if (c.warning) lines.push(`Warning: ${c.warning}`);
  return lines.join("\n");
}

/** The section, with the DNS accounts it may write through or look up with. */
export function persistSection(accounts: DnsAccountInfo[]): HTMLElement {
  const domain = h("input", { id: "persist-domain", type: "text", autocomplete: "off", placeholder: "example.com" });
  const wildcard = h("input", { id: "persist-wildcard", type: "checkbox" });
  const until = h("input", { id: "persist-until", type: "date" });
  const dns = select("persist-dns", [{ id: "", label: "None" }, ...accounts.map((a) => ({ id: a.name, label: a.name }))], "");
  const show = h("button", { id: "persist-show", type: "submit", class: "primary" }, "Show record");
  const write = h("button", { id: "persist-write", type: "button" }, "Write through DNS account");
  const check = h("button", { id: "persist-check", type: "button" }, "Check nameservers");
  const result = h("pre", { id: "persist-result", role: "status", "aria-live": "polite" });
  const error = errorSlot("persist-error");
  const dnsAccount = () => dns.value || null;
  const run = async (button: HTMLButtonElement, label: string, work: () => Promise<string>) => {
    showError(error, null);
    result.textContent = "";
    try {
      result.textContent = await busy(button, label, work);
    } catch (e) {
      showError(error, e);
    }
  };
  const record = (writeWith: string | null) =>
    api.persistRecord(null, domain.value.trim(), wildcard.checked, until.value || null, writeWith).then(recordText);
  const form = h(
    "form",
    { novalidate: true, id: "persist-form" },
    field("Domain", domain).wrap,
    field("Wildcard", wildcard, "Adds policy=wildcard: the record also proves *.DOMAIN.").wrap,
    field("Valid until (optional)", until, "persistUntil: the CA stops accepting the record after this day; certdesk warns 30 days before.").wrap,
    field("DNS account (optional)", dns, "Writes the record (it stays) and is where the check looks up the nameservers.").wrap,
    h("div", { class: "actions start" }, show, write, check),
    result,
    error,
  );
  form.addEventListener("submit", (e) => {
    e.preventDefault();
    void run(show, "Showing", () => record(null));
  });
  write.addEventListener("click", () => {
    const account = dnsAccount();
    if (!account) return showError(error, "Choose the DNS account to write through.");
    void run(write, "Writing", () => record(account));
  });
  check.addEventListener("click", () =>
    void run(check, "Checking", () => api.persistCheck(null, domain.value.trim(), dnsAccount()).then(checkText)),
  );
  return h(
    "section",
    { id: "persist-section", "aria-labelledby": "persist-title" },
    h("h2", { id: "persist-title" }, "Standing record (dns-persist-01)"),
    h("p", { class: "muted" }, "Publish one TXT record per name once; orders with the dns-persist-01 challenge then need no DNS change, and renewals no DNS account."),
    form,
  );
}
