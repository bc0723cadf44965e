//! The removal of redundant direct licences (`licensing::redundancy`) and direct writes
//! (`Tenant::write_direct`) against the in-process emulator with its faults: 5xx, resets,
//! lost answers, a refused write. Whatever Graph does, nobody loses a plan, the users the
//! group covers end up without their direct licence, and a refusal stops the run with
//! every user's outcome recorded.

use std::collections::BTreeSet;
use std::time::Duration;

use entra_graph_emulator::{Emulator, Options, Realism};
use serde_json::json;
use terraform_provider_entra::graph::models::AssignedLicense;
use terraform_provider_entra::graph::{GraphClient, RetryPolicy};
use terraform_provider_entra::licensing::change::{Licenses, Managed};
use terraform_provider_entra::licensing::redundancy::{self, Outcome, Surveyed};
use terraform_provider_entra::licensing::tenant::Written;
use terraform_provider_entra::licensing::{Guid, Tenant};
use tokio_util::sync::CancellationToken;

use crate::graph_client::{CI_APP, client_for, secret_credential};
use crate::support;

const E3: &str = "6fd2c87f-b296-42f0-b197-1e91e994b900";
const YAMMER: &str = "7547a3fe-08ee-4ccb-b430-5077c5041653";
const GROUP: &str = "a0000000-0000-4000-8000-00000000beef";
const READ_ONLY_APP: &str = "22222222-2222-4222-8222-222222222222";

fn user(n: usize) -> String {
    format!("c0000000-0000-4000-8000-{n:012}")
}

/// `users` members with direct ENTERPRISEPACK (Yammer off) and a group assigning the same.
async fn tenant_with_covered_members(users: usize) -> Emulator {
    let emulator = Emulator::start(Options::default()).await.unwrap();
    for n in 0..users {
        emulator
            .create_user(json!({
                "id": user(n),
                "displayName": format!("User {n}"),
                "userPrincipalName": format!("u{n:02}@contoso.example"),
                "usageLocation": "US",
                "assignedLicenses": [{"skuId": E3, "disabledPlans": [YAMMER]}],
            }))
            .unwrap();
    }
    emulator
        .create_group(json!({
            "id": GROUP,
            "displayName": "Covering Group",
            "members": (0..users).map(user).collect::<Vec<_>>(),
            "assignedLicenses": [{"skuId": E3, "disabledPlans": [YAMMER]}],
        }))
        .unwrap();
    emulator
}

fn quick_retries(client: GraphClient) -> GraphClient {
    client.with_retry(RetryPolicy {
        base_delay: Duration::from_millis(5),
        max_delay: Duration::from_millis(20),
        max_total: Duration::from_secs(10),
        max_attempts: 12,
    })
}

fn direct_holders(emulator: &Emulator) -> BTreeSet<String> {
    support::direct_holders(&emulator.state(), E3)
}

async fn survey(client: &GraphClient, cancel: &CancellationToken) -> (Licenses, redundancy::Survey) {
    let group = Guid::parse(GROUP).unwrap();
    let assigned = redundancy::group_licenses(client, cancel, GROUP)
        .await
        .unwrap()
        .unwrap();
    let skus = BTreeSet::from([Guid::parse(E3).unwrap()]);
    let Surveyed::Done(survey) = redundancy::survey(client, cancel, &group, &assigned, &skus).await else {
        panic!("survey")
    };
    (assigned, survey)
}

#[tokio::test]
async fn removals_hold_through_server_errors_resets_and_lost_answers() {
    let emulator = tenant_with_covered_members(12).await;
    let client = quick_retries(client_for(&emulator, secret_credential(CI_APP, "ci-secret-value")));
    let cancel = CancellationToken::new();
    let (_, survey) = survey(&client, &cancel).await;
    assert_eq!(survey.removable.len(), 12);
    assert!(survey.kept.is_empty());
    emulator.set_realism(Realism {
        error_rate: 0.2,
        error_statuses: vec![500, 503],
        reset_rate: 0.1,
        lose_response_rate: 0.3,
        ..Realism::default()
    });
    let group = Guid::parse(GROUP).unwrap();
    let outcomes = redundancy::remove(&client, &cancel, &group, &survey.removable, 4).await;
    emulator.set_realism(Realism::default());
    let codes: Vec<&str> = outcomes.iter().map(|(_, o)| o.code()).collect();
    assert!(codes.iter().all(|c| *c == "removed"), "{codes:?}");
    assert!(
        direct_holders(&emulator).is_empty(),
        "every covered direct licence is gone"
    );
    assert!(
        emulator.continuity().is_empty(),
        "nobody lost a plan: {:?}",
        emulator.continuity()
    );
    let requests = emulator.requests();
    let lost = requests.iter().filter(|r| r.lost_response).count();
    let failed = requests.iter().filter(|r| r.status >= 500 || r.status == 0).count();
    assert!(
        lost + failed > 0,
        "the faults were exercised ({lost} lost answers, {failed} failures)"
    );
}

#[tokio::test]
async fn a_refused_removal_stops_the_run_and_every_outcome_is_recorded() {
    let emulator = tenant_with_covered_members(7).await;
    let reader = client_for(&emulator, secret_credential(READ_ONLY_APP, "read-only-secret-value"));
    let cancel = CancellationToken::new();
    let (_, survey) = survey(&reader, &cancel).await;
    assert_eq!(survey.removable.len(), 7);
    // The read-only application may survey but not write: the first batch is refused.
    let group = Guid::parse(GROUP).unwrap();
    let outcomes = redundancy::remove(&reader, &cancel, &group, &survey.removable, 3).await;
    let codes: Vec<&str> = outcomes.iter().map(|(_, o)| o.code()).collect();
    assert_eq!(
        codes,
        [
            "failed",
            "failed",
            "failed",
            "not_attempted",
            "not_attempted",
            "not_attempted",
            "not_attempted"
        ]
    );
    let Outcome::Failed(error) = &outcomes[0].1 else {
        unreachable!()
    };
    assert_eq!(error.status(), Some(403));
    assert_eq!(direct_holders(&emulator).len(), 7, "nothing was removed");
    let writes = emulator
        .requests()
        .iter()
        .filter(|r| r.path.ends_with("/assignLicense"))
        .count();
    assert_eq!(writes, 3, "no write after the first batch");
}

#[tokio::test]
async fn a_user_no_longer_covered_at_apply_time_is_left_alone() {
    let emulator = tenant_with_covered_members(3).await;
    let client = client_for(&emulator, secret_credential(CI_APP, "ci-secret-value"));
    let cancel = CancellationToken::new();
    let (_, survey) = survey(&client, &cancel).await;
    // Between plan and apply an administrator enables Yammer on user 1's direct licence.
    let every_plan = AssignedLicense {
        sku_id: E3.into(),
        disabled_plans: Vec::new(),
    };
    client
        .assign_user_licenses(&cancel, &user(1), &[every_plan], &[])
        .await
        .unwrap();
    let group = Guid::parse(GROUP).unwrap();
    let outcomes = redundancy::remove(&client, &cancel, &group, &survey.removable, 10).await;
    let codes: Vec<&str> = outcomes.iter().map(|(_, o)| o.code()).collect();
    assert_eq!(codes, ["removed", "no_longer_covered", "removed"]);
    assert_eq!(direct_holders(&emulator), BTreeSet::from([user(1)]));
    assert!(emulator.continuity().is_empty());
}

#[tokio::test]
async fn a_direct_removal_whose_answer_was_lost_is_done() {
    let emulator = tenant_with_covered_members(1).await;
    let tenant = Tenant::new(quick_retries(client_for(
        &emulator,
        secret_credential(CI_APP, "ci-secret-value"),
    )));
    let cancel = CancellationToken::new();
    let managed = BTreeSet::from([Guid::parse(E3).unwrap()]);
    // The removal is applied, its answer lost; the retry is refused ("User does not have
    // a corresponding license."): the write is done, not failed.
    emulator.set_realism(Realism {
        lose_response_after_write: 1,
        lost_response_status: 504,
        ..Realism::default()
    });
    let (written, object_id) = tenant
        .write_direct(&cancel, &user(0), &managed, &Licenses::new(), &Managed::default())
        .await;
    assert!(matches!(written, Written::Done(_)), "{written:?}");
    assert_eq!(object_id, Some(user(0)));
    let posts: Vec<u16> = emulator
        .requests()
        .iter()
        .filter(|r| r.path.ends_with("/assignLicense"))
        .map(|r| r.status)
        .collect();
    assert_eq!(posts, [504, 400], "the lost answer, then the refused retry");
    assert!(direct_holders(&emulator).is_empty());
}

#[tokio::test]
async fn an_interrupted_run_starts_no_new_batch_and_records_the_rest_as_not_attempted() {
    let emulator = tenant_with_covered_members(6).await;
    let client = client_for(&emulator, secret_credential(CI_APP, "ci-secret-value"));
    let cancel = CancellationToken::new();
    let (_, survey) = survey(&client, &cancel).await;
    // Slow Graph; Terraform asks the provider to stop while the first batch is in flight.
    emulator.set_realism(Realism {
        latency_ms: 150,
        ..Realism::default()
    });
    let stop = cancel.clone();
    tokio::spawn(async move {
        tokio::time::sleep(Duration::from_millis(200)).await;
        stop.cancel();
    });
    let group = Guid::parse(GROUP).unwrap();
    let outcomes = redundancy::remove(&client, &cancel, &group, &survey.removable, 2).await;
    emulator.set_realism(Realism::default());
    let codes: Vec<&str> = outcomes.iter().map(|(_, o)| o.code()).collect();
    assert_eq!(codes.len(), 6, "every planned removal has an outcome");
    assert!(codes[2..].iter().all(|c| *c == "not_attempted"), "{codes:?}");
    assert!(
        codes[..2]
            .iter()
            .all(|c| ["removed", "interrupted", "not_attempted"].contains(c)),
        "{codes:?}"
    );
    // The record never claims more or less than the tenant shows.
    let holders = direct_holders(&emulator);
    for (license, outcome) in &outcomes {
        match outcome {
            Outcome::Removed => assert!(!holders.contains(&license.user_id)),
            Outcome::NotAttempted => assert!(holders.contains(&license.user_id)),
            _ => {}
        }
    }
    assert!(emulator.continuity().is_empty());
}

#[tokio::test]
async fn each_batch_sees_what_the_group_assigns_when_it_starts() {
    let emulator = tenant_with_covered_members(4).await;
    let client = client_for(&emulator, secret_credential(CI_APP, "ci-secret-value"));
    let cancel = CancellationToken::new();
    let (_, survey) = survey(&client, &cancel).await;
    let group = Guid::parse(GROUP).unwrap();
    let first = redundancy::remove(&client, &cancel, &group, &survey.removable[..2], 2).await;
    assert!(first.iter().all(|(_, o)| *o == Outcome::Removed), "{first:?}");
    // Mid-run, the group switches Sway off: its inherited licences will lose Sway once the
    // members are processed again, so the rest are no longer covered.
    let sway = "a23b959c-7ce8-4e57-9140-b90eb88a9e97";
    let fewer = AssignedLicense {
        sku_id: E3.into(),
        disabled_plans: vec![YAMMER.into(), sway.into()],
    };
    client
        .assign_group_licenses(&cancel, GROUP, &[fewer], &[])
        .await
        .unwrap();
    let rest = redundancy::remove(&client, &cancel, &group, &survey.removable[2..], 2).await;
    let codes: Vec<&str> = rest.iter().map(|(_, o)| o.code()).collect();
    assert_eq!(codes, ["no_longer_covered", "no_longer_covered"]);
    assert_eq!(
        direct_holders(&emulator).len(),
        2,
        "the last two keep their direct licence"
    );
}
