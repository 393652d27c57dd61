// The typed command layer: one function per Tauri command of src-tauri, and the types the engine
// serialises. Every failure arrives as a CommandError, whatever went wrong.
//
// The types mirror the engine's serde output (engine/src/*.rs); keep them in step with it.

import { invoke } from "@tauri-apps/api/core";

export type ErrorKind = "input" | "remote" | "local";

export interface Subproblem {
  identifier?: string;
  type?: string;
  detail?: string;
}

/** The CA's problem document, whole (RFC 8555 §6.7). */
export interface Problem {
  type?: string;
  detail?: string;
  status?: number;
  subproblems?: Subproblem[];
}

export interface NameError {
  name: string;
  reason: string;
}

export interface CommandError {
  kind: ErrorKind;
  message: string;
  problem?: Problem;
  names?: NameError[];
}

export interface Choice {
  id: string;
  label: string;
}
export interface KeyChoice extends Choice {
  signatures: string[];
}
export interface FormatChoice extends Choice {
  extension: string;
  needs_password: boolean;
}
export interface CaChoice {
  kind: CaKind;
  label: string;
  url?: string;
}
export interface Choices {
  keys: KeyChoice[];
  signatures: Choice[];
  keystores: FormatChoice[];
  export_formats: FormatChoice[];
  challenges: Choice[];
  key_policies: Choice[];
  revocation_reasons: Choice[];
  cas: CaChoice[];
  max_names: number;
}

export type RequestStatus =
  | "created"
  | "pending"
  | "verifying"
  | "available"
  | "failed"
  | "saved"
  | "renewed"
  | "revoked";

export type Challenge =
  | { type: "http-01"; domain: string; token: string; key_authorization: string; url: string; status: string }
  | { type: "dns-01"; domain: string; record_name: string; record_value: string; status: string };

/** What the administrator must do next (crates/base/src/next_step.rs); the window words it. */
export type NextStep =
  | { step: "publish"; request: string; challenge: "http-01" | "dns-01"; declined?: Dns01Declined }
  | { step: "verify"; request: string; by: Publisher }
  | { step: "resume"; request: string; cause: string }
  | { step: "save"; request: string }
  | { step: "new_challenge"; request: string; cause?: string }
  | { step: "renew"; cert: string }
  | { step: "deploy"; mapping: string; cert: string }
  | { step: "remove_leftovers"; leftover: "txt_records" | "http01_tokens"; cause: string; then?: NextStep }
  | { step: "worded"; text: string };
export type Publisher =
  | { publisher: "dns_account"; account: string }
  | { publisher: "mapping"; mapping: string }
  | { publisher: "dns_account_instead"; declined: Dns01Declined; account: string };
export interface Dns01Declined {
  mapping: string;
  source: "mapping" | "server";
}

export interface RequestInfo {
  id: string;
  names: string[];
  account: string;
  /** The account at another CA that renews after failed attempts in a row at `account`. */
  fallback_account?: string;
  /** The account of the current order when the fallback placed it. */
  order_account?: string;
  key: string;
  signature: string;
  keystore: string;
  key_policy: string;
  challenge_type: "http-01" | "dns-01";
  dns_account?: string;
  profile?: string;
  /** The deploy mapping that publishes http-01 tokens and installs the certificate. */
  deploy?: string;
  auto_deploy: boolean;
  status: RequestStatus;
  order_url?: string;
  challenges: Challenge[];
  problem?: Problem;
  next_step?: NextStep;
  created: string;
  updated: string;
}

/** A saved certificate whose renewals are failing, from the scheduler's state. */
export interface FailingRenewal {
  id: string;
  names: string[];
  not_after: string;
  failures: number;
  last_attempt?: string;
  next_attempt?: string;
  last_error?: string;
}
/** The renewal scheduler's health: its last and next pass, and what is failing. */
export interface RenewalHealth {
  last_run?: string | null;
  next_run?: string | null;
  failing: FailingRenewal[];
  /** The damaged records the last pass skipped. */
  skipped: Damaged[];
}

export interface AppInfo {
  version: string;
  data_dir: string;
  data_dir_source: "env" | "chosen" | "default";
  open_error: CommandError | null;
  interrupted: RequestInfo[];
  choices: Choices;
}

export type CaKind = "lets_encrypt" | "lets_encrypt_staging" | "directory";
export interface CaForm {
  kind: CaKind;
  url?: string;
}

export interface AccountInfo {
  name: string;
  email: string;
  directory_url: string;
  url: string;
  status: "active" | "deactivated";
  created: string;
  ca_root_pem?: string;
}

export interface CaTerms {
  directory_url: string;
  terms_of_service: string | null;
  external_account_required: boolean;
  profiles: string[];
}

export interface RegisterForm {
  name: string;
  email: string;
  ca: CaForm;
  ca_root_path?: string;
  eab_kid?: string;
  eab_hmac?: string;
  agree_tos: boolean;
}

export interface ImportForm {
  name: string;
  key_path: string;
  ca: CaForm;
  ca_root_path?: string;
}

export interface FieldSpec {
  name: string;
  label: string;
  secret: boolean;
  required: boolean;
  help: string;
}
export interface ProviderSpec {
  id: string;
  label: string;
  /** The least privilege to grant the credentials. */
  privilege: string;
  fields: FieldSpec[];
}
export interface DnsAccountInfo {
  name: string;
  provider: string;
  enabled: boolean;
  fields: Record<string, string>;
  secrets_set: string[];
}
export type SecretChange = { action: "keep" } | { action: "set"; value: string } | { action: "clear" };
export interface DnsAccountForm {
  original_name?: string;
  name: string;
  provider: string;
  enabled: boolean;
  fields: Record<string, string>;
  secrets: Record<string, SecretChange>;
}

/** A kind of deploy mapping (ssh, agent) and its form. */
export interface TargetSpec {
  kind: string;
  label: string;
  fields: FieldSpec[];
}
export interface LastDeploy {
  ok: boolean;
  cert: string;
  message: string;
  at: string;
}
export interface MappingInfo {
  name: string;
  kind: string;
  fields: Record<string, string>;
  secrets_set: string[];
  last_deploy?: LastDeploy;
  /** How the mapping publishes dns-01 TXT records; null when it does not. */
  dns01: string | null;
}
export interface MappingForm {
  original_name?: string;
  name: string;
  kind: string;
  fields: Record<string, string>;
  secrets: Record<string, SecretChange>;
}
export interface Probe {
  summary: string;
  /** A server identity (SSH host key) not pinned yet: pin it only once the admin compared it. */
  unpinned?: { field: string; value: string };
}
export interface Deployed {
  summary: string;
  served_serial?: string;
}

export interface NameCheck {
  count: number;
  names: string[];
  errors: NameError[];
  message: string | null;
}

export interface RequestForm {
  names: string;
  key: string;
  signature?: string;
  keystore: string;
  keystore_password?: string;
  key_policy: string;
  import_key_path?: string;
  challenge: string;
  dns_account?: string;
  account?: string;
  fallback_account?: string;
  profile?: string;
}

export interface CertInfo {
  serial: string;
  subject: string;
  issuer: string;
  names: string[];
  not_before: string;
  not_after: string;
  key_type: string;
  sha256_fingerprint: string;
}

export interface CertSummary extends CertInfo {
  id: string;
  days_left: number;
  status: "valid" | "expired" | "revoked";
  versions: number;
}

export interface Revocation {
  reason: string;
  at: string;
}

export interface CertDetails extends CertSummary {
  certificate_pem: string;
  chain: CertInfo[];
  revoked?: Revocation;
  request?: RequestInfo;
}

export interface CertVersion extends CertInfo {
  certificate_pem: string;
  chain_pem: string;
  saved: string;
  revoked?: Revocation;
  /** The account (and CA) whose order it came from; absent on versions saved before this was recorded. */
  issued_by?: { account: string; directory_url: string };
}

/** engine `store::Damaged`: a record that does not read, or whose secret does not open where it is. */
export interface Damaged {
  id: string;
  /** What failed. */
  damaged: string;
}

/** engine `sealing::Listed`: the listings that show damaged records. */
export type Listed = "accounts" | "requests" | "certificates" | "dns_accounts" | "deployments";

/** engine `renewal::PassReport`, the part the window shows (the skipped records come with the health). */
export interface PassReport {
  outcomes: RenewalOutcome[];
}

export interface RenewalOutcome {
  id: string;
  names: string[];
  /** engine `renewal::Action`. */
  action: "renewed" | "waiting" | "failed" | "reminder";
  request?: RequestInfo;
  error?: string;
}

export interface SmtpView {
  host: string;
  port: number;
  username: string;
  from: string;
  to: string;
  security: SmtpSecurity;
  /** One mail a day with every renewal notice instead of one mail each. */
  digest: boolean;
  password_set: boolean;
}
export type SmtpSecurity = "starttls" | "tls" | "none";
/** A mail the SMTP server accepted. */
export interface MailSent {
  server: string;
  from: string;
  to: string;
  subject: string;
}
/** A certificate to e-mail: pkcs12/jks carry the key under a password, pem the chain only. */
export interface CertMail {
  to: string;
  format: "pkcs12" | "jks" | "pem";
  password?: string;
  message?: string;
}
export interface SettingsView {
  renew_days_before: number;
  notify_issued: boolean;
  notify_failed: boolean;
  notify_renewed: boolean;
  http_listen: string | null;
  smtp: SmtpView;
}
export interface SettingsUpdate extends Omit<SettingsView, "smtp"> {
  smtp: Omit<SmtpView, "password_set"> & { password: SecretChange };
}

/** A paired certdesk agent and its answer to a health call (engine/src/agents.rs). */
export interface AgentStatus {
  name: string;
  url: string;
  fingerprint: string;
  online: boolean;
  /** The agent's version and setup, or what went wrong. */
  message: string;
}
/** A new pairing: the token is shown once. */
/** The agent package written by `agent_package` (engine `agent_package::AgentPackage`). */
export interface AgentPackage {
  path: string;
  folder: string;
  version: string;
  binary_sha256: string;
  size: number;
}

/** An example agent configuration (engine `agent_package::ExampleConfig`). */
export interface ExampleConfig {
  file: string;
  title: string;
  config: string;
}

export interface PairedAgent {
  mapping: { name: string; fields: Record<string, string> };
  token: string;
}

/** Any rejection as a CommandError: the app's own, or a bare string from Tauri itself. */
function asCommandError(e: unknown): CommandError {
  if (e && typeof e === "object" && "message" in e && "kind" in e) return e as CommandError;
  return { kind: "local", message: typeof e === "string" ? e : String(e) };
}

async function call<T>(cmd: string, args?: Record<string, unknown>): Promise<T> {
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

  checkNames: (text: string, challenge: string) => call<NameCheck>("check_names", { text, challenge }),
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
  exportCert: (id: string, format: string, password: string | undefined, path: string) =>
    call<string>("export_cert", { id, format, password, path }),
  renew: (id: string) => call<RequestInfo>("renew", { id }),
  renewDue: () => call<PassReport>("renew_due"),
  damaged: (listed: Listed) => call<Damaged[]>("damaged", { listed }),
  renewalHealth: () => call<RenewalHealth>("renewal_health"),
  revoke: (id: string, reason: string) => call<CertSummary>("revoke", { id, reason }),
  deleteCert: (id: string) => call<CertSummary>("delete_cert", { id }),

  settings: () => call<SettingsView>("settings"),
  saveSettings: (update: SettingsUpdate) => call<SettingsView>("save_settings", { update }),
  sendTestMail: () => call<MailSent>("send_test_mail"),
  mailCert: (id: string, mail: CertMail) => call<MailSent>("mail_cert", { id, mail }),

  agents: () => call<AgentStatus[]>("agents"),
  agentFingerprint: (url: string) => call<string>("agent_fingerprint", { url }),
  pairAgent: (name: string, url: string, fingerprint: string) =>
    call<PairedAgent>("pair_agent", { name, url, fingerprint }),
  removeAgent: (name: string) => call<unknown>("remove_agent", { name }),
  agentPackage: (path: string) => call<AgentPackage>("agent_package", { path }),
  agentExamples: () => call<ExampleConfig[]>("agent_examples"),
};
