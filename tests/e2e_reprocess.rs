//! `entra_user_license_reprocess` and the data sources, end to end against the emulator.

use serde_json::{Value as Json, json};

use crate::support::{BackgroundEmulator, emulator_workspace};

const SALES: &str = "1132b215-826f-42a9-8cfe-1643d19d17fd";
const E5: &str = "c7df2760-2c81-4ef7-b578-5b5392b571df";
const ADELE: &str = "a1b2c3d4-0001-4000-8000-000000000001";

fn members_in_error(graph: &BackgroundEmulator) -> Vec<String> {
    let state = graph.emulator.state();
    let sales = state["groups"]
        .as_array()
        .unwrap()
        .iter()
        .find(|g| g["id"] == SALES)
        .unwrap()
        .clone();
    sales["membersWithLicenseErrors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_str().unwrap().to_owned())
        .collect()
}

fn reprocess_calls(graph: &BackgroundEmulator) -> usize {
    graph
        .emulator
        .requests()
        .iter()
        .filter(|r| r.path.ends_with("/reprocessLicenseAssignment"))
        .count()
}

fn resource<'a>(state: &'a Json, address: &str) -> &'a Json {
    state["values"]["root_module"]["resources"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["address"] == address)
        .unwrap_or_else(|| panic!("{address} in state"))
}

#[test]
fn reprocessing_clears_count_violations_after_seats_are_bought() {
    let graph = BackgroundEmulator::start();
    let Some(ws) = emulator_workspace("reprocessing_clears_count_violations_after_seats_are_bought", &graph) else {
        return;
    };
    ws.use_fixture("reprocess.tf");
    let apply = ["apply", "-auto-approve", "-no-color", "-input=false"];

    // Three seats for four members: one CountViolation, and the reprocess cannot fix it yet.
    ws.ok(&apply);
    assert_eq!(members_in_error(&graph).len(), 1);
    assert_eq!(
        reprocess_calls(&graph),
        1,
        "group_id: the one member with errors is reprocessed"
    );
    let state: Json = serde_json::from_str(&ws.ok(&["show", "-json"])).unwrap();
    let results = &resource(&state, "entra_user_license_reprocess.after_seat_purchase")["values"]["results"];
    assert_eq!(results[0]["license_errors"][0]["error"], "CountViolation", "{results}");

    // Data sources, read after the reprocess.
    assert_eq!(resource(&state, "data.entra_group.sales")["values"]["id"], SALES);
    let licenses = &resource(&state, "data.entra_group_licenses.sales")["values"];
    assert_eq!(licenses["licenses"][0]["sku_part_number"], "ENTERPRISEPREMIUM");
    assert_eq!(licenses["license_processing_state"], "ProcessingComplete");
    assert_eq!(licenses["member_license_errors"][0]["error"], "CountViolation");
    let skus = &resource(&state, "data.entra_subscribed_skus.e5")["values"]["skus"][0];
    assert_eq!(
        (
            skus["sku_id"].clone(),
            skus["units"]["consumed"].clone(),
            skus["units"]["available"].clone()
        ),
        (json!(E5), json!(3), json!(0))
    );

    // More seats, and a trigger change runs the reprocessing again: the error clears.
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    runtime.block_on(async {
        terraform_provider_entra::graph::http_client()
            .patch(format!("{}/_emulator/skus/{E5}", graph.emulator.base_url()))
            .json(&json!({"prepaidUnits": {"enabled": 10}}))
            .send()
            .await
            .unwrap();
    });
    let output = ws.run(&["plan", "-no-color", "-input=false", "-var", "seats_bought=10"]);
    let plan = String::from_utf8_lossy(&output.stdout);
    assert!(plan.contains("must be replaced") && plan.contains("triggers"), "{plan}");
    ws.ok(&[
        "apply",
        "-auto-approve",
        "-no-color",
        "-input=false",
        "-var",
        "seats_bought=10",
    ]);
    assert_eq!(reprocess_calls(&graph), 2);
    assert!(
        members_in_error(&graph).is_empty(),
        "the emulator shows no member in error"
    );
    let state: Json = serde_json::from_str(&ws.ok(&["show", "-json"])).unwrap();
    let results = &resource(&state, "entra_user_license_reprocess.after_seat_purchase")["values"]["results"];
    assert_eq!(results[0]["license_errors"], json!([]));
    assert!(results[0]["licenses"].as_array().unwrap().contains(&json!(E5)));
}

#[test]
fn a_missing_user_is_named_and_the_others_are_kept() {
    let graph = BackgroundEmulator::start();
    let Some(ws) = emulator_workspace("a_missing_user_is_named_and_the_others_are_kept", &graph) else {
        return;
    };
    let missing = "00000000-0000-4000-8000-00000000dead";
    let config = format!(
        "terraform {{\n  required_providers {{\n    entra = {{ source = \"entra/entra\" }}\n  }}\n}}\nprovider \"entra\" {{}}\nresource \"entra_user_license_reprocess\" \"some\" {{\n  user_ids = [\"{ADELE}\", \"{missing}\"]\n}}\n"
    );
    std::fs::write(ws.path().join("main.tf"), config).unwrap();
    let output = ws.run(&["apply", "-auto-approve", "-no-color", "-input=false"]);
    assert!(!output.status.success());
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains("Error: User Not Found") && stderr.contains(missing),
        "{stderr}"
    );
    let state: Json = serde_json::from_str(&ws.ok(&["show", "-json"])).unwrap();
    let kept = resource(&state, "entra_user_license_reprocess.some");
    assert_eq!(
        kept["values"]["results"][0]["user_id"], ADELE,
        "the user that succeeded is recorded"
    );
    assert_eq!(kept["values"]["results"].as_array().unwrap().len(), 1);
}
