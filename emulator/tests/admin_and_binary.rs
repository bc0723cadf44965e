//! The admin API and the binary.

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};

use serde_json::json;

use crate::support::*;

#[tokio::test]
async fn the_request_log_records_graph_calls_with_bodies() {
    let h = Harness::start().await;
    let before = h.emulator.requests().len();
    assert!(before >= 1, "the token request is logged");
    h.post(
        &format!("/groups/{SALES}/assignLicense"),
        &assign(&[(AAD_P1, &[])], &[]),
    )
    .await;
    let log = h.admin(reqwest::Method::GET, "requests", json!(null)).await;
    let last = log.as_array().unwrap().last().unwrap().clone();
    assert_eq!(last["method"], "POST");
    assert_eq!(last["path"], format!("/v1.0/groups/{SALES}/assignLicense"));
    assert_eq!(last["status"], 202);
    assert_eq!(last["application"], CI_APP);
    assert_eq!(last["body"]["addLicenses"][0]["skuId"], AAD_P1);
}

#[tokio::test]
async fn state_membership_and_reset() {
    let h = Harness::start().await;
    h.post(
        &format!("/groups/{SALES}/assignLicense"),
        &assign(&[(AAD_P1, &[])], &[]),
    )
    .await;
    let megan = "a1b2c3d4-0007-4000-8000-000000000007";
    h.admin(
        reqwest::Method::POST,
        &format!("groups/{SALES}/members"),
        json!({"add": [megan]}),
    )
    .await;
    let state = h.admin(reqwest::Method::GET, "state", json!(null)).await;
    let user = state["users"]
        .as_array()
        .unwrap()
        .iter()
        .find(|u| u["id"] == megan)
        .unwrap();
    assert!(
        user["assignedLicenses"]
            .as_array()
            .unwrap()
            .iter()
            .any(|l| l["skuId"] == AAD_P1),
        "new members are processed"
    );
    h.admin(reqwest::Method::POST, "reset", json!(null)).await;
    let state = h.emulator.state();
    let sales = state["groups"]
        .as_array()
        .unwrap()
        .iter()
        .find(|g| g["id"] == SALES)
        .unwrap();
    assert_eq!(sales["assignedLicenses"], json!([]));
    assert!(h.emulator.requests().is_empty());
}

#[test]
fn the_binary_announces_its_address_and_stops_on_sigterm() {
    let mut child = Command::new(env!("CARGO_BIN_EXE_entra-graph-emulator"))
        .args(["--listen", "127.0.0.1:0"])
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let mut stdout = BufReader::new(child.stdout.take().unwrap());
    let mut line = String::new();
    stdout.read_line(&mut line).unwrap();
    assert!(line.starts_with("listening on http://127.0.0.1:"), "{line}");
    let address = line.trim().trim_start_matches("listening on http://");
    // Then how to point the provider at it, ready to paste.
    let mut banner = String::new();
    while !banner.contains("Stop with Ctrl-C.") && stdout.read_line(&mut banner).unwrap() > 0 {}
    let export = format!(
        "export ENTRA_GRAPH_ENDPOINT=http://{address}/v1.0 ENTRA_AUTHORITY_ENDPOINT=http://{address} ARM_TENANT_ID="
    );
    assert!(banner.contains(&export), "{banner}");
    assert!(
        banner.contains("ARM_CLIENT_SECRET=ci-secret-value ARM_USE_CLI=false"),
        "{banner}"
    );
    assert!(
        banner.contains("Sales") && banner.contains("1132b215-826f-42a9-8cfe-1643d19d17fd"),
        "{banner}"
    );
    let response = std::net::TcpStream::connect(address);
    assert!(response.is_ok());
    Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(child.wait().unwrap().success());
}

#[test]
fn the_generator_writes_a_large_consistent_tenant() {
    let dir = std::env::temp_dir().join(format!("emulator-gen-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let out = dir.join("tenant.json");
    let status = Command::new(env!("CARGO_BIN_EXE_entra-graph-emulator"))
        .args([
            "generate",
            "--groups",
            "50",
            "--users",
            "500",
            "--out",
            out.to_str().unwrap(),
        ])
        .stdout(Stdio::null())
        .status()
        .unwrap();
    assert!(status.success());
    let tenant = entra_graph_emulator::TenantFile::load(out.to_str().unwrap()).unwrap();
    assert_eq!((tenant.groups.len(), tenant.users.len()), (50, 500));
    std::fs::remove_dir_all(dir).ok();
}

#[test]
fn the_generator_sizes_groups_exactly_and_never_lists_a_member_twice() {
    let dir = std::env::temp_dir().join(format!("emulator-sizes-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let out = dir.join("tenant.json");
    let generate = |args: &[&str]| {
        Command::new(env!("CARGO_BIN_EXE_entra-graph-emulator"))
            .arg("generate")
            .args(args)
            .args(["--out", out.to_str().unwrap()])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status()
            .unwrap()
    };
    let sizes = |tenant: &entra_graph_emulator::TenantFile| -> Vec<usize> {
        for group in &tenant.groups {
            let unique: std::collections::HashSet<&String> = group.members.iter().collect();
            assert_eq!(unique.len(), group.members.len(), "{} lists a member twice", group.id);
        }
        tenant.groups.iter().map(|g| g.members.len()).collect()
    };

    assert!(generate(&["--users", "500", "--group-sizes", "500,50,5"]).success());
    let tenant = entra_graph_emulator::TenantFile::load(out.to_str().unwrap()).unwrap();
    assert_eq!((sizes(&tenant), tenant.users.len()), (vec![500, 50, 5], 500));

    assert!(generate(&["--groups", "5", "--users", "100", "--group-sizes", "100"]).success());
    let tenant = entra_graph_emulator::TenantFile::load(out.to_str().unwrap()).unwrap();
    assert_eq!(sizes(&tenant), [100, 60, 60, 60, 60], "the others get the default size");

    // One group, more memberships per group (users × 3) than users: each user once.
    assert!(generate(&["--groups", "1", "--users", "40"]).success());
    let tenant = entra_graph_emulator::TenantFile::load(out.to_str().unwrap()).unwrap();
    assert_eq!(sizes(&tenant), [40]);

    assert!(
        !generate(&["--users", "10", "--group-sizes", "11"]).success(),
        "larger than the tenant"
    );
    assert!(!generate(&["--users", "10", "--group-sizes", "1,x"]).success());
    std::fs::remove_dir_all(dir).ok();
}
