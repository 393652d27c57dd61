//! Each command's signature as the page calls it, read from its Rust function
//! (`src/commands/<module>.rs`, parsed with syn): the key Tauri reads each argument from, the
//! argument's TypeScript type and the type of what the command answers. Reading the function
//! itself is what keeps the page's wrappers from drifting when an argument or an answer changes.

use std::collections::BTreeMap;
use std::path::Path;

use heck::ToLowerCamelCase;
use syn::{FnArg, GenericArgument, Item, ItemFn, Pat, PathArguments, ReturnType, Type};

/// The TypeScript name of each type a signature may write, by the name it is written with (the
/// last segment of its path: `AccountInfo`, `String`).
pub type Names = BTreeMap<String, String>;

/// Arguments Tauri fills in itself: the page never sends them.
const INJECTED: &[&str] = &["State", "AppHandle", "Window", "Webview", "WebviewWindow"];

/// A command as the page calls it.
pub struct Signature {
    /// Each argument the page sends, in the function's order.
    pub args: Vec<Arg>,
    /// The TypeScript type of a successful answer.
    pub returns: String,
}

/// One argument the page sends.
pub struct Arg {
    /// The JSON key Tauri reads it from: the Rust name in camelCase (Tauri's default).
    pub key: String,
    pub ts: String,
}

/// The signature of `module::command`, the `#[tauri::command]` function in
/// `src/commands/<module>.rs`. Panics, naming the command, on anything it cannot type.
pub fn read(module: &str, command: &str, names: &Names) -> Signature {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("src/commands")
        .join(format!("{module}.rs"));
    let source = std::fs::read_to_string(&path)
        .unwrap_or_else(|e| panic!("cannot read {} for `{command}`: {e}", path.display()));
    let file =
        syn::parse_file(&source).unwrap_or_else(|e| panic!("cannot parse {}: {e}", path.display()));
    let function = file
        .items
        .iter()
        .find_map(|item| match item {
            Item::Fn(f) if f.sig.ident == command && is_command(f, command) => Some(f),
            _ => None,
        })
        .unwrap_or_else(|| {
            panic!(
                "no #[tauri::command] fn {command} in {}, as command_list.rs says",
                path.display()
            )
        });
    let typed = |ty: &Type, what: &str| {
        ts(ty, names).unwrap_or_else(|e| panic!("`{command}`, {what}: {e}"))
    };
    let mut args = Vec::new();
    for input in &function.sig.inputs {
        let FnArg::Typed(arg) = input else {
            panic!("`{command}` takes self: a command is a free function");
        };
        if last_segment(&arg.ty).is_some_and(|s| INJECTED.contains(&s.ident.to_string().as_str())) {
            continue;
        }
        let Pat::Ident(name) = &*arg.pat else {
            panic!("`{command}` takes an argument that is a pattern, not a name");
        };
        let key = name.ident.to_string().to_lower_camel_case();
        let ts = typed(&arg.ty, &format!("argument `{}`", name.ident));
        args.push(Arg { key, ts });
    }
    let returns = match &function.sig.output {
        ReturnType::Default => "void".to_owned(),
        ReturnType::Type(_, ty) => match success(ty) {
            Type::Tuple(unit) if unit.elems.is_empty() => "void".to_owned(),
            ty => typed(ty, "its answer"),
        },
    };
    Signature { args, returns }
}

/// Whether `f` carries a bare `#[tauri::command]`. With arguments (`rename_all`, `root`) the
/// keys would not be camelCase, which this reading assumes, so those are refused.
fn is_command(f: &ItemFn, command: &str) -> bool {
    f.attrs.iter().any(|a| {
        let segments: Vec<String> = a
            .path()
            .segments
            .iter()
            .map(|s| s.ident.to_string())
            .collect();
        let is = segments == ["tauri", "command"] || segments == ["command"];
        if is && !matches!(a.meta, syn::Meta::Path(_)) {
            panic!("`{command}`: #[tauri::command(…)] with arguments is not read by the bindings");
        }
        is
    })
}

/// The `T` of `Result<T, CommandError>` or `CmdResult<T>`; any other type is answered as it is.
/// An error type other than `CommandError` would reach the page in a shape it cannot read.
fn success(ty: &Type) -> &Type {
    let Some(segment) = last_segment(ty) else {
        return ty;
    };
    let args = generic_args(segment);
    match (segment.ident.to_string().as_str(), args.as_slice()) {
        ("CmdResult", [ok]) => ok,
        ("Result", [ok, err]) => {
            let err = last_segment(err).map(|s| s.ident.to_string());
            assert!(
                err.as_deref() == Some("CommandError"),
                "a command fails with CommandError, not {err:?}"
            );
            ok
        }
        _ => ty,
    }
}

/// The TypeScript of `ty` as ts-rs writes it: `T | null` for `Option<T>` (Tauri reads an absent
/// or null argument as `None`), `Array<T>` for `Vec<T>`, a reference as what it refers to, and
/// any other type by its name in [`Names`].
fn ts(ty: &Type, names: &Names) -> Result<String, String> {
    match ty {
        Type::Reference(r) => return ts(&r.elem, names),
        Type::Paren(p) => return ts(&p.elem, names),
        Type::Group(g) => return ts(&g.elem, names),
        _ => {}
    }
    let segment =
        last_segment(ty).ok_or("a type that is not a path, which the bindings do not read")?;
    let name = segment.ident.to_string();
    match (name.as_str(), generic_args(segment).as_slice()) {
        ("Option", [inner]) => Ok(format!("{} | null", ts(inner, names)?)),
        ("Vec", [inner]) => Ok(format!("Array<{}>", ts(inner, names)?)),
        (_, []) => names.get(&name).cloned().ok_or_else(|| {
            format!(
                "`{name}` is not among the types tests/bindings.rs declares: add it to visit_roots"
            )
        }),
        _ => Err(format!(
            "`{name}<…>` is a generic type the bindings do not read"
        )),
    }
}

/// The last segment of a path type (`AccountInfo` of `engine::account::AccountInfo`).
fn last_segment(ty: &Type) -> Option<&syn::PathSegment> {
    match ty {
        Type::Path(p) if p.qself.is_none() => p.path.segments.last(),
        _ => None,
    }
}

/// The type arguments of a segment (`T` of `Vec<T>`), lifetimes left out.
fn generic_args(segment: &syn::PathSegment) -> Vec<&Type> {
    match &segment.arguments {
        PathArguments::AngleBracketed(a) => a
            .args
            .iter()
            .filter_map(|arg| match arg {
                GenericArgument::Type(t) => Some(t),
                _ => None,
            })
            .collect(),
        _ => Vec::new(),
    }
}
