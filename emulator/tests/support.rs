//! Test helpers: start an emulator, get tokens, call Graph.

#![allow(dead_code)]

use entra_graph_emulator::{Emulator, Options, Realism};
use serde_json::{Value as Json, json};

pub const TENANT: &str = "48a80680-7326-48cd-9935-b556b81d3a4e";
pub const CI_APP: &str = "11111111-1111-4111-8111-111111111111";
pub const CI_SECRET: &str = "ci-secret-value";
pub const READ_ONLY_APP: &str = "22222222-2222-4222-8222-222222222222";
pub const READ_ONLY_SECRET: &str = "read-only-secret-value";
pub const SALES: &str = "1132b215-826f-42a9-8cfe-1643d19d17fd";
pub const ENGINEERING: &str = "2c9d8e71-4a3b-4c5d-9e8f-000000000002";
pub const ANNOUNCEMENTS: &str = "4e1fa093-6c5d-4e7f-9a01-000000000004";
pub const E3: &str = "6fd2c87f-b296-42f0-b197-1e91e994b900";
pub const E5: &str = "c7df2760-2c81-4ef7-b578-5b5392b571df";
pub const AAD_P1: &str = "078d2b04-f1bd-4111-bbd4-b4b1b354cef4";
pub const ADELE: &str = "a1b2c3d4-0001-4000-8000-000000000001";
pub const LEE: &str = "a1b2c3d4-0006-4000-8000-000000000006";
pub const CONTRACTORS: &str = "5f20b1a4-7d6e-4f80-ab12-000000000005";
pub const REGIONAL_LEADS: &str = "7a41d3c6-9f80-4a12-8d34-000000000007";
pub const FLOW_FREE: &str = "f30db892-07e9-47e9-837c-80727f46fd3d";
pub const DYN365_CDS_VIRAL: &str = "17ab22cd-a0b3-4536-910a-cb6eb12696c0";

pub struct Harness {
    pub emulator: Emulator,
    pub http: reqwest::Client,
    pub token: String,
}

impl Harness {
    pub async fn start() -> Self {
        Self::with(Realism::default()).await
    }

    pub async fn with(realism: Realism) -> Self {
        let _ = rustls::crypto::aws_lc_rs::default_provider().install_default();
        let emulator = Emulator::start(Options {
            realism,
            ..Options::default()
        })
        .await
        .expect("emulator starts");
        let http = reqwest::Client::new();
        let mut harness = Self {
            emulator,
            http,
            token: String::new(),
        };
        harness.token = harness.token_for(CI_APP, CI_SECRET).await;
        harness
    }

    pub async fn token_request(&self, form: &[(&str, &str)]) -> reqwest::Response {
        self.http
            .post(format!("{}/{TENANT}/oauth2/v2.0/token", self.emulator.base_url()))
            .form(form)
            .send()
            .await
            .unwrap()
    }

    pub async fn token_for(&self, app: &str, secret: &str) -> String {
        let response = self
            .token_request(&[
                ("grant_type", "client_credentials"),
                ("client_id", app),
                ("client_secret", secret),
                ("scope", "https://graph.microsoft.com/.default"),
            ])
            .await;
        assert_eq!(response.status(), 200);
        response.json::<Json>().await.unwrap()["access_token"]
            .as_str()
            .unwrap()
            .to_owned()
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.emulator.graph_url())
    }

    pub async fn get(&self, path: &str) -> (u16, Json) {
        let response = self
            .http
            .get(self.url(path))
            .bearer_auth(&self.token)
            .send()
            .await
            .unwrap();
        let status = response.status().as_u16();
        (status, response.json().await.unwrap_or(Json::Null))
    }

    pub async fn post(&self, path: &str, body: &Json) -> (u16, Json) {
        let response = self
            .http
            .post(self.url(path))
            .bearer_auth(&self.token)
            .json(body)
            .send()
            .await
            .unwrap();
        let status = response.status().as_u16();
        (status, response.json().await.unwrap_or(Json::Null))
    }

    pub async fn admin(&self, method: reqwest::Method, path: &str, body: Json) -> Json {
        let (status, body) = self.admin_call(method, path, body).await;
        assert!((200..300).contains(&status), "admin {path}: {status} {body}");
        body
    }

    /// An admin call whatever its status.
    pub async fn admin_call(&self, method: reqwest::Method, path: &str, body: Json) -> (u16, Json) {
        let response = self
            .http
            .request(method, format!("{}/_emulator/{path}", self.emulator.base_url()))
            .json(&body)
            .send()
            .await
            .unwrap();
        let status = response.status().as_u16();
        (status, response.json().await.unwrap_or(Json::Null))
    }

    /// The request log's last entry for `path` (without the `/v1.0` prefix).
    pub fn last_logged(&self, path: &str) -> entra_graph_emulator::RequestRecord {
        self.emulator
            .requests()
            .into_iter()
            .rev()
            .find(|r| r.path == format!("/v1.0{path}"))
            .unwrap_or_else(|| panic!("{path} was logged"))
    }
}

pub fn assign(add: &[(&str, &[&str])], remove: &[&str]) -> Json {
    json!({
        "addLicenses": add.iter().map(|(sku, disabled)| json!({"skuId": sku, "disabledPlans": disabled})).collect::<Vec<_>>(),
        "removeLicenses": remove,
    })
}

/// The Graph error message of a response body.
pub fn message(body: &Json) -> &str {
    body["error"]["message"].as_str().unwrap_or_default()
}
