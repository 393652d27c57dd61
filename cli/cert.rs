//! `certdesk cert list | show | save | import | export | renew | revoke | delete | history |
//! mail`: the certificate repository (`mail` is in [`crate::mail`], with the other mails).

use std::path::PathBuf;
use std::process::ExitCode;

use certdesk_engine::keystore::ExportFormat;
use certdesk_engine::next_step::Listing;
use certdesk_engine::repository::RevocationReason;
use certdesk_engine::{Engine, Result};
use clap::Subcommand;

use crate::input::{read_password, refuse_without_yes, responders};
use crate::mail;
use crate::output::Out;

#[derive(Subcommand)]
pub enum CertCmd {
    /// Every certificate in the repository, issued and tracked.
    List {
        /// The inventory as CSV (a header row, then a certificate a row), for a spreadsheet.
        #[arg(long, conflicts_with = "json")]
        csv: bool,
    },
    Show {
        id: String,
    },
    /// Save an issued certificate to the repository.
    Save {
        id: String,
        /// Also write the request's keystore (PEM, PKCS#12 or JKS) to this file (mode 0600).
        #[arg(long)]
        out: Option<PathBuf>,
    },
    /// Track a certificate certdesk did not issue, from a PEM, DER, PKCS#12 or JKS file (with
    /// or without its key): listed, noticed and exported, never renewed by certdesk.
    Import {
        file: PathBuf,
        /// The PKCS#12 or JKS file's password (its first line).
        #[arg(long)]
        password_file: Option<PathBuf>,
        /// A name for it, shown beside its certificate's names.
        #[arg(long, value_name = "LABEL")]
        name: Option<String>,
    },
    /// Write the current certificate in a format (mode 0600).
    Export {
        id: String,
        #[arg(long)]
        format: ExportFormat,
        #[arg(long)]
        out: PathBuf,
        #[arg(long)]
        password_file: Option<PathBuf>,
    },
    /// Renew now with the request's settings.
    Renew {
        id: String,
        #[arg(long, value_name = "ADDR:PORT")]
        http_listen: Option<String>,
        /// Answer tls-alpn-01 with the built-in responder on ADDR:PORT.
        #[arg(long, value_name = "ADDR:PORT")]
        tls_alpn_listen: Option<String>,
    },
    /// Revoke at the CA.
    Revoke {
        id: String,
        #[arg(long, default_value = "unspecified")]
        reason: RevocationReason,
    },
    /// Remove from the repository (it stays valid at the CA).
    Delete {
        #[arg(long)]
        yes: bool,
        id: String,
    },
    /// Every version of a certificate.
    History {
        id: String,
    },
    /// E-mail the current certificate (a private key only inside a PKCS#12 or JKS keystore).
    Mail(mail::CertMailArgs),
}

pub async fn run(engine: &Engine, cmd: CertCmd, out: &Out) -> Result<ExitCode> {
    match cmd {
        CertCmd::List { csv: false } => {
            out.certs(&engine.certs()?, &engine.damaged(Listing::Certificates)?)
        }
        CertCmd::List { csv: true } => {
            let csv = certdesk_engine::repository::inventory_csv(&engine.certs()?);
            crate::output::line(false, csv.strip_suffix('\n').unwrap_or(&csv));
            for d in engine.damaged(Listing::Certificates)? {
                out.note(&format!("certificate {} is damaged: {}", d.id, d.damaged));
            }
        }
        CertCmd::Show { id } => out.cert(&engine.cert(&id)?, ""),
        CertCmd::Save { id, out: path } => {
            let saved = engine.save(&id).await?;
            if let Some(path) = path {
                let (format, bytes) = engine.keystore(&id).await?;
                certdesk_engine::keystore::write_file_0600(&path, &bytes)?;
                out.note(&format!("{format} keystore written to {}", path.display()));
            }
            out.cert(&saved, "saved to the repository");
        }
        CertCmd::Import {
            file,
            password_file,
            name,
        } => {
            let password = password_file.as_deref().map(read_password).transpose()?;
            let imported = engine
                .import_cert(&file, password.as_deref(), name.as_deref())
                .await?;
            out.cert(&imported, "imported: tracked, not renewed by certdesk");
        }
        CertCmd::Export {
            id,
            format,
            out: path,
            password_file,
        } => {
            let password = password_file.as_deref().map(read_password).transpose()?;
            let bytes = engine.export(&id, format, password.as_deref()).await?;
            certdesk_engine::keystore::write_file_0600(&path, &bytes)?;
            out.done(&format!(
                "certificate {id} exported as {format} to {} (mode 0600)",
                path.display()
            ));
        }
        CertCmd::Renew {
            id,
            http_listen,
            tls_alpn_listen,
        } => {
            let responder = responders(http_listen, tls_alpn_listen).await?;
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
