//! Real Graph's rough edges, end to end with the real terraform: groups that cannot hold
//! licences, nested groups, SKUs whose disabled plans Graph extends on its own, reads that
//! lag behind writes, answers lost after the write, SKU swaps that take plans away, and
//! add-ons without their prerequisite. The emulator's continuity log proves no member ever
//! lost a service plan where none should be lost.

use serde_json::{Value as Json, json};

use crate::support::{BackgroundEmulator, HEADER, Workspace, emulator_workspace};

const SALES: &str = "1132b215-826f-42a9-8cfe-1643d19d17fd";
const ENGINEERING: &str = "2c9d8e71-4a3b-4c5d-9e8f-000000000002";
const ANNOUNCEMENTS: &str = "4e1fa093-6c5d-4e7f-9a01-000000000004";
const CONTRACTORS: &str = "5f20b1a4-7d6e-4f80-ab12-000000000005";
const REGIONAL_LEADS: &str = "7a41d3c6-9f80-4a12-8d34-000000000007";
const ENTERPRISEPACK: &str = "6fd2c87f-b296-42f0-b197-1e91e994b900";
const FLOW_FREE: &str = "f30db892-07e9-47e9-837c-80727f46fd3d";
const CDS_VIRAL: &str = "17ab22cd-a0b3-4536-910a-cb6eb12696c0";
const FLOW_P2_VIRAL: &str = "50e68c76-46c6-4674-81f9-75456511b170";

fn assignment(name: &str, group: &str, licenses: &str) -> String {
    format!(
        "resource \"entra_group_license_assignment\" \"{name}\" {{\n  group_id = \"{group}\"\n  licenses = {{\n{licenses}\n  }}\n}}\n"
    )
}

fn write_config(ws: &Workspace, resources: &str) {
    std::fs::write(ws.path().join("main.tf"), format!("{HEADER}\n{resources}")).unwrap();
}

/// `terraform plan -detailed-exitcode`: the exit code and everything printed.
fn plan(ws: &Workspace) -> (i32, String) {
    let output = ws.run(&["plan", "-detailed-exitcode", "-no-color", "-input=false"]);
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    (output.status.code().unwrap_or(-1), text)
}

fn apply(ws: &Workspace) -> String {
    ws.ok(&["apply", "-auto-approve", "-no-color", "-input=false"])
}

fn assign_bodies(graph: &BackgroundEmulator, from: usize) -> Vec<Json> {
    graph.emulator.requests()[from..]
        .iter()
        .filter(|r| r.method == "POST" && r.path.ends_with("/assignLicense"))
        .map(|r| r.body.clone().unwrap_or(Json::Null))
        .collect()
}

fn group(graph: &BackgroundEmulator, id: &str) -> Json {
    let state = graph.emulator.state();
    state["groups"]
        .as_array()
        .unwrap()
        .iter()
        .find(|g| g["id"] == id)
        .unwrap()
        .clone()
}

fn no_plan_lost(graph: &BackgroundEmulator, scenario: &str) {
    let losses = graph.emulator.continuity();
    assert!(losses.is_empty(), "{scenario}: members lost service plans: {losses:?}");
}

#[test]
fn groups_that_cannot_hold_licenses_fail_at_plan_on_group_id() {
    let graph = BackgroundEmulator::start();
    let Some(ws) = emulator_workspace("groups_that_cannot_hold_licenses_fail_at_plan_on_group_id", &graph) else {
        return;
    };
    write_config(&ws, &assignment("announcements", ANNOUNCEMENTS, "    \"SPE_E3\" = {}"));
    let (code, out) = plan(&ws);
    assert_eq!(code, 1, "{out}");
    assert!(
        out.contains("Error: Group Cannot Hold Licenses") && out.contains("distribution group"),
        "{out}"
    );
    assert!(
        out.contains(&format!("group_id = \"{ANNOUNCEMENTS}\"")),
        "placed on group_id:\n{out}"
    );
    assert_eq!(graph.write_attempts(), 0);
}

#[test]
fn nested_groups_are_named_and_their_members_get_nothing() {
    let graph = BackgroundEmulator::start();
    let Some(ws) = emulator_workspace("nested_groups_are_named_and_their_members_get_nothing", &graph) else {
        return;
    };
    write_config(
        &ws,
        &assignment("leads", REGIONAL_LEADS, "    \"EXCHANGESTANDARD\" = {}"),
    );
    let (code, out) = plan(&ws);
    assert_eq!(code, 2, "{out}");
    assert!(
        out.contains("Warning: Group Contains Groups") && out.contains("1 nested group"),
        "{out}"
    );
    apply(&ws);
    let state = graph.emulator.state();
    let holders: Vec<&str> = state["users"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|u| {
            u["licenseAssignmentStates"]
                .as_array()
                .is_some_and(|s| s.iter().any(|s| s["assignedByGroup"] == REGIONAL_LEADS))
        })
        .map(|u| u["displayName"].as_str().unwrap_or_default())
        .collect();
    assert_eq!(
        holders,
        ["Lee Gu"],
        "only the direct user member, not the nested Sales group's members"
    );
    assert_eq!(plan(&ws).0, 0, "the next plan is empty");
    no_plan_lost(&graph, "nested");
}

#[test]
fn plans_graph_disables_on_its_own_are_not_drift_but_real_changes_are() {
    let graph = BackgroundEmulator::start();
    let Some(ws) = emulator_workspace(
        "plans_graph_disables_on_its_own_are_not_drift_but_real_changes_are",
        &graph,
    ) else {
        return;
    };
    write_config(&ws, &assignment("flow", CONTRACTORS, "    \"FLOW_FREE\" = {}"));
    apply(&ws);
    let held = &group(&graph, CONTRACTORS)["assignedLicenses"][0];
    assert_eq!(
        held["disabledPlans"],
        json!([CDS_VIRAL]),
        "Graph extended the disabled plans"
    );
    let state: Json = serde_json::from_str(&ws.ok(&["show", "-json"])).unwrap();
    let values = &state["values"]["root_module"]["resources"][0]["values"];
    assert_eq!(
        values["graph_disabled_plan_ids"]["FLOW_FREE"],
        json!([CDS_VIRAL]),
        "recorded as Graph's"
    );
    assert_eq!(
        values["effective_licenses"]["FLOW_FREE"]["disabled_plan_ids"],
        json!([])
    );
    let (code, out) = plan(&ws);
    assert_eq!(code, 0, "no perpetual diff:\n{out}");
    // An administrator disables another plan: that is drift, and only that.
    let status = graph.graph_post(
        &format!("/groups/{CONTRACTORS}/assignLicense"),
        &json!({"addLicenses": [{"skuId": FLOW_FREE, "disabledPlans": [CDS_VIRAL, FLOW_P2_VIRAL]}], "removeLicenses": []}),
    );
    assert_eq!(status, 202);
    let (code, out) = plan(&ws);
    assert_eq!(code, 2, "{out}");
    assert!(
        out.contains("FLOW_P2_VIRAL") && !out.contains("DYN365_CDS_VIRAL"),
        "only the real change:\n{out}"
    );
    apply(&ws);
    assert_eq!(plan(&ws).0, 0);
    // Adding another SKU sends that SKU only: FLOW_FREE, as Graph extended it, is as
    // managed and is not posted again.
    write_config(
        &ws,
        &assignment("flow", CONTRACTORS, "    \"FLOW_FREE\" = {}\n    \"EMS\" = {}"),
    );
    let before = graph.emulator.requests().len();
    apply(&ws);
    let bodies = assign_bodies(&graph, before);
    assert_eq!(bodies.len(), 1, "{bodies:?}");
    let posted: Vec<&str> = bodies[0]["addLicenses"]
        .as_array()
        .unwrap()
        .iter()
        .map(|l| l["skuId"].as_str().unwrap())
        .collect();
    assert_eq!(posted, ["efccb6f7-5641-4e0e-bd10-b4976e1bf68e"], "only EMS: {bodies:?}");
    assert_eq!(plan(&ws).0, 0);
}

#[test]
fn applies_return_when_the_change_is_visible_and_destroy_frees_the_group() {
    let graph = BackgroundEmulator::start();
    let Some(ws) = emulator_workspace(
        "applies_return_when_the_change_is_visible_and_destroy_frees_the_group",
        &graph,
    ) else {
        return;
    };
    graph.emulator.set_realism(entra_graph_emulator::Realism {
        read_after_write_ms: 1500,
        ..Default::default()
    });
    write_config(&ws, &assignment("sales", SALES, "    \"EMS\" = {}"));
    apply(&ws);
    assert_eq!(plan(&ws).0, 0, "right after create, no spurious diff");
    no_plan_lost(&graph, "create");
    write_config(
        &ws,
        &assignment("sales", SALES, "    \"EMS\" = { disabled_plans = [\"INTUNE_A\"] }"),
    );
    apply(&ws);
    assert_eq!(plan(&ws).0, 0, "right after update, no spurious diff");
    ws.ok(&["destroy", "-auto-approve", "-no-color", "-input=false"]);
    // Graph's own view right after destroy returned (reads lag 1.5 s behind writes): the
    // group holds nothing, so deleting it next in the same apply would succeed.
    let (status, seen) = graph.graph_call(
        reqwest::Method::GET,
        &format!("/groups/{SALES}?$select=assignedLicenses"),
        None,
    );
    assert_eq!(
        (status, &seen["assignedLicenses"]),
        (200, &json!([])),
        "the removal is visible"
    );
}

#[test]
fn a_lost_answer_after_the_write_converges_without_a_diff() {
    let graph = BackgroundEmulator::start();
    let Some(ws) = emulator_workspace("a_lost_answer_after_the_write_converges_without_a_diff", &graph) else {
        return;
    };
    graph.emulator.set_realism(entra_graph_emulator::Realism {
        lose_response_after_write: 1,
        lost_response_status: 500,
        ..Default::default()
    });
    write_config(&ws, &assignment("sales", SALES, "    \"EMS\" = {}"));
    let out = apply(&ws);
    assert!(out.contains("Apply complete! Resources: 1 added"), "{out}");
    let posts: Vec<_> = graph
        .emulator
        .requests()
        .into_iter()
        .filter(|r| r.path.ends_with("/assignLicense"))
        .collect();
    assert_eq!(posts.len(), 2, "the lost answer was retried once");
    assert!(posts[0].lost_response && posts[0].applied == Some(true));
    assert_eq!(plan(&ws).0, 0, "no duplicate effect, no spurious diff");
    no_plan_lost(&graph, "lost answer");
}

#[test]
fn a_swap_is_one_call_and_the_plan_names_the_plans_members_lose() {
    let graph = BackgroundEmulator::start();
    let Some(ws) = emulator_workspace("a_swap_is_one_call_and_the_plan_names_the_plans_members_lose", &graph) else {
        return;
    };
    // Engineering holds ENTERPRISEPACK (seeded); import it, then swap it for SPE_E3.
    write_config(
        &ws,
        &assignment(
            "engineering",
            ENGINEERING,
            "    \"ENTERPRISEPACK\" = { disabled_plans = [\"YAMMER_ENTERPRISE\"] }",
        ),
    );
    ws.ok(&[
        "import",
        "-no-color",
        "-input=false",
        "entra_group_license_assignment.engineering",
        ENGINEERING,
    ]);
    assert_eq!(plan(&ws).0, 0);
    write_config(&ws, &assignment("engineering", ENGINEERING, "    \"SPE_E3\" = {}"));
    let (code, out) = plan(&ws);
    assert_eq!(code, 2, "{out}");
    assert!(out.contains("Warning: Members Lose Service Plans"), "{out}");
    let warning = &out[out.find("Members Lose Service Plans").unwrap_or(0)..];
    assert!(
        warning.contains("MICROSOFTBOOKINGS (from ENTERPRISEPACK") && !warning.contains("EXCHANGE_S_ENTERPRISE (from"),
        "ENTERPRISEPACK's plans E3 lacks, not the shared ones:\n{warning}"
    );
    assert!(
        warning.contains("4 members"),
        "how many members are affected:\n{warning}"
    );
    let before = graph.emulator.requests().len();
    apply(&ws);
    let bodies = assign_bodies(&graph, before);
    assert_eq!(bodies.len(), 1, "one call");
    assert_eq!(bodies[0]["removeLicenses"], json!([ENTERPRISEPACK]));
    let lost: Vec<String> = graph
        .emulator
        .continuity()
        .iter()
        .map(|l| l.service_plan_name.clone())
        .collect();
    assert!(
        !lost.iter().any(|p| p == "EXCHANGE_S_ENTERPRISE"),
        "shared plans never drop during the swap: {lost:?}"
    );
}

#[test]
fn an_add_on_without_its_prerequisite_is_placed_on_its_licence() {
    let graph = BackgroundEmulator::start();
    let Some(ws) = emulator_workspace("an_add_on_without_its_prerequisite_is_placed_on_its_licence", &graph) else {
        return;
    };
    write_config(&ws, &assignment("sales", SALES, "    \"WORKPLACE_ANALYTICS\" = {}"));
    let output = ws.run(&["apply", "-auto-approve", "-no-color", "-input=false"]);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(!output.status.success());
    assert!(stderr.contains("Error: Add-On Needs Its Prerequisite"), "{stderr}");
    assert!(
        stderr.contains("EXCHANGE_S_ENTERPRISE"),
        "the prerequisite plan by name:\n{stderr}"
    );
    assert!(
        stderr.contains("\"WORKPLACE_ANALYTICS\" = {}"),
        "placed on the licence:\n{stderr}"
    );
    assert!(group(&graph, SALES)["assignedLicenses"].as_array().unwrap().is_empty());
}
