//! The page's types, command names and command wrappers (`ui/src/bindings.ts`) are generated
//! from the Rust types the commands take and return (ts-rs, following their serde attributes),
//! from the one command list (`src/command_list.rs`) and from each command's function (its
//! arguments and answer, see [`signatures`]). This test generates them again and fails when the
//! checked-in file differs, so the page cannot drift from the Rust side; with
//! `UPDATE_BINDINGS=1` it writes the file instead.

#[path = "bindings/signatures.rs"]
mod signatures;

// `with_commands!`, the list the handler expands (its `command_names` is the handler's own).
#[macro_use]
#[allow(unused_macros)]
#[path = "../src/command_list.rs"]
mod command_list;

use std::collections::BTreeMap;
use std::path::Path;

use certdesk_engine::deploy::KINDS;
use certdesk_engine::dns::PROVIDERS;
use certdesk_engine::form::FieldSpec;
use heck::ToLowerCamelCase;
use serde::Deserialize;
use signatures::Names;
use ts_rs::{Config, TypeVisitor, TS};

/// Each command as `(module, command)`: its function is `src/commands/<module>.rs`'s `command`.
macro_rules! command_paths {
    ($($module:ident::$command:ident),* $(,)?) => {
        &[$((stringify!($module), stringify!($command))),*]
    };
}
const COMMAND_PATHS: &[(&str, &str)] = with_commands!(command_paths);

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

/// Every type a command's signature writes; the types they contain come along.
fn visit_roots(v: &mut Roots) {
    use certdesk_app::commands::{accounts, agent, app, requests};
    use certdesk_engine as e;

    v.add::<String>();
    v.add::<str>();
    v.add::<bool>();
    v.add::<certdesk_app::error::CommandError>();
    v.add::<app::AppInfo>();
    v.add::<accounts::CaForm>();
    v.add::<accounts::RegisterForm>();
    v.add::<accounts::ImportForm>();
    v.add::<e::account::AccountInfo>();
    v.add::<e::account::CaTerms>();
    v.add::<e::acme::CaProfile>();
    v.add::<e::caa::CaaReport>();
    v.written_as::<ProviderSpecShape>("ProviderSpec");
    v.add::<e::dns_accounts::DnsAccountInfo>();
    v.add::<e::persist::PersistRecordInfo>();
    v.add::<e::persist::PersistCheck>();
    v.written_as::<TargetSpecShape>("TargetSpec");
    v.add::<e::deploy::mappings::MappingInfo>();
    v.add::<e::deploy::Probe>();
    v.add::<e::deploy::Deployed>();
    v.add::<e::notify::ChannelKind>();
    v.add::<e::notify::ChannelInfo>();
    v.add::<e::form::ConfigForm>();
    v.add::<requests::NameCheck>();
    v.add::<requests::RequestForm>();
    v.add::<e::request::RequestInfo>();
    v.add::<e::repository::CertSummary>();
    v.add::<e::Replacement>();
    v.add::<e::repository::CertVersion>();
    v.add::<e::repository::RevocationReason>();
    v.add::<e::details::CertDetails>();
    v.add::<e::keystore::ExportFormat>();
    v.add::<e::renewal::PassReport>();
    v.add::<e::renewal::Health>();
    v.add::<e::overview::Overview>();
    v.add::<e::endpoints::EndpointCheck>();
    v.add::<e::endpoints::Starttls>();
    v.add::<e::endpoints::ScanReport>();
    v.add::<e::activity::Filter>();
    v.add::<e::activity::ActivityLog>();
    v.add::<e::next_step::Listing>();
    v.add::<e::store::Damaged>();
    v.add::<e::settings::SettingsView>();
    v.add::<e::settings::SettingsUpdate>();
    v.add::<e::mail::MailSent>();
    v.add::<e::mail::CertMail>();
    v.add::<e::names::ChallengeType>();
    v.add::<e::agents::AgentStatus>();
    v.add::<agent::PairedAgent>();
    v.add::<e::agent_package::AgentPackage>();
    v.add::<e::agent_package::ExampleConfig>();
}

/// The types the commands' signatures write: their declarations, and their TypeScript names by
/// the name the signatures write them with.
struct Roots {
    declarations: Declarations,
    names: Names,
}

impl Roots {
    /// A type the signatures write by its Rust name.
    fn add<T: TS + 'static + ?Sized>(&mut self) {
        let path = std::any::type_name::<T>();
        self.written_as::<T>(path.rsplit("::").next().unwrap_or(path));
    }

    /// A type the signatures write as `written`: a hand-written shape, as the engine type it
    /// stands for.
    fn written_as<T: TS + 'static + ?Sized>(&mut self, written: &str) {
        let ts = T::name(&self.declarations.cfg);
        if let Some(seen) = self.names.insert(written.to_owned(), ts.clone()) {
            assert!(
                seen == ts,
                "two types the signatures write as {written}: {seen} and {ts}"
            );
        }
        self.declarations.visit::<T>();
    }
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
    let mut roots = Roots {
        declarations: Declarations {
            cfg,
            found: BTreeMap::new(),
        },
        names: Names::new(),
    };
    visit_roots(&mut roots);
    let mut out = format!(
        "// Generated from the Rust types the commands take and return (ts-rs), from the command\n\
         // list (src-tauri/src/command_list.rs) and from the commands' functions\n\
         // (src-tauri/src/commands). Do not edit: run `{REGENERATE}`.\n\n"
    );
    for (_, decl) in roots.declarations.found.values() {
        out.push_str(decl);
        out.push_str("\n\n");
    }
    out.push_str("/** Every command the page may invoke. */\nexport const COMMANDS = [\n");
    for command in certdesk_app::COMMANDS {
        out.push_str(&format!("  \"{command}\",\n"));
    }
    out.push_str("] as const;\n\nexport type Command = (typeof COMMANDS)[number];\n\n");
    out.push_str(&wrappers(&roots.names));
    out
}

/// `commands(call)`: one function per command, named as the command in camelCase, taking the
/// arguments of its Rust function and answering what the function returns.
fn wrappers(names: &Names) -> String {
    let mut out = String::from(
        "/** How the wrappers reach a command: api.ts's `call` (Tauri's invoke, each failure a CommandError). */\n\
         export type Call = <T>(command: Command, args?: Record<string, unknown>) => Promise<T>;\n\n\
         /** Every command as a function, with the arguments and the answer of its Rust function. */\n\
         export function commands(call: Call) {\n  return {\n",
    );
    for (module, command) in COMMAND_PATHS {
        let signature = signatures::read(module, command, names);
        let params: Vec<String> = signature
            .args
            .iter()
            .map(|a| format!("{}: {}", a.key, a.ts))
            .collect();
        let keys: Vec<&str> = signature.args.iter().map(|a| a.key.as_str()).collect();
        let args = if keys.is_empty() {
            String::new()
        } else {
            format!(", {{ {} }}", keys.join(", "))
        };
        out.push_str(&format!(
            "    {}: ({}) => call<{}>(\"{command}\"{args}),\n",
            command.to_lower_camel_case(),
            params.join(", "),
            signature.returns,
        ));
    }
    out.push_str("  };\n}\n");
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
        "ui/src/bindings.ts is stale (the Rust types, the command list or a command's arguments or answer changed): run `{REGENERATE}` and commit it"
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
