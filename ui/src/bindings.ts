// Generated from the Rust types the commands take and return (ts-rs), from the command
// list (src-tauri/src/command_list.rs) and from the commands' functions
// (src-tauri/src/commands). Do not edit: run `UPDATE_BINDINGS=1 cargo test -p certdesk-app --test bindings`.

/**
 * What the faces show of an account.
 */
export type AccountInfo = { name: string, 
/**
 * The contact given at the CA; empty when none was (it is optional).
 */
email: string, ca: Ca, directory_url: string, 
/**
 * The account's URL at the CA (its id).
 */
url: string, status: AccountStatus, created: string, 
/**
 * An extra root trusted for this CA's TLS (a private CA, Pebble).
 */
ca_root_pem?: string, };

export type AccountStatus = "active" | "deactivated";

/**
 * What happened to one certificate in a pass.
 */
export type Action = "renewed" | "waiting" | "failed" | "reminder";

/**
 * What an entry records.
 */
export type ActivityAction = "register_account" | "import_account" | "update_account" | "deactivate_account" | "delete_account" | "create_request" | "verify_request" | "new_challenge" | "save_certificate" | "import_certificate" | "mail_certificate" | "deploy" | "renew" | "revoke" | "delete_certificate" | "export_certificate" | "update_settings" | "test_mail" | "send_digest" | "export_account_key" | "assign_dns" | "set_deploy" | "set_fallback" | "write_persist_record" | "add_dns_account" | "edit_dns_account" | "delete_dns_account" | "enable_dns_account" | "disable_dns_account" | "test_dns_account" | "add_mapping" | "edit_mapping" | "delete_mapping" | "enable_mapping" | "disable_mapping" | "test_mapping" | "pair_agent" | "remove_agent" | "add_notice_channel" | "edit_notice_channel" | "delete_notice_channel" | "enable_notice_channel" | "disable_notice_channel" | "test_notice_channel" | "add_endpoint" | "delete_endpoint" | "check_endpoint";

/**
 * One entry of the log.
 */
export type ActivityEntry = { 
/**
 * The store's key: the time in nanoseconds since 1970, zero-padded.
 */
id: string, 
/**
 * One past the previous entry's.
 */
seq: number, time: string, face: Face, action: ActivityAction, subject: ActivitySubject, outcome: ActivityOutcome, };

/**
 * Which entries to read.
 */
export type ActivityFilter = { 
/**
 * Entries at or after this time.
 */
since?: string | null, 
/**
 * Entries about this request or certificate.
 */
cert?: string | null, 
/**
 * Entries that contain this text anywhere (any case): the window's search.
 */
text?: string | null, };

/**
 * The entries a read found, oldest first, and those that did not read.
 */
export type ActivityLog = { entries: Array<ActivityEntry>, damaged: Array<Damaged>, };

/**
 * How the action ended.
 */
export type ActivityOutcome = { "status": "ok", 
/**
 * What the result was, when "ok" alone does not say it (a renewal that waits).
 */
detail?: string | null, } | { "status": "failed", message: string, 
/**
 * The CA's problem document, whole.
 */
problem?: Problem | null, };

/**
 * How long the log keeps its entries: the settings' `activity`.
 */
export type ActivityRetention = { 
/**
 * Entries older than this many days are pruned (0: kept whatever their age).
 */
retention_days: number, 
/**
 * At most this many entries are kept, the oldest pruned first (at least 1).
 */
max_entries: number, };

/**
 * What an entry is about; each part only where the action has it.
 */
export type ActivitySubject = { 
/**
 * The request's id, which is also its saved certificate's.
 */
request?: string | null, account?: string | null, names?: Array<string>, 
/**
 * Anything else that names the subject: a deploy mapping, a mail's recipient.
 */
target?: string | null, };

/**
 * What [`write`] produced.
 */
export type AgentPackage = { 
/**
 * Where the package was written.
 */
path: string, 
/**
 * The folder the package unpacks into, e.g. `certdesk-agent-0.1.0`.
 */
folder: string, version: string, 
/**
 * SHA-256 of the agent binary inside (lower-case hex), as `sha256sum` prints it.
 */
binary_sha256: string, 
/**
 * The package's size in bytes.
 */
size: number, };

/**
 * A paired agent and its answer to a test call, or why there was none.
 */
export type AgentStatus = { name: string, url: string, fingerprint: string, online: boolean, 
/**
 * The agent's version, platform and setup in words, or what went wrong.
 */
message: string, };

export type AppInfo = { version: string, data_dir: string, 
/**
 * Where the data folder came from; `env` cannot be changed in Settings.
 */
data_dir_source: Source, 
/**
 * Why the data folder could not be opened; everything else is unavailable then.
 */
open_error?: CommandError | null, 
/**
 * Requests cut off by a crash or kill, and what to do about each (`next_step`).
 */
interrupted: Array<RequestInfo>, choices: Choices, };

/**
 * Which CA an account lives at.
 */
export type Ca = { "kind": "lets_encrypt" } | { "kind": "lets_encrypt_staging" } | { "kind": "directory", "url": string };

export type CaChoice = { 
/**
 * `lets_encrypt`, `lets_encrypt_staging` or `directory` (a URL the user gives).
 */
kind: string, label: string, url?: string, };

/**
 * The CA as the form chooses it: a preset, or a directory URL.
 */
export type CaForm = { 
/**
 * `lets_encrypt`, `lets_encrypt_staging` or `directory`.
 */
kind: string, url?: string | null, };

/**
 * One certificate profile a CA offers (draft-aaron-acme-profiles): what an order names in its
 * `profile` field, and the CA's words for it.
 */
export type CaProfile = { name: string, description: string, };

/**
 * What `Engine::terms` tells before registering.
 */
export type CaTerms = { directory_url: string, terms_of_service?: string | null, external_account_required: boolean, 
/**
 * The certificate profiles the CA offers, with its descriptions (none: it offers no choice).
 */
profiles: Array<CaProfile>, };

/**
 * What CAA allows today for one domain, and the record that would bind it to an account.
 */
export type CaaReport = { domain: string, 
/**
 * The records to publish that allow only this CA, account and method(s).
 */
binding: Array<string>, 
/**
 * Where the Relevant RRset lives; none: no CAA records up the tree.
 */
found_at?: string | null, 
/**
 * The records found there, in zone-file form.
 */
records: Array<string>, 
/**
 * Whether this account may issue for the domain now (by the first method asked, or any).
 */
allowed: boolean, 
/**
 * What CAA allows, in words.
 */
summary: string, };

export type CertDetails = { 
/**
 * The leaf, PEM.
 */
certificate_pem: string, 
/**
 * The issuers, leaf excluded, nearest first.
 */
chain: Array<CertInfo>, revoked?: Revocation, 
/**
 * The request's settings (key, keystore, challenge, key policy); none if it was removed.
 */
request?: RequestInfo, id: string, days_left: number, status: CertStatus, versions: number, origin: Origin, 
/**
 * Whether certdesk keeps the current version's private key (a tracked certificate's file
 * may not have held it).
 */
private_key: boolean, 
/**
 * Serial number, lower-case hex without separators.
 */
serial: string, subject: string, issuer: string, names: Array<string>, not_before: string, not_after: string, 
/**
 * "RSA 2048", "ECDSA P-256", …
 */
key_type: string, sha256_fingerprint: string, };

/**
 * What a certificate says about itself.
 */
export type CertInfo = { 
/**
 * Serial number, lower-case hex without separators.
 */
serial: string, subject: string, issuer: string, names: Array<string>, not_before: string, not_after: string, 
/**
 * "RSA 2048", "ECDSA P-256", …
 */
key_type: string, sha256_fingerprint: string, };

/**
 * A certificate mail as the administrator asked for it.
 */
export type CertMail = { to: string, format: MailFormat, 
/**
 * The keystore's password; none uses the request's keystore password.
 */
password?: string | null, 
/**
 * The administrator's words above the description of the attachment.
 */
message?: string | null, };

export type CertStatus = "valid" | "expired" | "revoked";

/**
 * A row of the repository list: the current version of an entry.
 */
export type CertSummary = { id: string, days_left: number, status: CertStatus, versions: number, origin: Origin, 
/**
 * Whether certdesk keeps the current version's private key (a tracked certificate's file
 * may not have held it).
 */
private_key: boolean, 
/**
 * Serial number, lower-case hex without separators.
 */
serial: string, subject: string, issuer: string, names: Array<string>, not_before: string, not_after: string, 
/**
 * "RSA 2048", "ECDSA P-256", …
 */
key_type: string, sha256_fingerprint: string, };

/**
 * One issued certificate of a repository entry.
 */
export type CertVersion = { certificate_pem: string, 
/**
 * The issuers, leaf excluded.
 */
chain_pem: string, saved: string, revoked?: Revocation, 
/**
 * The account, and so the CA, whose order it came from. Versions saved before certdesk
 * recorded it have none: they came from the request's own account.
 */
issued_by?: IssuedBy, 
/**
 * Serial number, lower-case hex without separators.
 */
serial: string, subject: string, issuer: string, names: Array<string>, not_before: string, not_after: string, 
/**
 * "RSA 2048", "ECDSA P-256", …
 */
key_type: string, sha256_fingerprint: string, };

/**
 * How the names will be proven to the CA. It matters here because the CA issues a wildcard
 * only to whoever controls the DNS zone, so wildcards need dns-01.
 */
export type ChallengeType = "http-01" | "dns-01" | "tls-alpn-01" | "dns-account-01" | "dns-persist-01";

/**
 * What the faces show of a notice channel.
 */
export type ChannelInfo = { name: string, 
/**
 * `webhook`, `slack`, `teams` or `ntfy`.
 */
kind: string, 
/**
 * A disabled configuration keeps its credentials but is not used.
 */
enabled: boolean, 
/**
 * The non-secret fields.
 */
fields: { [key in string]: string }, 
/**
 * The names of the secret fields that hold a value.
 */
secrets_set: Array<string>, last_test?: TestResult | null, };

/**
 * A kind as the faces show it (the window draws the form from its fields).
 */
export type ChannelKind = { kind: string, label: string, fields: Array<FieldSpec>, };

export type Choice = { id: string, label: string, };

export type Choices = { keys: Array<KeyChoice>, signatures: Array<Choice>, keystores: Array<FormatChoice>, export_formats: Array<FormatChoice>, challenges: Array<Choice>, key_policies: Array<Choice>, revocation_reasons: Array<Choice>, cas: Array<CaChoice>, max_names: number, };

export type CommandError = { 
/**
 * `input`: the user fixes the form; `remote`: the CA or network; `local`: this machine.
 */
kind: ErrorKind, 
/**
 * The engine's message, which says what to do.
 */
message: string, 
/**
 * The CA's problem document, when the CA refused.
 */
problem?: Problem, 
/**
 * What to do besides what the message says, for the page to offer.
 */
next_step?: NextStep, 
/**
 * The form field the message is about (`email`, `name`), for the page to put it beside.
 */
field?: string, 
/**
 * Each rejected domain name with its reason.
 */
names?: Array<NameError>, };

/**
 * A submitted form, whichever use it is for: a DNS account, a deploy mapping or a notice
 * channel, from the window as it is or from the CLI's `--config` ([`ConfigForm::from_config`]).
 */
export type ConfigForm = { 
/**
 * The configuration being edited (it may be renamed); none for a new one.
 */
original_name?: string | null, name: string, 
/**
 * The DNS provider, the mapping's or the channel's kind.
 */
kind: string, 
/**
 * None: as it was (a new one is enabled).
 */
enabled?: boolean | null, fields: { [key in string]: string }, secrets: { [key in string]: SecretChange }, };

/**
 * How many certificates (and requests) are in each case. `valid`, `expiring`, `expired` and
 * `revoked` split the certificates; `failing` and `waiting` cut across them.
 */
export type Counts = { 
/**
 * Valid with more than [`EXPIRING_DAYS`] left.
 */
valid: number, 
/**
 * Valid with [`EXPIRING_DAYS`] or fewer left.
 */
expiring: number, expired: number, revoked: number, 
/**
 * Certificates whose renewal failed at the last attempt.
 */
failing: number, 
/**
 * Requests that wait for the administrator.
 */
waiting: number, };

/**
 * A record that could not be read: its key and what failed.
 */
export type Damaged = { id: string, damaged: string, };

/**
 * What a successful deployment did.
 */
export type Deployed = { 
/**
 * One line for the deploy history, e.g. "3 files to web1:22, nginx reloaded, serving 0a1b…".
 */
summary: string, 
/**
 * The serial the server presented after the reload (lower-case hex), when it was checked.
 */
served_serial?: string | null, };

/**
 * A request's deploy mapping that does not answer dns-01, and where the `dns_command` that
 * would make it is set.
 */
export type Dns01Declined = { mapping: string, source: Dns01Source, };

/**
 * Where a kind of deploy mapping learns whether it answers dns-01.
 */
export type Dns01Source = "mapping" | "server";

/**
 * What the faces show of a DNS account.
 */
export type DnsAccountInfo = { name: string, provider: string, 
/**
 * A disabled configuration keeps its credentials but is not used.
 */
enabled: boolean, 
/**
 * The non-secret fields.
 */
fields: { [key in string]: string }, 
/**
 * The names of the secret fields that hold a value.
 */
secrets_set: Array<string>, last_test?: TestResult | null, };

/**
 * What one check found: the served leaf's serial, expiry and names, and the findings. With
 * no handshake, the one finding says why and the leaf's facts are empty.
 */
export type EndpointCheck = { endpoint: string, 
/**
 * The name the chain was judged for.
 */
sni: string, starttls?: Starttls | null, checked_at?: string | null, serial?: string | null, not_after?: string | null, names: Array<string>, findings: Array<Finding>, };

/**
 * What a scheduled check of a watched endpoint found that its check before did not (every
 * finding of a first check): what a notice tells.
 */
export type EndpointNews = { endpoint: string, sni: string, 
/**
 * The new findings, of kinds the check before did not have.
 */
findings: Array<Finding>, };

/**
 * The watched endpoints at a glance: how many, and those whose last check found something.
 */
export type EndpointsAtAGlance = { watched: number, 
/**
 * Never checked yet: the scheduler's next pass checks them.
 */
unchecked: number, 
/**
 * The last checks that found something.
 */
alerts: Array<EndpointCheck>, };

/**
 * Which face of the failure the user must act on; the CLI maps it to its exit code.
 */
export type ErrorKind = "input" | "remote" | "local";

/**
 * An example configuration, in the package and in the Windows Agent tab's install steps.
 */
export type ExampleConfig = { 
/**
 * Its file name in the package.
 */
file: string, 
/**
 * What it sets up, as the tab introduces it.
 */
title: string, config: string, };

/**
 * The forms a certificate can be exported in.
 */
export type ExportFormat = "pem" | "key" | "der" | "pkcs12" | "jks";

/**
 * Who drove the engine for an entry.
 */
export type Face = "cli" | "window" | "daemon" | "scheduler";

/**
 * One field of a configuration.
 */
export type FieldSpec = { 
/**
 * The key in the configuration, e.g. `api_token`.
 */
name: string, label: string, 
/**
 * Kept in the keychain and never shown again once saved.
 */
secret: boolean, required: boolean, 
/**
 * One sentence on where to find the value.
 */
help: string, };

/**
 * One thing wrong with what an endpoint serves, in words for the administrator.
 */
export type Finding = { kind: FindingKind, detail: string, 
/**
 * The repository's certificate it is about ([`FindingKind::Drift`]).
 */
cert?: string | null, 
/**
 * The deploy mapping that installs that certificate, for a "Deploy now".
 */
mapping?: string | null, };

/**
 * What a finding is about. Serialized snake_case: the faces and scripts match on it, so a new
 * kind (drift, a STARTTLS refusal, …) is one more variant.
 */
export type FindingKind = "expired" | "expires_soon" | "name_mismatch" | "self_signed" | "incomplete_chain" | "untrusted_root" | "starttls_refused" | "weak_key" | "sha1" | "drift" | "unreachable" | "handshake_failed" | "timeout" | "bad_certificate";

export type FormatChoice = { id: string, label: string, extension: string, needs_password: boolean, };

/**
 * The scheduler's health for the app: its runs and every certificate whose renewal is failing.
 */
export type Health = { last_run?: string | null, next_run?: string | null, failing: Array<Planned>, 
/**
 * The damaged records the last pass skipped (the scheduler's or "Renew due now").
 */
skipped: Array<Damaged>, };

/**
 * Why a certificate that is due waits.
 */
export type Hold = "backoff" | "ca_asked" | "daily_limit";

export type ImportForm = { name: string, key_path: string, ca: CaForm, ca_root_path?: string | null, };

/**
 * The forms a certificate file is read in.
 */
export type ImportFormat = "pem" | "der" | "pkcs12" | "jks";

/**
 * Which ACME account (and CA directory) issued a version.
 */
export type IssuedBy = { account: string, directory_url: string, };

/**
 * The kinds of key a certificate can be issued for.
 */
export type KeyAlgorithm = "rsa2048" | "rsa3072" | "rsa4096" | "p256" | "p384";

export type KeyChoice = { id: string, label: string, 
/**
 * The signature ids this key can sign with; the first is the default.
 */
signatures: Array<string>, };

/**
 * What to do with the private key when the certificate is renewed.
 */
export type KeyPolicy = "new" | "same" | "import";

/**
 * The keystore a certificate request asks for; it decides the file certdesk keeps current. Its
 * ids are those of its export format.
 */
export type KeystoreType = "pem" | "pkcs12" | "jks";

/**
 * The outcome of a mapping's latest deployment.
 */
export type LastDeploy = { ok: boolean, 
/**
 * The certificate (repository id) that was deployed.
 */
cert: string, 
/**
 * What happened, in words: the summary, or the error.
 */
message: string, at: string, };

/**
 * What a validation publishes that may stay behind.
 */
export type Leftover = "txt_records" | "http01_tokens";

/**
 * The things certdesk lists, each in its own place of a face.
 */
export type Listing = "accounts" | "requests" | "certificates" | "dns_accounts" | "deployments" | "notice_channels";

/**
 * The forms a certificate can be mailed in.
 */
export type MailFormat = "pkcs12" | "jks" | "pem";

/**
 * A mail the SMTP server accepted.
 */
export type MailSent = { 
/**
 * `host:port` of the server that took it.
 */
server: string, from: string, to: string, subject: string, };

/**
 * What the faces show of a mapping.
 */
export type MappingInfo = { name: string, 
/**
 * `ssh` or `agent`.
 */
kind: string, last_deploy?: LastDeploy | null, 
/**
 * How the mapping publishes dns-01 TXT records, in words; none when it does not (dns-01 then
 * goes to the request's DNS account, else to the administrator). An agent's answer is the
 * one it gave last (see [`Dns01Source::Server`]).
 */
dns01?: string | null, 
/**
 * A disabled configuration keeps its credentials but is not used.
 */
enabled: boolean, 
/**
 * The non-secret fields.
 */
fields: { [key in string]: string }, 
/**
 * The names of the secret fields that hold a value.
 */
secrets_set: Array<string>, last_test?: TestResult | null, };

/**
 * One certificate on the timeline of expiries.
 */
export type Mark = { id: string, 
/**
 * Its first name, as the certificates list shows it.
 */
name: string, not_after: string, 
/**
 * Negative once expired; the window places marks beyond [`HORIZON_DAYS`] at its edge.
 */
days_left: number, state: MarkState, 
/**
 * Issued elsewhere and tracked: certdesk reminds, it does not renew.
 */
tracked: boolean, };

/**
 * A certificate's state on the timeline, the most pressing first: a revoked or expired
 * certificate is that whatever its renewal does, a failing renewal outweighs a waiting one.
 */
export type MarkState = "revoked" | "expired" | "failing" | "waiting" | "expiring" | "valid";

/**
 * One name of a certificate: a DNS name or an IP address, each validated by [`validate`].
 * Stored and shown as its text; read back without validating again (see [`DomainName`]): text
 * that parses as an IP address is one, anything else a DNS name.
 */
export type Name = string;

/**
 * The live check of the names field.
 */
export type NameCheck = { 
/**
 * How many entries the field holds.
 */
count: number, 
/**
 * The names as they will be sent (punycode, lower-case), when all are valid.
 */
names: Array<string>, 
/**
 * Each rejected entry with its reason.
 */
errors: Array<NameError>, 
/**
 * A problem with the list as a whole (empty, too many names).
 */
message?: string | null, 
/**
 * Names accepted only because the account's CA is a private one, said beside the field.
 */
notice?: string | null, };

/**
 * A rejected domain name and why.
 */
export type NameError = { name: string, reason: string, };

/**
 * One kind of next step and every request that waits for it ("2 requests wait for a challenge
 * to be published"): the window words `step`, the first such request's, and opens it.
 */
export type NextAction = { step: NextStep, 
/**
 * The requests (a renewal's is its certificate's id) that wait for a step of this kind.
 */
requests: Array<string>, };

/**
 * The step a request waits for, with the data a face needs to offer it. Tagged by `step`, in
 * snake case, because the window receives it as it is serialised here.
 */
export type NextStep = { "step": "publish", request: string, challenge: ChallengeType, declined?: Dns01Declined | null, } | { "step": "verify", request: string, by: Publisher, } | { "step": "resume", request: string, cause: string, } | { "step": "save", request: string, } | { "step": "new_challenge", request: string, cause?: string | null, } | { "step": "renew", cert: string, } | { "step": "deploy", mapping: string, cert: string, } | { "step": "remove_leftovers", leftover: Leftover, cause: string, then?: NextStep | null, } | { "step": "register_account" } | { "step": "replace_account", account: string, } | { "step": "choose_mapping", request: string, } | { "step": "edit_mapping", mapping: string, field?: string | null, } | { "step": "enable_mapping", mapping: string, } | { "step": "test_mapping", mapping: string, accept: boolean, } | { "step": "pair_agent", agent: string, } | { "step": "edit_dns_account", account: string, field?: string | null, } | { "step": "enable_dns_account", account: string, } | { "step": "configure_smtp", part: SmtpPart, } | { "step": "reset_secrets" } | { "step": "see_list", listing: Listing, } | { "step": "worded", text: string, };

/**
 * A challenge of the current order and where it stands at the CA.
 */
export type OrderChallenge = { 
/**
 * `pending`, `valid` (also when the CA reused an earlier authorization) or `invalid`.
 */
status: string, } & ({ "type": "http-01", domain: string, token: string, key_authorization: string, url: string, } | { "type": "dns-01", domain: string, record_name: string, record_value: string, 
/**
 * `token.THUMBPRINT` (RFC 8555 §8.4), whose digest `record_value` is: what an agent is
 * sent, so that it can refuse an account it was not paired with. Empty in orders placed
 * before certdesk kept it.
 */
key_authorization: string, } | { "type": "tls-alpn-01", domain: string, key_authorization: string, });

/**
 * Where a repository entry came from. An issued one is renewed by certdesk through its request
 * (same id); a tracked one was imported from a file, has no request, and is listed, noticed
 * before it expires and exported like an issued one, but never renewed or revoked by certdesk.
 */
export type Origin = { "kind": "issued" } | { "kind": "tracked" } & Tracked;

/**
 * The Overview tab's data, in one answer.
 */
export type Overview = { counts: Counts, 
/**
 * Every certificate, soonest expiry first.
 */
marks: Array<Mark>, 
/**
 * [`EXPIRING_DAYS`], for the legend.
 */
expiring_days: number, 
/**
 * [`HORIZON_DAYS`], the timeline's axis.
 */
horizon_days: number, scheduler: Health, 
/**
 * The next steps that wait, grouped by kind, in the order the requests were created.
 */
actions: Array<NextAction>, endpoints: EndpointsAtAGlance, };

/**
 * A new pairing, with the token the page shows once and never gets again.
 */
export type PairedAgent = { mapping: MappingInfo, token: string, };

/**
 * One pass: what it did, and when the next one has work.
 */
export type PassReport = { at: string, outcomes: Array<RenewalOutcome>, 
/**
 * The soonest time a certificate is due after this pass.
 */
next_due?: string | null, 
/**
 * Certificates whose time has come that wait (`held_by` says why, `next_attempt` until
 * when): a backoff, the CA's rate limit, or the daily guard.
 */
held?: Array<Planned>, 
/**
 * Notices that could not be sent, by e-mail or through a notice channel (the renewals
 * stand).
 */
mail_errors?: Array<string>, 
/**
 * Certificates and requests whose records do not read: left out of the pass.
 */
skipped?: Array<Damaged>, 
/**
 * Watched endpoints whose check in this pass found what the check before did not.
 */
endpoints?: Array<EndpointNews>, 
/**
 * Why the endpoints due for a check could not be checked, if they could not.
 */
endpoint_error?: string | null, };

/**
 * The read-only check of a standing record at every authoritative nameserver.
 */
export type PersistCheck = { domain: string, name: string, zone: string, servers: Array<ServerAnswer>, 
/**
 * Every server serves a record this CA takes for this account and name.
 */
ok: boolean, 
/**
 * `persistUntil` within [`WARN_BEFORE`] (or past).
 */
warning?: string | null, };

/**
 * The record to publish for one account and name.
 */
export type PersistRecordInfo = { 
/**
 * The name as asked (`*.example.com` for a wildcard).
 */
domain: string, 
/**
 * The TXT name: `_validation-persist.<base name>`.
 */
name: string, 
/**
 * The TXT value.
 */
value: string, account: string, account_url: string, issuer: string, wildcard: boolean, persist_until: string | null, 
/**
 * A warning about `persist_until`, or where the record was written.
 */
notice?: string | null, };

/**
 * A server identity seen by [`DeployTarget::test`] that the mapping does not pin yet.
 */
export type Pin = { 
/**
 * The mapping field that pins it, e.g. `host_key_sha256`.
 */
field: string, 
/**
 * The value to store there when the administrator accepts it.
 */
value: string, };

/**
 * When a certificate is due and why.
 */
export type Plan = { at: string, reason: Reason, };

/**
 * One saved certificate as the scheduler sees it. It crosses the control socket
 * ([`crate::control`]) for a dry run; the fields the pass itself needs do not.
 */
export type Planned = { id: string, names: Array<string>, not_after: string, 
/**
 * When it renews and why; none when it never renews on its own.
 */
plan?: Plan | null, 
/**
 * Renewed without the administrator (built-in responder, deploy mapping or DNS account);
 * otherwise the administrator is reminded.
 */
automated: boolean, 
/**
 * Failed attempts in a row.
 */
failures: number, last_attempt?: string | null, 
/**
 * No attempt before this (backoff after failures, the CA's rate limit, the daily guard).
 */
next_attempt?: string | null, 
/**
 * Why there is no attempt before `next_attempt`.
 */
held_by?: Hold | null, last_error?: string | null, 
/**
 * What the administrator must do about the last failure, when it says.
 */
next_step?: NextStep | null, };

/**
 * The outcome of [`DeployTarget::test`].
 */
export type Probe = { 
/**
 * What was checked, in words (e.g. "logged in to web1:22 as deploy; /var/www writable").
 */
summary: string, unpinned?: Pin, };

/**
 * The CA's problem document (RFC 8555 §6.7, RFC 7807), kept whole: type, detail, status and the
 * per-identifier subproblems.
 */
export type Problem = { type?: string, detail?: string, status?: number, subproblems?: Array<Subproblem>, 
/**
 * The CA's `Retry-After` header with the problem, in seconds from its answer: a
 * `rateLimited` CA (RFC 8555 §6.6) or an overloaded one says when to ask again.
 */
retry_after_secs?: number, 
/**
 * The page the CA sends the administrator to (RFC 7807 `instance`; RFC 8555 §7.3.3's
 * `userActionRequired` names one, as a paused account's problem may).
 */
instance?: string, };

/**
 * `dns::ProviderSpec` as its hand-written `Serialize` writes it (the spec itself holds the
 * provider's constructor). [`shapes_match_the_engine`] checks the two agree.
 */
export type ProviderSpec = { id: string, label: string, 
/**
 * The least privilege to grant the credentials.
 */
privilege: string, fields: Array<FieldSpec>, };

/**
 * Who publishes the TXT records when the administrator verifies.
 */
export type Publisher = { "publisher": "dns_account", account: string, } | { "publisher": "mapping", mapping: string, } | { "publisher": "dns_account_instead", declined: Dns01Declined, account: string, };

/**
 * Why a certificate renews when it does; shown by `certdesk renew --due --dry-run`.
 */
export type Reason = { "rule": "ari", start: string, end: string, } | { "rule": "ari_now", end: string, explanation_url?: string | null, } | { "rule": "lifetime", lifetime_days: number, } | { "rule": "setting", days: number, } | { "rule": "revoked" };

export type RegisterForm = { name: string, 
/**
 * Optional: Let's Encrypt no longer writes about expiring certificates.
 */
email?: string | null, ca: CaForm, 
/**
 * A PEM file with an extra root for the CA's HTTPS (a private CA).
 */
ca_root_path?: string | null, eab_kid?: string | null, eab_hmac?: string | null, agree_tos: boolean, };

/**
 * The outcome of one certificate in a pass of [`Engine::renew_due_once`].
 */
export type RenewalOutcome = { id: string, names: Array<string>, action: Action, 
/**
 * Why it was due.
 */
reason: Reason, 
/**
 * The request after the renewal: `renewed` when it went through, `pending` when its
 * challenges wait to be published by hand.
 */
request?: RequestInfo, 
/**
 * Why the renewal failed, in words.
 */
error?: string, 
/**
 * What the administrator must do before the renewal can go through, when the failure
 * says.
 */
next_step?: NextStep, 
/**
 * When a failed renewal is tried again.
 */
next_attempt?: string, not_after: string, 
/**
 * What the renewal did besides its plan, in words: an order the CA refused as
 * `alreadyReplaced` placed again without `replaces`.
 */
note?: string, };

/**
 * What a request that replaces a tracked certificate with one from an ACME CA starts from: the
 * certificate's names and key type, for the faces to fill their request form with.
 */
export type Replacement = { 
/**
 * The DNS names and IP addresses of its SANs, then its common name when not among them.
 */
names: Array<string>, key: KeyAlgorithm, 
/**
 * Why `key` is not the certificate's own (a key type certdesk does not issue for).
 */
note?: string, };

export type RequestForm = { 
/**
 * The names field as typed.
 */
names: string, key: KeyAlgorithm, signature?: SignatureAlgorithm | null, keystore: KeystoreType, 
/**
 * Sealed by the engine at once; never sent back to the page.
 */
keystore_password?: string | null, key_policy: KeyPolicy, 
/**
 * The PEM file of the key to import, read here so the key never passes through the page.
 */
import_key_path?: string | null, challenge: ChallengeType, 
/**
 * The DNS account that publishes the dns-01 records; none: by hand.
 */
dns_account?: string | null, account?: string | null, 
/**
 * An account at another CA that renews after failures in a row; none: no fallback.
 */
fallback_account?: string | null, profile?: string | null, };

/**
 * What the faces show of a request.
 */
export type RequestInfo = { id: string, 
/**
 * DNS names and IP addresses, all SANs; the first, when a DNS name, is the common name.
 */
names: Array<Name>, 
/**
 * Why some names were accepted although a public CA refuses them: the account's CA is a
 * private one (a custom directory). Shown beside the request.
 */
names_notice?: string, 
/**
 * A dns-persist-01 request's standing record stops being accepted soon (its
 * `persistUntil` within [`persist::WARN_BEFORE`](crate::persist::WARN_BEFORE)) or has: set
 * when the records are checked before an order is answered, cleared when every name's
 * record is fresh. Shown beside the request.
 */
persist_warning?: string, account: string, 
/**
 * The account (at another CA) that places a renewal's order after
 * [`FALLBACK_AFTER`](crate::renewal::FALLBACK_AFTER) failed attempts in a row at `account`.
 * `account` stays the request's CA: the next renewal goes there first again.
 */
fallback_account?: string, 
/**
 * The account the current order was placed with, when not `account` (a renewal by the
 * fallback): the order is driven, and its certificate revoked and asked about (ARI), there.
 */
order_account?: string, key: KeyAlgorithm, signature: SignatureAlgorithm, keystore: KeystoreType, key_policy: KeyPolicy, challenge_type: ChallengeType, 
/**
 * Publishes the dns-01 records of every order (and renewal) of this request.
 */
dns_account?: string, profile?: string, preferred_chain?: string, 
/**
 * The deploy mapping that publishes the http-01 tokens of every order (and renewal) on the
 * end server, and installs the certificate there.
 */
deploy?: string, 
/**
 * Deploy through `deploy` after validation (saving the certificate) and every renewal.
 */
auto_deploy: boolean, status: RequestStatus, 
/**
 * The RFC 9773 identifier of the certificate the current order replaces (a scheduled
 * renewal at a CA with ARI), sent as the order's `replaces`.
 */
replaces?: string, order_url?: string, challenges: Array<OrderChallenge>, 
/**
 * The CA's problem document when the request failed, whole.
 */
problem?: Problem, 
/**
 * What the administrator should do next; each face words it.
 */
next_step?: NextStep, created: string, updated: string, };

/**
 * Where a request stands. The faces show these as badges.
 */
export type RequestStatus = "created" | "pending" | "verifying" | "available" | "failed" | "saved" | "renewed" | "revoked";

export type Revocation = { reason: RevocationReason, at: string, };

/**
 * The RFC 5280 reasons an administrator may give.
 */
export type RevocationReason = "unspecified" | "keyCompromise" | "superseded" | "cessationOfOperation" | "affiliationChanged";

/**
 * A scan's result: what it probed, the endpoints that answer TLS with their checks, how the
 * probes went, and (with tracking) the endpoints it started watching and those watched
 * already.
 */
export type ScanReport = { scanned: Targets, found: Array<EndpointCheck>, summary: ScanSummary, tracked: Array<string>, watched_already: Array<string>, };

/**
 * How the probes went: `tls` answered a TLS handshake, `not_tls` accepted the connection and
 * spoke something else (or closed it), `no_answer` refused it, did not answer, or timed out.
 */
export type ScanSummary = { probed: number, tls: number, not_tls: number, no_answer: number, };

/**
 * What to do with a stored secret when a form is saved: a secret field of a DNS account or a
 * deploy mapping, or the SMTP password.
 */
export type SecretChange = { "action": "keep" } | { "action": "set", "value": string } | { "action": "clear" };

/**
 * What one authoritative nameserver serves at the record's name.
 */
export type ServerAnswer = { server: string, 
/**
 * `serves`, `lacks` (no record for this CA and account), `other` (a record this CA
 * would refuse) or `unreachable`.
 */
state: string, 
/**
 * What it answered or why it did not, as the administrator reads it.
 */
detail: string, };

/**
 * A settings form as submitted: the view's fields plus what to do with the SMTP password.
 */
export type SettingsUpdate = { renew_days_before: number, notify_issued: boolean, notify_failed: boolean, notify_renewed: boolean, http_listen?: string | null, tls_alpn_listen?: string | null, smtp: SmtpUpdate, 
/**
 * The activity log's retention; none keeps it as it is (a form that does not show it).
 */
activity?: ActivityRetention | null, };

/**
 * The settings as the faces see them (no secrets).
 */
export type SettingsView = { 
/**
 * Renew a certificate once it has this many days left or fewer; 0: when the CA's renewal
 * information (ARI) suggests, or with a third of its lifetime left (half, under 10 days).
 */
renew_days_before: number, notify_issued: boolean, notify_failed: boolean, notify_renewed: boolean, 
/**
 * Where the built-in http-01 responder listens during verification (`IP:PORT`); none means
 * the administrator publishes the tokens.
 */
http_listen?: string | null, 
/**
 * Where the built-in tls-alpn-01 responder listens during verification (`IP:PORT`, port
 * 443 of the names); none means the administrator serves the validation certificates.
 */
tls_alpn_listen?: string | null, smtp: SmtpView, 
/**
 * How long the activity log keeps its entries.
 */
activity: ActivityRetention, };

/**
 * The hash a CSR (and so, with most CAs, the certificate request) is signed with.
 */
export type SignatureAlgorithm = "sha256" | "sha384" | "sha512";

/**
 * Which part of the SMTP settings a step asks for.
 */
export type SmtpPart = "server" | "password";

/**
 * How the connection to the SMTP server is protected.
 */
export type SmtpSecurity = "starttls" | "tls" | "none";

export type SmtpUpdate = { host: string, port: number, username: string, from: string, to: string, security: SmtpSecurity, digest: boolean, password: SecretChange, };

/**
 * The SMTP server as the settings hold it and the faces see it (the password sealed apart).
 */
export type SmtpView = { host: string, port: number, username: string, from: string, to: string, security: SmtpSecurity, 
/**
 * Collect renewal notices into one mail a day instead of one mail each.
 */
digest: boolean, 
/**
 * A password is stored (it is never shown again).
 */
password_set: boolean, };

export type Source = "env" | "chosen" | "default";

/**
 * The protocol spoken before TLS on a port that upgrades.
 */
export type Starttls = "smtp" | "imap" | "pop3";

/**
 * One identifier's part of a [`Problem`].
 */
export type Subproblem = { identifier?: string, type?: string, detail?: string, };

/**
 * `deploy::TargetSpec` (a kind of deploy mapping and its form) as its `Serialize` writes it.
 */
export type TargetSpec = { kind: string, label: string, fields: Array<FieldSpec>, };

/**
 * What a scan probes, exactly as the administrator named it.
 */
export type Targets = { 
/**
 * The host list, or the range as its network (`127.0.0.0/29`).
 */
hosts: string, addresses: number, ports: Array<number>, probes: number, };

/**
 * The outcome of a configuration's latest test.
 */
export type TestResult = { ok: boolean, 
/**
 * What the test found, or the error.
 */
message: string, at: string, };

/**
 * What an import recorded of a tracked certificate.
 */
export type Tracked = { 
/**
 * The administrator's name for it (`--name`).
 */
label?: string, 
/**
 * The file it was imported from, as given.
 */
file: string, format: ImportFormat, imported: string, };

/** Every command the page may invoke. */
export const COMMANDS = [
  "app_info",
  "choose_data_dir",
  "restart",
  "quit",
  "autostart_enabled",
  "set_autostart",
  "accounts",
  "ca_terms",
  "account_profiles",
  "account_caa",
  "register_account",
  "import_account",
  "update_account_email",
  "export_account_key",
  "delete_account",
  "deactivate_account",
  "dns_providers",
  "dns_accounts",
  "save_dns_account",
  "delete_dns_account",
  "set_dns_account_enabled",
  "test_dns_account",
  "assign_dns",
  "persist_record",
  "persist_check",
  "deploy_kinds",
  "deployments",
  "save_deployment",
  "delete_deployment",
  "set_deployment_enabled",
  "test_deployment",
  "deploy_now",
  "set_deploy",
  "check_names",
  "create_request",
  "requests",
  "request",
  "verify",
  "new_challenge",
  "save_request",
  "set_fallback",
  "certs",
  "cert_details",
  "history",
  "import_cert",
  "cert_replacement",
  "export_cert",
  "renew",
  "renew_due",
  "renewal_health",
  "overview",
  "endpoints",
  "add_endpoint",
  "check_endpoints",
  "delete_endpoint",
  "scan_endpoints",
  "activity_log",
  "activity_csv",
  "revoke",
  "delete_cert",
  "damaged",
  "settings",
  "save_settings",
  "send_test_mail",
  "mail_cert",
  "notice_channel_kinds",
  "notice_channels",
  "save_notice_channel",
  "delete_notice_channel",
  "set_notice_channel_enabled",
  "test_notice_channel",
  "agents",
  "agent_fingerprint",
  "pair_agent",
  "remove_agent",
  "agent_package",
  "agent_examples",
] as const;

export type Command = (typeof COMMANDS)[number];

/** How the wrappers reach a command: api.ts's `call` (Tauri's invoke, each failure a CommandError). */
export type Call = <T>(command: Command, args?: Record<string, unknown>) => Promise<T>;

/** Every command as a function, with the arguments and the answer of its Rust function. */
export function commands(call: Call) {
  return {
    appInfo: () => call<AppInfo>("app_info"),
    chooseDataDir: (path: string) => call<string>("choose_data_dir", { path }),
    restart: () => call<void>("restart"),
    quit: () => call<void>("quit"),
    autostartEnabled: () => call<boolean>("autostart_enabled"),
    setAutostart: (enabled: boolean) => call<boolean>("set_autostart", { enabled }),
    accounts: () => call<Array<AccountInfo>>("accounts"),
    caTerms: (ca: CaForm, caRootPath: string | null) => call<CaTerms>("ca_terms", { ca, caRootPath }),
    accountProfiles: (name: string) => call<Array<CaProfile>>("account_profiles", { name }),
    accountCaa: (name: string, domains: Array<string>, challenges: Array<ChallengeType>) => call<Array<CaaReport>>("account_caa", { name, domains, challenges }),
    registerAccount: (form: RegisterForm) => call<AccountInfo>("register_account", { form }),
    importAccount: (form: ImportForm) => call<AccountInfo>("import_account", { form }),
    updateAccountEmail: (name: string, email: string) => call<AccountInfo>("update_account_email", { name, email }),
    exportAccountKey: (name: string, path: string) => call<string>("export_account_key", { name, path }),
    deleteAccount: (name: string) => call<AccountInfo>("delete_account", { name }),
    deactivateAccount: (name: string, confirmation: string) => call<AccountInfo>("deactivate_account", { name, confirmation }),
    dnsProviders: () => call<Array<ProviderSpec>>("dns_providers"),
    dnsAccounts: () => call<Array<DnsAccountInfo>>("dns_accounts"),
    saveDnsAccount: (form: ConfigForm) => call<DnsAccountInfo>("save_dns_account", { form }),
    deleteDnsAccount: (name: string) => call<DnsAccountInfo>("delete_dns_account", { name }),
    setDnsAccountEnabled: (name: string, enabled: boolean) => call<DnsAccountInfo>("set_dns_account_enabled", { name, enabled }),
    testDnsAccount: (name: string, zone: string | null) => call<string>("test_dns_account", { name, zone }),
    assignDns: (id: string, account: string | null) => call<RequestInfo>("assign_dns", { id, account }),
    persistRecord: (account: string | null, domain: string, wildcard: boolean, until: string | null, write: string | null) => call<PersistRecordInfo>("persist_record", { account, domain, wildcard, until, write }),
    persistCheck: (account: string | null, domain: string, dnsAccount: string | null) => call<PersistCheck>("persist_check", { account, domain, dnsAccount }),
    deployKinds: () => call<Array<TargetSpec>>("deploy_kinds"),
    deployments: () => call<Array<MappingInfo>>("deployments"),
    saveDeployment: (form: ConfigForm) => call<MappingInfo>("save_deployment", { form }),
    deleteDeployment: (name: string) => call<MappingInfo>("delete_deployment", { name }),
    setDeploymentEnabled: (name: string, enabled: boolean) => call<MappingInfo>("set_deployment_enabled", { name, enabled }),
    testDeployment: (name: string, accept: boolean) => call<Probe>("test_deployment", { name, accept }),
    deployNow: (name: string, cert: string) => call<Deployed>("deploy_now", { name, cert }),
    setDeploy: (id: string, mapping: string | null, auto: boolean) => call<RequestInfo>("set_deploy", { id, mapping, auto }),
    checkNames: (text: string, challenge: ChallengeType, account: string | null) => call<NameCheck>("check_names", { text, challenge, account }),
    createRequest: (form: RequestForm) => call<RequestInfo>("create_request", { form }),
    requests: () => call<Array<RequestInfo>>("requests"),
    request: (id: string) => call<RequestInfo>("request", { id }),
    verify: (id: string, useResponder: boolean) => call<RequestInfo>("verify", { id, useResponder }),
    newChallenge: (id: string) => call<RequestInfo>("new_challenge", { id }),
    saveRequest: (id: string) => call<CertSummary>("save_request", { id }),
    setFallback: (id: string, account: string | null) => call<RequestInfo>("set_fallback", { id, account }),
    certs: () => call<Array<CertSummary>>("certs"),
    certDetails: (id: string) => call<CertDetails>("cert_details", { id }),
    history: (id: string) => call<Array<CertVersion>>("history", { id }),
    importCert: (path: string, password: string | null, label: string | null) => call<CertSummary>("import_cert", { path, password, label }),
    certReplacement: (id: string) => call<Replacement>("cert_replacement", { id }),
    exportCert: (id: string, format: ExportFormat, password: string | null, path: string) => call<string>("export_cert", { id, format, password, path }),
    renew: (id: string) => call<RequestInfo>("renew", { id }),
    renewDue: () => call<PassReport>("renew_due"),
    renewalHealth: () => call<Health>("renewal_health"),
    overview: () => call<Overview>("overview"),
    endpoints: () => call<Array<EndpointCheck>>("endpoints"),
    addEndpoint: (address: string, sni: string | null, starttls: Starttls | null) => call<EndpointCheck>("add_endpoint", { address, sni, starttls }),
    checkEndpoints: (address: string | null) => call<Array<EndpointCheck>>("check_endpoints", { address }),
    deleteEndpoint: (address: string) => call<void>("delete_endpoint", { address }),
    scanEndpoints: (hosts: string, ports: string) => call<ScanReport>("scan_endpoints", { hosts, ports }),
    activityLog: (filter: ActivityFilter) => call<ActivityLog>("activity_log", { filter }),
    activityCsv: (filter: ActivityFilter) => call<string>("activity_csv", { filter }),
    revoke: (id: string, reason: RevocationReason) => call<CertSummary>("revoke", { id, reason }),
    deleteCert: (id: string) => call<CertSummary>("delete_cert", { id }),
    damaged: (listed: Listing) => call<Array<Damaged>>("damaged", { listed }),
    settings: () => call<SettingsView>("settings"),
    saveSettings: (update: SettingsUpdate) => call<SettingsView>("save_settings", { update }),
    sendTestMail: () => call<MailSent>("send_test_mail"),
    mailCert: (id: string, mail: CertMail) => call<MailSent>("mail_cert", { id, mail }),
    noticeChannelKinds: () => call<Array<ChannelKind>>("notice_channel_kinds"),
    noticeChannels: () => call<Array<ChannelInfo>>("notice_channels"),
    saveNoticeChannel: (form: ConfigForm) => call<ChannelInfo>("save_notice_channel", { form }),
    deleteNoticeChannel: (name: string) => call<ChannelInfo>("delete_notice_channel", { name }),
    setNoticeChannelEnabled: (name: string, enabled: boolean) => call<ChannelInfo>("set_notice_channel_enabled", { name, enabled }),
    testNoticeChannel: (name: string) => call<string>("test_notice_channel", { name }),
    agents: () => call<Array<AgentStatus>>("agents"),
    agentFingerprint: (url: string) => call<string>("agent_fingerprint", { url }),
    pairAgent: (name: string, url: string, fingerprint: string) => call<PairedAgent>("pair_agent", { name, url, fingerprint }),
    removeAgent: (name: string) => call<MappingInfo>("remove_agent", { name }),
    agentPackage: (path: string) => call<AgentPackage>("agent_package", { path }),
    agentExamples: () => call<Array<ExampleConfig>>("agent_examples"),
  };
}
