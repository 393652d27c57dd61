//! What every dns-01 provider test (`dns_*`) stands on, parameterised by the provider: a
//! certdesk registered at a Pebble that resolves through the zone's own server ([`Issuing`]),
//! the provider's DNS account with the fields each of its tests sets ([`Account`]), and, for the
//! providers with an HTTP API, BIND with the provider's fake in front of it ([`FakeSetup`]).

use std::fs;
use std::path::PathBuf;

use serde_json::{json, Value};

use super::bind::Bind;
use super::certdesk::{Certdesk, Output};
use super::fake::FakeApi;
use super::pebble::Pebble;
use super::steps::{add_dns_account, issue_dns, register};

/// A certdesk registered (account "pebble") at a Pebble that resolves every name through
/// `nameserver`, the test's BIND or Knot. Pebble is dropped after the certdesk.
pub struct Issuing {
    pub cd: Certdesk,
    _pebble: Pebble,
}

impl Issuing {
    pub fn start(nameserver: &str) -> Issuing {
        let pebble = Pebble::builder().dns_server(nameserver).start();
        let cd = Certdesk::new();
        register(&cd, &pebble);
        Issuing {
            cd,
            _pebble: pebble,
        }
    }
}

/// The provider's DNS account under test: `certdesk dns add --provider PROVIDER --name NAME`
/// with `fields` (credentials, endpoint, nameservers) and whatever a test sets over them.
pub struct Account {
    provider: &'static str,
    name: &'static str,
    fields: Value,
}

impl Account {
    pub fn new(provider: &'static str, name: &'static str, fields: Value) -> Account {
        assert!(fields.is_object(), "an account's fields are an object");
        Account {
            provider,
            name,
            fields,
        }
    }

    /// The configuration: the account's fields with each of `extra`'s set over them.
    pub fn config(&self, extra: Value) -> Value {
        merged(self.fields.clone(), extra)
    }

    /// `certdesk dns add` of the account with `extra` over its fields.
    pub fn add(&self, cd: &Certdesk, extra: Value) -> Output {
        add_dns_account(cd, self.provider, self.name, &self.config(extra))
    }
}

/// BIND serving `zones`, a provider's fake API (`tests/fakes/<script>`) mirroring into it with
/// its `--state` file, Pebble resolving through BIND and a registered certdesk; dropped in this
/// order.
pub struct FakeSetup {
    pub cd: Certdesk,
    pub fake: FakeApi,
    pub bind: Bind,
    /// Where the fake writes its TXT records after each change; absent until the first.
    pub state: PathBuf,
    _pebble: Pebble,
}

impl FakeSetup {
    /// `fake_args` are the fake's own besides the state file: its credentials, zones, faults.
    pub fn start(script: &str, zones: &[&str], fake_args: &[&str]) -> FakeSetup {
        let bind = Bind::start(zones);
        let cd = Certdesk::new();
        let state = cd.dir().join("fake-state.json");
        let mut args = vec!["--state", state.to_str().expect("UTF-8 temp path")];
        args.extend(fake_args);
        let fake = FakeApi::start(script, &bind, &args);
        let pebble = Pebble::builder().dns_server(&bind.addr()).start();
        register(&cd, &pebble);
        FakeSetup {
            cd,
            fake,
            bind,
            state,
            _pebble: pebble,
        }
    }

    /// `certdesk dns add` of the account `name` of `provider` with `fields`, aimed at the fake
    /// ([`connection`]).
    pub fn add(&self, provider: &'static str, name: &'static str, fields: Value) -> Output {
        Account::new(provider, name, connection(&self.fake, &self.bind)).add(&self.cd, fields)
    }

    /// `certdesk request create` for `names` through the account `account`, saved.
    pub fn issue(&self, account: &str, names: &[&str]) -> Output {
        issue_dns(&self.cd, account, names)
    }

    /// The fake's TXT records by name, as its state file has them; `{}` before any change.
    pub fn fake_txt(&self) -> Value {
        fs::read_to_string(&self.state)
            .map(|s| serde_json::from_str(&s).expect("state JSON"))
            .unwrap_or_else(|_| json!({}))
    }
}

/// The fields that aim an account at `fake`: its endpoint, its CA, and BIND as the nameserver
/// to check propagation at.
pub fn connection(fake: &FakeApi, bind: &Bind) -> Value {
    json!({
        "endpoint": fake.endpoint(),
        "ca_certificate": fake.ca_path(),
        "nameservers": [bind.addr()],
    })
}

/// `base` with each of `over`'s fields set over it.
pub fn merged(mut base: Value, over: Value) -> Value {
    for (k, v) in over.as_object().expect("fields are an object") {
        base[k] = v.clone();
    }
    base
}
