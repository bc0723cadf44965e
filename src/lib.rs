//! terraform-provider-entra: a Terraform provider for Microsoft Entra ID group-based
//! licensing, written in Rust, speaking plugin protocol 6.
//!
//! Layers, which never leak into each other:
//! - [`tfplugin`]: the plugin protocol (handshake, mTLS, values, framework); knows nothing
//!   about Microsoft Graph;
//! - [`graph`]: the Graph client, authentication, retries, typed endpoints; knows nothing
//!   about Terraform;
//! - the product: the licensing core ([`licensing`], free of Terraform types), then
//!   [`resources`], [`data_sources`] and [`actions`] over it, with [`diagnostics`] and
//!   [`user_targets`] and [`redundant_licenses`] shared between them, and [`provider`] listing them all.
//!
//! [`serve`] is what `main` runs; tests build the same provider with
//! [`provider::EntraProvider`] and serve it in-process through
//! [`tfplugin::handshake::router`].

pub mod actions;
pub mod data_sources;
pub mod diagnostics;
pub mod docs;
#[doc(hidden)]
pub mod fuzzing;
pub mod graph;
pub mod licensed_groups;
pub mod licensing;
pub mod member_errors;
pub mod provider;
pub mod redundant_licenses;
pub mod resources;
pub mod tfplugin;
pub mod user_targets;

/// The provider's source address, used for reattach (`--debug`) and in examples'
/// `required_providers`.
pub const PROVIDER_ADDRESS: &str = "registry.terraform.io/entra/entra";

/// The provider's version, as Terraform and the User-Agent report it.
pub const VERSION: &str = env!("CARGO_PKG_VERSION");

/// Serves the provider as a Terraform plugin (or, with `debug`, for reattach).
pub async fn serve(debug: bool) -> Result<(), tfplugin::handshake::ServeError> {
    let options = tfplugin::handshake::ServeOptions {
        debug,
        provider_address: PROVIDER_ADDRESS.to_owned(),
    };
    tfplugin::handshake::serve(provider::EntraProvider, options).await
}

/// The layering rules, checked on the sources: which top-level module may name which.
#[cfg(test)]
mod layers {
    use std::collections::{BTreeMap, BTreeSet};
    use std::path::Path;

    /// Module → the modules it may use (besides itself). `model` is the `model!` macro.
    const ALLOWED: &[(&str, &[&str])] = &[
        ("tfplugin", &["model"]),
        ("graph", &[]),
        ("licensing", &["graph"]),
        ("diagnostics", &["graph", "licensing", "member_errors", "tfplugin"]),
        (
            "user_targets",
            &["diagnostics", "graph", "licensing", "model", "tfplugin"],
        ),
        ("member_errors", &["graph", "licensing", "model", "tfplugin"]),
        ("licensed_groups", &["diagnostics", "graph", "licensing", "tfplugin"]),
        (
            "redundant_licenses",
            &["diagnostics", "graph", "licensing", "model", "tfplugin"],
        ),
        (
            "resources",
            &[
                "diagnostics",
                "graph",
                "licensed_groups",
                "licensing",
                "member_errors",
                "model",
                "redundant_licenses",
                "tfplugin",
                "user_targets",
            ],
        ),
        (
            "data_sources",
            &[
                "diagnostics",
                "graph",
                "licensed_groups",
                "licensing",
                "member_errors",
                "model",
                "tfplugin",
            ],
        ),
        (
            "actions",
            &[
                "diagnostics",
                "graph",
                "licensing",
                "model",
                "redundant_licenses",
                "tfplugin",
                "user_targets",
            ],
        ),
        (
            "provider",
            &[
                "actions",
                "data_sources",
                "graph",
                "licensing",
                "model",
                "resources",
                "tfplugin",
            ],
        ),
        ("docs", &["provider", "tfplugin"]),
    ];

    /// The `crate::x` names used in a module's files, comments left out.
    fn uses(module: &str) -> BTreeSet<String> {
        let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
        let mut files = vec![src.join(format!("{module}.rs"))];
        let mut folders = vec![src.join(module)];
        while let Some(folder) = folders.pop() {
            for entry in std::fs::read_dir(&folder).into_iter().flatten().flatten() {
                let path = entry.path();
                if path.is_dir() {
                    folders.push(path);
                } else if path.extension().is_some_and(|e| e == "rs") {
                    files.push(path);
                }
            }
        }
        let mut names = BTreeSet::new();
        for text in files.iter().filter_map(|f| std::fs::read_to_string(f).ok()) {
            for line in text.lines().filter(|l| !l.trim_start().starts_with("//")) {
                for (i, _) in line.match_indices("crate::") {
                    let name: String = line[i + 7..]
                        .chars()
                        .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
                        .collect();
                    if name != module && !name.is_empty() {
                        names.insert(name);
                    }
                }
            }
        }
        names
    }

    #[test]
    fn each_layer_uses_only_what_it_may() {
        let rules: BTreeMap<&str, &[&str]> = ALLOWED.iter().copied().collect();
        for (module, allowed) in &rules {
            let found = uses(module);
            let forbidden: Vec<&String> = found.iter().filter(|n| !allowed.contains(&n.as_str())).collect();
            assert!(forbidden.is_empty(), "{module} must not use {forbidden:?}");
        }
        assert!(
            uses("licensing").iter().all(|m| m != "tfplugin"),
            "the core is free of Terraform types"
        );
    }
}
