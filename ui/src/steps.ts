// The engine's next steps in the window's terms: what to do, with the tab or button that does
// it, never a command line. An error's step is shown beside the error (dom.ts); a request's step
// also gets the button that takes it (tabs/requests.ts).

import { Dns01Declined, Listing, NextStep } from "./api";

/** Each listing by what it lists, for a next step that points to one. */
const LISTED: Record<Listing, string> = {
  accounts: "ACME accounts",
  requests: "requests",
  certificates: "certificates (a request's is listed once it is saved)",
  dns_accounts: "DNS accounts",
  deployments: "deploy mappings",
  notice_channels: "notice channels",
};

/** Where to look for a thing a step or an error names: the tab's list, never a command. */
function lookItUp(listing: Listing): string {
  return `Look it up in the list of ${LISTED[listing]}.`;
}

/** Why a mapping does not answer dns-01, and where to make it, in the window's terms. */
function declinedWords(d: Dns01Declined): string {
  const fix =
    d.source === "mapping"
      ? "set its DNS command in the Deploy tab"
      : "set dns_command in the agent's configuration on the server and restart the agent";
  return `Mapping ${d.mapping} does not answer dns-01 (${fix})`;
}

/** `field` of a configuration in words, or its fields when the step names none. */
function fieldWords(field: string | null | undefined): string {
  return field ? `its ${field} field` : "its fields";
}

/** `step` as the window says it. */
export function stepText(step: NextStep): string {
  switch (step.step) {
    case "publish": {
      const what =
        step.challenge === "http-01"
          ? "Serve each file content at its URL (or let the built-in responder answer), then press Verify."
          : step.challenge === "dns-persist-01"
            ? "Publish each name's standing dns-persist-01 record once (DNS tab, Standing record), then press Verify."
            : step.challenge === "tls-alpn-01"
              ? "Port 443 of each name must answer the acme-tls/1 protocol with the name's validation certificate: press Verify with the built-in responder (Settings, tls-alpn-01 listen address) on that port, or serve the certificates yourself, then press Verify."
              : "Publish each TXT record and wait until it resolves, then press Verify.";
      const why = step.declined ? `${declinedWords(step.declined)} and the request has no DNS account. ` : "";
      return why + what;
    }
    case "verify": {
      const by = step.by;
      return by.publisher === "dns_account"
        ? `Press Verify: the DNS account ${by.account} publishes the TXT records, waits until every nameserver has them, and removes them afterwards.`
        : by.publisher === "mapping"
          ? `Press Verify: mapping ${by.mapping} publishes the TXT records, and removes them afterwards.`
          : `${declinedWords(by.declined)}, so the DNS account ${by.account} publishes the TXT records: press Verify.`;
    }
    case "resume":
      return `The last step was cut off (${step.cause}): press Verify to continue where it stopped.`;
    case "save":
      return "The certificate is issued: save it to the repository.";
    case "new_challenge": {
      const cause = step.cause ? `${step.cause}. ` : "The CA refused (its problem document is below). ";
      return `${cause}Fix the cause, then press New challenge for a fresh order.`;
    }
    case "renew":
      return "Renew the certificate now.";
    case "deploy":
      return `The certificate is saved, but deploying it through mapping ${step.mapping} failed: deploy it again once the cause is fixed.`;
    case "remove_leftovers": {
      const left =
        step.leftover === "txt_records"
          ? `The TXT records are still published (${step.cause}): remove them by hand.`
          : `The http-01 tokens are still on the end server (${step.cause}): remove them.`;
      return step.then ? `${stepText(step.then)} ${left}` : left;
    }
    case "register_account":
      return "Register an ACME account (or import one) in the Account tab first.";
    case "replace_account":
      return `Delete account ${step.account} in the Account tab, then import or register it again.`;
    case "choose_mapping":
      return `Choose the deploy mapping of request ${step.request} (or none) first, in the Requests tab.`;
    case "edit_mapping":
      return `Set ${fieldWords(step.field)} of mapping ${step.mapping} in the Deploy tab.`;
    case "enable_mapping":
      return `Enable mapping ${step.mapping} in the Deploy tab, or give the request another mapping.`;
    case "test_mapping":
      return step.accept
        ? `Test mapping ${step.mapping} in the Deploy tab and, after checking the identity it shows out of band, accept it.`
        : `Test mapping ${step.mapping} in the Deploy tab.`;
    case "pair_agent":
      return `If the agent was reinstalled, remove agent ${step.agent} in the Windows Agent tab and pair it again; otherwise something else answers at that address.`;
    case "edit_dns_account":
      return `Set ${fieldWords(step.field)} of DNS account ${step.account} in the DNS tab.`;
    case "enable_dns_account":
      return `Enable DNS account ${step.account} in the DNS tab, or assign the request another.`;
    case "configure_smtp":
      return step.part === "password"
        ? "Set the SMTP password in the Settings tab."
        : "Set the SMTP server in the Settings tab.";
    case "reset_secrets":
      return "Put the data folder's master key back into the keychain and start certdesk again, or choose another data folder in Settings.";
    case "see_list":
      return lookItUp(step.listing);
    case "worded":
      return step.text;
  }
}
