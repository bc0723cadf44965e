//! The state every request shares, one per emulator behind an `Arc`: the directory and the
//! seed it was started from, the realism knobs, the throttling buckets, the request log,
//! the token signing key, and the random source for ids, jitter and fault sampling. The
//! handlers and the pipeline all take it, so it depends on none of them.

use std::collections::{HashMap, VecDeque};
use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Instant;

use serde::{Deserialize, Serialize};
use serde_json::Value as Json;

use crate::realism::Realism;
use crate::state::Directory;
use crate::tenant::TenantFile;

/// One served request, as `GET /_emulator/requests` lists it.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct RequestRecord {
    /// HTTP method.
    pub method: String,
    /// Path and query, e.g. `/v1.0/groups/…/assignLicense`.
    pub path: String,
    /// Status answered; 0 when no status line was sent (`connection_reset`).
    pub status: u16,
    /// Time taken, milliseconds.
    pub duration_ms: f64,
    /// The calling application (client ID), when known.
    pub application: Option<String>,
    /// Our request-id.
    pub request_id: String,
    /// The caller's client-request-id, if sent.
    pub client_request_id: Option<String>,
    /// The JSON body received, for writes (assignLicense bodies are what tests assert on).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub body: Option<Json>,
    /// Graph writes only: whether the write was applied to the tenant (its route answered
    /// 2xx, even when that answer was then lost).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub applied: Option<bool>,
    /// The connection was cut before any status line: by an injected reset (`resetRate`,
    /// before the route ran) or as a lost answer (`lostResponseReset`, after it).
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub connection_reset: bool,
    /// The write was applied but its answer was lost: the client got `status` (or a cut
    /// connection) instead of `real_status`.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub lost_response: bool,
    /// The status of the answer that was lost.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub real_status: Option<u16>,
    /// Graph requests charged by the throttling model: the resource units of the answer's
    /// `x-ms-resource-unit` (for a `$batch`, the sum of its items, which are logged too).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub resource_units: Option<u32>,
}

/// How many requests the log keeps (the oldest go first); about 30 MB at most.
const LOG_CAPACITY: usize = 100_000;

pub(crate) struct Shared {
    pub directory: Mutex<Directory>,
    /// The tenant as it started, for `POST /_emulator/reset`: compact JSON, because a
    /// second copy of a large tenant's structures would double the emulator's memory.
    pub seed: Vec<u8>,
    pub realism: Mutex<Realism>,
    /// Throttling token buckets by application: tokens left, and when last topped up.
    pub buckets: Mutex<HashMap<String, (f64, Instant)>>,
    pub log: Mutex<VecDeque<RequestRecord>>,
    /// Signs access tokens; replaced by `POST /_emulator/revoke-tokens`.
    pub signing_key: Mutex<aws_lc_rs::hmac::Key>,
    pub base_url: String,
    counter: AtomicU64,
    random: Mutex<u64>,
}

impl Shared {
    pub fn new(tenant: TenantFile, realism: Realism, base_url: String) -> Self {
        let mut seed_bytes = [0u8; 8];
        aws_lc_rs::rand::fill(&mut seed_bytes).expect("random seed");
        let seed_bits = u64::from_le_bytes(seed_bytes) | 1;
        Self {
            seed: serde_json::to_vec(&tenant).expect("a tenant serialises"),
            directory: Mutex::new(Directory::new(tenant)),
            realism: Mutex::new(realism),
            buckets: Mutex::new(HashMap::new()),
            log: Mutex::new(VecDeque::new()),
            signing_key: Mutex::new(new_signing_key()),
            base_url,
            counter: AtomicU64::new(1),
            random: Mutex::new(seed_bits),
        }
    }

    /// A GUID-shaped, unique request id.
    pub fn new_id(&self) -> String {
        let n = self.counter.fetch_add(1, Ordering::Relaxed);
        let r = self.next_random();
        format!(
            "{:08x}-{:04x}-4{:03x}-8{:03x}-{:012x}",
            (r >> 32) as u32,
            (r >> 16) as u16,
            r as u16 & 0xfff,
            (n >> 48) as u16 & 0xfff,
            n & 0xffff_ffff_ffff
        )
    }

    /// xorshift64*: good enough for jitter and fault sampling.
    pub fn next_random(&self) -> u64 {
        let mut state = self.random.lock().expect("random");
        let mut x = *state;
        x ^= x >> 12;
        x ^= x << 25;
        x ^= x >> 27;
        *state = x;
        x.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }

    /// A uniform sample in [0, 1).
    pub fn sample(&self) -> f64 {
        (self.next_random() >> 11) as f64 / (1u64 << 53) as f64
    }

    /// Invalidates every access token issued so far.
    pub fn revoke_tokens(&self) {
        *self.signing_key.lock().expect("signing key") = new_signing_key();
    }

    pub fn realism(&self) -> Realism {
        self.realism.lock().expect("realism").clone()
    }

    /// Appends to the request log, dropping the oldest entry when it is full.
    pub fn record(&self, record: RequestRecord) {
        let mut log = self.log.lock().expect("log");
        if log.len() == LOG_CAPACITY {
            log.pop_front();
        }
        log.push_back(record);
    }
}

fn new_signing_key() -> aws_lc_rs::hmac::Key {
    let mut key = [0u8; 32];
    aws_lc_rs::rand::fill(&mut key).expect("random key");
    aws_lc_rs::hmac::Key::new(aws_lc_rs::hmac::HMAC_SHA256, &key)
}
