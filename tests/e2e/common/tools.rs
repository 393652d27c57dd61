//! The command-line tools tests check outputs with (`openssl`, `keytool`) or talk HTTP through
//! (`curl`), the self-signed certificates and requests tests make with `openssl`, and the small
//! TLS CA an HTTPS fixture serves under.

use std::ffi::{OsStr, OsString};
use std::fs;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use super::process::{describe, not_found, random_u64, scrub_env};

/// Runs `program args…` (stdin from `input`, or empty) and returns its stdout; panics with its
/// stderr and stdout if it fails.
pub fn tool_with_stdin<I, S>(program: &str, args: I, input: Option<&[u8]>) -> String
where
    I: IntoIterator<Item = S>,
    S: AsRef<OsStr>,
{
    let args: Vec<OsString> = args.into_iter().map(|a| a.as_ref().to_owned()).collect();
    let mut cmd = Command::new(program);
    scrub_env(&mut cmd);
    cmd.args(&args)
        .stdin(if input.is_some() {
            Stdio::piped()
        } else {
            Stdio::null()
        })
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    let mut child = cmd
        .spawn()
        .unwrap_or_else(|e| panic!("{}", not_found(program, &e)));
    let writer = input.map(|data| {
        let mut stdin = child.stdin.take().expect("stdin");
        let data = data.to_vec();
        std::thread::spawn(move || {
            let _ = stdin.write_all(&data);
        })
    });
    let out = child.wait_with_output().expect("wait for tool");
    if let Some(w) = writer {
        let _ = w.join();
    }
    if !out.status.success() {
        panic!(
            "`{}` failed ({}):\n--- stderr ---\n{}\n--- stdout ---\n{}",
            describe(program, &args),
            out.status,
            String::from_utf8_lossy(&out.stderr),
            String::from_utf8_lossy(&out.stdout)
        );
    }
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// Runs `program args…` and returns its stdout; panics with its stderr if it fails.
pub fn tool<I, S>(program: &str, args: I) -> String
where
    I: IntoIterator<Item = S>,
    S: AsRef<OsStr>,
{
    tool_with_stdin(program, args, None)
}

/// `openssl args…` → stdout (panics with stderr on failure).
pub fn openssl<I, S>(args: I) -> String
where
    I: IntoIterator<Item = S>,
    S: AsRef<OsStr>,
{
    tool("openssl", args)
}

/// `openssl args…` with `input` on stdin → stdout.
pub fn openssl_stdin<I, S>(args: I, input: &[u8]) -> String
where
    I: IntoIterator<Item = S>,
    S: AsRef<OsStr>,
{
    tool_with_stdin("openssl", args, Some(input))
}

/// Checks with `openssl verify` that `bundle` (the leaf first, then its intermediates) leads to
/// the root in `root`; `Err` with openssl's words when it does not.
pub fn verify_chain(bundle: &Path, root: &Path) -> Result<(), String> {
    let mut cmd = Command::new("openssl");
    scrub_env(&mut cmd);
    cmd.arg("verify")
        .arg("-CAfile")
        .arg(root)
        .arg("-untrusted")
        .arg(bundle)
        .arg(bundle)
        .stdin(Stdio::null());
    let out = cmd.output().map_err(|e| not_found("openssl", &e))?;
    let stdout = String::from_utf8_lossy(&out.stdout);
    if out.status.success() && stdout.contains(": OK") {
        Ok(())
    } else {
        Err(format!("{stdout}{}", String::from_utf8_lossy(&out.stderr)))
    }
}

/// Writes a self-signed P-256 certificate for `subject` (`/CN=…`), valid two days, to `cert`
/// and its key to `key` (PEM): a server's own certificate before certdesk installs one.
pub fn self_signed(subject: &str, key: &Path, cert: &Path) {
    self_signed_ec("P-256", subject, 2, &[], key, cert);
}

/// Writes a self-signed certificate for `subject` on a new EC key on `curve` (`P-256`, …),
/// valid `days`, to `cert` and its key to `key` (PEM); `extra` are further `openssl req`
/// options (`-addext …`, `-config … -extensions …`). A test's roots and self-signed leaves.
pub fn self_signed_ec(
    curve: &str,
    subject: &str,
    days: u32,
    extra: &[&str],
    key: &Path,
    cert: &Path,
) {
    let days = days.to_string();
    let mut args = vec!["-x509", "-days", &days];
    args.extend(extra);
    ec_req(curve, subject, &args, key, cert);
}

/// Writes a certificate signing request for `subject` on a new EC key on `curve` to `csr` and
/// the key to `key` (PEM); `extra` as in [`self_signed_ec`]. What a test's CA then signs.
pub fn ec_csr(curve: &str, subject: &str, extra: &[&str], key: &Path, csr: &Path) {
    let mut args = vec!["-new"];
    args.extend(extra);
    ec_req(curve, subject, &args, key, csr);
}

/// `openssl req <mode…> -newkey ec` on `curve`, unencrypted, for `subject`.
fn ec_req(curve: &str, subject: &str, mode: &[&str], key: &Path, out: &Path) {
    let curve = format!("ec_paramgen_curve:{curve}");
    let mut args = vec!["req"];
    args.extend(mode);
    args.extend([
        "-newkey",
        "ec",
        "-pkeyopt",
        &curve,
        "-nodes",
        "-subj",
        subject,
        "-keyout",
        key.to_str().expect("UTF-8"),
        "-out",
        out.to_str().expect("UTF-8"),
    ]);
    openssl(&args);
}

/// `keytool args…` (Java 17, default-jre-headless) → stdout (panics with its output on failure).
pub fn keytool<I, S>(args: I) -> String
where
    I: IntoIterator<Item = S>,
    S: AsRef<OsStr>,
{
    tool("keytool", args)
}

/// One curl request. Returns (status, body) or curl's error text.
pub fn curl(args: &[&str]) -> Result<(u16, String), String> {
    let mut cmd = Command::new("curl");
    scrub_env(&mut cmd);
    cmd.args([
        "-sS",
        "--noproxy",
        "*",
        "--max-time",
        "10",
        "-w",
        "\n%{http_code}",
    ])
    .args(args)
    .stdin(Stdio::null());
    let out = cmd.output().map_err(|e| not_found("curl", &e))?;
    if !out.status.success() {
        return Err(format!(
            "curl {args:?}: {} {}",
            out.status,
            String::from_utf8_lossy(&out.stderr).trim()
        ));
    }
    let text = String::from_utf8_lossy(&out.stdout).into_owned();
    let (body, code) = text.rsplit_once('\n').unwrap_or(("", &text));
    let code = code
        .trim()
        .parse()
        .map_err(|_| format!("curl {args:?}: bad status {code:?}"))?;
    Ok((code, body.to_string()))
}

/// Makes a small CA and a leaf (127.0.0.1, ::1, localhost) for Pebble's HTTPS listener; Go refuses
/// a self-signed CA:TRUE certificate as the end entity. Returns (ca.pem, cert.pem, key.pem).
pub fn make_listener_certs(dir: &Path) -> (PathBuf, PathBuf, PathBuf) {
    fs::write(
        dir.join("openssl.cnf"),
        "[req]\n\
         distinguished_name = dn\n\
         prompt = no\n\
         [dn]\n\
         CN = certdesk test CA\n\
         [v3_ca]\n\
         basicConstraints = critical,CA:TRUE,pathlen:0\n\
         keyUsage = critical,keyCertSign,cRLSign\n\
         subjectKeyIdentifier = hash\n\
         [v3_leaf]\n\
         basicConstraints = critical,CA:FALSE\n\
         keyUsage = critical,digitalSignature\n\
         extendedKeyUsage = serverAuth\n\
         subjectAltName = IP:127.0.0.1,IP:::1,DNS:localhost\n\
         subjectKeyIdentifier = hash\n\
         authorityKeyIdentifier = keyid\n",
    )
    .expect("write openssl.cnf");
    let p = |name: &str| dir.join(name).to_str().expect("UTF-8 temp dir").to_string();
    let (ca, ca_key, cert, key, csr) = (
        p("ca.pem"),
        p("ca.key"),
        p("pebble-cert.pem"),
        p("pebble-key.pem"),
        p("pebble.csr"),
    );
    let cnf = p("openssl.cnf");
    let ca_subject = format!("/CN=certdesk test CA {:08x}", random_u64() as u32);
    let v3_ca = ["-config", cnf.as_str(), "-extensions", "v3_ca"];
    self_signed_ec(
        "P-256",
        &ca_subject,
        30,
        &v3_ca,
        ca_key.as_ref(),
        ca.as_ref(),
    );
    let config = ["-config", cnf.as_str()];
    ec_csr(
        "P-256",
        "/CN=localhost",
        &config,
        key.as_ref(),
        csr.as_ref(),
    );
    let serial = format!("0x{:016x}", (random_u64() >> 2) | 1);
    openssl([
        "x509",
        "-req",
        "-in",
        &csr,
        "-CA",
        &ca,
        "-CAkey",
        &ca_key,
        "-set_serial",
        &serial,
        "-days",
        "30",
        "-extfile",
        &cnf,
        "-extensions",
        "v3_leaf",
        "-out",
        &cert,
    ]);
    let _ = fs::remove_file(&csr);
    (PathBuf::from(ca), PathBuf::from(cert), PathBuf::from(key))
}
