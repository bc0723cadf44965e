//! A tenant as large as real ones: a generated group of 100,000 members, read with the
//! queries a plan makes (`$count`, the casts, `any` over `assignedLicenses`, paging), so
//! that their answers are checked at the size where shortcuts go wrong. Only correctness is
//! asserted, never time.

use entra_graph_emulator::{AssignedLicense, Emulator, Generate, Options, generate};
use serde_json::Value as Json;

use crate::support::*;

const USERS: usize = 100_000;
const BIG: &str = "10000000-0000-4000-8000-000000000000";
const SMALL: &str = "10000000-0000-4000-8000-000000000001";
/// Fewer E5 holders than members, and holders outside the group: counted from the holders.
const MIDDLE: &str = "10000000-0000-4000-8000-000000000002";
const MIDDLE_SIZE: usize = 5_000;
/// Every hundredth user holds E5 directly: 1,000 users, more than one page of 999.
const E5_EVERY: usize = 100;
const E5_HOLDERS: usize = USERS / E5_EVERY;
/// The small group's ten members get Entra ID P1 from it.
const SMALL_SIZE: usize = 10;

fn user_number(id: &str) -> usize {
    usize::from_str_radix(id.rsplit('-').next().unwrap(), 16).unwrap()
}

/// An emulator serving one group of `USERS` members (every user), one of ten and one of
/// `MIDDLE_SIZE`.
async fn large_tenant() -> Harness {
    let mut tenant = generate(&Generate {
        groups: 3,
        users: USERS,
        group_sizes: vec![USERS, SMALL_SIZE, MIDDLE_SIZE],
    })
    .unwrap();
    for user in tenant.users.iter_mut().step_by(E5_EVERY) {
        user.assigned_licenses.push(AssignedLicense {
            sku_id: E5.into(),
            disabled_plans: Vec::new(),
        });
    }
    tenant.groups[1].assigned_licenses.push(AssignedLicense {
        sku_id: AAD_P1.into(),
        disabled_plans: Vec::new(),
    });
    Harness::serving(Options {
        tenant,
        ..Options::default()
    })
    .await
}

#[tokio::test]
async fn a_group_of_100_000_members_counts_filters_and_pages_exactly() {
    let h = large_tenant().await;
    let members = format!("/groups/{BIG}/members");
    let holding = |sku: &str| format!("$filter=assignedLicenses/any(x:x/skuId eq {sku})");

    // `$count` segments: text/plain numbers, computed without listing anyone.
    for (path, expected) in [
        (format!("{members}/$count"), USERS),
        (format!("{members}/microsoft.graph.user/$count"), USERS),
        (format!("{members}/microsoft.graph.group/$count"), 0),
        (
            format!("{members}/microsoft.graph.user/$count?{}", holding(E5)),
            E5_HOLDERS,
        ),
        (format!("{members}/$count?{}", holding(AAD_P1)), SMALL_SIZE),
        ("/users/$count".to_owned(), USERS),
        (format!("/users/$count?{}", holding(E5)), E5_HOLDERS),
        ("/groups/$count".to_owned(), 3),
        (format!("/groups/$count?{}", holding(AAD_P1)), 1),
    ] {
        let (status, content_type, text) = h.eventual_text(&path).await;
        assert_eq!((status, content_type.as_str()), (200, "text/plain"), "{path}: {text}");
        assert_eq!(text.parse::<usize>().ok(), Some(expected), "{path}");
    }

    // `$count=true` with one member per page, as a plan asks: the count is of every page.
    for (query, expected) in [
        ("$count=true&$top=1&$select=id".to_owned(), USERS),
        (format!("$count=true&$top=1&$select=id&{}", holding(E5)), E5_HOLDERS),
        (format!("$count=true&$top=1&$select=id&{}", holding(AAD_P1)), SMALL_SIZE),
    ] {
        let (status, body) = h.eventual(&format!("{members}/microsoft.graph.user?{query}")).await;
        assert_eq!(status, 200, "{query}: {body}");
        assert_eq!(body["@odata.count"].as_u64(), Some(expected as u64), "{query}");
        assert_eq!(body["value"].as_array().unwrap().len(), 1);
        assert!(body["@odata.nextLink"].is_string());
    }

    // Every member exactly once over pages of 999, then only the E5 holders.
    let (ids, pages) = h.every_page(&format!("{members}?$top=999&$select=id"), false).await;
    assert_eq!((ids.len(), pages), (USERS, USERS.div_ceil(999)));
    let mut numbers: Vec<usize> = ids.iter().map(|id| user_number(id)).collect();
    numbers.sort_unstable();
    numbers.dedup();
    assert_eq!(numbers.len(), USERS, "no member twice, none missing");
    let (ids, _) = h
        .every_page(
            &format!(
                "{members}/microsoft.graph.user?$count=true&$top=999&$select=id&{}",
                holding(E5)
            ),
            true,
        )
        .await;
    assert_eq!(ids.len(), E5_HOLDERS);
    assert!(ids.iter().all(|id| user_number(id).is_multiple_of(E5_EVERY)));
    let (ids, _) = h
        .every_page(&format!("/users?$top=999&$select=id&{}", holding(AAD_P1)), false)
        .await;
    let (mut expected, _) = h
        .every_page(&format!("/groups/{SMALL}/members?$select=id"), false)
        .await;
    expected.sort();
    assert_eq!(ids, expected, "the small group's members, in ID order");
}

#[tokio::test]
async fn a_filtered_count_is_the_members_who_hold_the_sku_whichever_side_is_smaller() {
    let h = large_tenant().await;
    let holding = |sku: &str| format!("$filter=assignedLicenses/any(x:x/skuId eq {sku})");
    // SMALL has fewer members than E5 has holders; MIDDLE more, and E5 holders outside it.
    for (group, size) in [(SMALL, SMALL_SIZE), (MIDDLE, MIDDLE_SIZE)] {
        let (members, _) = h
            .every_page(&format!("/groups/{group}/members?$top=999&$select=id"), false)
            .await;
        assert_eq!(members.len(), size);
        let expected = members
            .iter()
            .filter(|id| user_number(id).is_multiple_of(E5_EVERY))
            .count();
        assert!(expected < E5_HOLDERS, "{group}: some holders are not members");
        let path = format!("/groups/{group}/members/microsoft.graph.user/$count?{}", holding(E5));
        let (status, _, text) = h.eventual_text(&path).await;
        assert_eq!((status, text.parse::<usize>().ok()), (200, Some(expected)), "{path}");
        let query = format!("$count=true&$top=1&$select=id&{}", holding(E5));
        let (status, body) = h
            .eventual(&format!("/groups/{group}/members/microsoft.graph.user?{query}"))
            .await;
        assert_eq!(status, 200, "{body}");
        assert_eq!(body["@odata.count"].as_u64(), Some(expected as u64), "{group}");
        let page = body["value"].as_array().unwrap();
        assert_eq!(page.len(), expected.min(1), "{group}");
        assert_eq!(
            body["@odata.nextLink"].is_string(),
            expected > 1,
            "{group}: more only if more match"
        );
    }
    // A SKU nobody holds: zero, an empty page and no next link.
    let query = format!("$count=true&$top=1&$select=id&{}", holding(E3));
    let (status, body) = h
        .eventual(&format!("/groups/{BIG}/members/microsoft.graph.user?{query}"))
        .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["@odata.count"].as_u64(), Some(0));
    assert_eq!(body["value"].as_array().map(Vec::len), Some(0));
    assert!(body.get("@odata.nextLink").is_none());
}

/// Harness helpers for reads that need `ConsistencyLevel: eventual` and for walking pages.
impl Harness {
    async fn serving(options: Options) -> Self {
        let _ = rustls::crypto::aws_lc_rs::default_provider().install_default();
        let emulator = Emulator::start(options).await.expect("emulator starts");
        let mut harness = Self {
            emulator,
            http: reqwest::Client::new(),
            token: String::new(),
        };
        harness.token = harness.token_for(CI_APP, CI_SECRET).await;
        harness
    }

    fn eventual_request(&self, url: &str) -> reqwest::RequestBuilder {
        self.http
            .get(url)
            .bearer_auth(&self.token)
            .header("ConsistencyLevel", "eventual")
    }

    async fn eventual(&self, path: &str) -> (u16, Json) {
        let response = self.eventual_request(&self.url(path)).send().await.unwrap();
        let status = response.status().as_u16();
        (status, response.json().await.unwrap_or(Json::Null))
    }

    async fn eventual_text(&self, path: &str) -> (u16, String, String) {
        let response = self.eventual_request(&self.url(path)).send().await.unwrap();
        let status = response.status().as_u16();
        let content_type = response
            .headers()
            .get("content-type")
            .map(|v| v.to_str().unwrap().to_owned())
            .unwrap_or_default();
        (status, content_type, response.text().await.unwrap())
    }

    /// The IDs of every page from `path`, following `@odata.nextLink`, and the page count.
    async fn every_page(&self, path: &str, eventual: bool) -> (Vec<String>, usize) {
        let mut url = self.url(path);
        let (mut ids, mut pages) = (Vec::new(), 0);
        loop {
            let request = if eventual {
                self.eventual_request(&url)
            } else {
                self.http.get(&url).bearer_auth(&self.token)
            };
            let response = request.send().await.unwrap();
            assert_eq!(response.status(), 200, "{url}");
            let body: Json = response.json().await.unwrap();
            pages += 1;
            if pages > 1 {
                assert!(body.get("@odata.count").is_none(), "only the first page counts");
            }
            ids.extend(
                body["value"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .map(|m| m["id"].as_str().unwrap().to_owned()),
            );
            match body["@odata.nextLink"].as_str() {
                Some(next) => url = next.to_owned(),
                None => return (ids, pages),
            }
        }
    }
}
