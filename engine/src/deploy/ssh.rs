//! Linux end servers over SSH: http-01 tokens uploaded to the web root over SFTP, certificates
//! installed as files with owner and mode, and the service reloaded, all with the login the
//! mapping names (a password, or a private key with its passphrase).
//!
//! The server's host key is pinned by its SHA-256 fingerprint. An unpinned server gets no
//! password and no signature: a test of the mapping shows the fingerprint and pins it only when
//! the administrator accepts it, and a key that no longer matches is refused on every call.
//!
//! File contents travel over SFTP (no shell quoting of key material); the swap into place, the
//! backup and the restore are `ln`/`mv` in one shell command, so each file changes by rename(2).
//!
//! With a `dns_command`, dns-01 TXT records are published by running it on the end server over
//! the same login, the way [`crate::dns::command`] describes.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use russh::client::{self, Handle};
use russh::keys::{HashAlg, PrivateKey, PrivateKeyWithHashAlg, PublicKeyOrCertificate};
use russh::ChannelMsg;
use russh_sftp::client::SftpSession;
use russh_sftp::protocol::{FileAttributes, OpenFlags};
use tokio::io::AsyncWriteExt;
use zeroize::Zeroizing;

use super::served::await_serial;
use super::TargetSpec;
use super::{
    Bundle, DeployTarget, Deployed, Dns01Source, FileSpec, Http01Solver, Http01Token, Pin, Probe,
    TargetConfig, TxtKeyAuthorizations, BACKUP_EXTENSION, STAGED_EXTENSION,
};
use crate::acme::checks::check_token;
use crate::dns::command::{Action, DnsCommand};
use crate::dns::{DnsProvider, TxtSet, PROPAGATION_FIELDS};
use crate::error::{Error, ErrorKind, Result};
use crate::form::FieldSpec;
use crate::next_step::NextStep;
use crate::shell::{quote, tail};

pub const SPEC: TargetSpec = TargetSpec {
    kind: "ssh",
    label: "SSH",
    fields: &[
        FieldSpec::new("host", "Host", "The end server's name or IP address."),
        FieldSpec::new("port", "Port", "The SSH port; 22 unless set.").optional(),
        FieldSpec::new("user", "User", "The login user on the end server."),
        FieldSpec::new(
            "password",
            "Password",
            "The user's password, or give a private key.",
        )
        .secret()
        .optional(),
        FieldSpec::new(
            "private_key",
            "Private key",
            "The user's private key (OpenSSH or PEM text), instead of a password.",
        )
        .secret()
        .optional(),
        FieldSpec::new(
            "passphrase",
            "Key passphrase",
            "The private key's passphrase, when it has one.",
        )
        .secret()
        .optional(),
        FieldSpec::new(
            HOST_KEY_FIELD,
            "Host key fingerprint (SHA-256)",
            "Pinned on first use: test the mapping and accept the key it shows, after checking \
             it with `ssh-keygen -lf` on the server.",
        )
        .optional(),
        FieldSpec::new(
            "webroot",
            "Web root",
            "The folder the web server serves http://NAME/ from; certdesk writes http-01 tokens \
             to its .well-known/acme-challenge/.",
        )
        .optional(),
        FieldSpec::new(
            "files",
            "Certificate files",
            "A list of {path, format: cert|chain|fullchain|key|pkcs12|jks, owner, mode}.",
        )
        .optional(),
        FieldSpec::new(
            "reload_command",
            "Reload command",
            "Run after the files are in place, e.g. `systemctl reload nginx`.",
        )
        .optional(),
        FieldSpec::new(
            "check",
            "Check address",
            "HOST:PORT where the served certificate is checked by a TLS handshake after the \
             reload.",
        )
        .optional(),
        FieldSpec::new(
            DNS_COMMAND_FIELD,
            "DNS command",
            "Answers dns-01 (wildcards too): run on the end server as COMMAND present|cleanup \
             FQDN VALUE for each _acme-challenge TXT value; exit 0 when done. Without it, dns-01 \
             goes to the request's DNS account or is published by hand.",
        )
        .optional(),
        PROPAGATION_FIELDS[0],
        PROPAGATION_FIELDS[1],
    ],
    dns01: Dns01Source::Mapping,
    build,
};

const HOST_KEY_FIELD: &str = "host_key_sha256";
const DNS_COMMAND_FIELD: &str = "dns_command";
const CONNECT_TIMEOUT: Duration = Duration::from_secs(20);
const TOKEN_DIR: &str = ".well-known/acme-challenge";

enum Login {
    Password(Zeroizing<String>),
    Key(Arc<PrivateKey>),
}

struct SshTarget {
    mapping: String,
    host: String,
    port: u16,
    user: String,
    login: Login,
    /// The pinned fingerprint without its `SHA256:` prefix; none until the admin accepts one.
    host_key: Option<String>,
    webroot: Option<String>,
    files: Vec<FileSpec>,
    reload_command: Option<String>,
    check: Option<String>,
    dns_command: Option<DnsCommand>,
}

fn build(config: &TargetConfig) -> Result<Box<dyn DeployTarget>> {
    let port = match config.get("port") {
        None => 22,
        Some(text) => match text.trim().parse::<u16>() {
            Ok(port) if port > 0 => port,
            _ => return Err(config.invalid("port", format!("{text:?} is not a port number"))),
        },
    };
    let login = match (config.get("password"), config.get("private_key")) {
        (Some(_), Some(_)) => {
            return Err(config.invalid(
                "password",
                "and private_key are both set: give one way to log in",
            ))
        }
        (Some(password), None) => Login::Password(Zeroizing::new(password.to_owned())),
        (None, Some(text)) => {
            let key =
                russh::keys::decode_secret_key(text, config.get("passphrase")).map_err(|e| {
                    config.invalid(
                        "private_key",
                        format!(
                            "cannot be read ({e}): give the key's OpenSSH or PEM text, and its \
                             passphrase when it has one (Ed25519, ECDSA or RSA)"
                        ),
                    )
                })?;
            Login::Key(Arc::new(key))
        }
        (None, None) => {
            return Err(config.invalid("password", "or private_key is needed to log in"))
        }
    };
    if let Some(webroot) = config.get("webroot") {
        if !webroot.starts_with('/') {
            return Err(config.invalid("webroot", format!("{webroot:?} is not an absolute path")));
        }
    }
    if let Some(check) = config.get("check") {
        match check.rsplit_once(':') {
            Some((host, port)) if !host.is_empty() && port.parse::<u16>().is_ok() => {}
            _ => return Err(config.invalid("check", format!("{check:?} is not HOST:PORT"))),
        }
    }
    let host_key = config.get(HOST_KEY_FIELD).map(normalize_fingerprint);
    if let Some(key) = &host_key {
        if key.len() != 43
            || !key
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || "+/".contains(c))
        {
            return Err(config.invalid(
                HOST_KEY_FIELD,
                "is not a SHA-256 fingerprint like SHA256:uNiVztksCsDhcc0u9e8BujQXVUpKZIDTMczCvj3tD2s",
            ));
        }
    }
    Ok(Box::new(SshTarget {
        mapping: config.name.clone(),
        host: config.required("host")?.to_owned(),
        port,
        user: config.required("user")?.to_owned(),
        login,
        host_key,
        webroot: config
            .get("webroot")
            .map(|w| w.trim_end_matches('/').to_owned()),
        files: config
            .get("files")
            .map(|text| FileSpec::parse_list(&config.name, text))
            .transpose()?
            .unwrap_or_default(),
        reload_command: config.get("reload_command").map(str::to_owned),
        check: config.get("check").map(str::to_owned),
        dns_command: config
            .get(DNS_COMMAND_FIELD)
            .map(|command| DnsCommand::new(command, None))
            .transpose()
            .map_err(|why| config.invalid(DNS_COMMAND_FIELD, format!("cannot be used: {why}")))?,
    }))
}

/// `SHA256:abc…=` and `abc…` name the same key.
fn normalize_fingerprint(text: &str) -> String {
    let text = text.trim();
    text.strip_prefix("SHA256:")
        .unwrap_or(text)
        .trim_end_matches('=')
        .to_owned()
}

/// Accepts the server's host key only when it matches the pin; records what it saw either way.
struct HostKeyCheck {
    pinned: Option<String>,
    seen: Arc<Mutex<Option<String>>>,
}

impl client::Handler for HostKeyCheck {
    type Error = russh::Error;

    async fn check_server_key(
        &mut self,
        key: &PublicKeyOrCertificate,
    ) -> std::result::Result<bool, Self::Error> {
        let public = match key {
            PublicKeyOrCertificate::PublicKey { key, .. } => key.clone(),
            PublicKeyOrCertificate::Certificate(cert) => {
                russh::keys::PublicKey::from(cert.public_key().clone())
            }
        };
        let seen = normalize_fingerprint(&public.fingerprint(HashAlg::Sha256).to_string());
        let accepted = self.pinned.as_deref() == Some(seen.as_str());
        if let Ok(mut slot) = self.seen.lock() {
            *slot = Some(seen);
        }
        Ok(accepted)
    }
}

/// Why a connection ended before login: the host key, or the network.
enum Refused {
    Unpinned(String),
    Error(Error),
}

/// One logged-in SSH connection.
struct Connection {
    handle: Handle<HostKeyCheck>,
}

impl SshTarget {
    fn address(&self) -> String {
        format!("{}:{}", self.host, self.port)
    }

    fn failed(&self, doing: &str, e: impl std::fmt::Display) -> Error {
        Error::Deploy(format!(
            "mapping {:?}: {doing} on {} failed: {e}",
            self.mapping,
            self.address()
        ))
    }

    /// Connects, checks the host key and logs in.
    async fn connect(&self) -> std::result::Result<Connection, Refused> {
        let seen = Arc::new(Mutex::new(None));
        let handler = HostKeyCheck {
            pinned: self.host_key.clone(),
            seen: seen.clone(),
        };
        let config = Arc::new(client::Config {
            inactivity_timeout: Some(Duration::from_secs(60)),
            ..Default::default()
        });
        let addr = (self.host.as_str(), self.port);
        let connected =
            tokio::time::timeout(CONNECT_TIMEOUT, client::connect(config, addr, handler)).await;
        let seen = seen.lock().ok().and_then(|s| s.clone());
        let mut handle = match (connected, seen) {
            (Ok(Ok(handle)), _) => handle,
            (Ok(Err(_)), Some(seen)) if self.host_key.as_deref() != Some(seen.as_str()) => {
                return Err(match &self.host_key {
                    None => Refused::Unpinned(seen),
                    Some(pinned) => Refused::Error(Error::Blocked {
                        kind: ErrorKind::Remote,
                        message: format!(
                            "the host key of {} has CHANGED: mapping {:?} pins SHA256:{pinned}, \
                             the server presents SHA256:{seen}. certdesk refuses to connect: \
                             this may be an attack. If the server was reinstalled, check the new \
                             key on it (ssh-keygen -lf /etc/ssh/ssh_host_ed25519_key.pub), clear \
                             {HOST_KEY_FIELD} and test the mapping again to pin the new one",
                            self.address(),
                            self.mapping,
                        ),
                        step: Box::new(NextStep::EditMapping {
                            mapping: self.mapping.clone(),
                            field: Some(HOST_KEY_FIELD.to_owned()),
                        }),
                    }),
                });
            }
            (Ok(Err(e)), _) => return Err(Refused::Error(self.failed("connecting", e))),
            (Err(_), _) => {
                return Err(Refused::Error(self.failed(
                    "connecting",
                    format!("no answer within {} s", CONNECT_TIMEOUT.as_secs()),
                )))
            }
        };
        let auth = match &self.login {
            Login::Password(password) => {
                handle
                    .authenticate_password(&self.user, password.as_str())
                    .await
            }
            Login::Key(key) => {
                let hash = handle
                    .best_supported_rsa_hash()
                    .await
                    .ok()
                    .flatten()
                    .flatten();
                handle
                    .authenticate_publickey(
                        &self.user,
                        PrivateKeyWithHashAlg::new(key.clone(), hash),
                    )
                    .await
            }
        }
        .map_err(|e| Refused::Error(self.failed("logging in", e)))?;
        if !auth.success() {
            return Err(Refused::Error(Error::Deploy(format!(
                "mapping {:?}: {} refused the login of {} with the {}: check the user and the \
                 credentials (and that the key is in the user's authorized_keys)",
                self.mapping,
                self.address(),
                self.user,
                match self.login {
                    Login::Password(_) => "password",
                    Login::Key(_) => "private key",
                }
            ))));
        }
        Ok(Connection { handle })
    }

    /// [`Self::connect`] for work that changes the server: an unpinned key is an error.
    async fn login(&self) -> Result<Connection> {
        self.connect().await.map_err(|refused| match refused {
            Refused::Error(e) => e,
            Refused::Unpinned(seen) => Error::blocked(
                format!(
                    "the host key of {} is not pinned yet (it presents SHA256:{seen}): check it \
                     on the server (ssh-keygen -lf /etc/ssh/ssh_host_ed25519_key.pub)",
                    self.address(),
                ),
                NextStep::TestMapping {
                    mapping: self.mapping.clone(),
                    accept: true,
                },
            ),
        })
    }

    fn token_dir(&self) -> Result<String> {
        let webroot = self.webroot.as_deref().ok_or_else(|| {
            Error::input(format!(
                "mapping {:?} has no webroot: set the folder the web server serves \
                 http://NAME/ from, so that certdesk can publish http-01 tokens there",
                self.mapping
            ))
        })?;
        Ok(format!("{webroot}/{TOKEN_DIR}"))
    }
}

impl Connection {
    async fn sftp(&self, target: &SshTarget) -> Result<SftpSession> {
        let channel = self
            .handle
            .channel_open_session()
            .await
            .map_err(|e| target.failed("opening SFTP", e))?;
        channel
            .request_subsystem(true, "sftp")
            .await
            .map_err(|e| target.failed("opening SFTP", e))?;
        SftpSession::new(channel.into_stream())
            .await
            .map_err(|e| target.failed("opening SFTP", e))
    }

    /// Runs `command` in the login user's shell; its exit status and what it printed.
    async fn exec(&self, target: &SshTarget, command: &str) -> Result<(u32, String)> {
        let mut channel = self
            .handle
            .channel_open_session()
            .await
            .map_err(|e| target.failed("running a command", e))?;
        channel
            .exec(true, command)
            .await
            .map_err(|e| target.failed("running a command", e))?;
        let mut output = Vec::new();
        let mut status = None;
        while let Some(msg) = channel.wait().await {
            match msg {
                ChannelMsg::Data { data } | ChannelMsg::ExtendedData { data, .. } => {
                    output.extend_from_slice(&data)
                }
                ChannelMsg::ExitStatus { exit_status } => status = Some(exit_status),
                _ => {}
            }
        }
        let text = String::from_utf8_lossy(&output).trim().to_owned();
        // A command killed by a signal has no exit status: count it as failed.
        Ok((status.unwrap_or(255), text))
    }

    /// Runs `command` and fails with its output when it exits non-zero.
    async fn run(&self, target: &SshTarget, what: &str, command: &str) -> Result<()> {
        match self.exec(target, command).await? {
            (0, _) => Ok(()),
            (status, output) => Err(Error::Deploy(format!(
                "{what} exited with status {status}{}",
                if output.is_empty() {
                    String::new()
                } else {
                    format!(": {}", tail(&output))
                }
            ))),
        }
    }
}

async fn upload(sftp: &SftpSession, path: &str, bytes: &[u8], mode: u32) -> Result<(), String> {
    let attributes = FileAttributes {
        permissions: Some(mode),
        ..FileAttributes::empty()
    };
    let mut file = sftp
        .open_with_flags_and_attributes(
            path,
            OpenFlags::CREATE | OpenFlags::TRUNCATE | OpenFlags::WRITE,
            attributes,
        )
        .await
        .map_err(|e| format!("cannot create {path}: {e}"))?;
    file.write_all(bytes)
        .await
        .map_err(|e| format!("cannot write {path}: {e}"))?;
    file.shutdown()
        .await
        .map_err(|e| format!("cannot close {path}: {e}"))
}

/// The file of each token in the challenge folder `dir`, every token checked first: a token
/// such as `../../x` would name a file outside it.
fn token_files(dir: &str, tokens: &[Http01Token]) -> Result<Vec<String>> {
    tokens
        .iter()
        .map(|t| {
            check_token(&t.token)?;
            Ok(format!("{dir}/{}", t.token))
        })
        .collect()
}

#[async_trait::async_trait]
impl Http01Solver for SshTarget {
    async fn publish_tokens(&self, tokens: &[Http01Token]) -> Result<()> {
        let dir = self.token_dir()?;
        let files = token_files(&dir, tokens)?;
        let conn = self.login().await?;
        let sftp = conn.sftp(self).await?;
        let mut path = String::new();
        for part in dir.split('/').filter(|p| !p.is_empty()) {
            path = format!("{path}/{part}");
            if !sftp.try_exists(&path).await.unwrap_or(false) {
                sftp.create_dir(&path).await.map_err(|e| {
                    self.failed(
                        "publishing http-01 tokens",
                        format!("cannot create {path}: {e}"),
                    )
                })?;
            }
        }
        for (token, file) in tokens.iter().zip(&files) {
            upload(&sftp, file, token.key_authorization.as_bytes(), 0o644)
                .await
                .map_err(|e| self.failed("publishing http-01 tokens", e))?;
        }
        // Ignored: the files are complete, and a lost goodbye changes nothing.
        let _ = sftp.close().await;
        Ok(())
    }

    async fn withdraw_tokens(&self, tokens: &[Http01Token]) -> Result<()> {
        let files = token_files(&self.token_dir()?, tokens)?;
        let conn = self.login().await?;
        let sftp = conn.sftp(self).await?;
        for file in files {
            if sftp.try_exists(&file).await.unwrap_or(true) {
                sftp.remove_file(&file).await.map_err(|e| {
                    self.failed(
                        "removing http-01 tokens",
                        format!("cannot remove {file}: {e}"),
                    )
                })?;
            }
        }
        let _ = sftp.close().await;
        Ok(())
    }
}

#[async_trait::async_trait]
impl DeployTarget for SshTarget {
    async fn deploy(&self, bundle: &Bundle) -> Result<Deployed> {
        if self.files.is_empty() {
            return Err(Error::input(format!(
                "mapping {:?} has no files: list where the certificate goes (files: [{{path, \
                 format, owner, mode}}])",
                self.mapping
            )));
        }
        let rendered = self
            .files
            .iter()
            .map(|f| Ok((f, f.mode_bits()?, bundle.render(f.format)?)))
            .collect::<Result<Vec<_>>>()?;
        let conn = self.login().await?;
        let sftp = conn.sftp(self).await?;
        let mut existed = Vec::new();
        for (file, _, bytes) in &rendered {
            existed.push(sftp.try_exists(&file.path).await.unwrap_or(false));
            // Created private: the mode (and owner) are set before the file takes its name.
            upload(
                &sftp,
                &format!("{}.{STAGED_EXTENSION}", file.path),
                bytes,
                0o600,
            )
            .await
            .map_err(|e| self.failed("uploading the certificate", e))?;
        }
        let _ = sftp.close().await;

        let mut prepare = vec!["set -e".to_owned()];
        let mut swap = Vec::new();
        for ((file, mode, _), existed) in rendered.iter().zip(&existed) {
            let path = quote(&file.path);
            let tmp = quote(&format!("{}.{STAGED_EXTENSION}", file.path));
            if let Some(owner) = &file.owner {
                prepare.push(format!("chown {} {tmp}", quote(owner)));
            }
            prepare.push(format!("chmod {mode:o} {tmp}"));
            if *existed {
                // A hard link is instant; a file bind-mounted from elsewhere needs a copy.
                let backup = quote(&format!("{}.{BACKUP_EXTENSION}", file.path));
                prepare.push(format!(
                    "ln -f {path} {backup} 2>/dev/null || cp -p {path} {backup}"
                ));
            }
            swap.push(format!("mv -f {tmp} {path}"));
        }
        if let Err(e) = conn
            .run(self, "preparing the files", &prepare.join("\n"))
            .await
        {
            // The served files are untouched.
            self.remove_staged(&conn, &rendered).await;
            return Err(self.failed("installing the certificate", e));
        }
        // One rename per file; should one fail, the files renamed before it go back, so the
        // server never holds a new certificate beside an old key.
        if let Err(e) = conn
            .run(self, "installing the files", &swap.join(" && "))
            .await
        {
            let restored = self.restore(&conn, &rendered, &existed).await;
            self.remove_staged(&conn, &rendered).await;
            return Err(Error::Deploy(format!(
                "mapping {:?}: installing certificate {} (serial {}) failed: {e}; {restored}",
                self.mapping, bundle.id, bundle.serial
            )));
        }

        match self.activate(&conn, bundle).await {
            Ok(summary) => Ok(Deployed {
                summary: format!(
                    "{} file{} to {}; {summary}",
                    rendered.len(),
                    if rendered.len() == 1 { "" } else { "s" },
                    self.address()
                ),
                served_serial: self.check.as_ref().map(|_| bundle.serial.clone()),
            }),
            Err(cause) => {
                let restored = self.restore(&conn, &rendered, &existed).await;
                Err(Error::Deploy(format!(
                    "mapping {:?}: deploying certificate {} (serial {}) failed: {cause}; {}",
                    self.mapping, bundle.id, bundle.serial, restored
                )))
            }
        }
    }

    async fn test(&self) -> Result<Probe> {
        let conn = match self.connect().await {
            Ok(conn) => conn,
            Err(Refused::Error(e)) => return Err(e),
            Err(Refused::Unpinned(seen)) => {
                return Ok(Probe {
                    summary: format!(
                        "{} presents the host key SHA256:{seen}, which is not pinned yet: \
                         compare it with the server's (ssh-keygen -lf \
                         /etc/ssh/ssh_host_ed25519_key.pub) and accept it if they match",
                        self.address(),
                    ),
                    unpinned: Some(Pin {
                        field: HOST_KEY_FIELD,
                        value: format!("SHA256:{seen}"),
                    }),
                })
            }
        };
        let mut checked = vec![format!(
            "logged in to {} as {} (host key pinned)",
            self.address(),
            self.user
        )];
        let sftp = conn.sftp(self).await?;
        if let Some(webroot) = &self.webroot {
            let meta = sftp.metadata(webroot).await.map_err(|e| {
                self.failed(
                    "testing",
                    format!("the webroot {webroot} is not there: {e}"),
                )
            })?;
            if !meta.is_dir() {
                return Err(self.failed("testing", format!("{webroot} is not a folder")));
            }
            checked.push(format!("webroot {webroot} found"));
        }
        let _ = sftp.close().await;
        if let Some(command) = &self.dns_command {
            checked.push(format!("dns-01 through {}", command.describe()));
        }
        Ok(Probe {
            summary: checked.join("; "),
            unpinned: None,
        })
    }

    fn http01(&self) -> Option<&dyn Http01Solver> {
        Some(self)
    }

    async fn dns01(&self) -> Result<Option<String>> {
        Ok(self
            .dns_command
            .as_ref()
            .map(|c| format!("{} on {}", c.describe(), self.address())))
    }

    /// The TXT values are written by the DNS command, so the key authorizations are not needed.
    fn dns01_publisher(self: Box<Self>, _: TxtKeyAuthorizations) -> Option<Box<dyn DnsProvider>> {
        Some(self)
    }
}

/// The dns-01 publisher: the mapping's DNS command, run on the end server.
#[async_trait::async_trait]
impl DnsProvider for SshTarget {
    async fn present(&self, set: &TxtSet) -> Result<()> {
        self.run_dns_command(Action::Present, set).await
    }

    async fn cleanup(&self, set: &TxtSet) -> Result<()> {
        self.run_dns_command(Action::Cleanup, set).await
    }

    async fn test(&self, _zone: Option<&str>) -> Result<String> {
        DeployTarget::test(self).await.map(|probe| probe.summary)
    }
}

impl SshTarget {
    /// Runs the DNS command on the server once per value, each run within its timeout.
    async fn run_dns_command(&self, action: Action, set: &TxtSet) -> Result<()> {
        let command = self.dns_command.as_ref().ok_or_else(|| {
            Error::blocked(
                format!(
                    "mapping {:?} has no {DNS_COMMAND_FIELD}, so it does not answer dns-01: set \
                     the command that publishes TXT records on the end server, or give the \
                     request a DNS account",
                    self.mapping
                ),
                NextStep::EditMapping {
                    mapping: self.mapping.clone(),
                    field: Some(DNS_COMMAND_FIELD.to_owned()),
                },
            )
        })?;
        let conn = self.login().await?;
        for value in &set.values {
            let doing = command.doing(action, &set.fqdn);
            let line = command.line(action, &set.fqdn, value);
            let ran = tokio::time::timeout(command.timeout(), conn.exec(self, &line))
                .await
                .map_err(|_| {
                    self.failed(
                        &doing,
                        format!("it did not finish within {} s", command.timeout().as_secs()),
                    )
                })??;
            if let (status @ 1.., output) = ran {
                return Err(self.failed(&doing, DnsCommand::exited(status, &output)));
            }
        }
        Ok(())
    }

    /// Reloads the service and checks that it serves the new certificate.
    async fn activate(&self, conn: &Connection, bundle: &Bundle) -> Result<String> {
        let mut done = Vec::new();
        if let Some(command) = &self.reload_command {
            conn.run(self, &format!("the reload command `{command}`"), command)
                .await?;
            done.push("reloaded".to_owned());
        }
        if let Some(check) = &self.check {
            let server_name = bundle.names.first().unwrap_or(&self.host);
            await_serial(check, server_name, &bundle.serial).await?;
            done.push(format!("{check} serves serial {}", bundle.serial));
        }
        if done.is_empty() {
            done.push("no reload command and no check address: not verified".into());
        }
        Ok(done.join(", "))
    }

    /// Removes uploads that were not renamed into place. Best effort: the failure that led here
    /// is the news.
    async fn remove_staged(
        &self,
        conn: &Connection,
        rendered: &[(&FileSpec, u32, Zeroizing<Vec<u8>>)],
    ) {
        let uploads: Vec<String> = rendered
            .iter()
            .map(|(f, _, _)| quote(&format!("{}.{STAGED_EXTENSION}", f.path)))
            .collect();
        let _ = conn
            .exec(self, &format!("rm -f {}", uploads.join(" ")))
            .await;
    }

    /// Puts the previous files back (and removes files that did not exist before), then reloads
    /// the service again. Says what it did, for the error message.
    async fn restore(
        &self,
        conn: &Connection,
        rendered: &[(&FileSpec, u32, Zeroizing<Vec<u8>>)],
        existed: &[bool],
    ) -> String {
        let mut script = Vec::new();
        for ((file, _, _), existed) in rendered.iter().zip(existed) {
            let path = quote(&file.path);
            // An upload still under its temporary name was never renamed: nothing to undo.
            let tmp = quote(&format!("{}.{STAGED_EXTENSION}", file.path));
            if *existed {
                let backup = quote(&format!("{}.{BACKUP_EXTENSION}", file.path));
                script.push(format!("{{ [ -e {tmp} ] || mv -f {backup} {path}; }}"));
            } else {
                script.push(format!("{{ [ -e {tmp} ] || rm -f {path}; }}"));
            }
        }
        if let Err(e) = conn
            .run(self, "restoring the files", &script.join(" && "))
            .await
        {
            return format!(
                "restoring the previous files FAILED too ({e}): restore them from the .bak files \
                 by hand"
            );
        }
        match &self.reload_command {
            None => "the previous files are back in place".into(),
            Some(command) => match conn.run(self, "the reload", command).await {
                Ok(()) => {
                    "the previous files are back in place and the service was reloaded".into()
                }
                Err(e) => format!(
                    "the previous files are back in place; reloading them failed too ({e}), so \
                     the service still runs with what it had loaded before"
                ),
            },
        }
    }
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use super::*;

    fn config(values: &[(&str, &str)]) -> TargetConfig {
        let values: BTreeMap<String, Zeroizing<String>> = values
            .iter()
            .map(|(k, v)| ((*k).to_owned(), Zeroizing::new((*v).to_owned())))
            .collect();
        TargetConfig::new(&SPEC, "web".into(), values)
    }

    #[test]
    fn fingerprints_compare_with_or_without_prefix_and_padding() {
        let bare = "uNiVztksCsDhcc0u9e8BujQXVUpKZIDTMczCvj3tD2s";
        assert_eq!(normalize_fingerprint(&format!("SHA256:{bare}")), bare);
        assert_eq!(normalize_fingerprint(&format!(" {bare}= ")), bare);
    }

    #[test]
    fn mappings_that_cannot_work_are_refused_before_any_connection() {
        let base = [("host", "web1"), ("user", "deploy"), ("password", "pw")];
        assert!(build(&config(&base)).is_ok());
        let cases: [(&[(&str, &str)], &str); 6] = [
            (
                &[("host", "web1"), ("user", "deploy")],
                "password or private_key",
            ),
            (
                &[
                    ("host", "h"),
                    ("user", "u"),
                    ("password", "p"),
                    ("private_key", "k"),
                ],
                "both set",
            ),
            (
                &[("host", "h"), ("user", "u"), ("private_key", "not a key")],
                "private_key cannot be read",
            ),
            (
                &[
                    ("host", "h"),
                    ("user", "u"),
                    ("password", "p"),
                    ("port", "70000"),
                ],
                "port",
            ),
            (
                &[
                    ("host", "h"),
                    ("user", "u"),
                    ("password", "p"),
                    ("check", "nocolon"),
                ],
                "is not HOST:PORT",
            ),
            (
                &[
                    ("host", "h"),
                    ("user", "u"),
                    ("password", "p"),
                    ("host_key_sha256", "abc"),
                ],
                "is not a SHA-256 fingerprint",
            ),
        ];
        for (values, message) in cases {
            let err = build(&config(values)).err().expect("refused");
            assert!(err.to_string().contains(message), "{values:?}: {err}");
            assert!(matches!(err, Error::Input(_)), "{err:?}");
        }
    }

    #[tokio::test]
    async fn a_token_that_names_another_file_is_refused_before_logging_in() {
        // A listener that would see the login: nothing may connect to it.
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let port = listener.local_addr().unwrap().port().to_string();
        let target = build(&config(&[
            ("host", "127.0.0.1"),
            ("port", &port),
            ("user", "deploy"),
            ("password", "pw"),
            ("webroot", "/var/www/html"),
        ]))
        .unwrap();
        let tokens = [Http01Token {
            domain: "example.com".into(),
            token: "../../../victim.txt".into(),
            key_authorization: "../../../victim.txt.thumbprint".into(),
        }];
        let solver = target.http01().expect("an SSH target answers http-01");
        for refused in [
            solver.publish_tokens(&tokens).await,
            solver.withdraw_tokens(&tokens).await,
        ] {
            let err = refused.unwrap_err();
            assert!(
                err.to_string()
                    .starts_with("\"../../../victim.txt\" is not an ACME token"),
                "{err}"
            );
        }
        let accepted = tokio::time::timeout(Duration::from_millis(200), listener.accept()).await;
        assert!(accepted.is_err(), "the target connected");
    }
}
