//! The page's types and command names (`ui/src/bindings.ts`) are generated from the Rust types
//! the commands take and return (ts-rs, following their serde attributes) and from the one
//! command list (`src/command_list.rs`). This test generates them again and fails when the
//! checked-in file differs, so the page cannot drift from the Rust side; with
//! `UPDATE_BINDINGS=1` it writes the file instead.

use std::collections::BTreeMap;
use std::path::Path;

use certdesk_engine::deploy::KINDS;
use certdesk_engine::dns::PROVIDERS;
use certdesk_engine::form::FieldSpec;
use serde::Deserialize;
use ts_rs::{Config, TypeVisitor, TS};

const REGENERATE: &str = "UPDATE_BINDINGS=1 cargo test -p certdesk-app --test bindings";

/// `dns::ProviderSpec` as its hand-written `Serialize` writes it (the spec itself holds the
/// provider's constructor). [`shapes_match_the_engine`] checks the two agree.
#[derive(TS, Deserialize)]
#[ts(rename = "ProviderSpec")]
#[serde(deny_unknown_fields)]
#[allow(dead_code)]
struct ProviderSpecShape {
    id: String,
    label: String,
    /// The least privilege to grant the credentials.
    privilege: String,
    #[ts(as = "Vec<FieldSpec>")]
    fields: Vec<FieldSpecShape>,
}

/// `deploy::TargetSpec` (a kind of deploy mapping and its form) as its `Serialize` writes it.
#[derive(TS, Deserialize)]
#[ts(rename = "TargetSpec")]
#[serde(deny_unknown_fields)]
#[allow(dead_code)]
struct TargetSpecShape {
    kind: String,
    label: String,
    #[ts(as = "Vec<FieldSpec>")]
    fields: Vec<FieldSpecShape>,
}

/// [`FieldSpec`] as the shapes above read it back (their TypeScript names the engine's own).
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
#[allow(dead_code)]
struct FieldSpecShape {
    name: String,
    label: String,
    secret: bool,
    required: bool,
    help: String,
}

/// Every type a command takes or returns; the types they contain come along.
fn visit_roots(v: &mut impl TypeVisitor) {
    use certdesk_app::commands::{accounts, agent, app, requests};
    use certdesk_engine as e;

    v.visit::<certdesk_app::error::CommandError>();
    v.visit::<app::AppInfo>();
    v.visit::<accounts::CaForm>();
    v.visit::<accounts::RegisterForm>();
    v.visit::<accounts::ImportForm>();
    v.visit::<e::account::AccountInfo>();
    v.visit::<e::account::CaTerms>();
    v.visit::<ProviderSpecShape>();
    v.visit::<e::dns_accounts::DnsAccountInfo>();
    v.visit::<e::dns_accounts::DnsAccountForm>();
    v.visit::<TargetSpecShape>();
    v.visit::<e::deploy::mappings::MappingInfo>();
    v.visit::<e::deploy::mappings::MappingForm>();
    v.visit::<e::deploy::Probe>();
    v.visit::<e::deploy::Deployed>();
    v.visit::<requests::NameCheck>();
    v.visit::<requests::RequestForm>();
    v.visit::<e::request::RequestInfo>();
    v.visit::<e::repository::CertSummary>();
    v.visit::<e::repository::CertVersion>();
    v.visit::<e::repository::RevocationReason>();
    v.visit::<e::details::CertDetails>();
    v.visit::<e::keystore::ExportFormat>();
    v.visit::<e::renewal::PassReport>();
    v.visit::<e::renewal::Health>();
    v.visit::<e::next_step::Listing>();
    v.visit::<e::store::Damaged>();
    v.visit::<e::settings::SettingsView>();
    v.visit::<e::settings::SettingsUpdate>();
    v.visit::<e::mail::MailSent>();
    v.visit::<e::mail::CertMail>();
    v.visit::<e::names::ChallengeType>();
    v.visit::<e::agents::AgentStatus>();
    v.visit::<agent::PairedAgent>();
    v.visit::<e::agent_package::AgentPackage>();
    v.visit::<e::agent_package::ExampleConfig>();
}

/// Collects the declaration of each type met, by its TypeScript name, and goes on into the
/// types it contains.
struct Declarations {
    cfg: Config,
    found: BTreeMap<String, (String, String)>,
}

impl TypeVisitor for Declarations {
    fn visit<T: TS + 'static + ?Sized>(&mut self) {
        // Only named types are declared. `string`, `Option<T>`, arrays and the like have no
        // path, and what they contain is visited on its own.
        if T::output_path().is_none() {
            return;
        }
        let name = T::ident(&self.cfg);
        let rust = std::any::type_name::<T>().to_owned();
        match self.found.get(&name) {
            Some((seen, _)) if *seen == rust => return,
            Some((seen, _)) => panic!(
                "two Rust types would be the TypeScript type {name}: {seen} and {rust}; give \
                 one #[ts(rename = \"…\")]"
            ),
            None => {}
        }
        let mut decl = T::docs().unwrap_or_default();
        decl.push_str("export ");
        decl.push_str(&T::decl(&self.cfg));
        self.found.insert(name, (rust, decl));
        T::visit_dependencies(self);
    }
}

/// The whole of `ui/src/bindings.ts`.
fn bindings() -> String {
    // The page reads JSON numbers, so 64-bit integers (sizes, days) are plain numbers.
    let cfg = Config::new().with_large_int("number");
    let mut declarations = Declarations {
        cfg,
        found: BTreeMap::new(),
    };
    visit_roots(&mut declarations);
    let mut out = format!(
        "// Generated from the Rust types the commands take and return (ts-rs) and from the command\n\
         // list (src-tauri/src/command_list.rs). Do not edit: run `{REGENERATE}`.\n\n"
    );
    for (_, decl) in declarations.found.values() {
        out.push_str(decl);
        out.push_str("\n\n");
    }
    out.push_str("/** Every command the page may invoke. */\nexport const COMMANDS = [\n");
    for command in certdesk_app::COMMANDS {
        out.push_str(&format!("  \"{command}\",\n"));
    }
    out.push_str("] as const;\n\nexport type Command = (typeof COMMANDS)[number];\n");
    out
}

#[test]
fn bindings_are_current() {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../ui/src/bindings.ts");
    let generated = bindings();
    if std::env::var_os("UPDATE_BINDINGS").is_some() {
        std::fs::write(&path, &generated).expect("write ui/src/bindings.ts");
        return;
    }
    let checked_in = std::fs::read_to_string(&path).unwrap_or_default();
    assert!(
        checked_in == generated,
        "ui/src/bindings.ts is stale (the Rust types or the command list changed): run `{REGENERATE}` and commit it"
    );
}

/// The hand-written shapes above say what the engine's hand-written `Serialize` writes.
#[test]
fn shapes_match_the_engine() {
    for provider in PROVIDERS {
        let json = serde_json::to_value(provider).expect("serialise");
        if let Err(e) = serde_json::from_value::<ProviderSpecShape>(json) {
            panic!("ProviderSpecShape is not what dns::ProviderSpec serialises: {e}");
        }
    }
    for kind in KINDS {
        let json = serde_json::to_value(kind).expect("serialise");
        if let Err(e) = serde_json::from_value::<TargetSpecShape>(json) {
            panic!("TargetSpecShape is not what deploy::TargetSpec serialises: {e}");
        }
    }
}
