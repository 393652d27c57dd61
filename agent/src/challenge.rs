//! Answering http-01 on this server: the agent's own listener (the engine's
//! [`Http01Responder`], port 80 by default) or token files under a web server's web root
//! ([`crate::webroot`], Unix only).

use std::sync::Arc;

use certdesk_base::agent_api::key_authorization_thumbprint;
use certdesk_base::http01::Http01Responder;
use certdesk_base::{Error, Result};

use crate::config::Http01;
#[cfg(unix)]
use crate::webroot::Webroot;

pub enum Challenges {
    Listener {
        responder: Arc<Http01Responder>,
        addr: String,
    },
    #[cfg(unix)]
    Webroot(Webroot),
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
            #[cfg(unix)]
            Some(Http01::Webroot(root)) => Self::Webroot(Webroot::new(root.clone())),
            None => Self::Off,
        })
    }

    pub fn describe(&self) -> String {
        match self {
            Self::Listener { addr, .. } => format!("its own listener on {addr}"),
            #[cfg(unix)]
            Self::Webroot(web) => format!("files under {}", web.challenge_dir().display()),
            Self::Off => "not configured (set http_listen or webroot)".into(),
        }
    }

    pub fn put(&self, token: &str, key_authorization: &str) -> Result<()> {
        check_token(token)?;
        key_authorization_thumbprint(token, key_authorization)?;
        match self {
            Self::Listener { responder, .. } => responder.add(token, key_authorization),
            #[cfg(unix)]
            Self::Webroot(web) => web.put(token, key_authorization.as_bytes()),
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
            #[cfg(unix)]
            Self::Webroot(web) => web.delete(token),
            Self::Off => Err(not_configured()),
        }
    }
}

/// A token is base64url (RFC 8555 §8.1); anything else could name a path outside the web root.
fn check_token(token: &str) -> Result<()> {
    Ok(certdesk_base::acme::checks::check_token(token)?)
}

fn not_configured() -> Error {
    Error::input(
        "this agent does not answer http-01: set http_listen (its own listener, e.g. \
         0.0.0.0:80) or webroot in its configuration and restart it",
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[cfg(unix)]
    #[test]
    fn tokens_cannot_leave_the_web_root() {
        let dir = std::env::temp_dir().join(format!("certdesk-agent-test-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let web = Challenges::Webroot(Webroot::new(dir.clone()));
        let thumbprint = "A".repeat(42) + "E";
        assert!(web.put("../../etc/passwd", "x").is_err());
        assert!(web.put("abc", &format!("other.{thumbprint}")).is_err());
        assert!(web.put("abc", "abc.short").is_err());
        web.put("abc_-1", &format!("abc_-1.{thumbprint}")).unwrap();
        let file = dir.join(".well-known/acme-challenge/abc_-1");
        assert_eq!(
            std::fs::read_to_string(&file).unwrap(),
            format!("abc_-1.{thumbprint}")
        );
        web.delete("abc_-1").unwrap();
        assert!(!file.exists());
        let _ = std::fs::remove_dir_all(dir);
    }
}
