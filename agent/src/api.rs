//! The agent's HTTPS API ([`certdesk_base::agent_api`]): TLS with the agent's own certificate,
//! the pairing token checked before anything else, five calls, nothing else served.

use std::convert::Infallible;
use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use certdesk_base::agent_api::{
    self, Action, ApiError, Health, Http01Token, InstallBundle, TxtChange,
};
use certdesk_base::serve::{self, HttpLimits};
use certdesk_base::{Error, ErrorKind, Result};
use http::{Method, Request, Response, StatusCode};
use http_body_util::{BodyExt, Full, Limited};
use hyper::body::Incoming;
use hyper::service::service_fn;
use serde::de::DeserializeOwned;
use serde::Serialize;
use tokio::net::TcpListener;
use tokio_rustls::TlsAcceptor;

use crate::challenge::Challenges;
use crate::config::Config;
use crate::dns01::{self, TxtRecords};
use crate::install::{self, Installer};
use crate::scope::Scope;
use crate::state::State;

/// A certificate bundle with a long chain and an RSA-4096 key is a few tens of KiB.
const MAX_BODY: usize = 1024 * 1024;

/// certdesk sends each call at once and waits 60 s for its answer (an install runs the
/// server's reload command): a call in flight gets that long, a peer slower than the rest is
/// not certdesk.
const LIMITS: HttpLimits = HttpLimits {
    connections: 256,
    handshake: Duration::from_secs(10),
    headers: Duration::from_secs(10),
    connection: Duration::from_secs(120),
    finish: Duration::from_secs(60),
};

struct Agent {
    state: State,
    /// The names this agent serves, from its configuration.
    scope: Scope,
    challenges: Challenges,
    installer: Box<dyn Installer>,
    /// None: the agent does not answer dns-01.
    txt: Option<Box<dyn TxtRecords>>,
    /// One install at a time: two would interleave their backups.
    installing: tokio::sync::Mutex<()>,
}

/// Runs the agent until `shutdown` completes.
pub async fn serve(config: Config, shutdown: impl Future<Output = ()>) -> Result<()> {
    let state = State::open(&config.state_dir)?;
    let (identity, made) = state.identity()?;
    let acceptor = TlsAcceptor::from(identity.server_config()?);
    let listener = TcpListener::bind(&config.listen).await.map_err(|e| {
        Error::input(format!(
            "cannot listen on {} ({e}): is another program (or another certdesk-agent) using \
             that port? Change listen in {}",
            config.listen,
            config.path.display()
        ))
    })?;
    let challenges = Challenges::start(config.http01.as_ref()).await?;
    let installer = install::for_config(&config);
    let txt = dns01::for_config(config.dns01.as_ref());
    if made {
        say("made a new TLS certificate for this agent");
    }
    say(&format!(
        "certdesk-agent {} listening on {} (https)",
        env!("CARGO_PKG_VERSION"),
        config.listen
    ));
    say(&format!("fingerprint SHA256 {}", identity.fingerprint()));
    say(&format!("http-01: {}", challenges.describe()));
    say(&format!(
        "dns-01: {}",
        txt.as_ref().map_or_else(
            || "not configured (set dns_command)".to_owned(),
            |t| t.describe()
        )
    ));
    say(&format!("names: {}", config.scope.describe()));
    say(&format!("installs: {}", installer.describe()));
    if !state.is_paired() {
        say(
            "not paired yet: run `certdesk agent pair --name NAME --url https://THIS-HOST:PORT` \
             in certdesk, then give the token it shows to `certdesk-agent pair`",
        );
    }
    let agent = Arc::new(Agent {
        state,
        scope: config.scope.clone(),
        challenges,
        installer,
        txt,
        installing: tokio::sync::Mutex::new(()),
    });
    let tls = move |tcp| acceptor.accept(tcp);
    let service = move |peer| {
        let agent = agent.clone();
        service_fn(move |request| {
            let agent = agent.clone();
            async move {
                let method = request.method().clone();
                let path = request.uri().path().to_owned();
                let response = agent.answer(request).await;
                log(&format!(
                    "{peer} {method} {path} -> {}",
                    response.status().as_u16()
                ));
                Ok::<_, Infallible>(response)
            }
        })
    };
    serve::http1(listener, LIMITS, tls, service, shutdown).await;
    Ok(())
}

impl Agent {
    async fn answer(&self, request: Request<Incoming>) -> Response<Full<Bytes>> {
        if let Some(refusal) = self.refuse_unpaired(&request) {
            return refusal;
        }
        match self.route(request).await {
            Ok(response) => response,
            Err(e) => {
                let status = match e.kind() {
                    ErrorKind::Input => StatusCode::BAD_REQUEST,
                    _ => StatusCode::INTERNAL_SERVER_ERROR,
                };
                json(
                    status,
                    &ApiError {
                        error: e.to_string(),
                    },
                )
            }
        }
    }

    /// Every call must carry the paired token: 401 without one, 403 with another.
    fn refuse_unpaired(&self, request: &Request<Incoming>) -> Option<Response<Full<Bytes>>> {
        let presented = request
            .headers()
            .get(http::header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.strip_prefix("Bearer "));
        let refuse = |status, error: &str| {
            Some(json(
                status,
                &ApiError {
                    error: error.to_owned(),
                },
            ))
        };
        match presented.map(|token| self.state.accepts(token)) {
            None => refuse(
                StatusCode::UNAUTHORIZED,
                "this agent answers only the certdesk it is paired with: the call carries no \
                 pairing token",
            ),
            Some(Ok(true)) => None,
            Some(Ok(false)) => refuse(
                StatusCode::FORBIDDEN,
                "the pairing token is not this agent's: pair it again (certdesk agent pair, then \
                 certdesk-agent pair on this server)",
            ),
            Some(Err(e)) => refuse(StatusCode::INTERNAL_SERVER_ERROR, &e.to_string()),
        }
    }

    async fn route(&self, request: Request<Incoming>) -> Result<Response<Full<Bytes>>> {
        let method = request.method().clone();
        let path = request.uri().path().to_owned();
        let done = || json(StatusCode::OK, &serde_json::json!({}));
        if path == agent_api::HEALTH && method == Method::GET {
            return Ok(json(
                StatusCode::OK,
                &Health {
                    version: env!("CARGO_PKG_VERSION").to_owned(),
                    os: std::env::consts::OS.to_owned(),
                    http01: self.challenges.describe(),
                    installs: self.installer.describe(),
                    dns01: self.txt.as_ref().map(|t| t.describe()),
                    names: Some(self.scope.describe()),
                },
            ));
        }
        if let Some(token) = path.strip_prefix(agent_api::HTTP01) {
            if method == Method::PUT {
                let body: Http01Token = read_json(request).await?;
                let account =
                    agent_api::key_authorization_thumbprint(token, &body.key_authorization)?;
                self.state.check_account(account)?;
                self.challenges.put(token, &body.key_authorization)?;
                return Ok(done());
            }
            if method == Method::DELETE {
                self.challenges.delete(token)?;
                return Ok(done());
            }
        }
        if path == agent_api::DNS01 && method == Method::POST {
            let change: TxtChange = read_json(request).await?;
            let account = change.check()?;
            self.scope.check_txt(&change.fqdn)?;
            // Removing a value publishes nothing, and must still work for an account paired
            // away since it was added.
            if change.action == Action::Present {
                self.state.check_account(account)?;
            }
            let txt = self.txt.as_ref().ok_or_else(|| {
                Error::input(
                    "this agent does not answer dns-01: set dns_command in its configuration and \
                     restart it, or give the request a DNS account in certdesk",
                )
            })?;
            txt.change(&change).await?;
            return Ok(done());
        }
        if path == agent_api::INSTALL && method == Method::POST {
            let bundle: InstallBundle = read_json(request).await?;
            self.scope.check_certificate(&bundle)?;
            let _alone = self.installing.lock().await;
            let installed = self.installer.install(&bundle).await?;
            return Ok(json(StatusCode::OK, &installed));
        }
        Ok(json(
            StatusCode::NOT_FOUND,
            &ApiError {
                error: format!("this agent has no call {method} {path}"),
            },
        ))
    }
}

async fn read_json<T: DeserializeOwned>(request: Request<Incoming>) -> Result<T> {
    let body = Limited::new(request.into_body(), MAX_BODY)
        .collect()
        .await
        .map_err(|e| Error::input(format!("the request body could not be read: {e}")))?
        .to_bytes();
    serde_json::from_slice(&body)
        .map_err(|e| Error::input(format!("the request body is not what this call takes: {e}")))
}

/// A line on stdout; a closed stdout (a detached terminal) must not stop the agent.
fn say(text: &str) {
    use std::io::Write;
    let text = certdesk_base::escape::controls(text);
    let _ = writeln!(std::io::stdout(), "{text}");
}

/// A line of the call log on stderr (the journal, under systemd), same rule.
fn log(text: &str) {
    use std::io::Write;
    // A caller's text (a name, a token) must not forge lines or drive a terminal showing the log.
    let text = certdesk_base::escape::controls(text);
    let _ = writeln!(std::io::stderr(), "{text}");
}

fn json(status: StatusCode, value: &impl Serialize) -> Response<Full<Bytes>> {
    let body = serde_json::to_vec(value).unwrap_or_default();
    Response::builder()
        .status(status)
        .header(http::header::CONTENT_TYPE, "application/json")
        .body(Full::new(Bytes::from(body)))
        .unwrap_or_default()
}
