//! `certdesk`: the headless face of the engine, for scripts, servers and benchmarks.
//! Each subcommand parses its arguments, makes one engine call and prints the result. Each
//! command group has its own module, with its clap declarations and its handler; this one
//! parses, opens the engine, dispatches and turns the result into the exit code.

mod account;
mod agent;
mod args;
mod cert;
mod configured;
mod daemon;
mod deadline;
mod deploy;
mod dns;
mod endpoint;
mod input;
mod log;
mod mail;
mod next_step;
mod notify;
mod output;
mod renew;
mod request;
mod settings;
mod store;

use std::process::ExitCode;

use certdesk_engine::activity::Face;
use certdesk_engine::{Engine, Error, Result};
use clap::Parser as _;

use args::{Cli, Command, EngineCommand};
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
        Err(e) => return out.error(&Error::System(format!("cannot start the runtime: {e}"))),
    };
    let deadline = match deadline::of(&cli.command) {
        Ok(deadline) => deadline,
        Err(e) => return out.error(&e),
    };
    let result = runtime.block_on(async {
        let work = run(cli, &out);
        match deadline {
            Some(limit) => tokio::time::timeout(limit, work)
                .await
                .unwrap_or_else(|_| Err(deadline::passed(limit))),
            None => work.await,
        }
    });
    match result {
        Ok(code) => code,
        Err(e) => out.error(&e),
    }
}

async fn run(cli: Cli, out: &Out) -> Result<ExitCode> {
    // `$XDG_DATA_HOME/certdesk`, `~/.local/share/certdesk`, or the platform's equivalent.
    let data_dir = cli
        .data_dir
        .unwrap_or_else(certdesk_engine::default_data_dir);
    let command = match cli.command {
        // Resetting the secrets is for a folder whose secrets do not open: before `Engine::open`.
        Command::Store(cmd) => return store::run(&data_dir, cmd, out).await,
        Command::Engine(command) => *command,
    };
    // Packaging the agent needs no data folder (and works while the app holds it).
    if let EngineCommand::Agent(agent::AgentCmd::Package { out: path }) = &command {
        return agent::package(path, out);
    }
    // The daemon's own actions are the daemon's; its scheduler's renewals say so themselves.
    let face = match command {
        EngineCommand::Daemon => Face::Daemon,
        _ => Face::Cli,
    };
    let engine = match Engine::open(&data_dir, face).await {
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
        EngineCommand::Account(cmd) => account::run(&engine, cmd, out).await,
        EngineCommand::Request(cmd) => request::run(&engine, cmd, out).await,
        EngineCommand::Cert(cmd) => cert::run(&engine, cmd, out).await,
        EngineCommand::Dns(cmd) => dns::run(&engine, cmd, out).await,
        EngineCommand::Mail(cmd) => mail::run(&engine, cmd, out).await,
        EngineCommand::Notify(cmd) => notify::run(&engine, cmd, out).await,
        EngineCommand::Settings(cmd) => settings::run(&engine, cmd, out).await,
        EngineCommand::Renew(args) => renew::run(&engine, args, out).await,
        EngineCommand::Daemon => daemon::run(&engine, out).await,
        EngineCommand::Agent(cmd) => agent::run(&engine, cmd, out).await,
        EngineCommand::Deploy(cmd) => deploy::run(&engine, cmd, out).await,
        EngineCommand::Endpoint(cmd) => endpoint::run(&engine, cmd, out).await,
        EngineCommand::Log(args) => log::run(&engine, args, out),
    }
}
