//! `moved` from `azuread_group_license` (Terraform 1.8+), end to end: a state in azuread's
//! layout, a stand-in azuread provider (`tests/stand_in/azuread.rs`, a Cargo example)
//! and the built entra provider, both installed by `terraform init` from a local unpacked
//! `filesystem_mirror`, the emulator as Graph. The configurations are the guide's
//! (`examples/guides/migrating/`). Writes are counted from the emulator's request log.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::OnceLock;

use serde_json::{Value as Json, json};

use crate::support::{BackgroundEmulator, Workspace, emulator_workspace};

const SALES: &str = "1132b215-826f-42a9-8cfe-1643d19d17fd";
const ENGINEERING: &str = "2c9d8e71-4a3b-4c5d-9e8f-000000000002";
const ENTERPRISEPACK: &str = "6fd2c87f-b296-42f0-b197-1e91e994b900";
const YAMMER_ENTERPRISE: &str = "7547a3fe-08ee-4ccb-b430-5077c5041653";
const AAD_PREMIUM: &str = "078d2b04-f1bd-4111-bbd4-b4b1b354cef4";
const EMS: &str = "efccb6f7-5641-4e0e-bd10-b4976e1bf68e";
const INTUNE_A: &str = "c1ec4a95-1f05-45b3-a911-aa3fa01094f5";
/// The version the stand-in is installed as.
const AZUREAD_VERSION: &str = "3.10.0";

/// The stand-in's binary. `cargo test --workspace` builds example targets, a filtered
/// `cargo test --test integration …` does not: build it here once, selecting the workspace
/// as `cargo test --workspace` does (same features, so a no-op when that built it).
fn stand_in() -> PathBuf {
    static BUILT: OnceLock<PathBuf> = OnceLock::new();
    BUILT
        .get_or_init(|| {
            let exe = std::env::current_exe().expect("test binary");
            let profile_dir = exe.parent().and_then(Path::parent).expect("target/<profile>");
            let mut build = Command::new(std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into()));
            build
                .args([
                    "build",
                    "--quiet",
                    "--locked",
                    "--workspace",
                    "--example",
                    "azuread-stand-in",
                ])
                .current_dir(env!("CARGO_MANIFEST_DIR"));
            if profile_dir.ends_with("release") {
                build.arg("--release");
            }
            let status = build.status().expect("cargo runs");
            assert!(status.success(), "building the azuread stand-in failed");
            profile_dir.join("examples/azuread-stand-in")
        })
        .clone()
}

/// A workspace whose CLI configuration installs the entra build through `dev_overrides`
/// and azuread (the stand-in) from a local filesystem mirror, with a state in azuread's
/// layout holding `instances` (resource name → state attributes).
fn workspace(test: &str, graph: &BackgroundEmulator, instances: &[(&str, Json)]) -> Option<Workspace> {
    let mut ws = emulator_workspace(test, graph)?;
    let configured = ws.path().join("azuread-configured.log").display().to_string();
    ws.env.push(("AZUREAD_STAND_IN_CONFIGURED".into(), configured));
    let version = ws.terraform_version();
    if version < (1, 8, 0) {
        use std::io::Write;
        let _ = writeln!(
            std::io::stderr(),
            "SKIPPED {test}: Terraform {version:?} cannot move across resource types (1.8+)"
        );
        return None;
    }
    let platform = format!(
        "{}_{}",
        std::env::consts::OS,
        match std::env::consts::ARCH {
            "x86_64" => "amd64",
            "aarch64" => "arm64",
            other => other,
        }
    );
    // An unpacked mirror (`HOST/NAMESPACE/TYPE/VERSION/TARGET/terraform-provider-TYPE_vVERSION`)
    // holding both: `terraform init` cannot install a provider that `dev_overrides` names.
    let entra_version = terraform_provider_entra::VERSION;
    for (address, version, binary) in [
        ("hashicorp/azuread", AZUREAD_VERSION, stand_in()),
        ("entra/entra", entra_version, crate::support::provider_binary()),
    ] {
        let package = ws
            .path()
            .join("mirror/registry.terraform.io")
            .join(address)
            .join(version)
            .join(&platform);
        std::fs::create_dir_all(&package).unwrap();
        let name = address.split('/').next_back().unwrap();
        std::os::unix::fs::symlink(binary, package.join(format!("terraform-provider-{name}_v{version}"))).unwrap();
    }
    let cli_config = format!(
        "provider_installation {{\n  filesystem_mirror {{\n    path    = \"{}\"\n    include = [\"registry.terraform.io/hashicorp/azuread\", \"{}\"]\n  }}\n}}\n",
        ws.path().join("mirror").display(),
        terraform_provider_entra::PROVIDER_ADDRESS,
    );
    std::fs::write(ws.path().join("cli.tfrc"), cli_config).unwrap();
    let resources: Vec<Json> = instances
        .iter()
        .map(|(name, attributes)| {
            json!({
                "mode": "managed",
                "type": "azuread_group_license",
                "name": name,
                "provider": "provider[\"registry.terraform.io/hashicorp/azuread\"]",
                "instances": [{"schema_version": 0, "attributes": attributes, "sensitive_attributes": []}],
            })
        })
        .collect();
    let state = json!({
        "version": 4,
        "terraform_version": "1.11.4",
        "serial": 1,
        "lineage": "5c1a3e2b-7d4f-4e8a-9b6c-0d1e2f3a4b5c",
        "outputs": {},
        "resources": resources,
        "check_results": null,
    });
    std::fs::write(
        ws.path().join("terraform.tfstate"),
        serde_json::to_string_pretty(&state).unwrap(),
    )
    .unwrap();
    Some(ws)
}

/// `azuread_group_license` state attributes as azuread 3.x writes them.
fn azuread_state(group: &str, sku: &str, disabled: &[&str]) -> Json {
    json!({
        "id": format!("{group}/license/{sku}"),
        "group_object_id": group,
        "sku_id": sku,
        "disabled_plans": disabled,
        "timeouts": null,
    })
}

fn guide_file(name: &str) -> String {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("examples/guides/migrating")
        .join(name);
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// How many times Terraform configured the azuread stand-in in this workspace.
fn azuread_configured(ws: &Workspace) -> usize {
    std::fs::read_to_string(ws.path().join("azuread-configured.log"))
        .map(|log| log.lines().count())
        .unwrap_or(0)
}

fn plan(ws: &Workspace) -> (i32, String) {
    let output = ws.run(&["plan", "-detailed-exitcode", "-no-color", "-input=false"]);
    (
        output.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&output.stdout).into_owned() + &String::from_utf8_lossy(&output.stderr),
    )
}

fn no_licence_removed(graph: &BackgroundEmulator) {
    assert!(
        graph.emulator.continuity().is_empty(),
        "members lost service plans: {:?}",
        graph.emulator.continuity()
    );
}

#[test]
fn moved_from_azuread_group_license_plans_only_the_move_and_applies_without_a_write() {
    let test = "moved_from_azuread_group_license_plans_only_the_move_and_applies_without_a_write";
    let graph = BackgroundEmulator::start();
    // Engineering holds ENTERPRISEPACK without Yammer (seeded); azuread managed it.
    let old = azuread_state(ENGINEERING, ENTERPRISEPACK, &[YAMMER_ENTERPRISE]);
    let Some(ws) = workspace(test, &graph, &[("engineering_e3", old)]) else {
        return;
    };
    std::fs::write(ws.path().join("main.tf"), guide_file("one-sku/main.tf")).unwrap();
    ws.ok(&["init", "-no-color", "-input=false"]);

    let writes_before = graph.applied_writes();
    let (code, output) = plan(&ws);
    assert_eq!(code, 2, "a move is a change to the state:\n{output}");
    assert!(
        output.contains("azuread_group_license.engineering_e3 has moved to entra_group_license_assignment.engineering"),
        "{output}"
    );
    assert!(
        output.contains("0 to add, 0 to change, 0 to destroy") && !output.contains("update in-place"),
        "the move and nothing else:\n{output}"
    );
    assert_eq!(graph.applied_writes(), writes_before, "planning writes nothing");

    let applied = ws.ok(&["apply", "-auto-approve", "-no-color", "-input=false"]);
    assert!(applied.contains("0 added, 0 changed, 0 destroyed"), "{applied}");
    assert_eq!(graph.applied_writes(), writes_before, "the apply writes nothing");
    let (code, output) = plan(&ws);
    assert_eq!(code, 0, "the next plan is empty:\n{output}");

    let state: Json = serde_json::from_str(&ws.ok(&["show", "-json"])).unwrap();
    let resources = state["values"]["root_module"]["resources"].as_array().unwrap().clone();
    assert_eq!(resources.len(), 1, "{resources:?}");
    let values = &resources[0]["values"];
    assert_eq!(
        values["licenses"]["ENTERPRISEPACK"]["disabled_plans"],
        json!(["YAMMER_ENTERPRISE"]),
        "spelled with names by the refresh after the move"
    );
    assert_eq!(values["effective_licenses"]["ENTERPRISEPACK"]["sku_id"], ENTERPRISEPACK);
    assert_eq!(graph.applied_writes(), writes_before);
    assert_eq!(azuread_configured(&ws), 0, "a pure move never configures azuread");
    no_licence_removed(&graph);
}

#[test]
fn several_azuread_licences_of_one_group_become_one_resource_without_a_write() {
    let test = "several_azuread_licences_of_one_group_become_one_resource_without_a_write";
    let graph = BackgroundEmulator::start();
    // Sales holds AAD_PREMIUM and EMS without Intune, each managed by its own azuread resource.
    let status = graph.graph_post(
        &format!("/groups/{SALES}/assignLicense"),
        &json!({"addLicenses": [
            {"skuId": AAD_PREMIUM, "disabledPlans": []},
            {"skuId": EMS, "disabledPlans": [INTUNE_A]},
        ], "removeLicenses": []}),
    );
    assert_eq!(status, 202);
    let instances = [
        ("sales_p1", azuread_state(SALES, AAD_PREMIUM, &[])),
        ("sales_ems", azuread_state(SALES, EMS, &[INTUNE_A])),
    ];
    let Some(ws) = workspace(test, &graph, &instances) else {
        return;
    };
    std::fs::write(ws.path().join("main.tf"), guide_file("several-skus/main.tf")).unwrap();
    ws.ok(&["init", "-no-color", "-input=false"]);
    let losses_before = graph.emulator.continuity().len();
    let writes_before = graph.applied_writes();

    let (code, output) = plan(&ws);
    assert_eq!(code, 2, "{output}");
    assert!(
        output.contains("# (moved from azuread_group_license.sales_p1)"),
        "{output}"
    );
    assert!(
        output.contains(
            "azuread_group_license.sales_ems will no longer be managed by Terraform, but will not be destroyed"
        ),
        "{output}"
    );
    assert!(
        output.contains("0 to add, 1 to change, 0 to destroy"),
        "EMS joins the entra resource in place:\n{output}"
    );
    let applied = ws.ok(&["apply", "-auto-approve", "-no-color", "-input=false"]);
    assert!(applied.contains("0 added, 1 changed, 0 destroyed"), "{applied}");
    assert_eq!(
        graph.applied_writes(),
        writes_before,
        "the group already holds both licences: nothing is sent"
    );
    let (code, output) = plan(&ws);
    assert_eq!(code, 0, "the next plan is empty:\n{output}");
    let state: Json = serde_json::from_str(&ws.ok(&["show", "-json"])).unwrap();
    let resources = state["values"]["root_module"]["resources"].as_array().unwrap().clone();
    assert_eq!(resources.len(), 1, "only the entra resource is left: {resources:?}");
    assert_eq!(graph.emulator.continuity().len(), losses_before);
    assert!(
        azuread_configured(&ws) > 0,
        "the removed block makes Terraform configure azuread (the guide says so)"
    );
    no_licence_removed(&graph);
}

#[test]
fn a_malformed_azuread_id_is_an_error_naming_it() {
    let test = "a_malformed_azuread_id_is_an_error_naming_it";
    let graph = BackgroundEmulator::start();
    let mut old = azuread_state(ENGINEERING, ENTERPRISEPACK, &[]);
    old["id"] = json!(format!("{ENGINEERING}/{ENTERPRISEPACK}"));
    let Some(ws) = workspace(test, &graph, &[("engineering_e3", old)]) else {
        return;
    };
    std::fs::write(ws.path().join("main.tf"), guide_file("one-sku/main.tf")).unwrap();
    ws.ok(&["init", "-no-color", "-input=false"]);
    let (code, output) = plan(&ws);
    assert_eq!(code, 1, "{output}");
    assert!(output.contains("Cannot Move Resource State"), "{output}");
    assert!(
        output.contains(&format!("{ENGINEERING}/{ENTERPRISEPACK}")),
        "the error names the ID:\n{output}"
    );
    assert_eq!(graph.applied_writes(), 0);
}
