//! The real `terraform` launching the built provider through `dev_overrides`, with
//! AutoMTLS on, as users run it.

use crate::support::{Workspace, terraform_or_skip};

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
