//! certdesk's end-to-end tests: the built CLI (and agent) driven against real servers on
//! loopback. One test binary, one module per subject, sharing the fixtures in [`common`]: one
//! link instead of one per file. Run one module with `.ci/test --test e2e -- issuance::`.

mod common;

mod activity;
mod agent;
mod agent_package;
mod caa;
mod daemon;
mod deploy_ssh;
mod dns_azure;
mod dns_cloudflare;
mod dns_cloudns;
mod dns_godaddy;
mod dns_knot;
mod dns_persist;
mod dns_rfc2136;
mod dns_route53;
mod dns_script;
mod endpoints;
mod faults;
mod hostile_ca;
mod hostile_peers;
mod import;
mod input_rules;
mod ip_identifiers;
mod issuance;
mod mail;
mod notify;
mod profiles;
mod renewal;
mod secrets_at_rest;
mod slowloris;
mod store_safety;
mod torture;
