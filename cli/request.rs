//! `certdesk request create | list | show | verify | new-challenge | assign-dns | set-fallback |
//! set-deploy`: certificate requests and their challenges (`set-deploy` is in [`crate::deploy`],
//! with the mappings it names).

use std::path::PathBuf;
use std::process::ExitCode;

use certdesk_engine::keys::{KeyAlgorithm, SignatureAlgorithm};
use certdesk_engine::keystore::KeystoreType;
use certdesk_engine::names::ChallengeType;
use certdesk_engine::next_step::Listing;
use certdesk_engine::request::{KeyPolicy, RequestInfo, RequestSpec};
use certdesk_engine::{Engine, Error, Result};
use clap::{Args, Subcommand};

use crate::deploy;
use crate::input::{read_file, read_password, responders};
use crate::output::Out;

#[derive(Subcommand)]
pub enum RequestCmd {
    /// Raise a request: places the order and shows the challenges to publish.
    Create(CreateArgs),
    List,
    Show {
        id: String,
    },
    /// Answer the challenges and download the certificate.
    Verify {
        /// Answer http-01 with the built-in responder on ADDR:PORT.
        #[arg(long, value_name = "ADDR:PORT")]
        http_listen: Option<String>,
        /// Answer tls-alpn-01 with the built-in responder on ADDR:PORT (port 443 of the names).
        #[arg(long, value_name = "ADDR:PORT")]
        tls_alpn_listen: Option<String>,
        #[arg(required = true)]
        ids: Vec<String>,
    },
    /// Start over with a fresh order (same names and settings).
    NewChallenge {
        id: String,
    },
    /// Publish a dns-01 request's records (now and at every renewal) through a DNS account.
    AssignDns {
        id: String,
        /// The DNS account; leave out with --none to publish by hand again.
        #[arg(required_unless_present = "none")]
        account: Option<String>,
        #[arg(long, conflicts_with = "account")]
        none: bool,
    },
    /// Renew through an account at another CA after failed attempts in a row at the request's
    /// own (its next renewal goes to its own CA first again).
    SetFallback {
        id: String,
        /// The account's name or its CA's directory URL; leave out with --none for no fallback.
        #[arg(required_unless_present = "none")]
        account: Option<String>,
        #[arg(long, conflicts_with = "account")]
        none: bool,
    },
    /// Publish an http-01 request's tokens (now and at every renewal) through a deploy mapping,
    /// and with --auto deploy every certificate it gets.
    SetDeploy(deploy::SetDeployArgs),
}

#[derive(Args)]
pub struct CreateArgs {
    /// A name for the certificate; repeat for more (the first is the common name).
    #[arg(
        long,
        required_unless_present = "from_cert",
        conflicts_with = "from_cert"
    )]
    domain: Vec<String>,
    /// Replace a tracked (imported) certificate with ACME: its names, and its key type unless
    /// --key is given.
    #[arg(long, value_name = "ID")]
    from_cert: Option<String>,
    #[arg(long, required_unless_present = "from_cert")]
    key: Option<KeyAlgorithm>,
    #[arg(long)]
    signature: Option<SignatureAlgorithm>,
    #[arg(long)]
    keystore: KeystoreType,
    /// A file whose first line is the keystore password (pkcs12 and jks).
    #[arg(long)]
    keystore_password_file: Option<PathBuf>,
    #[arg(long)]
    challenge: ChallengeType,
    /// Publish the dns-01 records through this DNS account (and verify at once).
    #[arg(long, value_name = "NAME")]
    dns_account: Option<String>,
    /// What key a renewal uses: new, same or import.
    #[arg(long, default_value = "new")]
    key_policy: KeyPolicy,
    /// The PEM key to use with --key-policy import.
    #[arg(long)]
    import_key: Option<PathBuf>,
    #[arg(long)]
    account: Option<String>,
    /// An account at another CA (its name or directory URL) that renews after failed attempts
    /// in a row at the first.
    #[arg(long, value_name = "ACCOUNT")]
    fallback_account: Option<String>,
    /// An ACME profile the CA's directory lists.
    #[arg(long)]
    profile: Option<String>,
    /// Prefer the CA's alternate chain whose root's name contains this (e.g. "ISRG Root X1").
    #[arg(long, value_name = "ISSUER")]
    preferred_chain: Option<String>,
    /// Verify at once, answering http-01 with the built-in responder on ADDR:PORT.
    #[arg(long, value_name = "ADDR:PORT")]
    http_listen: Option<String>,
    /// Verify at once, answering tls-alpn-01 with the built-in responder on ADDR:PORT.
    #[arg(long, value_name = "ADDR:PORT")]
    tls_alpn_listen: Option<String>,
    /// With --http-listen or --dns-account: save the issued certificate to the repository too.
    #[arg(long)]
    save: bool,
    /// One request (and certificate) per --domain instead of one with all the names; with
    /// --http-listen they are issued concurrently.
    #[arg(long)]
    each: bool,
}

pub async fn run(engine: &Engine, cmd: RequestCmd, out: &Out) -> Result<ExitCode> {
    match cmd {
        RequestCmd::Create(args) => return create(engine, args, out).await,
        RequestCmd::List => out.requests(&engine.requests()?, &engine.damaged(Listing::Requests)?),
        RequestCmd::Show { id } => out.request(&engine.request(&id)?),
        RequestCmd::Verify {
            http_listen,
            tls_alpn_listen,
            ids,
        } => {
            let responder = responders(http_listen, tls_alpn_listen).await?;
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

/// `request create`: one request, or one per name with `--each`, verified at once when the
/// command names how its challenges are answered (`--http-listen`, `--dns-account`).
async fn create(engine: &Engine, mut args: CreateArgs, out: &Out) -> Result<ExitCode> {
    let key = match args.from_cert.as_deref() {
        Some(id) => {
            let replacement = engine.replacement(id)?;
            if let (None, Some(note)) = (args.key, &replacement.note) {
                out.note(note);
            }
            args.domain = replacement.names;
            args.key.unwrap_or(replacement.key)
        }
        None => args
            .key
            .ok_or_else(|| Error::input("give --key (or --from-cert)"))?,
    };
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
            key,
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
    let responder = responders(args.http_listen, args.tls_alpn_listen).await?;
    let labels: Vec<String> = specs.iter().map(|s| s.names.join(",")).collect();
    let bound = responder.http01.is_some() || responder.tls_alpn01.is_some();
    let results = if bound || args.dns_account.is_some() {
        engine.issue_many(specs, responder, args.save).await
    } else if args.save {
        return Err(Error::input(
            "--save needs the request to be verified at once: give --http-listen, \
             --tls-alpn-listen or --dns-account",
        ));
    } else {
        create_each(engine, specs).await
    };
    Ok(out.request_results(&labels, results, args.each))
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
