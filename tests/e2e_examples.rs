//! Every directory under `examples/` passes `terraform validate` on its own, with the built
//! provider (dev_overrides, like the other end-to-end tests). The registry docs show the
//! examples without a `terraform { required_providers }` block; where a directory has
//! none, one is added, as a user's configuration would have it.

use std::path::{Path, PathBuf};

use crate::support::{Workspace, terraform_or_skip};

/// Directories under `dir` holding `.tf` files, sorted.
fn example_directories(dir: &Path, found: &mut Vec<PathBuf>) {
    let mut entries: Vec<PathBuf> = std::fs::read_dir(dir).unwrap().map(|e| e.unwrap().path()).collect();
    entries.sort();
    if entries.iter().any(|p| p.extension().is_some_and(|e| e == "tf")) {
        found.push(dir.to_owned());
    }
    for entry in entries.iter().filter(|p| p.is_dir()) {
        example_directories(entry, found);
    }
}

/// The release a directory says it needs, in a comment `# Needs Terraform 1.7 or newer`.
fn needs_terraform(config: &str) -> Option<(u32, u32, u32)> {
    config.lines().find_map(|line| {
        let version = line
            .trim()
            .strip_prefix("# Needs Terraform ")?
            .split_whitespace()
            .next()?;
        let (major, minor) = version.split_once('.')?;
        Some((major.parse().ok()?, minor.parse().ok()?, 0))
    })
}

const REQUIRED_PROVIDERS: &str =
    "terraform {\n  required_providers {\n    entra = {\n      source = \"entra/entra\"\n    }\n  }\n}\n";

#[test]
fn every_example_directory_passes_terraform_validate() {
    let test = "every_example_directory_passes_terraform_validate";
    let Some(terraform) = terraform_or_skip(test) else {
        return;
    };
    let examples = Path::new(env!("CARGO_MANIFEST_DIR")).join("examples");
    let mut directories = Vec::new();
    example_directories(&examples, &mut directories);
    let version = Workspace::new(terraform.clone()).terraform_version();
    let (mut validated, mut failures) = (Vec::new(), Vec::new());
    for dir in &directories {
        let name = dir.strip_prefix(&examples).unwrap().display().to_string();
        let workspace = Workspace::new(terraform.clone());
        let mut config = String::new();
        for file in std::fs::read_dir(dir).unwrap().map(|e| e.unwrap().path()) {
            if file.extension().is_some_and(|e| e == "tf") {
                let text = std::fs::read_to_string(&file).unwrap();
                std::fs::write(workspace.path().join(file.file_name().unwrap()), &text).unwrap();
                config.push_str(&text);
            }
        }
        if config.lines().any(|l| l.trim_start().starts_with("action \"")) && version < (1, 14, 0) {
            use std::io::Write;
            let _ = writeln!(
                std::io::stderr(),
                "SKIPPED {test} for examples/{name}: actions need Terraform 1.14+, this is {version:?}"
            );
            continue;
        }
        if name.starts_with("guides/migrating") {
            // They need azuread installed: `e2e_moved_from_azuread` runs them (plan and
            // apply, not just validate) with a stand-in from a filesystem mirror.
            continue;
        }
        if let Some(needed) = needs_terraform(&config)
            && version < needed
        {
            use std::io::Write;
            let _ = writeln!(
                std::io::stderr(),
                "SKIPPED {test} for examples/{name}: it needs Terraform {}.{}+, this is {version:?}",
                needed.0,
                needed.1
            );
            continue;
        }
        if !config.contains("required_providers") {
            std::fs::write(workspace.path().join("terraform.tf"), REQUIRED_PROVIDERS).unwrap();
        }
        let output = workspace.run(&["validate", "-no-color"]);
        if output.status.success() {
            validated.push(name);
        } else {
            failures.push(format!(
                "examples/{name}:\n{}{}",
                String::from_utf8_lossy(&output.stdout),
                String::from_utf8_lossy(&output.stderr)
            ));
        }
    }
    assert!(
        failures.is_empty(),
        "terraform validate failed:\n{}",
        failures.join("\n")
    );
    for expected in [
        "provider",
        "quickstart",
        "try",
        "resources/entra_group_license_assignment",
        "resources/entra_user_license_reprocess",
        "data-sources/entra_group",
        "data-sources/entra_licensed_groups",
        "guides/adopting/discover",
    ] {
        assert!(validated.iter().any(|v| v == expected), "{expected} in {validated:?}");
    }
}
