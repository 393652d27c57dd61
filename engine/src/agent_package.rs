//! The agent package that the Windows Agent tab and `certdesk agent package` hand out: the
//! `certdesk-agent` binary shipped beside certdesk, with its install steps and example
//! configurations ([`EXAMPLE_CONFIGS`]), in one `.tar.gz` (which Windows 10 and later unpack with
//! their own `tar`).
//!
//! The package carries the build that ships with this certdesk: the Linux build here, the
//! Windows build when the release is built on Windows. Its SHA-256 is reported so the
//! administrator can compare it after copying the package to the server.

use std::fs::File;
use std::io::Write;
use std::path::{Path, PathBuf};

use aws_lc_rs::digest;
use flate2::write::GzEncoder;
use flate2::Compression;
use serde::Serialize;

use crate::deploy::STAGED_EXTENSION;
use crate::error::{Error, Result};

/// Names the agent binary to package instead of the one beside the running certdesk (packagers
/// that install it elsewhere, and tests).
pub const BINARY_ENV: &str = "CERTDESK_AGENT_BINARY";

/// The agent binary's file name on this platform.
const BINARY_NAME: &str = if cfg!(windows) {
    "certdesk-agent.exe"
} else {
    "certdesk-agent"
};

/// What [`write`] produced.
#[derive(Debug, Clone, Serialize, ts_rs::TS)]
pub struct AgentPackage {
    /// Where the package was written.
    pub path: PathBuf,
    /// The folder the package unpacks into, e.g. `certdesk-agent-0.1.0`.
    pub folder: String,
    pub version: String,
    /// SHA-256 of the agent binary inside (lower-case hex), as `sha256sum` prints it.
    pub binary_sha256: String,
    /// The package's size in bytes.
    pub size: u64,
}

/// The agent binary that ships with this certdesk: [`BINARY_ENV`] when set, else the file
/// beside the running executable.
pub fn locate() -> Result<PathBuf> {
    let path = match std::env::var_os(BINARY_ENV) {
        Some(path) => PathBuf::from(path),
        None => std::env::current_exe()
            .map_err(|e| Error::System(format!("cannot tell where certdesk runs from: {e}")))?
            .with_file_name(BINARY_NAME),
    };
    if path.is_file() {
        Ok(path)
    } else {
        Err(Error::System(format!(
            "the agent binary {} is not there: build it beside certdesk with `cargo build \
             --release -p certdesk-agent`, or name where it is with {BINARY_ENV}",
            path.display()
        )))
    }
}

/// Writes the package for `binary` to `out`, whole or not at all: it is written beside `out`
/// under a temporary name and renamed once complete.
pub fn write(binary: &Path, out: &Path) -> Result<AgentPackage> {
    if out.is_dir() {
        return Err(Error::input(format!(
            "{} is a folder: give the package's file name, e.g. certdesk-agent.tar.gz",
            out.display()
        )));
    }
    let bytes = std::fs::read(binary).map_err(|e| Error::file(binary, e))?;
    // Every entry carries the binary's build time, so unpacked files show when it was made.
    let mtime = std::fs::metadata(binary)
        .and_then(|m| m.modified())
        .ok()
        .and_then(|t| t.duration_since(std::time::UNIX_EPOCH).ok())
        .map_or(0, |d| d.as_secs());
    let version = env!("CARGO_PKG_VERSION").to_owned();
    let folder = format!("certdesk-agent-{version}");
    let staged = out.with_extension(STAGED_EXTENSION);
    let written = write_archive(&staged, &folder, &bytes, mtime)
        .and_then(|()| std::fs::rename(&staged, out).map_err(|e| Error::file(out, e)));
    if let Err(e) = written {
        let _ = std::fs::remove_file(&staged);
        return Err(e);
    }
    let size = std::fs::metadata(out)
        .map_err(|e| Error::file(out, e))?
        .len();
    Ok(AgentPackage {
        path: out.to_owned(),
        folder,
        version,
        binary_sha256: hex::encode(digest::digest(&digest::SHA256, &bytes)),
        size,
    })
}

fn write_archive(path: &Path, folder: &str, binary: &[u8], mtime: u64) -> Result<()> {
    let failed = |e: std::io::Error| Error::file(path, e);
    let file = File::create(path).map_err(failed)?;
    let mut tar = tar::Builder::new(GzEncoder::new(file, Compression::default()));
    let examples = EXAMPLE_CONFIGS
        .iter()
        .map(|e| (e.file, e.config.as_bytes(), 0o644));
    let entries = [
        (BINARY_NAME, binary, 0o755),
        ("INSTALL.txt", INSTALL.as_bytes(), 0o644),
    ]
    .into_iter()
    .chain(examples);
    for (name, data, mode) in entries {
        let mut header = tar::Header::new_gnu();
        header.set_size(data.len() as u64);
        header.set_mode(mode);
        header.set_mtime(mtime);
        header.set_cksum();
        tar.append_data(&mut header, format!("{folder}/{name}"), data)
            .map_err(failed)?;
    }
    let mut file = tar.into_inner().map_err(failed)?.finish().map_err(failed)?;
    file.flush().map_err(failed)?;
    file.sync_all().map_err(failed)
}

/// The steps, as the Windows Agent tab's "How to install an agent" gives them.
const INSTALL: &str = "\
certdesk-agent: answers http-01 and installs certificates for a paired certdesk.

1. Copy this folder to the server.
2. Write the configuration: /etc/certdesk-agent/agent.json on Linux,
   C:\\ProgramData\\certdesk-agent\\agent.json on Windows (start from agent.json.example, or
   agent-iis.json.example on Windows: the IIS site instead of files and a reload command).
   names lists the certificate names the agent serves: it publishes dns-01 records and
   installs certificates for those only.
3. As an administrator: certdesk-agent install, then certdesk-agent start
   (a systemd unit on Linux, a Windows service on Windows). On Linux install copies the
   agent to /usr/local/lib/certdesk-agent/ and refuses a configuration that anyone but root
   can change.
4. certdesk-agent fingerprint prints the fingerprint certdesk shows when you pair the agent:
   compare the two.
5. Let the certdesk machine reach the agent's listen port through the server's firewall, pair
   the agent in certdesk's Windows Agent tab (or certdesk agent pair), and store the pairing
   code it shows once: certdesk-agent pair (it keeps only the token's hash, and the ACME
   accounts the code names: http-01 is answered for those only).
";

/// An example configuration, in the package and in the Windows Agent tab's install steps.
#[derive(Debug, Clone, Copy, Serialize, ts_rs::TS)]
pub struct ExampleConfig {
    /// Its file name in the package.
    pub file: &'static str,
    /// What it sets up, as the tab introduces it.
    pub title: &'static str,
    pub config: &'static str,
}

/// Linux first: the package's `agent.json.example` is the one a Linux agent takes as it is.
pub const EXAMPLE_CONFIGS: [ExampleConfig; 2] = [
    ExampleConfig {
        file: "agent.json.example",
        title: "Linux (files and a reload command, checked by a TLS handshake)",
        config: r#"{
  "listen": "0.0.0.0:8443",
  "names": ["example.com", "www.example.com"],
  "http_listen": "0.0.0.0:80",
  "files": [
    {"path": "/etc/nginx/tls/site.pem", "format": "fullchain"},
    {"path": "/etc/nginx/tls/site.key", "format": "key"}
  ],
  "reload_command": "systemctl reload nginx",
  "check": "127.0.0.1:443"
}
"#,
    },
    ExampleConfig {
        file: "agent-iis.json.example",
        title:
            "Windows (IIS: the certificate goes into LocalMachine\\My and the site's https binding)",
        config: r#"{
  "listen": "0.0.0.0:8443",
  "names": ["example.com", "www.example.com"],
  "http_listen": "0.0.0.0:80",
  "iis_site": "Default Web Site"
}
"#,
    },
];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_folder_is_refused_and_a_missing_binary_leaves_nothing_behind() {
        let dir = tempfile::tempdir().expect("temp dir");
        let err = write(Path::new("/bin/sh"), dir.path()).expect_err("a folder");
        assert!(err.to_string().contains("is a folder"), "{err}");

        let out = dir.path().join("agent.tar.gz");
        let err = write(&dir.path().join("missing"), &out).expect_err("no binary");
        assert!(err.to_string().contains("missing"), "{err}");
        assert_eq!(std::fs::read_dir(dir.path()).expect("list").count(), 0);
    }
}
