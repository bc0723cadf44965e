//! README.md's "Try the provider with your Terraform" works as written: this runs
//! `examples/try-with-emulator.sh` itself, unmodified, with the terraform from PATH, in a
//! copy of the repository's layout. Only its build step is stood in for: the binaries this
//! test suite built are in the copy's `target/release`, and a `cargo` first on PATH records
//! the command it was given (the README's one build) instead of compiling for minutes.
//! (`docs_readme_quotes_the_try_script` checks that the README quotes the script verbatim.)

use std::path::{Path, PathBuf};
use std::process::Command;

use crate::support::{provider_binary, terraform_or_skip};

const MARKETING: &str = "3d0e9f82-5b4c-4d6e-8f90-000000000003";

/// The emulator's binary, built by cargo in this workspace (a no-op when it is fresh).
/// The test binary cannot name it (`CARGO_BIN_EXE_*` covers this package's binaries only).
fn emulator_binary() -> PathBuf {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
    let output = Command::new(cargo)
        .args([
            "build",
            "--locked",
            "-p",
            "entra-graph-emulator",
            "--bin",
            "entra-graph-emulator",
            "--message-format=json",
        ])
        .current_dir(root)
        .output()
        .expect("cargo runs");
    assert!(
        output.status.success(),
        "building the emulator failed:\n{}",
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8_lossy(&output.stdout)
        .lines()
        .filter_map(|line| serde_json::from_str::<serde_json::Value>(line).ok())
        .filter(|m| m["reason"] == "compiler-artifact" && m["target"]["name"] == "entra-graph-emulator")
        .find_map(|m| m["executable"].as_str().map(PathBuf::from))
        .expect("cargo names the emulator's executable")
}

/// Terminal colour codes out, so assertions read plain text.
fn plain(text: &[u8]) -> String {
    let text = String::from_utf8_lossy(text);
    let mut out = String::with_capacity(text.len());
    let mut chars = text.chars();
    while let Some(c) = chars.next() {
        if c == '\u{1b}' {
            for c in chars.by_ref() {
                if c.is_ascii_alphabetic() {
                    break;
                }
            }
        } else {
            out.push(c);
        }
    }
    out
}

/// Stops the emulator the script leaves running, even when an assertion fails.
struct StopEmulator(PathBuf);

impl Drop for StopEmulator {
    fn drop(&mut self) {
        if let Ok(pid) = std::fs::read_to_string(&self.0) {
            let _ = Command::new("kill").arg(pid.trim()).status();
        }
    }
}

#[test]
fn the_try_with_emulator_script_builds_once_and_applies_with_the_terraform_on_path() {
    let test = "the_try_with_emulator_script_builds_once_and_applies_with_the_terraform_on_path";
    let Some(terraform) = terraform_or_skip(test) else {
        return;
    };
    let source = Path::new(env!("CARGO_MANIFEST_DIR"));
    let copy = tempfile::tempdir().expect("temp dir");
    let repo = copy.path();
    std::fs::create_dir_all(repo.join("examples/try")).unwrap();
    std::fs::create_dir_all(repo.join("target/release")).unwrap();
    std::fs::create_dir_all(repo.join("fake-bin")).unwrap();
    std::fs::copy(
        source.join("examples/try-with-emulator.sh"),
        repo.join("examples/try-with-emulator.sh"),
    )
    .unwrap();
    std::fs::copy(source.join("examples/try/main.tf"), repo.join("examples/try/main.tf")).unwrap();
    std::os::unix::fs::symlink(provider_binary(), repo.join("target/release/terraform-provider-entra")).unwrap();
    std::os::unix::fs::symlink(emulator_binary(), repo.join("target/release/entra-graph-emulator")).unwrap();
    let calls = repo.join("fake-bin/cargo-calls");
    std::fs::write(
        repo.join("fake-bin/cargo"),
        format!("#!/bin/sh\necho \"$*\" >>'{}'\n", calls.display()),
    )
    .unwrap();
    let mut permissions = std::fs::metadata(repo.join("fake-bin/cargo")).unwrap().permissions();
    std::os::unix::fs::PermissionsExt::set_mode(&mut permissions, 0o755);
    std::fs::set_permissions(repo.join("fake-bin/cargo"), permissions).unwrap();

    // PATH: the recording cargo, then the terraform under test, then the rest.
    let system_path: Vec<PathBuf> = std::env::split_paths(&std::env::var_os("PATH").unwrap_or_default()).collect();
    let mut path = vec![repo.join("fake-bin"), terraform.parent().unwrap().to_owned()];
    path.extend(system_path.iter().cloned());
    let _stop = StopEmulator(repo.join("try/emulator.pid"));
    let mut command = Command::new("bash");
    command
        .arg(repo.join("examples/try-with-emulator.sh"))
        .current_dir(repo)
        .env("PATH", std::env::join_paths(&path).unwrap())
        .env("CHECKPOINT_DISABLE", "1")
        .env_remove("TF_CLI_ARGS")
        .env_remove("TF_CLI_CONFIG_FILE");
    // A developer's own credentials must not take part: the script sets what it needs.
    for (name, _) in std::env::vars_os() {
        if name.to_string_lossy().starts_with("ARM_") {
            command.env_remove(name);
        }
    }
    let output = command.output().expect("bash runs the script");
    let stdout = plain(&output.stdout);
    let stderr = plain(&output.stderr);
    assert!(output.status.success(), "the script failed:\n{stdout}\n{stderr}");

    assert_eq!(
        std::fs::read_to_string(&calls).unwrap(),
        "build --release --locked --workspace --bins\n",
        "the script builds once, with the README's command"
    );
    assert!(stdout.contains("Graph emulator at http://127.0.0.1:"), "{stdout}");
    assert!(
        stdout.contains("Plan: 1 to add, 0 to change, 0 to destroy."),
        "{stdout}"
    );
    assert!(
        stdout.contains("Apply complete! Resources: 1 added, 0 changed, 0 destroyed."),
        "{stdout}"
    );
    assert!(
        stdout.contains(&format!("\"Marketing\" = \"{MARKETING}\"")),
        "the groups output names the groups' IDs:\n{stdout}"
    );
    assert!(stdout.contains("SPE_E3"), "{stdout}");
    assert!(stdout.contains("The emulator is still running"), "{stdout}");

    let env = std::fs::read_to_string(repo.join("try/env.sh")).unwrap();
    for line in [
        "export ENTRA_GRAPH_ENDPOINT=http://127.0.0.1:",
        "export ENTRA_AUTHORITY_ENDPOINT=http://127.0.0.1:",
        "export ARM_TENANT_ID=48a80680-7326-48cd-9935-b556b81d3a4e",
        "export ARM_CLIENT_ID=11111111-1111-4111-8111-111111111111",
        "export ARM_CLIENT_SECRET=ci-secret-value",
        "export ARM_USE_CLI=false",
        "export TF_CLI_CONFIG_FILE=",
    ] {
        assert!(env.contains(line), "{line} in try/env.sh:\n{env}");
    }

    // "Carry on in your shell": the printed command works, and nothing is left to do.
    let mut carry_on = Command::new("bash");
    carry_on
        .args([
            "-c",
            ". try/env.sh && terraform -chdir=try plan -input=false -detailed-exitcode",
        ])
        .current_dir(repo)
        .env("PATH", std::env::join_paths(path.iter().skip(1)).unwrap())
        .env("CHECKPOINT_DISABLE", "1")
        .env_remove("TF_CLI_ARGS");
    for (name, _) in std::env::vars_os() {
        if name.to_string_lossy().starts_with("ARM_") {
            carry_on.env_remove(name);
        }
    }
    let output = carry_on.output().expect("bash runs");
    assert_eq!(
        output.status.code(),
        Some(0),
        "no changes after the script's apply:\n{}\n{}",
        plain(&output.stdout),
        plain(&output.stderr)
    );
}
