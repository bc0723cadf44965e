//! The move from direct to group-based licensing, end to end with the real terraform:
//! 50 users holding ENTERPRISEPACK directly (some with Yammer enabled directly, which the
//! group switches off; some without usage location; one whose group licence ends in a
//! conflict), a group that gets the SKU, then `entra_redundant_direct_license_removal`.
//! Exactly the covered users lose their direct assignment, nobody loses an enabled service
//! plan at any moment (the emulator's continuity log), and the others are reported with
//! their reasons.

use std::collections::BTreeSet;

use serde_json::{Value as Json, json};

use crate::support::{self, BackgroundEmulator, Workspace, emulator_workspace};

const E3: &str = "6fd2c87f-b296-42f0-b197-1e91e994b900";
const EXCHANGE_STANDARD_SKU: &str = "4b9405b0-7788-4568-add1-99614e613b69";
const YAMMER: &str = "7547a3fe-08ee-4ccb-b430-5077c5041653";
const EXCHANGE_PLAN_2: &str = "efb87545-963c-4e0d-99df-69c6916d9eb0";
const GROUP: &str = "a0000000-0000-4000-8000-00000000f00d";
const OUTSIDER: &str = "b0000000-0000-4000-8000-0000000000ff";

fn user_id(n: usize) -> String {
    format!("b0000000-0000-4000-8000-{n:012}")
}

/// What the users are, by number.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Kind {
    /// Direct ENTERPRISEPACK without Yammer: the group covers it.
    Covered,
    /// Direct ENTERPRISEPACK with every plan: Yammer is enabled only directly.
    YammerDirectly,
    /// Covered, but the user's usage location was cleared after the direct assignment.
    NoUsageLocation,
    /// Direct Exchange Online Plan 1 next to the direct E3: the group's E3 conflicts.
    InError,
}

fn kind(n: usize) -> Kind {
    match n {
        40..=44 => Kind::YammerDirectly,
        45..=47 => Kind::NoUsageLocation,
        48 => Kind::InError,
        _ => Kind::Covered,
    }
}

/// The tenant the migration starts from, built through the emulator's admin API.
fn build_tenant(graph: &BackgroundEmulator) {
    let license = |disabled: &[&str]| json!({"skuId": E3, "disabledPlans": disabled});
    for n in 0..50 {
        let licenses = match kind(n) {
            Kind::Covered | Kind::NoUsageLocation => vec![license(&[YAMMER])],
            Kind::YammerDirectly => vec![license(&[])],
            Kind::InError => vec![
                license(&[YAMMER, EXCHANGE_PLAN_2]),
                json!({"skuId": EXCHANGE_STANDARD_SKU, "disabledPlans": []}),
            ],
        };
        graph
            .emulator
            .create_user(json!({
                "id": user_id(n),
                "displayName": format!("Migrating User {n}"),
                "userPrincipalName": format!("m{n:02}@contoso.example"),
                "usageLocation": "US",
                "assignedLicenses": licenses,
            }))
            .unwrap();
    }
    graph
        .emulator
        .create_user(json!({
            "id": OUTSIDER,
            "displayName": "Not In The Group",
            "userPrincipalName": "outsider@contoso.example",
            "usageLocation": "US",
            "assignedLicenses": [license(&[YAMMER])],
        }))
        .unwrap();
    graph
        .emulator
        .create_group(json!({
            "id": GROUP,
            "displayName": "E3 Migration",
            "members": (0..50).map(user_id).collect::<Vec<_>>(),
        }))
        .unwrap();
    // Usage locations cleared after the direct assignment (the admin API, as a script would).
    for n in (0..50).filter(|n| kind(*n) == Kind::NoUsageLocation) {
        let (status, _) = graph.admin_call(
            reqwest::Method::PATCH,
            &format!("/users/{}", user_id(n)),
            &json!({"usageLocation": null}),
        );
        assert_eq!(status, 200);
    }
}

/// Users holding ENTERPRISEPACK directly.
fn direct_holders(graph: &BackgroundEmulator) -> BTreeSet<String> {
    support::direct_holders(&graph.emulator.state(), E3)
}

fn run(ws: &Workspace, command: &[&str], remove_direct: bool) -> String {
    let mut args = command.to_vec();
    let vars = [format!("group_id={GROUP}"), format!("remove_direct={remove_direct}")];
    for v in &vars {
        args.extend(["-var", v.as_str()]);
    }
    ws.ok(&args)
}

#[test]
fn fifty_users_move_from_direct_to_group_licensing_without_losing_a_plan() {
    let graph = BackgroundEmulator::start();
    let Some(ws) = emulator_workspace(
        "fifty_users_move_from_direct_to_group_licensing_without_losing_a_plan",
        &graph,
    ) else {
        return;
    };
    build_tenant(&graph);
    let all: BTreeSet<String> = (0..50).map(user_id).chain([OUTSIDER.to_owned()]).collect();
    assert_eq!(direct_holders(&graph), all);
    std::fs::copy(
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/migration/main.tf"),
        ws.path().join("main.tf"),
    )
    .unwrap();
    let apply = ["apply", "-auto-approve", "-no-color", "-input=false"];

    // Step 1: the group gets ENTERPRISEPACK; every member now holds it twice.
    run(&ws, &apply, false);
    assert_eq!(direct_holders(&graph), all, "assigning the group removes nothing");

    // Step 2: the plan lists, known at plan time, what goes and what stays.
    let planned_output = run(&ws, &["plan", "-out=tfplan", "-no-color", "-input=false"], true);
    assert!(
        planned_output.contains("Not covered by the group, so left in place: 6 direct licences"),
        "{planned_output}"
    );
    let plan: Json = serde_json::from_str(&ws.ok(&["show", "-json", "tfplan"])).unwrap();
    let planned = plan["resource_changes"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["type"] == "entra_redundant_direct_license_removal")
        .unwrap()["change"]["after"]
        .clone();
    let covered: Vec<String> = (0..50)
        .filter(|n| matches!(kind(*n), Kind::Covered | Kind::NoUsageLocation))
        .map(user_id)
        .collect();
    let planned_users: Vec<&str> = planned["removals"]
        .as_array()
        .expect("removals known at plan time")
        .iter()
        .map(|r| r["user_id"].as_str().unwrap())
        .collect();
    assert_eq!(planned_users, covered, "sorted by SKU then user principal name");
    let kept: Vec<(String, String)> = planned["kept"]
        .as_array()
        .unwrap()
        .iter()
        .map(|k| {
            (
                k["user_principal_name"].as_str().unwrap().to_owned(),
                k["reason_code"].as_str().unwrap().to_owned(),
            )
        })
        .collect();
    let expected_kept: Vec<(String, String)> = (40..=44)
        .map(|n| (format!("m{n:02}@contoso.example"), "plans_not_covered".to_owned()))
        .chain([("m48@contoso.example".to_owned(), "inherited_not_active".to_owned())])
        .collect();
    assert_eq!(kept, expected_kept);
    let yammer_reason = planned["kept"][0]["reason"].as_str().unwrap();
    assert!(yammer_reason.contains("YAMMER_ENTERPRISE"), "{yammer_reason}");
    let conflict_reason = planned["kept"][5]["reason"].as_str().unwrap();
    assert!(
        conflict_reason.contains("MutuallyExclusiveViolation"),
        "{conflict_reason}"
    );

    // The apply (Terraform plans again first: the lists must come out the same).
    let losses_before = graph.emulator.continuity().len();
    let before = graph.emulator.requests().len();
    ws.ok(&["apply", "-auto-approve", "-no-color", "-input=false", "tfplan"]);
    let posts = graph.assign_posts(before, "/v1.0/users/");
    assert_eq!(posts.len(), covered.len(), "one removal per covered user");
    for (path, body) in &posts {
        assert_eq!(body, &json!({"addLicenses": [], "removeLicenses": [E3]}), "{path}");
    }
    assert!(
        graph.emulator.continuity()[losses_before..].is_empty(),
        "nobody lost a plan: {:?}",
        &graph.emulator.continuity()[losses_before..]
    );
    assert!(graph.emulator.continuity().is_empty(), "not at any step");
    let still_direct: BTreeSet<String> = all.iter().filter(|u| !covered.contains(u)).cloned().collect();
    assert_eq!(
        direct_holders(&graph),
        still_direct,
        "exactly the covered users lost the direct licence"
    );
    let outputs: Json = serde_json::from_str(&ws.ok(&["output", "-json"])).unwrap();
    let results = outputs["results"]["value"].as_array().unwrap();
    assert_eq!(results.len(), covered.len());
    assert!(results.iter().all(|r| r["outcome"] == "removed"), "{results:?}");

    // Nothing left to do, and destroying the record removes nothing.
    let output = ws.run(&[
        "plan",
        "-detailed-exitcode",
        "-no-color",
        "-input=false",
        "-var",
        &format!("group_id={GROUP}"),
        "-var",
        "remove_direct=true",
    ]);
    assert_eq!(
        output.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&output.stdout)
    );
    // A new batch size only matters for the next run: an in-place update that writes nothing.
    let config = std::fs::read_to_string(ws.path().join("main.tf")).unwrap();
    std::fs::write(
        ws.path().join("main.tf"),
        config.replace("batch_size = 7", "batch_size = 3"),
    )
    .unwrap();
    let before = graph.emulator.requests().len();
    let updated = run(&ws, &apply, true);
    assert!(updated.contains("0 added, 1 changed, 0 destroyed"), "{updated}");
    assert!(graph.assign_posts(before, "/v1.0/users/").is_empty());
    let before = graph.emulator.requests().len();
    run(&ws, &apply, false);
    assert!(
        graph.assign_posts(before, "/v1.0/users/").is_empty(),
        "destroy removes nothing"
    );
    assert_eq!(direct_holders(&graph), still_direct);
    assert!(graph.emulator.continuity().is_empty());
}
