//! What the agent keeps in its state folder: its self-signed TLS identity, made on first run and
//! pinned by the app at pairing, the SHA-256 of the pairing token (never the token), and the
//! thumbprints of the ACME accounts the pairing code named. Only `certdesk-agent pair` on this
//! server writes the last two: no API call changes them.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use certdesk_base::agent_api::{self, PairingCode};
use certdesk_base::keystore::write_file_0600;
use certdesk_base::{Error, Result};
use rustls::pki_types::{CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer};

const CERT_FILE: &str = "agent-cert.pem";
const KEY_FILE: &str = "agent-key.pem";
const TOKEN_HASH_FILE: &str = "token.sha256";
/// One RFC 7638 thumbprint a line.
const THUMBPRINTS_FILE: &str = "accounts.thumbprints";

pub struct State {
    dir: PathBuf,
}

/// The agent's TLS certificate and key.
pub struct Identity {
    pub cert_der: Vec<u8>,
    key_der: Vec<u8>,
}

impl Identity {
    /// The SHA-256 fingerprint the app pins.
    pub fn fingerprint(&self) -> String {
        agent_api::fingerprint(&self.cert_der)
    }

    pub fn server_config(&self) -> Result<Arc<rustls::ServerConfig>> {
        let provider = Arc::new(rustls::crypto::aws_lc_rs::default_provider());
        let key = PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(self.key_der.clone()));
        let config = rustls::ServerConfig::builder_with_provider(provider)
            .with_safe_default_protocol_versions()
            .and_then(|b| {
                b.with_no_client_auth()
                    .with_single_cert(vec![CertificateDer::from(self.cert_der.clone())], key)
            })
            .map_err(|e| {
                Error::input(format!(
                    "the agent's TLS certificate cannot be used ({e}): delete {CERT_FILE} and \
                     {KEY_FILE} from the state folder to make a new one, then pair the agent again"
                ))
            })?;
        Ok(Arc::new(config))
    }
}

impl State {
    /// The state folder, created owner-only if it is missing. A folder that exists keeps its
    /// mode: it may be the configuration's folder, which is the administrator's to set (the
    /// files in it are written 0600 either way).
    pub fn open(dir: &Path) -> Result<Self> {
        if !dir.exists() {
            let mut builder = std::fs::DirBuilder::new();
            builder.recursive(true);
            #[cfg(unix)]
            {
                use std::os::unix::fs::DirBuilderExt;
                builder.mode(0o700);
            }
            builder.create(dir).map_err(|e| Error::file(dir, e))?;
        }
        Ok(Self {
            dir: dir.to_owned(),
        })
    }

    /// The TLS identity, made on first use: a self-signed certificate for this host's name.
    /// Returns whether it was just made.
    pub fn identity(&self) -> Result<(Identity, bool)> {
        let cert_path = self.dir.join(CERT_FILE);
        let key_path = self.dir.join(KEY_FILE);
        if cert_path.exists() && key_path.exists() {
            let cert_der = read_pem(&cert_path, "CERTIFICATE")?;
            let key_der = read_pem(&key_path, "PRIVATE KEY")?;
            return Ok((Identity { cert_der, key_der }, false));
        }
        let name = hostname();
        let made = rcgen::generate_simple_self_signed(vec![name.clone()]).map_err(|e| {
            Error::input(format!(
                "cannot make the agent's TLS certificate for {name:?}: {e}"
            ))
        })?;
        let key_der = made.signing_key.serialize_der();
        write_file_0600(&key_path, made.signing_key.serialize_pem().as_bytes())?;
        write_file_0600(&cert_path, made.cert.pem().as_bytes())?;
        Ok((
            Identity {
                cert_der: made.cert.der().to_vec(),
                key_der,
            },
            true,
        ))
    }

    /// Stores the hash of the code's token and its account thumbprints, replacing any earlier
    /// pairing. The thumbprints go first: a pairing interrupted in between leaves the earlier
    /// token with the new accounts, never a new token with the earlier accounts.
    pub fn pair(&self, code: &PairingCode) -> Result<()> {
        let mut lines = code.thumbprints.join("\n");
        lines.push('\n');
        write_file_0600(&self.dir.join(THUMBPRINTS_FILE), lines.as_bytes())?;
        write_file_0600(
            &self.dir.join(TOKEN_HASH_FILE),
            agent_api::token_hash(&code.token).as_bytes(),
        )
    }

    /// Refuses a key authorization for an account the pairing did not name. Read at every
    /// call, like the token.
    pub fn check_account(&self, thumbprint: &str) -> Result<()> {
        let path = self.dir.join(THUMBPRINTS_FILE);
        let pinned = match std::fs::read_to_string(&path) {
            Ok(text) => text,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => String::new(),
            Err(e) => return Err(Error::file(&path, e)),
        };
        if pinned.lines().any(|line| line.trim() == thumbprint) {
            return Ok(());
        }
        Err(Error::input(format!(
            "this agent answers http-01 and dns-01 only for the ACME accounts named when it was \
             paired, and the key authorization is for account thumbprint {thumbprint}: if it is an \
             account added to certdesk since, pair the agent again (certdesk agent pair, then \
             certdesk-agent pair on the server)"
        )))
    }

    /// Whether `token` is the paired one. Read at every call, so pairing again takes effect
    /// without a restart.
    pub fn accepts(&self, token: &str) -> Result<bool> {
        let path = self.dir.join(TOKEN_HASH_FILE);
        match std::fs::read_to_string(&path) {
            Ok(stored) => Ok(agent_api::token_matches(token, stored.trim())),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(false),
            Err(e) => Err(Error::file(&path, e)),
        }
    }

    pub fn is_paired(&self) -> bool {
        self.dir.join(TOKEN_HASH_FILE).exists()
    }
}

fn read_pem(path: &Path, tag: &str) -> Result<Vec<u8>> {
    let text = std::fs::read_to_string(path).map_err(|e| Error::file(path, e))?;
    match pem::parse(&text) {
        Ok(block) if block.tag() == tag => Ok(block.into_contents()),
        _ => Err(Error::input(format!(
            "{} is not a PEM {tag}: delete it to make a new TLS identity, then pair the agent \
             again",
            path.display()
        ))),
    }
}

/// This machine's name, the name in the agent's certificate (the app pins the certificate, not
/// the name, so an address that differs is fine).
fn hostname() -> String {
    std::env::var("COMPUTERNAME")
        .ok()
        .or_else(|| std::fs::read_to_string("/etc/hostname").ok())
        .map(|n| n.trim().to_owned())
        .filter(|n| !n.is_empty())
        .unwrap_or_else(|| "certdesk-agent".to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;
    use certdesk_base::agent_api::{Action, TxtChange};

    /// The account check the API makes for a dns-01 addition: the thumbprint in the key
    /// authorization must be one the pairing code named.
    #[test]
    fn a_dns01_key_authorization_is_taken_only_for_a_pinned_account() {
        let dir = std::env::temp_dir().join(format!("certdesk-agent-state-{}", std::process::id()));
        let state = State::open(&dir).unwrap();
        let ours = "A".repeat(42) + "E";
        let foreign = "f".repeat(42) + "A";
        let change = |thumbprint: &str| TxtChange {
            action: Action::Present,
            fqdn: "_acme-challenge.example.net".into(),
            zone: "example.net".into(),
            key_authorization: format!("tok1.{thumbprint}"),
        };
        // Before pairing, no account is pinned.
        assert!(state.check_account(change(&ours).check().unwrap()).is_err());

        state.pair(&PairingCode::new(vec![ours.clone()])).unwrap();
        state.check_account(change(&ours).check().unwrap()).unwrap();
        let refused = state
            .check_account(change(&foreign).check().unwrap())
            .unwrap_err()
            .to_string();
        assert!(
            refused.contains("http-01 and dns-01")
                && refused.contains(&format!("account thumbprint {foreign}")),
            "{refused}"
        );
        let _ = std::fs::remove_dir_all(dir);
    }
}
