// The typed command layer: one function per Tauri command of src-tauri. Every failure arrives as
// a CommandError, whatever went wrong.
//
// The types and the command names are the Rust definitions' own: ./bindings.ts is generated
// from them (see README, Development) and a test fails when it is stale, so a changed type or a
// renamed command fails the page's build here instead of drifting.

import { invoke } from "@tauri-apps/api/core";
import type {
  AccountInfo,
  AgentPackage,
  AgentStatus,
  AppInfo,
  CaForm,
  CaTerms,
  CertDetails,
  CertMail,
  CertSummary,
  CertVersion,
  Command,
  CommandError,
  Damaged,
  Deployed,
  DnsAccountForm,
  DnsAccountInfo,
  ExampleConfig,
  ExportFormat,
  Health,
  ImportForm,
  Listing,
  MailSent,
  MappingForm,
  MappingInfo,
  NameCheck,
  OrderChallenge,
  PairedAgent,
  PassReport,
  Probe,
  ProviderSpec,
  RegisterForm,
  RequestForm,
  RequestInfo,
  RevocationReason,
  SettingsUpdate,
  SettingsView,
  TargetSpec,
  Ca,
  ChallengeType,
} from "./bindings";

export type * from "./bindings";

/** The CA presets of the account form (engine `acme::Ca`). */
export type CaKind = Ca["kind"];

/** A challenge of the request's current order (engine `request::OrderChallenge`). */
export type Challenge = OrderChallenge;

/** Any rejection as a CommandError: the app's own, or a bare string from Tauri itself. */
function asCommandError(e: unknown): CommandError {
  if (e && typeof e === "object" && "message" in e && "kind" in e) return e as CommandError;
  return { kind: "local", message: typeof e === "string" ? e : String(e) };
}

async function call<T>(cmd: Command, args?: Record<string, unknown>): Promise<T> {
  try {
    return await invoke<T>(cmd, args);
  } catch (e) {
    throw asCommandError(e);
  }
}

export function isCommandError(e: unknown): e is CommandError {
  return !!e && typeof e === "object" && "kind" in e && "message" in e;
}

export const api = {
  appInfo: () => call<AppInfo>("app_info"),
  chooseDataDir: (path: string) => call<string>("choose_data_dir", { path }),
  restart: () => call<void>("restart"),
  autostartEnabled: () => call<boolean>("autostart_enabled"),
  setAutostart: (enabled: boolean) => call<boolean>("set_autostart", { enabled }),

  accounts: () => call<AccountInfo[]>("accounts"),
  caTerms: (ca: CaForm, caRootPath?: string) => call<CaTerms>("ca_terms", { ca, caRootPath }),
  registerAccount: (form: RegisterForm) => call<AccountInfo>("register_account", { form }),
  importAccount: (form: ImportForm) => call<AccountInfo>("import_account", { form }),
  updateAccountEmail: (name: string, email: string) =>
    call<AccountInfo>("update_account_email", { name, email }),
  exportAccountKey: (name: string, path: string) => call<string>("export_account_key", { name, path }),
  deleteAccount: (name: string) => call<AccountInfo>("delete_account", { name }),
  deactivateAccount: (name: string, confirmation: string) =>
    call<AccountInfo>("deactivate_account", { name, confirmation }),

  dnsProviders: () => call<ProviderSpec[]>("dns_providers"),
  dnsAccounts: () => call<DnsAccountInfo[]>("dns_accounts"),
  saveDnsAccount: (form: DnsAccountForm) => call<DnsAccountInfo>("save_dns_account", { form }),
  deleteDnsAccount: (name: string) => call<DnsAccountInfo>("delete_dns_account", { name }),
  setDnsAccountEnabled: (name: string, enabled: boolean) =>
    call<DnsAccountInfo>("set_dns_account_enabled", { name, enabled }),
  testDnsAccount: (name: string, zone: string | null) => call<string>("test_dns_account", { name, zone }),
  assignDns: (id: string, account: string | null) => call<RequestInfo>("assign_dns", { id, account }),

  deployKinds: () => call<TargetSpec[]>("deploy_kinds"),
  deployments: () => call<MappingInfo[]>("deployments"),
  saveDeployment: (form: MappingForm) => call<MappingInfo>("save_deployment", { form }),
  deleteDeployment: (name: string) => call<MappingInfo>("delete_deployment", { name }),
  testDeployment: (name: string, accept: boolean) => call<Probe>("test_deployment", { name, accept }),
  deployNow: (name: string, cert: string) => call<Deployed>("deploy_now", { name, cert }),
  setDeploy: (id: string, mapping: string | null, auto: boolean) =>
    call<RequestInfo>("set_deploy", { id, mapping, auto }),

  checkNames: (text: string, challenge: ChallengeType) => call<NameCheck>("check_names", { text, challenge }),
  createRequest: (form: RequestForm) => call<RequestInfo>("create_request", { form }),
  requests: () => call<RequestInfo[]>("requests"),
  request: (id: string) => call<RequestInfo>("request", { id }),
  verify: (id: string, useResponder: boolean) => call<RequestInfo>("verify", { id, useResponder }),
  newChallenge: (id: string) => call<RequestInfo>("new_challenge", { id }),
  saveRequest: (id: string) => call<CertSummary>("save_request", { id }),
  setFallback: (id: string, account: string | null) => call<RequestInfo>("set_fallback", { id, account }),

  certs: () => call<CertSummary[]>("certs"),
  certDetails: (id: string) => call<CertDetails>("cert_details", { id }),
  history: (id: string) => call<CertVersion[]>("history", { id }),
  exportCert: (id: string, format: ExportFormat, password: string | undefined, path: string) =>
    call<string>("export_cert", { id, format, password, path }),
  renew: (id: string) => call<RequestInfo>("renew", { id }),
  renewDue: () => call<PassReport>("renew_due"),
  damaged: (listed: Listing) => call<Damaged[]>("damaged", { listed }),
  renewalHealth: () => call<Health>("renewal_health"),
  revoke: (id: string, reason: RevocationReason) => call<CertSummary>("revoke", { id, reason }),
  deleteCert: (id: string) => call<CertSummary>("delete_cert", { id }),

  settings: () => call<SettingsView>("settings"),
  saveSettings: (update: SettingsUpdate) => call<SettingsView>("save_settings", { update }),
  sendTestMail: () => call<MailSent>("send_test_mail"),
  mailCert: (id: string, mail: CertMail) => call<MailSent>("mail_cert", { id, mail }),

  agents: () => call<AgentStatus[]>("agents"),
  agentFingerprint: (url: string) => call<string>("agent_fingerprint", { url }),
  pairAgent: (name: string, url: string, fingerprint: string) =>
    call<PairedAgent>("pair_agent", { name, url, fingerprint }),
  removeAgent: (name: string) => call<MappingInfo>("remove_agent", { name }),
  agentPackage: (path: string) => call<AgentPackage>("agent_package", { path }),
  agentExamples: () => call<ExampleConfig[]>("agent_examples"),
};
