//! `package --gpg-key`: `SHA256SUMS.sig` is a detached signature `gpg --verify` accepts, and
//! without `gpg` installed the release is written unsigned with a message saying so.
//! (`the_packaged_provider_installs_from_a_filesystem_mirror` checks the zip, the sums and
//! the mirror with the real terraform.)

use std::path::Path;
use std::process::{Command, Output};

const VERSION: &str = terraform_provider_entra::VERSION;

fn package(binary: &Path, out: &Path, extra: &[&str], env: &[(&str, &std::ffi::OsStr)]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_package"))
        .arg("--binary")
        .arg(binary)
        .arg("--out")
        .arg(out)
        .args(extra)
        .env_remove("STRIP")
        .envs(env.iter().copied())
        .output()
        .expect("package runs")
}

fn sums(out: &Path) -> std::path::PathBuf {
    out.join(format!("terraform-provider-entra_{VERSION}_SHA256SUMS"))
}

#[test]
fn packaging_signs_the_sums_with_the_given_gpg_key() {
    if Command::new("gpg").arg("--version").output().is_err() {
        use std::io::Write;
        let _ = writeln!(
            std::io::stderr(),
            "SKIPPED packaging_signs_the_sums_with_the_given_gpg_key: gpg is not installed"
        );
        return;
    }
    let dir = tempfile::Builder::new().prefix("pkg").tempdir_in("/tmp").unwrap();
    let home = dir.path().join("gnupg");
    std::fs::create_dir(&home).unwrap();
    std::fs::set_permissions(&home, std::os::unix::fs::PermissionsExt::from_mode(0o700)).unwrap();
    let gpg = |args: &[&str]| {
        Command::new("gpg")
            .args(["--batch", "--pinentry-mode", "loopback", "--passphrase", ""])
            .args(args)
            .env("GNUPGHOME", &home)
            .output()
            .unwrap()
    };
    let generated = gpg(&[
        "--quick-gen-key",
        "Entra Release Test <release@example.invalid>",
        "ed25519",
        "sign",
        "never",
    ]);
    assert!(
        generated.status.success(),
        "{}",
        String::from_utf8_lossy(&generated.stderr)
    );
    let binary = dir.path().join("terraform-provider-entra");
    std::fs::write(&binary, b"not really a provider\n".repeat(1000)).unwrap();
    let out = dir.path().join("dist");
    let output = package(
        &binary,
        &out,
        &["--gpg-key", "release@example.invalid"],
        &[("GNUPGHOME", home.as_os_str())],
    );
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(output.status.success(), "{stderr}");
    let signature = out.join(format!("terraform-provider-entra_{VERSION}_SHA256SUMS.sig"));
    assert!(String::from_utf8_lossy(&output.stdout).contains(&signature.display().to_string()));
    let verified = gpg(&["--verify", signature.to_str().unwrap(), sums(&out).to_str().unwrap()]);
    let _ = Command::new("gpgconf")
        .args(["--kill", "gpg-agent"])
        .env("GNUPGHOME", &home)
        .output();
    assert!(
        verified.status.success(),
        "{}",
        String::from_utf8_lossy(&verified.stderr)
    );
    assert!(String::from_utf8_lossy(&verified.stderr).contains("Good signature"));
}

#[test]
fn packaging_without_gpg_writes_an_unsigned_release_and_says_so() {
    let dir = tempfile::tempdir().unwrap();
    let binary = dir.path().join("terraform-provider-entra");
    std::fs::write(&binary, b"not really a provider\n".repeat(1000)).unwrap();
    let out = dir.path().join("dist");
    // An empty PATH: neither gpg nor strip can be found.
    let empty = dir.path().join("empty");
    std::fs::create_dir(&empty).unwrap();
    let output = package(
        &binary,
        &out,
        &["--gpg-key", "release@example.invalid"],
        &[("PATH", empty.as_os_str())],
    );
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(output.status.success(), "{stderr}");
    assert!(stderr.contains("gpg is not installed"), "{stderr}");
    assert!(stderr.contains("unsigned"), "{stderr}");
    assert!(stderr.contains("unstripped"), "{stderr}");
    assert!(sums(&out).exists());
    assert!(
        !out.join(format!("terraform-provider-entra_{VERSION}_SHA256SUMS.sig"))
            .exists()
    );
    assert!(
        out.join(format!(
            "mirror/registry.terraform.io/entra/entra/terraform-provider-entra_{VERSION}_linux_amd64.zip"
        ))
        .exists()
    );
}
