//! `certdesk mail test|digest` and `certdesk cert mail`: e-mail through the SMTP server of the
//! settings (`certdesk settings set smtp.…`).

use std::path::PathBuf;
use std::process::ExitCode;

use certdesk_engine::mail::{CertMail, MailFormat, MailSent};
use certdesk_engine::{Engine, Result};
use clap::{Args, Subcommand};

use crate::input::read_password;
use crate::output::Out;

#[derive(Subcommand)]
pub enum MailCmd {
    /// Send a test mail to the settings' recipient (smtp.to).
    Test,
    /// Send the renewal notices the daily digest has collected now, in one mail.
    Digest,
}

/// `certdesk cert mail ID --to ADDR --format pkcs12|jks|pem`.
#[derive(Args)]
pub struct CertMailArgs {
    id: String,
    /// The recipient's address.
    #[arg(long)]
    to: String,
    /// pkcs12 or jks: certificate, chain and private key in a password-protected keystore;
    /// pem: the certificate and its chain only, never the private key.
    #[arg(long)]
    format: MailFormat,
    /// The keystore's password, first line of this file (default: the request's keystore
    /// password). It is not put in the mail.
    #[arg(long)]
    password_file: Option<PathBuf>,
    /// Text to put above the description of the attachment.
    #[arg(long)]
    message: Option<String>,
}

fn sent(out: &Out, mail: &MailSent, what: &str) {
    out.value(
        mail,
        &format!(
            "{what} sent to {} through {}: {:?}",
            mail.to, mail.server, mail.subject
        ),
    );
}

pub async fn run(engine: &Engine, cmd: MailCmd, out: &Out) -> Result<ExitCode> {
    match cmd {
        MailCmd::Test => sent(out, &engine.send_test_mail().await?, "test mail"),
        MailCmd::Digest => match engine.send_digest(time::OffsetDateTime::now_utc()).await? {
            Some(mail) => sent(out, &mail, "digest"),
            None => out.done("no notices are waiting for the digest; nothing was sent"),
        },
    }
    Ok(ExitCode::SUCCESS)
}

pub async fn cert(engine: &Engine, args: CertMailArgs, out: &Out) -> Result<ExitCode> {
    let password = args
        .password_file
        .as_deref()
        .map(read_password)
        .transpose()?;
    let mail = CertMail {
        to: args.to,
        format: args.format,
        password,
        message: args.message,
    };
    let what = match mail.format {
        MailFormat::Pem => "certificate and chain (PEM, no private key)".to_owned(),
        keystore => format!("{keystore} keystore with the private key"),
    };
    sent(out, &engine.mail_cert(&args.id, &mail).await?, &what);
    Ok(ExitCode::SUCCESS)
}
