//! Answering http-01 on this server: the agent's own listener (the engine's
//! [`Http01Responder`], port 80 by default) or token files under a web server's web root.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use certdesk_engine::http01::Http01Responder;
use certdesk_engine::{Error, Result};

use crate::config::Http01;

pub enum Challenges {
    Listener {
        responder: Arc<Http01Responder>,
        addr: String,
    },
    Webroot(PathBuf),
    /// The configuration names neither: http-01 calls are refused with what to configure.
    Off,
}

impl Challenges {
    /// Binds the listener now, so a port already taken stops the agent at start, not at the
    /// first validation.
    pub async fn start(config: Option<&Http01>) -> Result<Self> {
        Ok(match config {
            Some(Http01::Listen(addr)) => Self::Listener {
                responder: Http01Responder::bind(addr).await?,
                addr: addr.clone(),
            },
            Some(Http01::Webroot(root)) => Self::Webroot(root.clone()),
            None => Self::Off,
        })
    }

    pub fn describe(&self) -> String {
        match self {
            Self::Listener { addr, .. } => format!("its own listener on {addr}"),
            Self::Webroot(root) => format!("files under {}", challenge_dir(root).display()),
            Self::Off => "not configured (set http_listen or webroot)".into(),
        }
    }

    pub fn put(&self, token: &str, key_authorization: &str) -> Result<()> {
        check_token(token)?;
        if !key_authorization.starts_with(token)
            || key_authorization.len() > 512
            || key_authorization
                .chars()
                .any(|c| c.is_control() || c == '/')
        {
            return Err(Error::input(
                "the key authorization is not TOKEN.THUMBPRINT for this token",
            ));
        }
        match self {
            Self::Listener { responder, .. } => {
                responder.add(token, key_authorization);
                Ok(())
            }
            Self::Webroot(root) => {
                let dir = challenge_dir(root);
                std::fs::create_dir_all(&dir).map_err(|e| Error::file(&dir, e))?;
                let path = dir.join(token);
                write_public(&path, key_authorization.as_bytes())
            }
            Self::Off => Err(not_configured()),
        }
    }

    /// Stops answering `token`; a token that is already gone is fine.
    pub fn delete(&self, token: &str) -> Result<()> {
        check_token(token)?;
        match self {
            Self::Listener { responder, .. } => {
                responder.remove(token);
                Ok(())
            }
            Self::Webroot(root) => {
                let path = challenge_dir(root).join(token);
                match std::fs::remove_file(&path) {
                    Err(e) if e.kind() != std::io::ErrorKind::NotFound => {
                        Err(Error::file(&path, e))
                    }
                    _ => Ok(()),
                }
            }
            Self::Off => Err(not_configured()),
        }
    }
}

fn challenge_dir(root: &Path) -> PathBuf {
    root.join(".well-known").join("acme-challenge")
}

/// A token is base64url (RFC 8555 §8.3); anything else could name a path outside the web root.
fn check_token(token: &str) -> Result<()> {
    if token.is_empty()
        || token.len() > 256
        || !token
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
    {
        return Err(Error::input(format!(
            "{token:?} is not an ACME token (base64url characters only)"
        )));
    }
    Ok(())
}

fn not_configured() -> Error {
    Error::input(
        "this agent does not answer http-01: set http_listen (its own listener, e.g. \
         0.0.0.0:80) or webroot in its configuration and restart it",
    )
}

/// The web server reads the token file as another user: 0644.
fn write_public(path: &Path, bytes: &[u8]) -> Result<()> {
    std::fs::write(path, bytes).map_err(|e| Error::file(path, e))?;
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o644))
            .map_err(|e| Error::file(path, e))?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_cannot_leave_the_web_root() {
        let dir = std::env::temp_dir().join(format!("certdesk-agent-test-{}", std::process::id()));
        let web = Challenges::Webroot(dir.clone());
        assert!(web.put("../../etc/passwd", "x").is_err());
        assert!(web.put("abc", "other.thumb").is_err());
        web.put("abc_-1", "abc_-1.thumb").unwrap();
        let file = dir.join(".well-known/acme-challenge/abc_-1");
        assert_eq!(std::fs::read_to_string(&file).unwrap(), "abc_-1.thumb");
        web.delete("abc_-1").unwrap();
        web.delete("abc_-1").unwrap();
        assert!(!file.exists());
        let _ = std::fs::remove_dir_all(dir);
    }
}
