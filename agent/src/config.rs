//! The agent's configuration file (JSON), written by the server's administrator. It decides
//! everything the agent may do on the server: where it answers http-01, how it publishes dns-01
//! TXT records, for which names, which files it writes and which command it runs after an
//! install. The app only sends the certificate and the challenge values.

use std::path::{Path, PathBuf};

use certdesk_base::deploy::FileSpec;
use certdesk_base::dns::command::DnsCommand;
use certdesk_base::{Error, Result};
use serde::Deserialize;

use crate::scope::Scope;

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct File {
    /// Where the API listens, e.g. `0.0.0.0:8443`.
    listen: String,
    /// The certificate names this agent serves (`example.com`, `*.example.com`): dns-01 records
    /// only at their `_acme-challenge` names, certificates only for them.
    names: Vec<String>,
    /// Where the agent keeps its TLS certificate and the pairing token's hash (default: the
    /// configuration file's folder).
    #[serde(default)]
    state_dir: Option<PathBuf>,
    /// Answer http-01 with the agent's own listener on this address (e.g. `0.0.0.0:80`).
    #[serde(default)]
    http_listen: Option<String>,
    /// Or write the tokens under this web root's `.well-known/acme-challenge/`.
    #[serde(default)]
    webroot: Option<PathBuf>,
    /// The files a certificate is installed as (Linux), as in an SSH mapping.
    #[serde(default)]
    files: Option<serde_json::Value>,
    /// Run after the files are in place, e.g. `systemctl reload nginx`.
    #[serde(default)]
    reload_command: Option<String>,
    /// `host:port` whose served certificate must be the new one after the reload.
    #[serde(default)]
    check: Option<String>,
    /// Windows: the IIS site whose https binding gets the new certificate.
    #[serde(default)]
    iis_site: Option<String>,
    /// Publishes dns-01 TXT records: run as `COMMAND present|cleanup FQDN VALUE`.
    #[serde(default)]
    dns_command: Option<String>,
    /// How long one run of `dns_command` may take, in seconds (60 unless set).
    #[serde(default)]
    dns_timeout: Option<u64>,
    /// Windows: publish dns-01 TXT records in the zones of this server's DNS Server role.
    #[serde(default)]
    windows_dns_server: bool,
}

/// How the agent publishes dns-01 TXT records.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Dns01 {
    /// The administrator's command, run here.
    Command(DnsCommand),
    /// The Windows DNS Server's PowerShell cmdlets.
    #[cfg(windows)]
    WindowsDnsServer,
}

/// How the agent answers http-01.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Http01 {
    Listen(String),
    /// Unix only: the agent writes it without following links ([`crate::webroot`]).
    #[cfg(unix)]
    Webroot(PathBuf),
}

/// A checked configuration.
#[derive(Debug)]
pub struct Config {
    pub path: PathBuf,
    pub listen: String,
    pub scope: Scope,
    pub state_dir: PathBuf,
    pub http01: Option<Http01>,
    pub files: Vec<FileSpec>,
    pub reload_command: Option<String>,
    pub check: Option<String>,
    /// None: the agent does not answer dns-01.
    pub dns01: Option<Dns01>,
    /// Windows: the IIS site to bind.
    #[cfg(windows)]
    pub iis_site: Option<String>,
}

/// Where `--config` points when it is left out.
pub fn default_path() -> PathBuf {
    if cfg!(windows) {
        std::env::var_os("ProgramData")
            .map_or_else(|| PathBuf::from(r"C:\ProgramData"), PathBuf::from)
            .join("certdesk-agent")
            .join("agent.json")
    } else {
        PathBuf::from("/etc/certdesk-agent/agent.json")
    }
}

impl Config {
    pub fn load(path: &Path) -> Result<Self> {
        let text = std::fs::read_to_string(path).map_err(|e| {
            Error::input(format!(
                "cannot read the agent configuration {} ({e}): write it first (see the README's \
                 certdesk agent section) or give another with --config",
                path.display()
            ))
        })?;
        Self::parse(path, &text)
    }

    pub(crate) fn parse(path: &Path, text: &str) -> Result<Self> {
        let shown = path.display();
        let file: File = serde_json::from_str(text).map_err(|e| {
            Error::input(format!("{shown} is not a valid agent configuration: {e}"))
        })?;
        let absolute = std::path::absolute(path).map_err(|e| Error::file(path, e))?;
        let invalid = |what: String| Error::input(format!("{shown}: {what}"));
        check_address(&file.listen).map_err(|why| invalid(format!("listen {why}")))?;
        let scope = Scope::parse(&file.names).map_err(invalid)?;
        let http01 = match (file.http_listen, file.webroot) {
            (Some(_), Some(_)) => {
                return Err(invalid(
                    "give http_listen or webroot, not both: the agent answers http-01 one way"
                        .into(),
                ))
            }
            (Some(addr), None) => {
                check_address(&addr).map_err(|why| invalid(format!("http_listen {why}")))?;
                Some(Http01::Listen(addr))
            }
            (None, Some(root)) if !root.is_absolute() => {
                return Err(invalid(format!(
                    "webroot {} must be an absolute path",
                    root.display()
                )))
            }
            #[cfg(unix)]
            (None, Some(root)) => Some(Http01::Webroot(root)),
            #[cfg(not(unix))]
            (None, Some(_)) => {
                return Err(invalid(
                    "webroot works on Unix only (the agent must write it without following \
                     links): on this system give http_listen"
                        .into(),
                ))
            }
            (None, None) => None,
        };
        #[cfg(not(windows))]
        if file.iis_site.is_some() {
            return Err(invalid(
                "iis_site works on Windows only: on this system list files instead".into(),
            ));
        }
        let dns_command = file
            .dns_command
            .filter(|c| !c.trim().is_empty())
            .map(|c| DnsCommand::new(&c, file.dns_timeout.map(|t| t.to_string()).as_deref()))
            .transpose()
            .map_err(|why| invalid(format!("dns_command cannot be used: {why}")))?;
        let dns01 = match (dns_command, file.windows_dns_server) {
            (Some(_), true) => {
                return Err(invalid(
                    "give dns_command or windows_dns_server, not both: the agent publishes \
                     dns-01 records one way"
                        .into(),
                ))
            }
            (Some(command), false) => Some(Dns01::Command(command)),
            #[cfg(windows)]
            (None, true) => Some(Dns01::WindowsDnsServer),
            #[cfg(not(windows))]
            (None, true) => {
                return Err(invalid(
                    "windows_dns_server works on Windows only: on this system give dns_command"
                        .into(),
                ))
            }
            (None, false) => None,
        };
        let files = match file.files {
            Some(list) => FileSpec::parse_list(&shown.to_string(), &list.to_string())?,
            None => Vec::new(),
        };
        if let Some(check) = &file.check {
            check_address_like(check).map_err(|why| invalid(format!("check {why}")))?;
        }
        let state_dir = match file.state_dir {
            Some(dir) if dir.is_absolute() => dir,
            Some(dir) => {
                return Err(invalid(format!(
                    "state_dir {} must be an absolute path",
                    dir.display()
                )))
            }
            None => absolute
                .parent()
                .map_or_else(|| PathBuf::from("."), Path::to_path_buf),
        };
        Ok(Self {
            path: absolute,
            listen: file.listen,
            scope,
            state_dir,
            http01,
            files,
            reload_command: file.reload_command.filter(|c| !c.trim().is_empty()),
            check: file.check,
            dns01,
            #[cfg(windows)]
            iis_site: file.iis_site.filter(|s| !s.trim().is_empty()),
        })
    }
}

fn check_address(addr: &str) -> std::result::Result<(), String> {
    addr.parse::<std::net::SocketAddr>()
        .map(drop)
        .map_err(|_| format!("{addr:?} is not IP:PORT, e.g. 0.0.0.0:8443"))
}

/// `host:port` with a host name allowed.
fn check_address_like(addr: &str) -> std::result::Result<(), String> {
    match addr.rsplit_once(':') {
        Some((host, port)) if !host.is_empty() && port.parse::<u16>().is_ok() => Ok(()),
        _ => Err(format!("{addr:?} is not HOST:PORT, e.g. 127.0.0.1:443")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(text: &str) -> Result<Config> {
        Config::parse(Path::new("/etc/certdesk-agent/agent.json"), text)
    }

    #[test]
    fn a_full_linux_configuration_is_read() {
        let c = parse(
            r#"{"listen": "0.0.0.0:8443", "names": ["example.com"], "http_listen": "0.0.0.0:80",
                "files": [{"path": "/etc/nginx/tls/site.pem", "format": "fullchain"},
                          {"path": "/etc/nginx/tls/site.key", "format": "key", "mode": "0600"}],
                "reload_command": "systemctl reload nginx", "check": "127.0.0.1:443"}"#,
        )
        .unwrap();
        assert_eq!(c.http01, Some(Http01::Listen("0.0.0.0:80".into())));
        assert_eq!(c.files.len(), 2);
        assert_eq!(c.state_dir, Path::new("/etc/certdesk-agent"));
        assert_eq!(c.dns01, None);
    }

    #[test]
    fn a_dns_command_makes_the_agent_answer_dns01() {
        let c = parse(
            r#"{"listen": "0.0.0.0:8443", "names": ["example.com"],
                "dns_command": "/usr/local/bin/dns-hook"}"#,
        )
        .unwrap();
        assert_eq!(
            c.dns01,
            Some(Dns01::Command(
                DnsCommand::new("/usr/local/bin/dns-hook", None).unwrap()
            ))
        );
    }

    #[test]
    fn the_names_served_are_required() {
        for (text, needle) in [
            (r#"{"listen": "0.0.0.0:1"}"#, "missing field `names`"),
            (r#"{"listen": "0.0.0.0:1", "names": []}"#, "lists no name"),
        ] {
            let e = parse(text).unwrap_err().to_string();
            assert!(e.contains(needle), "{text}: {e}");
        }
    }

    #[test]
    fn mistakes_are_named() {
        for (text, needle) in [
            (r#"{"listen": "8443"}"#, "listen"),
            (r#"{"listen": "0.0.0.0:1", "webroot": "www"}"#, "absolute"),
            (
                r#"{"listen": "0.0.0.0:1", "webroot": "/w", "http_listen": "0.0.0.0:80"}"#,
                "not both",
            ),
            (r#"{"listen": "0.0.0.0:1", "port": 3}"#, "unknown field"),
            (r#"{"listen": "0.0.0.0:1", "check": "web"}"#, "HOST:PORT"),
            (
                r#"{"listen": "0.0.0.0:1", "dns_command": "hook", "dns_timeout": 0}"#,
                "from 1 to 3600",
            ),
            (
                r#"{"listen": "0.0.0.0:1", "windows_dns_server": true}"#,
                "Windows only",
            ),
        ] {
            let text = text.replacen('{', r#"{"names": ["a.example.com"], "#, 1);
            let e = parse(&text).unwrap_err().to_string();
            assert!(e.contains(needle), "{text}: {e}");
        }
    }
}
