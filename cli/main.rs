//! `certdesk`: the headless face of the engine, for scripts, servers and benchmarks.
//! Each subcommand parses its arguments, makes one engine call and prints the result.

mod agent;
mod args;
mod daemon;
mod deploy;
mod mail;
mod next_step;
mod output;
mod renew;
mod settings;
mod store;

use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::Duration;

use certdesk_engine::account::{Eab, Registration};
use certdesk_engine::acme::Ca;
use certdesk_engine::dns_accounts::DnsAccountForm;
use certdesk_engine::http01::Http01Responder;
use certdesk_engine::request::{RequestInfo, RequestSpec};
use certdesk_engine::sealing::Listed;
use certdesk_engine::{Engine, Error, Result};
use clap::Parser as _;

use args::{AccountCmd, CaArgs, CertCmd, Cli, Command, DnsCmd, EngineCommand, RequestCmd};
use output::Out;

fn main() -> ExitCode {
    // Usage errors are bad input: exit 1 like every other input error (clap's default is 2,
    // which the contract keeps for CA and network failures).
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(e) => {
            let _ = e.print();
            return ExitCode::from(if e.use_stderr() { 1 } else { 0 });
        }
    };
    let out = Out::new(cli.json);
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => return out.error(&Error::Store(format!("cannot start the runtime: {e}"))),
    };
    let deadline = match deadline(&cli.command) {
        Ok(deadline) => deadline,
        Err(e) => return out.error(&e),
    };
    let result = runtime.block_on(async {
        let work = run(cli, &out);
        match deadline {
            Some(limit) => tokio::time::timeout(limit, work)
                .await
                .unwrap_or_else(|_| Err(deadline_passed(limit))),
            None => work.await,
        }
    });
    match result {
        Ok(code) => code,
        Err(e) => out.error(&e),
    }
}

/// The longest a command may take, whatever its peers (CAs, DNS providers, end servers, SMTP
/// servers) do: each request to them has its own deadline, and this caps the sum. Long enough
/// for a large `request create --each`; what is cut off is finished by running it again.
const COMMAND_DEADLINE: Duration = Duration::from_secs(60 * 60);
/// `renew --due` renews every due certificate, each within its own deadline
/// ([`certdesk_engine::renewal::RENEWAL_DEADLINE`]); the pass as a whole gets longer.
const PASS_DEADLINE: Duration = Duration::from_secs(3 * 60 * 60);
/// Sets another deadline in seconds, for an administrator whose commands need more (or less).
const DEADLINE_VAR: &str = "CERTDESK_DEADLINE";

/// The deadline of `command`; none for `daemon`, which runs until it is stopped (each of its
/// passes is held to the per-certificate deadline).
fn deadline(command: &Command) -> Result<Option<Duration>> {
    let on_engine = match command {
        Command::Engine(command) => Some(&**command),
        Command::Store(_) => None,
    };
    if matches!(on_engine, Some(EngineCommand::Daemon)) {
        return Ok(None);
    }
    if let Some(text) = std::env::var_os(DEADLINE_VAR) {
        let text = text.to_string_lossy();
        return match text.trim().parse::<u64>() {
            Ok(secs) if secs > 0 => Ok(Some(Duration::from_secs(secs))),
            _ => Err(Error::input(format!(
                "{DEADLINE_VAR}={text:?} is not a number of seconds greater than 0"
            ))),
        };
    }
    Ok(Some(match on_engine {
        Some(EngineCommand::Renew(_)) => PASS_DEADLINE,
        _ => COMMAND_DEADLINE,
    }))
}

fn deadline_passed(limit: Duration) -> Error {
    Error::Network(format!(
        "timed out: the command did not finish within {} seconds, the longest a certdesk \
         command may take ({DEADLINE_VAR} sets another). What it finished is kept: run it again \
         to continue",
        limit.as_secs()
    ))
}

async fn run(cli: Cli, out: &Out) -> Result<ExitCode> {
    let data_dir = cli.data_dir.unwrap_or_else(default_data_dir);
    let command = match cli.command {
        // Resetting the secrets is for a folder whose secrets do not open: before `Engine::open`.
        Command::Store(cmd) => return store::run(&data_dir, cmd, out).await,
        Command::Engine(command) => *command,
    };
    // Packaging the agent needs no data folder (and works while the app holds it).
    if let EngineCommand::Agent(agent::AgentCmd::Package { out: path }) = &command {
        return agent::package(path, out);
    }
    let engine = match Engine::open(&data_dir).await {
        Ok(engine) => engine,
        // The app or `certdesk daemon` holds the folder: it makes the pass for us.
        Err(e) => {
            return match (e, command) {
                (Error::InUse { served: true, .. }, EngineCommand::Renew(args)) => {
                    renew::forward(&data_dir, args, out).await
                }
                (e, _) => Err(e),
            }
        }
    };
    let _progress = out.follow(engine.subscribe());
    for r in engine.interrupted()? {
        out.note(&format!(
            "request {} was interrupted ({:?}); run `certdesk request verify {}` to continue",
            r.id, r.status, r.id
        ));
    }
    match command {
        EngineCommand::Account(cmd) => account(&engine, cmd, out).await,
        EngineCommand::Request(cmd) => request(&engine, cmd, out).await,
        EngineCommand::Cert(cmd) => cert(&engine, cmd, out).await,
        EngineCommand::Dns(cmd) => dns(&engine, cmd, out).await,
        EngineCommand::Mail(cmd) => mail::run(&engine, cmd, out).await,
        EngineCommand::Settings(cmd) => settings::run(&engine, cmd, out).await,
        EngineCommand::Renew(args) => renew::run(&engine, args, out).await,
        EngineCommand::Daemon => daemon::run(&engine, out).await,
        EngineCommand::Agent(cmd) => agent::run(&engine, cmd, out).await,
        EngineCommand::Deploy(cmd) => deploy::run(&engine, cmd, out).await,
    }
}

/// `$XDG_DATA_HOME/certdesk`, `~/.local/share/certdesk`, or the platform's equivalent.
fn default_data_dir() -> PathBuf {
    certdesk_engine::default_data_dir()
}

fn read_file(path: &Path) -> Result<String> {
    std::fs::read_to_string(path).map_err(|e| Error::file(path, e))
}

/// A password from a file: the first line, without its line ending.
fn read_password(path: &Path) -> Result<String> {
    let text = read_file(path)?;
    Ok(text.lines().next().unwrap_or_default().to_owned())
}

fn ca_of(args: &CaArgs) -> Result<Ca> {
    match (args.production, args.staging, &args.directory) {
        (true, false, None) => Ok(Ca::LetsEncrypt),
        (false, true, None) => Ok(Ca::LetsEncryptStaging),
        (false, false, Some(url)) => Ca::custom(url),
        _ => Err(Error::input(
            "choose exactly one CA: --production, --staging or --directory URL",
        )),
    }
}

fn ca_root(args: &CaArgs) -> Result<Option<String>> {
    args.ca_root.as_deref().map(read_file).transpose()
}

fn refuse_without_yes(yes: bool, what: &str) -> Result<()> {
    if yes {
        Ok(())
    } else {
        Err(Error::input(format!("{what}; add --yes to go ahead")))
    }
}

async fn account(engine: &Engine, cmd: AccountCmd, out: &Out) -> Result<ExitCode> {
    match cmd {
        AccountCmd::Register {
            name,
            email,
            agree_tos,
            ca,
            eab_kid,
            eab_hmac,
        } => {
            let eab = match (eab_kid, eab_hmac) {
                (Some(kid), Some(hmac_b64)) => Some(Eab { kid, hmac_b64 }),
                (None, None) => None,
                _ => {
                    return Err(Error::input(
                        "External Account Binding needs both --eab-kid and --eab-hmac",
                    ))
                }
            };
            let info = engine
                .register_account(Registration {
                    name,
                    email,
                    ca: ca_of(&ca)?,
                    ca_root_pem: ca_root(&ca)?,
                    eab,
                    agree_tos,
                })
                .await?;
            out.account(&info, "registered");
        }
        AccountCmd::Terms { ca } => {
            let terms = engine
                .ca_terms(&ca_of(&ca)?, ca_root(&ca)?.as_deref())
                .await?;
            out.terms(&terms);
        }
        AccountCmd::Import { name, key, ca } => {
            let pem = read_file(&key)?;
            let info = engine
                .import_account(&name, &pem, ca_of(&ca)?, ca_root(&ca)?)
                .await?;
            out.account(&info, "added from its key");
        }
        AccountCmd::Show { account } => match account {
            Some(name) => out.account(&engine.account(Some(&name))?, ""),
            None => out.accounts(&engine.accounts()?, &engine.damaged(Listed::Accounts)?),
        },
        AccountCmd::UpdateEmail { email, account } => {
            let info = engine
                .update_account_email(account.as_deref(), &email)
                .await?;
            out.account(&info, "e-mail updated at the CA");
        }
        AccountCmd::ExportKey { out: path, account } => {
            let pem = engine.export_account_key(account.as_deref())?;
            certdesk_engine::keystore::write_file_0600(&path, pem.as_bytes())?;
            out.done(&format!(
                "account key written to {} (mode 0600)",
                path.display()
            ));
        }
        AccountCmd::Delete { yes, account } => {
            refuse_without_yes(
                yes,
                "this forgets the account on this machine; it stays active at the CA",
            )?;
            let info = engine.delete_account(account.as_deref()).await?;
            out.account(
                &info,
                "deleted here; it stays active at the CA (deactivate it there to close it)",
            );
        }
        AccountCmd::Deactivate { yes, account } => {
            refuse_without_yes(
                yes,
                "deactivation is final: the CA will never accept this account again",
            )?;
            let info = engine.deactivate_account(account.as_deref()).await?;
            out.account(&info, "deactivated at the CA (final)");
        }
    }
    Ok(ExitCode::SUCCESS)
}

async fn responder(listen: Option<String>) -> Result<Option<std::sync::Arc<Http01Responder>>> {
    match listen {
        Some(addr) => Ok(Some(Http01Responder::bind(&addr).await?)),
        None => Ok(None),
    }
}

async fn request(engine: &Engine, cmd: RequestCmd, out: &Out) -> Result<ExitCode> {
    match cmd {
        RequestCmd::Create(args) => {
            let keystore_password = args
                .keystore_password_file
                .as_deref()
                .map(read_password)
                .transpose()?;
            let import_key_pem = args.import_key.as_deref().map(read_file).transpose()?;
            let name_sets = if args.each {
                args.domain.iter().map(|d| vec![d.clone()]).collect()
            } else {
                vec![args.domain.clone()]
            };
            let specs: Vec<RequestSpec> = name_sets
                .into_iter()
                .map(|names| RequestSpec {
                    names,
                    key: args.key,
                    signature: args.signature,
                    keystore: args.keystore,
                    keystore_password: keystore_password.clone(),
                    key_policy: args.key_policy,
                    import_key_pem: import_key_pem.clone(),
                    challenge: args.challenge,
                    dns_account: args.dns_account.clone(),
                    account: args.account.clone(),
                    fallback_account: args.fallback_account.clone(),
                    profile: args.profile.clone(),
                    preferred_chain: args.preferred_chain.clone(),
                })
                .collect();
            let responder = responder(args.http_listen).await?;
            let labels: Vec<String> = specs.iter().map(|s| s.names.join(",")).collect();
            let results = if responder.is_some() || args.dns_account.is_some() {
                engine.issue_many(specs, responder, args.save).await
            } else if args.save {
                return Err(Error::input(
                    "--save needs the request to be verified at once: give --http-listen or \
                     --dns-account",
                ));
            } else {
                create_each(engine, specs).await
            };
            return Ok(out.request_results(&labels, results, args.each));
        }
        RequestCmd::List => out.requests(&engine.requests()?, &engine.damaged(Listed::Requests)?),
        RequestCmd::Show { id } => out.request(&engine.request(&id)?),
        RequestCmd::Verify { http_listen, ids } => {
            let responder = responder(http_listen).await?;
            let results = engine.verify_many(&ids, responder).await;
            return Ok(out.request_results(&ids, results, true));
        }
        RequestCmd::NewChallenge { id } => out.request(&engine.new_challenge(&id).await?),
        RequestCmd::AssignDns { id, account, .. } => {
            out.request(&engine.assign_dns(&id, account.as_deref()).await?)
        }
        RequestCmd::SetFallback { id, account, .. } => {
            out.request(&engine.set_fallback(&id, account.as_deref()).await?)
        }
        RequestCmd::SetDeploy(args) => out.request(&deploy::set_deploy(engine, args).await?),
    }
    Ok(ExitCode::SUCCESS)
}

/// Creates the requests one after the other (each places an order; the CA's order rate limits
/// favour a steady pace over a burst).
async fn create_each(engine: &Engine, specs: Vec<RequestSpec>) -> Vec<Result<RequestInfo>> {
    let mut results = Vec::with_capacity(specs.len());
    for spec in specs {
        results.push(engine.create_request(spec).await);
    }
    results
}

/// A configuration file (of a DNS account, a deploy mapping): a JSON object of the fields that
/// `which` names.
pub(crate) fn read_config(
    path: &Path,
    which: &str,
) -> Result<serde_json::Map<String, serde_json::Value>> {
    let text = read_file(path)?;
    match serde_json::from_str(&text) {
        Ok(serde_json::Value::Object(map)) => Ok(map),
        Ok(_) => Err(Error::input(format!(
            "{} must hold a JSON object of {which}",
            path.display()
        ))),
        Err(e) => Err(Error::input(format!("{} is not JSON: {e}", path.display()))),
    }
}

const DNS_FIELDS: &str = "the provider's fields (see `certdesk dns providers`)";

async fn dns(engine: &Engine, cmd: DnsCmd, out: &Out) -> Result<ExitCode> {
    match cmd {
        DnsCmd::Add {
            provider,
            name,
            config,
            disabled,
        } => {
            let mut form = DnsAccountForm::from_config(
                &provider,
                &name,
                &read_config(&config, DNS_FIELDS)?,
                None,
            )?;
            form.enabled = !disabled;
            out.dns_account(&engine.save_dns_account(form).await?);
        }
        DnsCmd::List => out.dns_accounts(
            &engine.dns_accounts()?,
            &engine.damaged(Listed::DnsAccounts)?,
        ),
        DnsCmd::Show { name } => out.dns_account(&engine.dns_account(&name)?),
        DnsCmd::Edit {
            name,
            config,
            rename,
        } => {
            let existing = engine.dns_account(&name)?;
            let form = DnsAccountForm::from_config(
                &existing.provider,
                rename.as_deref().unwrap_or(&name),
                &read_config(&config, DNS_FIELDS)?,
                Some(&existing),
            )?;
            out.dns_account(&engine.save_dns_account(form).await?);
        }
        DnsCmd::Enable { name } => {
            out.dns_account(&engine.set_dns_account_enabled(&name, true).await?)
        }
        DnsCmd::Disable { name } => {
            out.dns_account(&engine.set_dns_account_enabled(&name, false).await?)
        }
        DnsCmd::Delete { yes, name } => {
            refuse_without_yes(yes, "deleting a DNS account")?;
            out.dns_account(&engine.delete_dns_account(&name).await?);
        }
        DnsCmd::Test { name, zone } => {
            out.done(&engine.test_dns_account(&name, zone.as_deref()).await?)
        }
        DnsCmd::Providers => out.dns_providers(certdesk_engine::dns::PROVIDERS),
    }
    Ok(ExitCode::SUCCESS)
}

async fn cert(engine: &Engine, cmd: CertCmd, out: &Out) -> Result<ExitCode> {
    match cmd {
        CertCmd::List => out.certs(&engine.certs()?, &engine.damaged(Listed::Certificates)?),
        CertCmd::Show { id } => out.cert(&engine.cert(&id)?, ""),
        CertCmd::Save { id, out: path } => {
            let saved = engine.save(&id).await?;
            if let Some(path) = path {
                let (format, bytes) = engine.keystore(&id)?;
                certdesk_engine::keystore::write_file_0600(&path, &bytes)?;
                out.note(&format!("{format} keystore written to {}", path.display()));
            }
            out.cert(&saved, "saved to the repository");
        }
        CertCmd::Export {
            id,
            format,
            out: path,
            password_file,
        } => {
            let password = password_file.as_deref().map(read_password).transpose()?;
            let bytes = engine.export(&id, format, password.as_deref())?;
            certdesk_engine::keystore::write_file_0600(&path, &bytes)?;
            out.done(&format!(
                "certificate {id} exported as {format} to {} (mode 0600)",
                path.display()
            ));
        }
        CertCmd::Renew { id, http_listen } => {
            let responder = responder(http_listen).await?;
            out.request(&engine.renew(&id, responder).await?);
        }
        CertCmd::Revoke { id, reason } => {
            out.cert(&engine.revoke(&id, reason).await?, "revoked at the CA")
        }
        CertCmd::Delete { yes, id } => {
            refuse_without_yes(
                yes,
                "this removes the certificate from the repository; it stays valid at the CA \
                 until it expires (revoke it first if it must stop working)",
            )?;
            out.cert(
                &engine.delete_cert(&id).await?,
                "deleted from the repository; it stays valid until it expires",
            );
        }
        CertCmd::History { id } => out.history(&engine.history(&id)?),
        CertCmd::Mail(args) => return mail::cert(engine, args, out).await,
    }
    Ok(ExitCode::SUCCESS)
}
