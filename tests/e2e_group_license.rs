//! `entra_group_license_assignment` end to end: the real terraform, the built provider,
//! the emulator as Graph. Each step checks the Graph requests the emulator logged.

use serde_json::{Value as Json, json};

use crate::support::{BackgroundEmulator, HEADER, Workspace, emulator_workspace};

const SALES: &str = "1132b215-826f-42a9-8cfe-1643d19d17fd";
const ENGINEERING: &str = "2c9d8e71-4a3b-4c5d-9e8f-000000000002";
const AAD_P1: &str = "078d2b04-f1bd-4111-bbd4-b4b1b354cef4";
const EMS: &str = "efccb6f7-5641-4e0e-bd10-b4976e1bf68e";
const MFA: &str = "8a256a2b-b617-496d-b51b-e76466e88db0";
const CLOUD_APP_DISCOVERY: &str = "932ad362-64a8-4783-9106-97849a1a30b9";
const INTUNE: &str = "c1ec4a95-1f05-45b3-a911-aa3fa01094f5";

/// Asserts that no member lost an enabled service plan since the continuity log held
/// `from` entries; returns the log's length now.
fn no_plan_lost_since(graph: &BackgroundEmulator, from: usize, step: &str) -> usize {
    let log = graph.emulator.continuity();
    assert!(log.len() >= from, "the continuity log only grows");
    assert!(
        log[from..].is_empty(),
        "{step}: members lost service plans: {:?}",
        &log[from..]
    );
    log.len()
}

fn group_licenses(graph: &BackgroundEmulator, group: &str) -> Json {
    let state = graph.emulator.state();
    state["groups"]
        .as_array()
        .unwrap()
        .iter()
        .find(|g| g["id"] == group)
        .unwrap()["assignedLicenses"]
        .clone()
}

fn sorted_plans(mut plans: Vec<&str>) -> Vec<&str> {
    plans.sort_unstable();
    plans
}

/// `-var` arguments: one of the AAD_PREMIUM plan lists (as HCL), and `exclusive`.
fn vars(plans: (&str, &str), exclusive: bool) -> Vec<String> {
    vec![
        "-var".into(),
        format!("aad_{}_plans={}", plans.0, plans.1),
        "-var".into(),
        format!("exclusive={exclusive}"),
    ]
}

fn run(workspace: &Workspace, command: &[&str], vars: &[String]) -> String {
    let mut args: Vec<&str> = command.to_vec();
    args.extend(vars.iter().map(String::as_str));
    workspace.ok(&args)
}

fn plan_exit_code(workspace: &Workspace, vars: &[String]) -> (i32, String) {
    let mut args = vec!["plan", "-detailed-exitcode", "-no-color", "-input=false"];
    args.extend(vars.iter().map(String::as_str));
    let output = workspace.run(&args);
    (
        output.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&output.stdout).into_owned() + &String::from_utf8_lossy(&output.stderr),
    )
}

#[test]
fn lifecycle_with_in_place_plan_changes_drift_and_destroy() {
    let graph = BackgroundEmulator::start();
    let Some(ws) = emulator_workspace("lifecycle_with_in_place_plan_changes_drift_and_destroy", &graph) else {
        return;
    };
    ws.use_fixture("group_license.tf");
    let apply = ["apply", "-auto-approve", "-no-color", "-input=false"];

    // Create with a name and a GUID: one assignLicense with both SKUs, full plan lists.
    let v = vars(("disabled", r#"["MFA_PREMIUM"]"#), false);
    let before = graph.emulator.requests().len();
    run(&ws, &apply, &v);
    let calls = graph.assign_bodies(before, "/v1.0/");
    assert_eq!(calls.len(), 1, "{calls:?}");
    assert_eq!(calls[0]["removeLicenses"], json!([]));
    let added: Vec<&str> = calls[0]["addLicenses"]
        .as_array()
        .unwrap()
        .iter()
        .map(|l| l["skuId"].as_str().unwrap())
        .collect();
    assert_eq!(sorted_plans(added), sorted_plans(vec![AAD_P1, EMS]));
    assert_eq!(plan_exit_code(&ws, &v).0, 0, "an immediate second plan is empty");
    let losses = no_plan_lost_since(&graph, 0, "create");

    // More disabled plans: an in-place update and exactly one call re-posting the SKU.
    let v = vars(("disabled", r#"["MFA_PREMIUM","ADALLOM_S_DISCOVERY"]"#), false);
    let (code, plan) = plan_exit_code(&ws, &v);
    assert_eq!(code, 2);
    assert!(
        plan.contains("will be updated in-place") && !plan.contains("must be replaced"),
        "{plan}"
    );
    let before = graph.emulator.requests().len();
    run(&ws, &apply, &v);
    let calls = graph.assign_bodies(before, "/v1.0/");
    assert_eq!(calls.len(), 1);
    assert_eq!(calls[0]["addLicenses"][0]["skuId"], AAD_P1);
    let disabled: Vec<&str> = calls[0]["addLicenses"][0]["disabledPlans"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p.as_str().unwrap())
        .collect();
    assert_eq!(sorted_plans(disabled), sorted_plans(vec![MFA, CLOUD_APP_DISCOVERY]));
    assert_eq!(calls[0]["removeLicenses"], json!([]));
    // EMS still enables both plans: members keep every plan they had.
    let losses = no_plan_lost_since(&graph, losses, "in-place plan change");

    // The same effect as an allow-list: no Graph write at all.
    let v = vars(("enabled", r#"["AAD_PREMIUM","EXCHANGE_S_FOUNDATION"]"#), false);
    let writes_before = graph.write_attempts();
    run(&ws, &apply, &v);
    assert_eq!(
        graph.write_attempts(),
        writes_before,
        "switching disabled_plans to an equivalent enabled_plans writes nothing"
    );
    assert_eq!(plan_exit_code(&ws, &v).0, 0);
    no_plan_lost_since(&graph, losses, "equivalent allow-list");

    // Out-of-band change through Graph: the next plan shows that exact difference.
    let status = graph.graph_post(
        &format!("/groups/{SALES}/assignLicense"),
        &json!({"addLicenses": [{"skuId": EMS, "disabledPlans": [INTUNE]}], "removeLicenses": []}),
    );
    assert_eq!(status, 202);
    let (code, plan) = plan_exit_code(&ws, &v);
    assert_eq!(code, 2, "drift shows as a change");
    assert!(
        plan.contains("INTUNE_A"),
        "the plan names the plan disabled out of band:\n{plan}"
    );
    let losses = graph.emulator.continuity().len();
    let before = graph.emulator.requests().len();
    run(&ws, &apply, &v);
    let calls = graph.assign_bodies(before, "/v1.0/");
    assert_eq!(
        calls,
        vec![json!({"addLicenses": [{"skuId": EMS, "disabledPlans": []}], "removeLicenses": []})]
    );
    no_plan_lost_since(&graph, losses, "drift repair");

    // An unmanaged SKU added out of band stays without `exclusive`, goes with it.
    let status = graph.graph_post(
        &format!("/groups/{SALES}/assignLicense"),
        &json!({"addLicenses": [{"skuId": "6fd2c87f-b296-42f0-b197-1e91e994b900", "disabledPlans": []}], "removeLicenses": []}),
    );
    assert_eq!(status, 202);
    assert_eq!(
        plan_exit_code(&ws, &v).0,
        0,
        "non-exclusive: another SKU on the group is left alone"
    );
    let v = vars(("enabled", r#"["AAD_PREMIUM","EXCHANGE_S_FOUNDATION"]"#), true);
    // Turning exclusive on: the diff shows only the flag, the warning names the SKU.
    let (code, planned) = plan_exit_code(&ws, &v);
    assert_eq!(code, 2, "{planned}");
    let unwrapped = planned.replace('\n', " "); // Terraform wraps diagnostics
    assert!(
        unwrapped.contains("Unlisted Licences Will Be Removed")
            && unwrapped.contains("ENTERPRISEPACK (6fd2c87f-b296-42f0-b197-1e91e994b900)"),
        "{planned}"
    );
    let before = graph.emulator.requests().len();
    run(&ws, &apply, &v);
    let calls = graph.assign_bodies(before, "/v1.0/");
    assert_eq!(calls.len(), 1);
    assert_eq!(
        calls[0]["removeLicenses"],
        json!(["6fd2c87f-b296-42f0-b197-1e91e994b900"])
    );
    assert_eq!(plan_exit_code(&ws, &v).0, 0);

    // Destroy removes exactly the managed SKUs; Terraform 1.3+ asks the provider about
    // the destroy, which warns of the plans the members lose.
    let before = graph.emulator.requests().len();
    let destroyed = run(&ws, &["destroy", "-auto-approve", "-no-color", "-input=false"], &v);
    assert_eq!(
        destroyed.contains("Members Lose Service Plans"),
        ws.terraform_version() >= (1, 3, 0),
        "{destroyed}"
    );
    let calls = graph.assign_bodies(before, "/v1.0/");
    assert_eq!(calls.len(), 1);
    let removed: Vec<&str> = calls[0]["removeLicenses"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s.as_str().unwrap())
        .collect();
    assert_eq!(sorted_plans(removed), sorted_plans(vec![AAD_P1, EMS]));
    assert_eq!(group_licenses(&graph, SALES), json!([]));
}

#[test]
fn bad_configurations_fail_at_plan_on_the_attribute_and_write_nothing() {
    let graph = BackgroundEmulator::start();
    let Some(ws) = emulator_workspace(
        "bad_configurations_fail_at_plan_on_the_attribute_and_write_nothing",
        &graph,
    ) else {
        return;
    };
    let group = format!("group_id = \"{SALES}\"");
    let cases: Vec<(String, &str, &str)> = vec![
        (
            format!("{group}\n licenses = {{ \"SPE_E6\" = {{}} }}"),
            "Unknown License SKU",
            "SPE_E5",
        ),
        (
            format!("{group}\n licenses = {{ \"SPE_E5\" = {{ disabled_plans = [\"EXCHANGE_S_STANDARD\"] }} }}"),
            "Service Plan Not In SKU",
            "EXCHANGE_S_STANDARD",
        ),
        (
            format!("{group}\n licenses = {{ \"SPE_E5\" = {{}}, \"06ebc4ee-1bb5-47dd-8120-11324bc54e06\" = {{}} }}"),
            "Duplicate License SKU",
            "licenses",
        ),
        (
            format!(
                "{group}\n licenses = {{ \"SPE_E5\" = {{ disabled_plans = [\"TEAMS1\"], enabled_plans = [\"SWAY\"] }} }}"
            ),
            "Conflicting Plan Lists",
            "SPE_E5",
        ),
        (
            format!("{group}\n licenses = {{ \"MCOPSTNC\" = {{}} }}"),
            "License SKU Cannot Be Assigned",
            "MCOPSTNC",
        ),
        (
            format!("{group}\n licenses = {{ \"CRMSTANDARD\" = {{}} }}"),
            "License SKU Not Active",
            "Suspended",
        ),
        (
            "group_id = \"not-a-guid\"\n licenses = { \"SPE_E5\" = {} }".to_owned(),
            "Invalid Group ID",
            "group_id",
        ),
        (
            format!("{group}\n licenses = {{ \"6fd2c87f-b296-42f0-b197-1e91e994b90z\" = {{}} }}"),
            "Malformed SKU ID",
            "licenses",
        ),
        (format!("{group}\n licenses = {{}}"), "No Licenses", "licenses"),
        (
            format!("{group}\n licenses = {{ \"SPE_E5\" = {{ enabled_plans = [\"NOT_A_PLAN\"] }} }}"),
            "Service Plan Not In SKU",
            "NOT_A_PLAN",
        ),
        (
            format!(
                "{group}\n licenses = {{ \"SPE_E5\" = {{ disabled_plans = [\"57ff2da0-773e-42df-b2af-ffb7a2317zzz\"] }} }}"
            ),
            "Malformed Service Plan ID",
            "57ff2da0-773e-42df-b2af-ffb7a2317zzz",
        ),
        (
            format!("{group}\n licenses = {{ \"SPE_E5\" = {{}} }}\n timeouts {{\n create = \"soon\"\n }}"),
            "Invalid Timeout",
            "create = \"soon\"",
        ),
        (
            format!("{group}\n licenses = {{ \"EMSPREMIUM\" = {{ disabled_plans = [\"YAMMER_ENTERPRISE\"] }} }}"),
            "Service Plan Not In SKU",
            "EMSPREMIUM",
        ),
    ];
    let writes_before = graph.write_attempts();
    for (body, summary, mention) in &cases {
        std::fs::write(
            ws.path().join("main.tf"),
            format!("{HEADER}\nresource \"entra_group_license_assignment\" \"bad\" {{\n {body}\n}}\n"),
        )
        .unwrap();
        let output = ws.run(&["plan", "-no-color", "-input=false"]);
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert!(!output.status.success(), "{summary}: plan should fail");
        assert!(stderr.contains(&format!("Error: {summary}")), "{summary}:\n{stderr}");
        assert!(
            stderr.contains(mention),
            "{summary} should mention {mention}:\n{stderr}"
        );
        assert!(
            stderr.contains("entra_group_license_assignment.bad"),
            "{summary}: diagnostic on the resource:\n{stderr}"
        );
    }
    assert_eq!(
        graph.write_attempts(),
        writes_before,
        "no Graph write for any bad configuration"
    );
    assert!(cases.len() >= 12);
}

#[test]
fn import_by_cli_gives_readable_keys_and_an_empty_plan() {
    let graph = BackgroundEmulator::start();
    let Some(ws) = emulator_workspace("import_by_cli_gives_readable_keys_and_an_empty_plan", &graph) else {
        return;
    };
    // Engineering holds ENTERPRISEPACK with YAMMER_ENTERPRISE disabled (seeded).
    let config = format!(
        "{HEADER}\nresource \"entra_group_license_assignment\" \"engineering\" {{\n  group_id = \"{ENGINEERING}\"\n  licenses = {{\n    \"ENTERPRISEPACK\" = {{ disabled_plans = [\"YAMMER_ENTERPRISE\"] }}\n  }}\n}}\n"
    );
    std::fs::write(ws.path().join("main.tf"), config).unwrap();
    let writes_before = graph.write_attempts();
    ws.ok(&[
        "import",
        "-no-color",
        "-input=false",
        "entra_group_license_assignment.engineering",
        ENGINEERING,
    ]);
    let state: Json = serde_json::from_str(&ws.ok(&["show", "-json"])).unwrap();
    let values = &state["values"]["root_module"]["resources"][0]["values"];
    assert_eq!(
        values["licenses"]["ENTERPRISEPACK"]["disabled_plans"],
        json!(["YAMMER_ENTERPRISE"]),
        "readable keys and plan names"
    );
    assert_eq!(
        values["effective_licenses"]["ENTERPRISEPACK"]["sku_id"],
        "6fd2c87f-b296-42f0-b197-1e91e994b900"
    );
    let (code, plan) = plan_exit_code(&ws, &[]);
    assert_eq!(code, 0, "the plan after import is empty:\n{plan}");
    assert_eq!(graph.write_attempts(), writes_before, "import writes nothing");
    ws.ok(&["apply", "-refresh-only", "-auto-approve", "-no-color", "-input=false"]);
    no_plan_lost_since(&graph, 0, "import and refresh");
}

#[test]
fn a_seat_shortage_is_forecast_and_reported_as_member_errors() {
    let graph = BackgroundEmulator::start();
    let Some(ws) = emulator_workspace("a_seat_shortage_is_forecast_and_reported_as_member_errors", &graph) else {
        return;
    };
    // Sales has 4 members; ENTERPRISEPREMIUM has 3 seats.
    let config = format!(
        "{HEADER}\nresource \"entra_group_license_assignment\" \"sales\" {{\n  group_id = \"{SALES}\"\n  licenses = {{ \"ENTERPRISEPREMIUM\" = {{}} }}\n}}\n"
    );
    std::fs::write(ws.path().join("main.tf"), config).unwrap();
    let plan = ws.ok(&["plan", "-no-color", "-input=false"]);
    assert!(
        plan.contains("Warning: Not Enough Seats") && plan.contains("4 members"),
        "{plan}"
    );
    let output = ws.run(&["apply", "-auto-approve", "-no-color", "-input=false"]);
    assert!(output.status.success());
    let out = String::from_utf8_lossy(&output.stdout).into_owned() + &String::from_utf8_lossy(&output.stderr);
    assert!(
        out.contains("Warning: Members With License Errors") && out.contains("CountViolation"),
        "{out}"
    );
    let state: Json = serde_json::from_str(&ws.ok(&["show", "-json"])).unwrap();
    let values = &state["values"]["root_module"]["resources"][0]["values"];
    assert_eq!(values["members_with_license_errors_count"], 1);
    assert_eq!(values["member_license_errors"][0]["error"], "CountViolation");
    assert_eq!(values["license_processing_state"], "ProcessingComplete");
    assert_eq!(plan_exit_code(&ws, &[]).0, 0);
}

#[test]
fn import_block_generates_readable_config_that_plans_empty() {
    let graph = BackgroundEmulator::start();
    let Some(ws) = emulator_workspace("import_block_generates_readable_config_that_plans_empty", &graph) else {
        return;
    };
    let version = ws.terraform_version();
    if version < (1, 5, 0) {
        eprintln!(
            "SKIPPED import_block_generates_readable_config_that_plans_empty: Terraform {version:?} has no import blocks (1.5+)"
        );
        return;
    }
    let config = format!(
        "{HEADER}\nimport {{\n  to = entra_group_license_assignment.engineering\n  id = \"{ENGINEERING}\"\n}}\n"
    );
    std::fs::write(ws.path().join("main.tf"), config).unwrap();
    ws.ok(&["plan", "-generate-config-out=generated.tf", "-no-color", "-input=false"]);
    let generated = std::fs::read_to_string(ws.path().join("generated.tf")).unwrap();
    assert!(
        generated.contains("ENTERPRISEPACK = {") || generated.contains("\"ENTERPRISEPACK\" = {"),
        "{generated}"
    );
    assert!(
        generated.contains("disabled_plans = [\"YAMMER_ENTERPRISE\"]"),
        "{generated}"
    );
    assert!(
        !generated.contains("effective_licenses"),
        "computed attributes are not generated"
    );
    let writes_before = graph.write_attempts();
    ws.ok(&["apply", "-auto-approve", "-no-color", "-input=false"]);
    let (code, plan) = plan_exit_code(&ws, &[]);
    assert_eq!(code, 0, "plan with the generated HCL is empty:\n{plan}");
    assert_eq!(graph.write_attempts(), writes_before, "importing writes nothing");
    no_plan_lost_since(&graph, 0, "import block");
}

#[test]
fn adding_and_removing_managed_skus_and_a_vanished_group() {
    let graph = BackgroundEmulator::start();
    let Some(ws) = emulator_workspace("adding_and_removing_managed_skus_and_a_vanished_group", &graph) else {
        return;
    };
    let write = |licenses: &str| {
        let config = format!(
            "{HEADER}\nresource \"entra_group_license_assignment\" \"sales\" {{\n  group_id = \"{SALES}\"\n  licenses = {{ {licenses} }}\n}}\n"
        );
        std::fs::write(ws.path().join("main.tf"), config).unwrap();
    };
    let apply = ["apply", "-auto-approve", "-no-color", "-input=false"];
    write("\"AAD_PREMIUM\" = {}");
    ws.ok(&apply);
    write("\"AAD_PREMIUM\" = {}, \"EMS\" = {}");
    let before = graph.emulator.requests().len();
    ws.ok(&apply);
    assert_eq!(
        graph.assign_bodies(before, "/v1.0/"),
        vec![json!({"addLicenses": [{"skuId": EMS, "disabledPlans": []}], "removeLicenses": []})],
        "only the new SKU is sent"
    );
    no_plan_lost_since(&graph, 0, "adding a SKU");
    write("\"EMS\" = {}");
    let before = graph.emulator.requests().len();
    ws.ok(&apply);
    assert_eq!(
        graph.assign_bodies(before, "/v1.0/"),
        vec![json!({"addLicenses": [], "removeLicenses": [AAD_P1]})],
        "only the dropped SKU is removed"
    );
    assert_eq!(plan_exit_code(&ws, &[]).0, 0);

    // The group is deleted outside Terraform: the resource leaves state, and the next plan
    // proposes to create it again rather than failing.
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let status = runtime.block_on(async {
        terraform_provider_entra::graph::http_client()
            .delete(format!(
                "{}/_emulator/groups/{SALES}?force=true",
                graph.emulator.base_url()
            ))
            .send()
            .await
            .unwrap()
            .status()
    });
    assert_eq!(status, 200);
    ws.ok(&["apply", "-refresh-only", "-auto-approve", "-no-color", "-input=false"]);
    let state = ws.ok(&["state", "list"]);
    assert!(
        state.trim().is_empty(),
        "the vanished group's resource left state: {state}"
    );
}

#[test]
fn imported_licenses_plan_empty_whether_disabled_plans_is_left_out_or_empty() {
    let graph = BackgroundEmulator::start();
    let Some(ws) = emulator_workspace(
        "imported_licenses_plan_empty_whether_disabled_plans_is_left_out_or_empty",
        &graph,
    ) else {
        return;
    };
    // Assigned in the portal: AAD_PREMIUM on Sales, no plan disabled.
    let status = graph.graph_post(
        &format!("/groups/{SALES}/assignLicense"),
        &json!({"addLicenses": [{"skuId": AAD_P1, "disabledPlans": []}], "removeLicenses": []}),
    );
    assert_eq!(status, 202);
    let config = |license: &str| {
        format!(
            "{HEADER}\nresource \"entra_group_license_assignment\" \"sales\" {{\n  group_id = \"{SALES}\"\n  licenses = {{\n    \"AAD_PREMIUM\" = {license}\n  }}\n}}\n"
        )
    };
    let left_out = config("{}");
    let empty = config("{ disabled_plans = [] }");
    let losses = graph.emulator.continuity().len();
    let writes_before = graph.write_attempts();
    let import = [
        "import",
        "-no-color",
        "-input=false",
        "entra_group_license_assignment.sales",
        SALES,
    ];
    for (first, second) in [(&left_out, &empty), (&empty, &left_out)] {
        let _ = std::fs::remove_file(ws.path().join("terraform.tfstate"));
        std::fs::write(ws.path().join("main.tf"), first).unwrap();
        ws.ok(&import);
        for written in [first, second, first] {
            std::fs::write(ws.path().join("main.tf"), written).unwrap();
            let (code, plan) = plan_exit_code(&ws, &[]);
            assert_eq!(code, 0, "the plan after import is empty with\n{written}\n{plan}");
        }
        std::fs::write(ws.path().join("main.tf"), second).unwrap();
        let applied = ws.ok(&["apply", "-auto-approve", "-no-color", "-input=false"]);
        assert!(applied.contains("0 added, 0 changed, 0 destroyed"), "{applied}");
        assert_eq!(plan_exit_code(&ws, &[]).0, 0, "still empty after the apply");
    }
    assert_eq!(
        graph.write_attempts(),
        writes_before,
        "no Graph write for either writing"
    );
    no_plan_lost_since(&graph, losses, "import with either writing");
}

#[test]
fn a_group_id_in_upper_case_plans_no_replacement_after_import() {
    let graph = BackgroundEmulator::start();
    let Some(ws) = emulator_workspace("a_group_id_in_upper_case_plans_no_replacement_after_import", &graph) else {
        return;
    };
    let upper = ENGINEERING.to_uppercase();
    let config = format!(
        "{HEADER}\nresource \"entra_group_license_assignment\" \"engineering\" {{\n  group_id = \"{upper}\"\n  licenses = {{\n    \"ENTERPRISEPACK\" = {{ disabled_plans = [\"YAMMER_ENTERPRISE\"] }}\n  }}\n}}\n"
    );
    std::fs::write(ws.path().join("main.tf"), config).unwrap();
    ws.ok(&[
        "import",
        "-no-color",
        "-input=false",
        "entra_group_license_assignment.engineering",
        &upper,
    ]);
    let writes_before = graph.write_attempts();
    let (code, plan) = plan_exit_code(&ws, &[]);
    assert_eq!(
        code, 0,
        "Graph's lower case in state, the user's upper case in config: no change\n{plan}"
    );
    ws.ok(&["apply", "-auto-approve", "-no-color", "-input=false"]);
    assert_eq!(graph.write_attempts(), writes_before, "nothing written");
    no_plan_lost_since(&graph, 0, "upper-case group_id");
}
