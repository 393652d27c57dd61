//! Shared fixtures for certdesk's end-to-end tests, one module per server or concern:
//!
//! - [`pebble`]: a throw-away ACME CA (Pebble 2.10.1 + `pebble-challtestsrv`, installed by
//!   `.ci/setup` in [`pebble::PEBBLE_DIR`]) on free loopback ports, with its own small TLS CA for
//!   its HTTPS listener ([`Pebble::ca_root_path`] is what a user passes as `--ca-root`).
//! - [`certdesk`]: runs the CLI binary with a private `--data-dir`; [`steps`]: what most tests
//!   do with it (register, create, issue).
//! - [`tools`]: [`openssl`], [`keytool`], [`tool`] run a verifier and return its stdout;
//!   [`verify_chain`]; [`curl`]; [`self_signed_ec`] and [`ec_csr`] make a test's roots, leaves
//!   and requests.
//! - [`exclusive`]: the locks that keep the heavy tests (slowloris, torture) apart, and the DNS
//!   servers that answer as the system's resolver.
//! - [`process`]: [`free_port`], [`wait_until`], [`TempDir`] and the spawning helpers.
//! - [`bind::Bind`]: a BIND 9 primary for the test's zones, with a TSIG key for updates.
//! - [`knot::Knot`]: the same with Knot DNS, its keys limited by an acl to `_acme-challenge`.
//! - [`smtp::SmtpSink`]: an SMTP server (aiosmtpd) that keeps each message, parsed, for the test.
//! - [`dns_setup`]: what every dns-01 provider test stands on (Pebble, a registered certdesk,
//!   the provider's account, its fake API in front of BIND).
//! - [`ari`]: a saved certificate at a Pebble with ARI, its windows set through Pebble, and the
//!   times renewal tests inject; [`ca_proxy`]: the proxy in front of Pebble that records requests
//!   and plays the faults Pebble cannot make.
//! - [`sshd`], [`nginx`], [`agent`], [`fake`], [`moto`]: the deployment targets and the fakes of
//!   DNS providers' APIs.
//!
//! Only `std` and `serde_json` (a normal dependency of the `certdesk` package) are used.
//! Every process started here talks to 127.0.0.1 only: proxies are removed from its environment
//! and Pebble resolves every name through `pebble-challtestsrv` (never the system resolver).
//!
//! Set `CERTDESK_TEST_KEEP=1` to keep the temporary directories (their paths are printed);
//! they are also kept, and the servers' logs printed, when a test panics.

pub mod agent;
pub mod ari;
pub mod bind;
pub mod ca_proxy;
pub mod certdesk;
pub mod dns_setup;
pub mod dns_zone;
pub mod exclusive;
pub mod fake;
pub mod knot;
pub mod moto;
pub mod nginx;
pub mod notice_receiver;
pub mod pebble;
pub mod process;
pub mod smtp;
pub mod sshd;
pub mod steps;
pub mod tools;

pub use certdesk::{require_keychain, Certdesk, CertdeskChild, Output};
pub use pebble::{Http01, Pebble};
pub use process::{free_port, wait_until, TempDir};
pub use steps::{
    add_dns_account, dns_request, export_key, issue_dns, register, register_args, register_as,
    register_at, saved_cert_names, Create,
};
pub use tools::{
    curl, ec_csr, keytool, openssl, openssl_stdin, self_signed, self_signed_ec, tool, verify_chain,
};
