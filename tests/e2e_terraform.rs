//! The real `terraform` launching the built provider through `dev_overrides`, with
//! AutoMTLS on, as users run it.

use crate::support::{BackgroundEmulator, Workspace, terraform_or_skip};

#[test]
fn terraform_validates_and_reads_the_schema_over_mtls() {
    let Some(terraform) = terraform_or_skip("terraform_validates_and_reads_the_schema_over_mtls") else {
        return;
    };
    let workspace = Workspace::new(terraform);
    workspace.use_fixture("provider_only.tf");
    let log = workspace.path().join("terraform.log");

    let output = workspace.run(&["validate", "-no-color"]);
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(
        output.status.success(),
        "validate failed:\n{stdout}\n{}",
        String::from_utf8_lossy(&output.stderr)
    );
    assert!(stdout.contains("The configuration is valid"), "{stdout}");

    let schema_json = workspace.ok(&["providers", "schema", "-json"]);
    let schema: serde_json::Value = serde_json::from_str(&schema_json).expect("schema JSON");
    let provider = &schema["provider_schemas"][terraform_provider_entra::PROVIDER_ADDRESS]["provider"]["block"];
    let attributes = provider["attributes"].as_object().expect("provider attributes");
    assert!(attributes.contains_key("tenant_id"), "{provider}");
    assert_eq!(attributes["client_secret"]["sensitive"], true);
    assert_eq!(attributes["graph_endpoint"]["description_kind"], "markdown");

    // The provider's own log lines reach Terraform's log, and show the TLS path was taken
    // and that the process exited on Shutdown rather than being killed.
    let traced = std::process::Command::new(&workspace.terraform)
        .args(["validate", "-no-color"])
        .current_dir(workspace.path())
        .env("TF_CLI_CONFIG_FILE", workspace.path().join("cli.tfrc"))
        .env("TF_LOG", "trace")
        .env("TF_LOG_PATH", &log)
        .env_remove("TF_LOG_PROVIDER")
        .output()
        .unwrap();
    assert!(traced.status.success());
    let log = std::fs::read_to_string(log).unwrap();
    assert!(
        log.contains("provider.terraform-provider-entra: Plugin server started"),
        "no provider log lines"
    );
    assert!(log.contains("tls=true"), "terraform used AutoMTLS");
    assert!(log.contains("Shutdown requested by Terraform"));
    assert!(
        !log.contains("plugin failed to exit gracefully"),
        "the plugin exits on Shutdown"
    );
}

#[test]
fn terraform_reads_from_the_emulator_with_settings_from_the_environment() {
    let Some(terraform) = terraform_or_skip("terraform_reads_from_the_emulator_with_settings_from_the_environment")
    else {
        return;
    };
    let graph = BackgroundEmulator::start();
    let env = graph.provider_env("ci-secret-value");
    let env: Vec<(&str, &str)> = env.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
    let workspace = Workspace::new(terraform).with_env(&env);
    workspace.use_fixture("subscribed_skus.tf");
    workspace.ok(&["plan", "-no-color", "-input=false"]);
    workspace.ok(&["apply", "-auto-approve", "-no-color", "-input=false"]);
    let outputs: serde_json::Value = serde_json::from_str(&workspace.ok(&["output", "-json"])).unwrap();
    assert_eq!(outputs["e5_part_number"]["value"], "SPE_E5");
    assert_eq!(outputs["e5_available"]["value"], 10);
    assert_eq!(outputs["sku_count"]["value"], 13);
    let user_agents = graph.emulator.requests();
    assert!(
        user_agents
            .iter()
            .any(|r| r.path == "/v1.0/subscribedSkus" && r.status == 200)
    );
}

#[test]
fn a_wrong_client_secret_is_exactly_one_clear_diagnostic() {
    let Some(terraform) = terraform_or_skip("a_wrong_client_secret_is_exactly_one_clear_diagnostic") else {
        return;
    };
    let graph = BackgroundEmulator::start();
    let env = graph.provider_env("not-the-secret");
    let env: Vec<(&str, &str)> = env.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
    let workspace = Workspace::new(terraform).with_env(&env);
    workspace.use_fixture("subscribed_skus.tf");
    let output = workspace.run(&["plan", "-no-color", "-input=false"]);
    assert!(!output.status.success());
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(
        stderr.matches("Error: ").count(),
        1,
        "exactly one diagnostic:\n{stderr}"
    );
    assert!(stderr.contains("Error: Authentication Failed"), "{stderr}");
    assert!(
        stderr.contains("AADSTS7000215") && stderr.contains("ARM_CLIENT_SECRET"),
        "{stderr}"
    );
    assert!(!stderr.contains("not-the-secret"), "the secret never appears");
    assert!(
        graph.emulator.requests().iter().all(|r| !r.path.starts_with("/v1.0/")),
        "no Graph call was made"
    );
}

#[test]
fn the_packaged_provider_installs_from_a_filesystem_mirror() {
    let Some(terraform) = terraform_or_skip("the_packaged_provider_installs_from_a_filesystem_mirror") else {
        return;
    };
    let graph = BackgroundEmulator::start();
    let env = graph.provider_env("ci-secret-value");
    let env: Vec<(&str, &str)> = env.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
    let workspace = Workspace::new(terraform).with_env(&env);
    let dist = workspace.path().join("dist");
    let binary = env!("CARGO_BIN_EXE_terraform-provider-entra");
    let output = std::process::Command::new(env!("CARGO_BIN_EXE_package"))
        .args(["--binary", binary, "--out"])
        .arg(&dist)
        .output()
        .unwrap();
    assert!(
        output.status.success(),
        "package failed:\n{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let version = terraform_provider_entra::VERSION;
    let zip_name = format!("terraform-provider-entra_{version}_linux_amd64.zip");
    let manifest_name = format!("terraform-provider-entra_{version}_manifest.json");

    // The registry's release assets: a deflated zip of the stripped binary, the manifest,
    // and SHA256SUMS naming both with their real digests.
    let zip = std::fs::read(dist.join(&zip_name)).unwrap();
    assert_eq!(&zip[..4], b"PK\x03\x04");
    assert_eq!(u16::from_le_bytes([zip[8], zip[9]]), 8, "the entry is deflated");
    let compressed = u32::from_le_bytes(zip[18..22].try_into().unwrap()) as u64;
    let uncompressed = u32::from_le_bytes(zip[22..26].try_into().unwrap()) as u64;
    assert!(compressed < uncompressed / 2, "{compressed} of {uncompressed} bytes");
    let binary_size = std::fs::metadata(binary).unwrap().len();
    if std::process::Command::new("strip").arg("--version").output().is_ok() {
        assert!(
            uncompressed < binary_size,
            "the packaged binary is stripped: {uncompressed} of {binary_size} bytes"
        );
    }
    let manifest: serde_json::Value =
        serde_json::from_slice(&std::fs::read(dist.join(&manifest_name)).unwrap()).unwrap();
    assert_eq!(manifest["metadata"]["protocol_versions"][0], "6.0");
    let sums = std::fs::read_to_string(dist.join(format!("terraform-provider-entra_{version}_SHA256SUMS"))).unwrap();
    let sha256 = |path: &std::path::Path| {
        hex::encode(aws_lc_rs::digest::digest(&aws_lc_rs::digest::SHA256, &std::fs::read(path).unwrap()).as_ref())
    };
    assert_eq!(
        sums,
        format!(
            "{}  {manifest_name}\n{}  {zip_name}\n",
            sha256(&dist.join(&manifest_name)),
            sha256(&dist.join(&zip_name))
        )
    );
    assert!(
        !dist
            .join(format!("terraform-provider-entra_{version}_SHA256SUMS.sig"))
            .exists(),
        "no signature without --gpg-key"
    );
    // And a packed filesystem mirror beside them, holding the same zip.
    let mirror = dist.join("mirror");
    assert_eq!(
        std::fs::read(mirror.join("registry.terraform.io/entra/entra").join(&zip_name)).unwrap(),
        zip
    );

    std::fs::write(
        workspace.path().join("cli.tfrc"),
        format!(
            "provider_installation {{\n  filesystem_mirror {{\n    path    = \"{}\"\n    include = [\"registry.terraform.io/entra/*\"]\n  }}\n  direct {{\n    exclude = [\"registry.terraform.io/entra/*\"]\n  }}\n}}\n",
            mirror.display()
        ),
    )
    .unwrap();
    std::fs::write(
        workspace.path().join("main.tf"),
        format!("terraform {{\n  required_providers {{\n    entra = {{\n      source  = \"entra/entra\"\n      version = \"{version}\"\n    }}\n  }}\n}}\nprovider \"entra\" {{}}\ndata \"entra_subscribed_skus\" \"all\" {{}}\noutput \"count\" {{ value = length(data.entra_subscribed_skus.all.skus) }}\n"),
    )
    .unwrap();
    let init = workspace.run(&["init", "-no-color", "-input=false"]);
    let init_out = String::from_utf8_lossy(&init.stdout);
    let init_err = String::from_utf8_lossy(&init.stderr);
    assert!(init.status.success(), "{init_out}\n{init_err}");
    assert!(
        init_out.contains(&format!("Installed entra/entra v{version}")),
        "{init_out}"
    );
    assert!(
        !init_out.contains("overrides") && !init_err.contains("overrides"),
        "no development override is involved:\n{init_out}\n{init_err}"
    );
    let lock = std::fs::read_to_string(workspace.path().join(".terraform.lock.hcl")).unwrap();
    assert!(
        lock.contains("registry.terraform.io/entra/entra")
            && lock.contains(&format!("\"{version}\""))
            && lock.contains("h1:"),
        "{lock}"
    );
    let plan = workspace.run(&["plan", "-no-color", "-input=false"]);
    let plan_out = String::from_utf8_lossy(&plan.stdout);
    let plan_err = String::from_utf8_lossy(&plan.stderr);
    assert!(plan.status.success(), "{plan_out}\n{plan_err}");
    assert!(plan_out.contains("count = 13"), "{plan_out}");
    assert!(
        !plan_out.contains("Provider development overrides") && !plan_err.contains("Provider development overrides"),
        "{plan_out}\n{plan_err}"
    );
}
