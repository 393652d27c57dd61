//! `certdesk-agent`: runs on an end server where certdesk cannot log in over SSH. It answers
//! http-01 (and, with a DNS command, dns-01) for the paired certdesk and installs the
//! certificates it sends, over an HTTPS API that only the holder of the pairing token can call.
//! See [`api`] for the calls.

mod api;
mod challenge;
mod config;
mod dns01;
mod install;
#[cfg(windows)]
mod powershell;
mod scope;
mod service;
mod state;
#[cfg(unix)]
mod webroot;

use std::io::IsTerminal;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use certdesk_base::{agent_api, Error, Result};
use clap::{Parser, Subcommand};
use zeroize::Zeroizing;

#[derive(Parser)]
#[command(
    name = "certdesk-agent",
    version,
    about = "certdesk's agent: answers http-01 and dns-01 and installs certificates for a paired certdesk"
)]
struct Cli {
    /// The configuration file (default: /etc/certdesk-agent/agent.json, or
    /// %ProgramData%\certdesk-agent\agent.json on Windows).
    #[arg(long, global = true, value_name = "FILE")]
    config: Option<PathBuf>,
    #[command(subcommand)]
    command: Cmd,
}

#[derive(Subcommand)]
enum Cmd {
    /// Register the agent as a service (systemd unit, Windows service) started at boot.
    Install,
    Start,
    Stop,
    /// Stop and unregister the service (configuration and state stay).
    Uninstall,
    /// Run in the foreground until interrupted.
    Run,
    /// Store the pairing code certdesk showed (read from the file, or from stdin): only the
    /// token's hash is kept, with the ACME account thumbprints the code names.
    Pair {
        #[arg(long, value_name = "FILE")]
        token_file: Option<PathBuf>,
    },
    /// Print the fingerprint of the agent's TLS certificate (made now if there is none), to
    /// compare with what certdesk shows at pairing.
    Fingerprint,
    /// Run under the Windows Service Control Manager (what `install` registers).
    #[cfg(windows)]
    #[command(hide = true)]
    Service,
}

fn main() -> ExitCode {
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(e) => {
            let _ = e.print();
            return ExitCode::from(if e.use_stderr() { 1 } else { 0 });
        }
    };
    let config_path = cli.config.unwrap_or_else(config::default_path);
    match run(cli.command, &config_path) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {}", certdesk_base::escape::controls(&e.to_string()));
            ExitCode::from(match e.kind() {
                certdesk_base::ErrorKind::Input => 1,
                certdesk_base::ErrorKind::Remote => 2,
                certdesk_base::ErrorKind::Local => 3,
            })
        }
    }
}

fn run(command: Cmd, config_path: &Path) -> Result<()> {
    let print = |lines: Vec<String>| lines.iter().for_each(|l| println!("{l}"));
    match command {
        Cmd::Install => {
            let config = config::Config::load(config_path)?;
            let exe = std::env::current_exe()
                .map_err(|e| Error::input(format!("cannot tell where this program is: {e}")))?;
            print(service::manager().install(&exe, &config)?);
        }
        Cmd::Start => print(service::manager().start()?),
        Cmd::Stop => print(service::manager().stop()?),
        Cmd::Uninstall => print(service::manager().uninstall()?),
        Cmd::Run => {
            let config = config::Config::load(config_path)?;
            runtime()?.block_on(api::serve(config, interrupted()))?;
            println!("certdesk-agent stopped");
        }
        Cmd::Pair { token_file } => {
            let config = config::Config::load(config_path)?;
            let text = read_token(token_file.as_deref())?;
            let code = agent_api::PairingCode::parse(&text)?;
            state::State::open(&config.state_dir)?.pair(&code)?;
            println!(
                "paired: this agent now answers the certdesk that made this code (a running \
                 agent takes it at its next call)"
            );
            match code.thumbprints.len() {
                0 => println!(
                    "the code names no ACME account, so http-01 stays refused: register an \
                     account in certdesk, then pair again"
                ),
                n => println!("http-01 answers only for the {n} ACME account(s) it names"),
            }
        }
        Cmd::Fingerprint => {
            let config = config::Config::load(config_path)?;
            let (identity, _) = state::State::open(&config.state_dir)?.identity()?;
            println!("fingerprint SHA256 {}", identity.fingerprint());
        }
        #[cfg(windows)]
        Cmd::Service => service::windows::run_service(config_path)?,
    }
    Ok(())
}

fn runtime() -> Result<tokio::runtime::Runtime> {
    tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .map_err(|e| Error::input(format!("cannot start the runtime: {e}")))
}

/// Ctrl-C, or SIGTERM from systemd or `kill`.
async fn interrupted() {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{signal, SignalKind};
        match signal(SignalKind::terminate()) {
            Ok(mut term) => {
                tokio::select! {
                    _ = tokio::signal::ctrl_c() => {}
                    _ = term.recv() => {}
                }
            }
            Err(_) => {
                let _ = tokio::signal::ctrl_c().await;
            }
        }
    }
    #[cfg(not(unix))]
    {
        let _ = tokio::signal::ctrl_c().await;
    }
}

/// The pairing code from the file, or the first line of stdin.
fn read_token(file: Option<&Path>) -> Result<Zeroizing<String>> {
    let text = match file {
        Some(path) => {
            Zeroizing::new(std::fs::read_to_string(path).map_err(|e| Error::file(path, e))?)
        }
        None => {
            if std::io::stdin().is_terminal() {
                eprint!("Paste the pairing code certdesk showed: ");
            }
            let mut line = Zeroizing::new(String::new());
            std::io::stdin()
                .read_line(&mut line)
                .map_err(|e| Error::input(format!("cannot read the code from stdin: {e}")))?;
            line
        }
    };
    Ok(Zeroizing::new(text.trim().to_owned()))
}
