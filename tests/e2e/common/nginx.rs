//! A throw-away nginx with its own prefix (`nginx -p DIR -c CONF -g 'daemon off;'`): HTTP on the
//! port Pebble's VA fetches http-01 tokens from, serving a web root, and TLS on another port
//! with certificate files that certdesk deploys. It starts with a self-signed certificate; the
//! reload command is `nginx -p DIR -c CONF -s reload`.

use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use super::process::{
    free_port, kill_and_reap, open_log, read_lossy, tail, tcp_accepts, wait_until, TempDir,
};

pub struct Nginx {
    dir: TempDir,
    child: Option<Child>,
    https_port: u16,
}

impl Nginx {
    /// Starts nginx with HTTP on 127.0.0.1:`http_port` and TLS on a free port, and waits until
    /// both accept connections.
    pub fn start(http_port: u16) -> Nginx {
        let dir = TempDir::new("certdesk-nginx");
        let https_port = free_port();
        let d = dir.path();
        for sub in ["webroot", "certs", "logs", "tmp"] {
            fs::create_dir_all(d.join(sub)).expect("create nginx folder");
        }
        // Workers run as an unprivileged user when the master is root: let them in.
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            fs::set_permissions(d, fs::Permissions::from_mode(0o755)).expect("chmod prefix");
        }
        let cert = d.join("certs/fullchain.pem");
        let key = d.join("certs/privkey.pem");
        super::tools::self_signed("/CN=before certdesk", &key, &cert);
        let p = d.display();
        fs::write(
            d.join("nginx.conf"),
            format!(
                "pid {p}/nginx.pid;\nerror_log {p}/logs/error.log info;\nworker_processes 1;\n\
                 events {{ worker_connections 64; }}\n\
                 http {{\n  access_log {p}/logs/access.log;\n  default_type text/plain;\n  \
                 client_body_temp_path {p}/tmp/body;\n  proxy_temp_path {p}/tmp/proxy;\n  \
                 fastcgi_temp_path {p}/tmp/fastcgi;\n  uwsgi_temp_path {p}/tmp/uwsgi;\n  \
                 scgi_temp_path {p}/tmp/scgi;\n  \
                 server {{ listen 127.0.0.1:{http_port}; root {p}/webroot; }}\n  \
                 server {{ listen 127.0.0.1:{https_port} ssl; root {p}/webroot;\n    \
                 ssl_certificate {}; ssl_certificate_key {}; }}\n}}\n",
                cert.display(),
                key.display()
            ),
        )
        .expect("write nginx.conf");
        let (out, err) = open_log(&d.join("logs/nginx.out"));
        let child = Command::new("nginx")
            .arg("-p")
            .arg(d)
            .arg("-c")
            .arg(d.join("nginx.conf"))
            .args(["-g", "daemon off;"])
            .stdin(Stdio::null())
            .stdout(out)
            .stderr(err)
            .spawn()
            .unwrap_or_else(|e| panic!("{}", super::process::not_found("nginx", &e)));
        let nginx = Nginx {
            dir,
            child: Some(child),
            https_port,
        };
        wait_until(
            "nginx to accept connections",
            Duration::from_secs(30),
            || tcp_accepts(http_port) && tcp_accepts(https_port),
        );
        nginx
    }

    /// The folder served at `http://NAME/`.
    pub fn webroot(&self) -> PathBuf {
        self.dir.path().join("webroot")
    }

    /// The certificate file nginx serves (leaf then issuers).
    pub fn cert_path(&self) -> PathBuf {
        self.dir.path().join("certs/fullchain.pem")
    }

    pub fn key_path(&self) -> PathBuf {
        self.dir.path().join("certs/privkey.pem")
    }

    /// The shell command that makes nginx load its certificate files again.
    pub fn reload_command(&self) -> String {
        let d = self.dir.path().display();
        format!("nginx -p {d} -c {d}/nginx.conf -s reload")
    }

    /// `127.0.0.1:PORT` of the TLS listener.
    pub fn https_addr(&self) -> String {
        format!("127.0.0.1:{}", self.https_port)
    }

    /// The serial (lower-case hex, no leading zeros) of the certificate served for `name`, as
    /// `openssl s_client` sees it.
    pub fn served_serial(&self, name: &str) -> String {
        let pem = super::tools::tool_with_stdin(
            "openssl",
            [
                "s_client",
                "-connect",
                &self.https_addr(),
                "-servername",
                name,
            ],
            Some(b""),
        );
        let serial = super::tools::openssl_stdin(["x509", "-noout", "-serial"], pem.as_bytes());
        normalize_serial(&serial)
    }

    /// Waits until nginx serves `serial` for `name`. After a reload its old workers finish
    /// gracefully, so for a moment a handshake may still meet the previous certificate.
    pub fn wait_served(&self, name: &str, serial: &str) {
        wait_until(
            &format!("nginx to serve serial {serial}"),
            Duration::from_secs(20),
            || self.served_serial(name) == serial,
        );
    }

    pub fn dir(&self) -> &Path {
        self.dir.path()
    }

    pub fn log(&self) -> String {
        tail(&read_lossy(&self.dir.path().join("logs/error.log")), 40)
    }
}

/// `serial=0A1B` or `0a1b` as lower-case hex without leading zeros.
pub fn normalize_serial(text: &str) -> String {
    let text = text.trim();
    let hex = text.strip_prefix("serial=").unwrap_or(text).to_lowercase();
    let trimmed = hex.trim_start_matches('0');
    if trimmed.is_empty() {
        "0".into()
    } else {
        trimmed.into()
    }
}

impl Drop for Nginx {
    fn drop(&mut self) {
        if let Some(child) = self.child.take() {
            kill_and_reap(child);
        }
        if std::thread::panicking() {
            eprintln!("[fixture] nginx error log:\n{}", self.log());
        }
    }
}
