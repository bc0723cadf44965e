//! `entra_user_license_assignment` end to end: the real terraform, the built provider, the
//! emulator as Graph. Diego (a member of Engineering, which assigns ENTERPRISEPACK without
//! Yammer) gets EMS and ENTERPRISEPACK directly: his inherited licence must never show as
//! drift nor be removed.

use std::process::{Command, Stdio};

use serde_json::{Value as Json, json};

use crate::support::{BackgroundEmulator, HEADER, Workspace, emulator_workspace};

const DIEGO: &str = "a1b2c3d4-0003-4000-8000-000000000003";
const LEE: &str = "a1b2c3d4-0006-4000-8000-000000000006";
const ENGINEERING: &str = "2c9d8e71-4a3b-4c5d-9e8f-000000000002";
const E3: &str = "6fd2c87f-b296-42f0-b197-1e91e994b900";
const EMS: &str = "efccb6f7-5641-4e0e-bd10-b4976e1bf68e";
const YAMMER: &str = "7547a3fe-08ee-4ccb-b430-5077c5041653";
const INTUNE: &str = "c1ec4a95-1f05-45b3-a911-aa3fa01094f5";
const AAD_PREMIUM: &str = "078d2b04-f1bd-4111-bbd4-b4b1b354cef4";

/// The user's licence states as Graph shows them: (SKU, group or "direct", disabled plans).
fn sources(graph: &BackgroundEmulator, user: &str) -> Vec<(String, String, Vec<String>)> {
    let state = graph.emulator.state();
    let user = state["users"]
        .as_array()
        .unwrap()
        .iter()
        .find(|u| u["id"] == user)
        .unwrap()
        .clone();
    let mut sources: Vec<_> = user["licenseAssignmentStates"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| {
            let mut plans: Vec<String> = s["disabledPlans"]
                .as_array()
                .unwrap()
                .iter()
                .map(|p| p.as_str().unwrap().to_owned())
                .collect();
            plans.sort();
            let by = s["assignedByGroup"].as_str().unwrap_or("direct").to_owned();
            (s["skuId"].as_str().unwrap().to_owned(), by, plans)
        })
        .collect();
    sources.sort();
    sources
}

fn plan(ws: &Workspace, user: &str, e3_disabled: &str) -> (i32, String) {
    let output = ws.run(&[
        "plan",
        "-detailed-exitcode",
        "-no-color",
        "-input=false",
        "-var",
        &format!("user={user}"),
        "-var",
        &format!("e3_disabled_plans={e3_disabled}"),
    ]);
    (
        output.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&output.stdout).into_owned() + &String::from_utf8_lossy(&output.stderr),
    )
}

fn apply(ws: &Workspace, user: &str, e3_disabled: &str) -> String {
    ws.ok(&[
        "apply",
        "-auto-approve",
        "-no-color",
        "-input=false",
        "-var",
        &format!("user={user}"),
        "-var",
        &format!("e3_disabled_plans={e3_disabled}"),
    ])
}

#[test]
fn direct_licences_next_to_inherited_ones_through_their_lifecycle() {
    let graph = BackgroundEmulator::start();
    let Some(ws) = emulator_workspace("direct_licences_next_to_inherited_ones_through_their_lifecycle", &graph) else {
        return;
    };
    ws.use_fixture("user_license.tf");
    let upn = "diego@contoso.example";
    let no_yammer = r#"["YAMMER_ENTERPRISE"]"#;
    let inherited = (E3.to_owned(), ENGINEERING.to_owned(), vec![YAMMER.to_owned()]);
    assert_eq!(sources(&graph, DIEGO), vec![inherited.clone()]);

    // Create by UPN: one direct assignLicense with both SKUs.
    let before = graph.emulator.requests().len();
    apply(&ws, upn, no_yammer);
    let calls = graph.assign_bodies(before, "/v1.0/users/");
    assert_eq!(calls.len(), 1, "{calls:?}");
    assert_eq!(calls[0]["removeLicenses"], json!([]));
    assert_eq!(calls[0]["addLicenses"].as_array().unwrap().len(), 2);
    let direct_e3 = (E3.to_owned(), "direct".to_owned(), vec![YAMMER.to_owned()]);
    let direct_ems = (EMS.to_owned(), "direct".to_owned(), vec![]);
    assert_eq!(
        sources(&graph, DIEGO),
        vec![inherited.clone(), direct_e3, direct_ems.clone()]
    );
    assert_eq!(plan(&ws, upn, no_yammer).0, 0, "the inherited licence is not drift");

    // The same user by object ID: a change of spelling, not a replacement, no write.
    let (code, output) = plan(&ws, DIEGO, no_yammer);
    assert_eq!(code, 2, "{output}");
    assert!(!output.contains("must be replaced"), "{output}");
    let writes_before = graph.write_attempts();
    apply(&ws, DIEGO, no_yammer);
    assert_eq!(graph.write_attempts(), writes_before);
    assert_eq!(plan(&ws, DIEGO, no_yammer).0, 0);

    // An administrator removes the direct EMS: drift, put right by one call.
    let status = graph.graph_post(
        &format!("/users/{DIEGO}/assignLicense"),
        &json!({"addLicenses": [], "removeLicenses": [EMS]}),
    );
    assert_eq!(status, 200);
    let (code, output) = plan(&ws, DIEGO, no_yammer);
    assert_eq!(code, 2, "{output}");
    assert!(output.contains("EMS"), "{output}");
    let before = graph.emulator.requests().len();
    apply(&ws, DIEGO, no_yammer);
    assert_eq!(
        graph.assign_bodies(before, "/v1.0/users/"),
        vec![json!({"addLicenses": [{"skuId": EMS, "disabledPlans": []}], "removeLicenses": []})]
    );
    let losses = graph.emulator.continuity().len();

    // Enabling Yammer directly is an in-place update re-posting the SKU.
    let (code, output) = plan(&ws, DIEGO, "[]");
    assert_eq!(code, 2);
    assert!(
        output.contains("updated in-place") && !output.contains("must be replaced"),
        "{output}"
    );
    let before = graph.emulator.requests().len();
    apply(&ws, DIEGO, "[]");
    assert_eq!(
        graph.assign_bodies(before, "/v1.0/users/"),
        vec![json!({"addLicenses": [{"skuId": E3, "disabledPlans": []}], "removeLicenses": []})]
    );
    assert_eq!(graph.emulator.continuity().len(), losses, "nothing lost");

    // Switching Yammer and Sway off: the group still enables Sway, so only Yammer is lost,
    // and the plan says so.
    let (code, output) = plan(&ws, DIEGO, r#"["YAMMER_ENTERPRISE","SWAY"]"#);
    assert_eq!(code, 2);
    assert!(output.contains("User Loses Service Plans"), "{output}");
    let warning = &output[output.find("User Loses Service Plans").unwrap()..];
    assert!(
        warning.contains("YAMMER_ENTERPRISE") && !warning.contains("SWAY"),
        "{output}"
    );

    // Destroy removes only the direct licences; the inherited one stays.
    let before = graph.emulator.requests().len();
    ws.ok(&[
        "destroy",
        "-auto-approve",
        "-no-color",
        "-input=false",
        "-var",
        &format!("user={DIEGO}"),
    ]);
    let calls = graph.assign_bodies(before, "/v1.0/users/");
    assert_eq!(calls.len(), 1);
    let mut removed: Vec<&str> = calls[0]["removeLicenses"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s.as_str().unwrap())
        .collect();
    removed.sort_unstable();
    assert_eq!(removed, [E3, EMS]);
    assert_eq!(sources(&graph, DIEGO), vec![inherited]);
}

#[test]
fn a_user_without_usage_location_is_refused_at_plan_time() {
    let graph = BackgroundEmulator::start();
    let Some(ws) = emulator_workspace("a_user_without_usage_location_is_refused_at_plan_time", &graph) else {
        return;
    };
    ws.use_fixture("user_license.tf");
    let (code, output) = plan(&ws, "isaiah@contoso.example", "[]");
    assert_eq!(code, 1, "{output}");
    assert!(
        output.contains("User Has No Usage Location") && output.contains("usageLocation"),
        "{output}"
    );
    assert!(output.contains("user_id"), "placed on user_id:\n{output}");
    let (code, output) = plan(&ws, "nobody@contoso.example", "[]");
    assert_eq!(code, 1);
    assert!(output.contains("User Not Found"), "{output}");
    assert_eq!(graph.write_attempts(), 0);
}

#[test]
fn imported_direct_licences_are_readable_and_plan_empty() {
    let graph = BackgroundEmulator::start();
    let Some(ws) = emulator_workspace("imported_direct_licences_are_readable_and_plan_empty", &graph) else {
        return;
    };
    // Lee holds EMS directly (Intune off) and AAD_PREMIUM (every plan on), assigned long
    // ago by an administrator, and ENTERPRISEPACK from Engineering.
    let status = graph.graph_post(
        &format!("/users/{LEE}/assignLicense"),
        &json!({"addLicenses": [
            {"skuId": EMS, "disabledPlans": [INTUNE]},
            {"skuId": AAD_PREMIUM, "disabledPlans": []}
        ], "removeLicenses": []}),
    );
    assert_eq!(status, 200);
    // `"AAD_PREMIUM" = {}` and `{ disabled_plans = [] }` say the same: both plan empty.
    let write = |aad_premium: &str| {
        let config = format!(
            "{HEADER}\nresource \"entra_user_license_assignment\" \"lee\" {{\n  user_id = \"lee@contoso.example\"\n  licenses = {{\n    \"EMS\" = {{ disabled_plans = [\"INTUNE_A\"] }}\n    \"AAD_PREMIUM\" = {aad_premium}\n  }}\n}}\n"
        );
        std::fs::write(ws.path().join("main.tf"), config).unwrap();
    };
    write("{}");
    let writes_before = graph.write_attempts();
    ws.ok(&[
        "import",
        "-no-color",
        "-input=false",
        "entra_user_license_assignment.lee",
        "lee@contoso.example",
    ]);
    let state: Json = serde_json::from_str(&ws.ok(&["show", "-json"])).unwrap();
    let values = &state["values"]["root_module"]["resources"][0]["values"];
    assert_eq!(values["id"], LEE);
    assert_eq!(
        values["licenses"],
        json!({
            "AAD_PREMIUM": {"disabled_plans": null, "enabled_plans": null},
            "EMS": {"disabled_plans": ["INTUNE_A"], "enabled_plans": null}
        }),
        "only the direct licences, by name"
    );
    for aad_premium in ["{}", "{ disabled_plans = [] }"] {
        write(aad_premium);
        let output = ws.run(&["plan", "-detailed-exitcode", "-no-color", "-input=false"]);
        assert_eq!(
            output.status.code(),
            Some(0),
            "{aad_premium}: {}",
            String::from_utf8_lossy(&output.stdout)
        );
    }
    assert_eq!(graph.write_attempts(), writes_before, "importing writes nothing");
}

#[test]
fn the_user_licenses_data_source_tells_direct_from_inherited() {
    let graph = BackgroundEmulator::start();
    let Some(ws) = emulator_workspace("the_user_licenses_data_source_tells_direct_from_inherited", &graph) else {
        return;
    };
    // Lee: ENTERPRISEPACK from Engineering (Yammer off) and directly (every plan on).
    let status = graph.graph_post(
        &format!("/users/{LEE}/assignLicense"),
        &json!({"addLicenses": [{"skuId": E3, "disabledPlans": []}], "removeLicenses": []}),
    );
    assert_eq!(status, 200);
    let config = format!(
        "{HEADER}\ndata \"entra_user_licenses\" \"lee\" {{\n  user_id = \"lee@contoso.example\"\n}}\noutput \"licenses\" {{\n  value = data.entra_user_licenses.lee.licenses\n}}\n"
    );
    std::fs::write(ws.path().join("main.tf"), config).unwrap();
    ws.ok(&["apply", "-auto-approve", "-no-color", "-input=false"]);
    let outputs: Json = serde_json::from_str(&ws.ok(&["output", "-json"])).unwrap();
    let licenses = outputs["licenses"]["value"].as_array().unwrap();
    assert_eq!(licenses.len(), 1, "{licenses:?}");
    let e3 = &licenses[0];
    assert_eq!(e3["sku_part_number"], "ENTERPRISEPACK");
    assert_eq!(e3["direct"], true);
    assert_eq!(e3["group_ids"], json!([ENGINEERING]));
    let sources = e3["sources"].as_array().unwrap();
    assert_eq!(sources.len(), 2);
    assert_eq!(sources[0]["assigned_by_group"], Json::Null, "direct first");
    assert_eq!(sources[0]["disabled_plans"], json!([]));
    assert_eq!(sources[1]["assigned_by_group"], ENGINEERING);
    assert_eq!(sources[1]["disabled_plans"], json!(["YAMMER_ENTERPRISE"]));
    assert_eq!(sources[1]["state"], "Active");
    let enabled = e3["enabled_plans"].as_array().unwrap();
    assert!(
        enabled.contains(&json!("YAMMER_ENTERPRISE")),
        "the union of both sources"
    );
}

#[test]
fn direct_licences_converge_through_server_errors_resets_and_lost_answers() {
    let graph = BackgroundEmulator::start();
    let Some(ws) = emulator_workspace(
        "direct_licences_converge_through_server_errors_resets_and_lost_answers",
        &graph,
    ) else {
        return;
    };
    ws.use_fixture("user_license.tf");
    let no_yammer = r#"["YAMMER_ENTERPRISE"]"#;
    // Sampled faults, plus two that happen for sure: the next two requests answer 503,
    // and the answer to the next applied write is lost.
    let faults = entra_graph_emulator::Realism {
        error_rate: 0.15,
        error_statuses: vec![500, 503],
        reset_rate: 0.05,
        fail_next: 2,
        fail_next_status: 503,
        lose_response_after_write: 1,
        lost_response_status: 504,
        ..Default::default()
    };
    graph.emulator.set_realism(faults.clone());
    apply(&ws, DIEGO, no_yammer);
    graph.emulator.set_realism(Default::default());
    let (code, output) = plan(&ws, DIEGO, no_yammer);
    assert_eq!(code, 0, "converged, no spurious diff:\n{output}");
    let inherited = (E3.to_owned(), ENGINEERING.to_owned(), vec![YAMMER.to_owned()]);
    assert_eq!(
        sources(&graph, DIEGO),
        vec![
            inherited.clone(),
            (E3.to_owned(), "direct".to_owned(), vec![YAMMER.to_owned()]),
            (EMS.to_owned(), "direct".to_owned(), vec![]),
        ]
    );
    graph.emulator.set_realism(faults);
    ws.ok(&[
        "destroy",
        "-auto-approve",
        "-no-color",
        "-input=false",
        "-var",
        &format!("user={DIEGO}"),
    ]);
    graph.emulator.set_realism(Default::default());
    assert_eq!(
        sources(&graph, DIEGO),
        vec![inherited],
        "the direct licences went, the inherited one stayed"
    );
    let requests = graph.emulator.requests();
    let lost = requests.iter().filter(|r| r.lost_response).count();
    let refused = requests.iter().filter(|r| r.status == 503).count();
    assert!(
        lost >= 2 && refused >= 4,
        "the faults were exercised: {lost} lost answers, {refused} 503s"
    );
}

/// Ctrl-C in the middle of an apply of several users' direct licences: Terraform stops
/// after the instances in flight, nothing Graph accepted is undone, no one loses a plan
/// (each user also holds E3 directly, assigned by hand and not managed here), and the next
/// plan is exactly the remaining work: creates only, never an update or a removal.
#[test]
fn an_interrupted_apply_resumes_with_only_the_remaining_work() {
    use std::os::unix::process::CommandExt;
    use std::time::{Duration, Instant};

    const USERS: usize = 6;
    let graph = BackgroundEmulator::start();
    let Some(ws) = emulator_workspace("an_interrupted_apply_resumes_with_only_the_remaining_work", &graph) else {
        return;
    };
    ws.use_fixture("user_licenses_for_each.tf");
    let user = |n: usize| format!("a1b2c3d4-00{n:02}-4000-8000-0000000000{n:02}");
    for n in 10..10 + USERS {
        graph
            .emulator
            .create_user(json!({
                "id": user(n),
                "displayName": format!("Interrupted User {n}"),
                "userPrincipalName": format!("interrupted{n}@contoso.example"),
                "usageLocation": "US",
                "assignedLicenses": [{"skuId": E3, "disabledPlans": []}],
            }))
            .unwrap();
    }
    let users = format!(
        "users=[{}]",
        (10..10 + USERS)
            .map(|n| format!("\"{}\"", user(n)))
            .collect::<Vec<_>>()
            .join(",")
    );
    let posts = |graph: &BackgroundEmulator| graph.assign_bodies(0, "/v1.0/users/").len();
    // Slow enough that the interrupt lands with most users still to do, one at a time.
    graph.emulator.set_realism(entra_graph_emulator::Realism {
        latency_ms: 300,
        ..Default::default()
    });

    let mut apply = Command::new(&ws.terraform);
    apply
        .args([
            "apply",
            "-auto-approve",
            "-no-color",
            "-input=false",
            "-parallelism=1",
            "-var",
            &users,
        ])
        .current_dir(ws.path())
        .env("TF_CLI_CONFIG_FILE", ws.path().join("cli.tfrc"))
        .env("CHECKPOINT_DISABLE", "1")
        .env("TF_IN_AUTOMATION", "1")
        .env_remove("TF_CLI_ARGS")
        .envs(ws.env.iter().map(|(k, v)| (k.as_str(), v.as_str())))
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        // Its own process group, which Ctrl-C signals as a whole (the provider included).
        .process_group(0);
    let child = apply.spawn().expect("terraform starts");
    let group = child.id();
    let started = Instant::now();
    while posts(&graph) == 0 {
        assert!(
            started.elapsed() < Duration::from_secs(60),
            "no assignLicense within 60 s"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
    let status = Command::new("kill")
        .args(["-INT", "--", &format!("-{group}")])
        .status()
        .expect("kill runs");
    assert!(status.success(), "SIGINT sent to the process group");
    let interrupted = Instant::now();
    let output = child.wait_with_output().expect("terraform exits");
    let waited = interrupted.elapsed();
    let text = String::from_utf8_lossy(&output.stdout).into_owned() + &String::from_utf8_lossy(&output.stderr);
    assert!(!output.status.success(), "an interrupted apply fails:\n{text}");
    assert!(
        waited < Duration::from_secs(30),
        "Terraform took {waited:?} to stop:\n{text}"
    );
    let sent = posts(&graph);
    assert!(
        (1..USERS).contains(&sent),
        "the interrupt stopped the walk: {sent} of {USERS} users written:\n{text}"
    );
    if text.contains("Warning: Unable to Read User") || text.contains("Error: Unable to") {
        panic!("an interrupt is reported as one, not as a Graph failure:\n{text}");
    }
    let left = Command::new("kill")
        .args(["-0", "--", &format!("-{group}")])
        .stderr(Stdio::null())
        .status()
        .expect("kill runs");
    assert!(
        !left.success(),
        "no process of the run is left (the provider exited too)"
    );
    graph.emulator.set_realism(Default::default());
    assert!(
        graph.emulator.continuity().is_empty(),
        "no one lost a plan: {:?}",
        graph.emulator.continuity()
    );

    // The next plan: a create for each user not in state, nothing else.
    ws.ok(&["plan", "-no-color", "-input=false", "-out=next.tfplan", "-var", &users]);
    let plan: Json = serde_json::from_str(&ws.ok(&["show", "-json", "next.tfplan"])).unwrap();
    let mut creates = 0;
    for change in plan["resource_changes"].as_array().unwrap() {
        let actions = &change["change"]["actions"];
        assert!(
            actions == &json!(["create"]) || actions == &json!(["no-op"]),
            "{}: {actions}",
            change["address"]
        );
        creates += usize::from(actions == &json!(["create"]));
    }
    let state: Json = serde_json::from_str(&ws.ok(&["show", "-json"])).unwrap();
    let recorded: Vec<String> = state["values"]["root_module"]["resources"]
        .as_array()
        .map(|r| {
            r.iter()
                .map(|r| r["values"]["user_id"].as_str().unwrap().to_owned())
                .collect()
        })
        .unwrap_or_default();
    assert_eq!(
        creates + recorded.len(),
        USERS,
        "every user is either recorded or to create"
    );
    for id in &recorded {
        assert!(
            sources(&graph, id).contains(&(EMS.to_owned(), "direct".to_owned(), vec![])),
            "{id} is recorded, so it holds EMS"
        );
    }

    // Resumed: every user holds EMS and still holds E3, and the next plan is empty.
    ws.ok(&["apply", "-no-color", "-input=false", "next.tfplan"]);
    for n in 10..10 + USERS {
        assert_eq!(
            sources(&graph, &user(n)),
            vec![
                (E3.to_owned(), "direct".to_owned(), vec![]),
                (EMS.to_owned(), "direct".to_owned(), vec![]),
            ],
            "user {n}"
        );
    }
    let (code, output) = {
        let output = ws.run(&[
            "plan",
            "-detailed-exitcode",
            "-no-color",
            "-input=false",
            "-var",
            &users,
        ]);
        (
            output.status.code().unwrap_or(-1),
            String::from_utf8_lossy(&output.stdout).into_owned(),
        )
    };
    assert_eq!(code, 0, "nothing left to do:\n{output}");
    assert!(graph.emulator.continuity().is_empty());
}
