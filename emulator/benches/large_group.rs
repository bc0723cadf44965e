//! The queries a plan makes against one group of 100,000 members (and 100,000 users, one in
//! a hundred holding E5 directly), answered by an in-process emulator: how long each takes
//! and what it answers.
//!
//!     cargo bench -p entra-graph-emulator --bench large_group
//!     cargo bench -p entra-graph-emulator --bench large_group -- 50   # rounds (default 20)
//!
//! Prints the median and worst time per query. Figures, not a test: the emulator tests check
//! the answers (`tests/large_groups.rs`).

use std::time::{Duration, Instant};

use entra_graph_emulator::{AssignedLicense, Emulator, Generate, Options, generate};

const USERS: usize = 100_000;
const GROUP: &str = "10000000-0000-4000-8000-000000000000";
const E5: &str = "c7df2760-2c81-4ef7-b578-5b5392b571df";

fn main() {
    let rounds: usize = std::env::args().skip(1).find_map(|a| a.parse().ok()).unwrap_or(20);
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("runtime");
    runtime.block_on(run(rounds));
}

async fn run(rounds: usize) {
    let _ = rustls::crypto::aws_lc_rs::default_provider().install_default();
    let started = Instant::now();
    let mut tenant = generate(&Generate {
        groups: 1,
        users: USERS,
        group_sizes: vec![USERS],
    })
    .expect("tenant");
    for user in tenant.users.iter_mut().step_by(100) {
        user.assigned_licenses.push(AssignedLicense {
            sku_id: E5.into(),
            disabled_plans: Vec::new(),
        });
    }
    let emulator = Emulator::start(Options {
        tenant,
        ..Options::default()
    })
    .await
    .expect("emulator");
    println!(
        "one group of {USERS} members, {} users holding E5; generated and loaded in {:.2} s",
        USERS / 100,
        started.elapsed().as_secs_f64()
    );
    let http = reqwest::Client::new();
    let token: serde_json::Value = http
        .post(format!(
            "{}/{}/oauth2/v2.0/token",
            emulator.base_url(),
            emulator.tenant_id()
        ))
        .form(&[
            ("grant_type", "client_credentials"),
            ("client_id", "11111111-1111-4111-8111-111111111111"),
            ("client_secret", "ci-secret-value"),
            ("scope", "https://graph.microsoft.com/.default"),
        ])
        .send()
        .await
        .expect("token")
        .json()
        .await
        .expect("token json");
    let token = token["access_token"].as_str().expect("access token").to_owned();
    let members = format!("{}/groups/{GROUP}/members", emulator.graph_url());
    let filter = format!("$filter=assignedLicenses/any(x:x/skuId eq {E5})");
    let queries = [
        ("members/$count", format!("{members}/$count")),
        (
            "members/microsoft.graph.user/$count",
            format!("{members}/microsoft.graph.user/$count"),
        ),
        (
            "… holding E5, $count segment",
            format!("{members}/microsoft.graph.user/$count?{filter}"),
        ),
        (
            "…?$count=true&$top=1&$select=id",
            format!("{members}/microsoft.graph.user?$count=true&$top=1&$select=id"),
        ),
        (
            "… holding E5, $count=true&$top=1",
            format!("{members}/microsoft.graph.user?$count=true&$top=1&$select=id&{filter}"),
        ),
        (
            "members?$top=999&$select=id (first page)",
            format!("{members}?$top=999&$select=id"),
        ),
        ("members?$top=999 (all properties)", format!("{members}?$top=999")),
    ];
    println!("{rounds} rounds each, ConsistencyLevel: eventual");
    for (name, url) in queries {
        let mut times = Vec::with_capacity(rounds);
        let mut answer = String::new();
        for _ in 0..rounds {
            let sent = Instant::now();
            let response = http
                .get(&url)
                .bearer_auth(&token)
                .header("ConsistencyLevel", "eventual")
                .send()
                .await
                .expect("response");
            let status = response.status();
            let body = response.text().await.expect("body");
            times.push(sent.elapsed());
            answer = if body.len() < 12 {
                format!("{status} {body}")
            } else {
                let json: serde_json::Value = serde_json::from_str(&body).unwrap_or_default();
                format!(
                    "{status} count {} value {} ({} KiB)",
                    json["@odata.count"],
                    json["value"].as_array().map_or(0, Vec::len),
                    body.len() / 1024
                )
            };
        }
        times.sort_unstable();
        let ms = |d: Duration| d.as_secs_f64() * 1e3;
        println!(
            "  {name:<42} median {:>7.2} ms, max {:>7.2} ms: {answer}",
            ms(times[times.len() / 2]),
            ms(times[times.len() - 1])
        );
    }
    let pages_started = Instant::now();
    let (mut url, mut pages, mut seen) = (format!("{members}?$top=999&$select=id"), 0, 0);
    loop {
        let body: serde_json::Value = http
            .get(&url)
            .bearer_auth(&token)
            .send()
            .await
            .expect("page")
            .json()
            .await
            .expect("page json");
        pages += 1;
        seen += body["value"].as_array().map_or(0, Vec::len);
        match body["@odata.nextLink"].as_str() {
            Some(next) => url = next.to_owned(),
            None => break,
        }
    }
    println!(
        "  every member, pages of 999: {pages} pages, {seen} members in {:.2} s",
        pages_started.elapsed().as_secs_f64()
    );
    emulator.shutdown().await;
}
