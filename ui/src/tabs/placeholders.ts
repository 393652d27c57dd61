// Deploy and Windows Agent: the tabs exist from the start and say plainly that their content
// comes with the deployment work, and what to do until then.

import { Tab } from "../app";
import { emptyState, h } from "../dom";

export function deployTab(): Tab {
  const panel = h(
    "section",
    {},
    h("h2", {}, "Deploy"),
    emptyState(
      "No deployment targets yet",
      "Copying certificates to servers (SSH, nginx and Apache reloads, Java keystores, Windows certificate stores) comes with the deployment work.",
      "Until then, export a certificate from the Certificates tab (PEM, PKCS#12 or JKS) and install it yourself.",
    ),
  );
  return { id: "deploy", label: "Deploy", panel, show: () => {} };
}

export function agentTab(): Tab {
  const panel = h(
    "section",
    {},
    h("h2", {}, "Windows Agent"),
    emptyState(
      "No Windows agents yet",
      "The agent that installs renewed certificates into IIS and the Windows certificate store of your servers comes with the deployment work.",
      "Until then, export a PKCS#12 file from the Certificates tab and import it on the server.",
    ),
  );
  return { id: "agent", label: "Windows Agent", panel, show: () => {} };
}
