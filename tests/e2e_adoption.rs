//! Adopting licences that already exist (`docs/guides/adopting-existing-group-licenses.md`):
//! 50 licensed groups discovered with `entra_licensed_groups`, imported in one apply with an
//! `import` block over the data source, or through one import block per group and
//! `-generate-config-out`. The guide's HCL is `examples/guides/adopting/`; these tests run
//! it as it is. Every step is checked against the emulator's request log.

use std::path::Path;

use entra_graph_emulator::{AssignedLicense, Generate, Options, generate};

use crate::support::{BackgroundEmulator, Workspace, emulator_workspace};

const ENTERPRISEPACK: &str = "6fd2c87f-b296-42f0-b197-1e91e994b900";
const YAMMER_ENTERPRISE: &str = "7547a3fe-08ee-4ccb-b430-5077c5041653";
const SPE_E3: &str = "05e9a617-0261-4cee-bb44-138d3ef5d965";
const EMS: &str = "efccb6f7-5641-4e0e-bd10-b4976e1bf68e";
const INTUNE_A: &str = "c1ec4a95-1f05-45b3-a911-aa3fa01094f5";

/// 60 groups (`Bench Group <n>`), the first 50 licensed in three ways: ENTERPRISEPACK
/// without Yammer; SPE_E3 with nothing disabled; ENTERPRISEPACK and EMS without Intune.
fn fifty_licensed_groups() -> BackgroundEmulator {
    let mut tenant = generate(&Generate {
        groups: 60,
        users: 120,
        group_sizes: Vec::new(),
    })
    .expect("tenant");
    let license = |sku: &str, disabled: &[&str]| AssignedLicense {
        sku_id: sku.to_owned(),
        disabled_plans: disabled.iter().map(|p| (*p).to_owned()).collect(),
    };
    for (n, group) in tenant.groups.iter_mut().enumerate().take(50) {
        group.assigned_licenses = match n % 3 {
            0 => vec![license(ENTERPRISEPACK, &[YAMMER_ENTERPRISE])],
            1 => vec![license(SPE_E3, &[])],
            _ => vec![license(ENTERPRISEPACK, &[]), license(EMS, &[INTUNE_A])],
        };
    }
    BackgroundEmulator::start_with(Options {
        tenant,
        ..Options::default()
    })
}

fn no_licence_removed(graph: &BackgroundEmulator) {
    assert!(
        graph.emulator.continuity().is_empty(),
        "members lost service plans: {:?}",
        graph.emulator.continuity()
    );
}

fn guide_file(name: &str) -> String {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("examples/guides/adopting")
        .join(name);
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

fn plan_exit_code(ws: &Workspace) -> (i32, String) {
    let output = ws.run(&["plan", "-detailed-exitcode", "-no-color", "-input=false"]);
    (
        output.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&output.stdout).into_owned() + &String::from_utf8_lossy(&output.stderr),
    )
}

/// Skips (printing why) when this terraform is older than `needed`.
fn new_enough(ws: &Workspace, test: &str, needed: (u32, u32, u32), what: &str) -> bool {
    let version = ws.terraform_version();
    if version < needed {
        use std::io::Write;
        let _ = writeln!(
            std::io::stderr(),
            "SKIPPED {test}: Terraform {version:?} has no {what} ({}.{}+)",
            needed.0,
            needed.1
        );
    }
    version >= needed
}

#[test]
fn one_import_block_over_licensed_groups_adopts_fifty_groups_without_a_write() {
    let test = "one_import_block_over_licensed_groups_adopts_fifty_groups_without_a_write";
    let graph = fifty_licensed_groups();
    let Some(ws) = emulator_workspace(test, &graph) else {
        return;
    };
    if !new_enough(&ws, test, (1, 7, 0), "import blocks with for_each") {
        return;
    }
    std::fs::write(ws.path().join("main.tf"), guide_file("bulk/main.tf")).unwrap();
    let (code, plan) = plan_exit_code(&ws);
    assert_eq!(code, 2, "{plan}");
    assert!(
        plan.contains("50 to import, 0 to add, 0 to change, 0 to destroy"),
        "every licensed group, nothing else:\n{plan}"
    );
    let writes_before = graph.applied_writes();
    let applied = ws.ok(&["apply", "-auto-approve", "-no-color", "-input=false"]);
    assert!(
        applied.contains("50 imported, 0 added, 0 changed, 0 destroyed"),
        "{applied}"
    );
    assert_eq!(graph.applied_writes(), writes_before, "adopting writes nothing");

    // The next plan is empty, and costs one `$batch` (the data source: 13 SKUs) plus one
    // read per group (the refresh).
    let before = graph.emulator.requests().len();
    let (code, plan) = plan_exit_code(&ws);
    assert_eq!(code, 0, "the plan after adoption is empty:\n{plan}");
    let requests = graph.emulator.requests()[before..].to_vec();
    let batches = requests.iter().filter(|r| r.path.starts_with("/v1.0/$batch")).count();
    assert_eq!(batches, 1, "the data source reads 13 SKUs in one $batch");
    let group_reads = requests
        .iter()
        .filter(|r| r.method == "GET" && r.path.starts_with("/v1.0/groups/"))
        .count();
    assert_eq!(group_reads, 50, "one refresh read per group");
    assert_eq!(graph.applied_writes(), writes_before);

    // The state holds readable keys and plan names.
    let state: serde_json::Value = serde_json::from_str(&ws.ok(&["show", "-json"])).unwrap();
    let resources = state["values"]["root_module"]["resources"].as_array().unwrap();
    let adopted = resources
        .iter()
        .filter(|r| r["type"] == "entra_group_license_assignment");
    let mut yammer_off = 0;
    for resource in adopted {
        let licenses = &resource["values"]["licenses"];
        if licenses["ENTERPRISEPACK"]["disabled_plans"] == serde_json::json!(["YAMMER_ENTERPRISE"]) {
            yammer_off += 1;
        }
    }
    assert_eq!(yammer_off, 17, "groups 0, 3, …, 48");

    // A licence added in the portal joins its group's resource: an update that sends
    // nothing, as the group already holds it.
    let status = graph.graph_post(
        "/groups/10000000-0000-4000-8000-000000000001/assignLicense",
        &serde_json::json!({"addLicenses": [{"skuId": EMS, "disabledPlans": [INTUNE_A]}], "removeLicenses": []}),
    );
    assert_eq!(status, 202);
    let writes_before = graph.applied_writes();
    let (code, plan) = plan_exit_code(&ws);
    assert_eq!(code, 2, "{plan}");
    assert!(plan.contains("0 to add, 1 to change, 0 to destroy"), "{plan}");
    let applied = ws.ok(&["apply", "-auto-approve", "-no-color", "-input=false"]);
    assert!(applied.contains("0 added, 1 changed, 0 destroyed"), "{applied}");
    assert_eq!(
        graph.applied_writes(),
        writes_before,
        "the group already holds it: nothing sent"
    );
    assert_eq!(plan_exit_code(&ws).0, 0);
    no_licence_removed(&graph);
}

#[test]
fn one_import_block_per_group_generates_readable_config_that_plans_empty() {
    let test = "one_import_block_per_group_generates_readable_config_that_plans_empty";
    let graph = fifty_licensed_groups();
    let Some(discover) = emulator_workspace(test, &graph) else {
        return;
    };
    if !new_enough(&discover, test, (1, 5, 0), "import blocks") {
        return;
    }
    // The guide's discovery module writes the import blocks.
    std::fs::write(discover.path().join("main.tf"), guide_file("discover/main.tf")).unwrap();
    discover.ok(&["apply", "-auto-approve", "-no-color", "-input=false"]);
    let imports = discover.ok(&["output", "-raw", "import_blocks"]);
    assert_eq!(imports.matches("import {").count(), 50, "{imports}");
    assert!(
        imports.contains("to = entra_group_license_assignment.bench_group_0_10000000"),
        "{imports}"
    );

    let adopt = emulator_workspace(test, &graph).unwrap();
    std::fs::write(adopt.path().join("main.tf"), crate::support::HEADER).unwrap();
    std::fs::write(adopt.path().join("imports.tf"), &imports).unwrap();
    let writes_before = graph.applied_writes();
    adopt.ok(&["plan", "-generate-config-out=generated.tf", "-no-color", "-input=false"]);
    let generated = std::fs::read_to_string(adopt.path().join("generated.tf")).unwrap();
    assert_eq!(
        generated.matches("resource \"entra_group_license_assignment\"").count(),
        50
    );
    for needed in ["ENTERPRISEPACK", "SPE_E3", "EMS", "YAMMER_ENTERPRISE", "INTUNE_A"] {
        assert!(generated.contains(needed), "{needed} in\n{generated}");
    }
    // Licences by part number and plan name: the only GUIDs are the groups' IDs (and
    // Terraform's comments naming the import ID).
    for line in generated.lines() {
        let has_guid = line
            .split(|c: char| !(c.is_ascii_hexdigit() || c == '-'))
            .any(|word| word.len() == 36 && word.matches('-').count() == 4);
        assert!(
            !has_guid || line.trim_start().starts_with("group_id") || line.starts_with('#'),
            "a GUID outside group_id: {line}\n{generated}"
        );
    }
    let applied = adopt.ok(&["apply", "-auto-approve", "-no-color", "-input=false"]);
    assert!(
        applied.contains("50 imported, 0 added, 0 changed, 0 destroyed"),
        "{applied}"
    );
    let (code, plan) = plan_exit_code(&adopt);
    assert_eq!(code, 0, "the plan with the generated HCL is empty:\n{plan}");
    assert_eq!(graph.applied_writes(), writes_before, "adopting writes nothing");
    no_licence_removed(&graph);
}
