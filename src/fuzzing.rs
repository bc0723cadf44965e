//! Fuzz entry points: each takes arbitrary bytes, feeds them to the crate's decoders and
//! returns nothing. None of them may panic on any input; a panic is the bug the fuzzer
//! hunts. They are called by the cargo-fuzz targets in `fuzz/fuzz_targets/` and, on every
//! file of the kept corpus (`fuzz/corpus/<target>/`), by `tests/fuzz_corpus.rs` under plain
//! `cargo test`.
//!
//! What each target checks, besides "does not panic, does not hang":
//!
//! - [`msgpack_value`]: the first bytes pick a cty type (see [`split_type`]); the rest is
//!   decoded as msgpack of that type. A value that decodes must encode again, decode to the
//!   same value, and encode to the same bytes (the encoding is canonical).
//! - [`json_value`]: the same type prefix; the rest is decoded as JSON of that type (the
//!   stored-state codec). A value that decodes must encode as msgpack and decode back to
//!   the same value. When the type is `string` and serde_json reads the text as a string
//!   too, both readers must agree on it (escapes, surrogate pairs).
//! - [`dynamic_value`]: a `DynamicValue` (msgpack, or JSON when the first byte's high bit
//!   is set) decoded with `convert::decode_dynamic` against one of the provider's real
//!   implied types (provider block, each resource, each resource identity, each data
//!   source, each action; the first byte picks which). A value that decodes must go back
//!   through `encode_dynamic`/`decode_dynamic` unchanged; for a resource's state type the
//!   resource's typed model conversion (`ResourceHandler::identity`) runs on it too.
//! - [`handshake_environment`]: the bytes are split on NUL into the values the plugin
//!   start-up reads: `PLUGIN_PROTOCOL_VERSIONS`, `PLUGIN_MIN_PORT`, `PLUGIN_MAX_PORT`,
//!   `PLUGIN_CLIENT_CERT`, `TF_PLUGIN_MAGIC_COOKIE`, and the provider address of a debug
//!   (reattach) server. Non-UTF-8 values count as unset, as `std::env::var` has them.
//!   Protocol negotiation must admit 6 when unset; a client certificate goes through
//!   `tls::auto_mtls`, and when accepted the server config must offer ALPN `h2`; the
//!   handshake line must have its six `|` fields with the address and the unpadded base64
//!   of the certificate; the reattach JSON must parse and name the address.
//!   (`handshake::port_range` is private and reads the process environment, so it is not
//!   reached; the ports are parsed as `u16` as it does, to build the address.)
//! - [`graph_models`]: the bytes are a Graph response body, deserialized into every model
//!   of `graph::models` and into `{"value": [...]}` pages of them, as the endpoints read
//!   them; `AssignedLicense` (the one model we also send) must serialize and deserialize
//!   back equal; `SubscribedSku::plan_name` must find each of its plans in any case;
//!   `LicenseAssignmentState::error` never returns "None" or "". As UTF-8 text, the bytes
//!   are also a `Retry-After` header for `retry::parse_retry_after` and
//!   `RetryPolicy::delay`, whose wait must stay within the policy's total bound.
//!   (`graph::client::decode`, the error-body decoder, is a private function and is not
//!   reached from here.)

use std::net::{Ipv4Addr, SocketAddr};
use std::sync::{Arc, OnceLock};
use std::time::{Duration, SystemTime};

use crate::graph::models::{
    AssignedLicense, Group, LicenseAssignmentState, LicenseProcessingState, LicenseUnits, ServicePlanInfo,
    SubscribedSku, User,
};
use crate::graph::retry::{Outcome, Repeatable, RetryPolicy, parse_retry_after};
use crate::provider::EntraProvider;
use crate::tfplugin::convert::{decode_dynamic, encode_dynamic};
use crate::tfplugin::handshake::{MAGIC_COOKIE_VALUE, client_accepts_protocol_6, handshake_line, reattach_config};
use crate::tfplugin::{Provider, ResourceHandler, Type, Value, json, msgpack, proto, tls};

/// How deep [`split_type`] nests collection and structural types.
const MAX_TYPE_DEPTH: usize = 4;
/// Most attributes of an object, or elements of a tuple, [`split_type`] makes.
const MAX_MEMBERS: u8 = 6;
/// Object attribute names [`split_type`] picks from (low 3 bits of the name byte).
const NAMES: [&str; 8] = ["a", "b", "c", "id", "name", "sku_id", "disabled_plans", ""];

/// Reads bytes one at a time; past the end, every byte is 0.
struct Bytes<'a> {
    data: &'a [u8],
    pos: usize,
}

impl Bytes<'_> {
    fn next(&mut self) -> u8 {
        let byte = self.data.get(self.pos).copied().unwrap_or(0);
        self.pos = (self.pos + 1).min(self.data.len());
        byte
    }
}

/// Splits `data` into a cty type, read from its first bytes, and the rest.
///
/// The grammar, one byte per choice: a tag byte `t`, taken modulo 9 (modulo 4 at depth
/// [`MAX_TYPE_DEPTH`], where only primitives are left): 0 `string`, 1 `number`, 2 `bool`,
/// 3 `dynamic`, 4 `list(T)`, 5 `set(T)`, 6 `map(T)`, 7 `object`, 8 `tuple`. An object is
/// followed by a count byte (modulo 7) and, per attribute, a name byte (low 3 bits index
/// `a`, `b`, `c`, `id`, `name`, `sku_id`, `disabled_plans`, ``; the high bit marks it
/// optional) and its type; a tuple by a count byte (modulo 7) and its element types.
/// Missing bytes read as 0.
pub fn split_type(data: &[u8]) -> (Type, &[u8]) {
    let mut bytes = Bytes { data, pos: 0 };
    let ty = read_type(&mut bytes, 0);
    (ty, &data[bytes.pos..])
}

fn read_type(bytes: &mut Bytes<'_>, depth: usize) -> Type {
    let tag = bytes.next();
    let tag = if depth >= MAX_TYPE_DEPTH { tag % 4 } else { tag % 9 };
    match tag {
        0 => Type::String,
        1 => Type::Number,
        2 => Type::Bool,
        3 => Type::Dynamic,
        4 => Type::list(read_type(bytes, depth + 1)),
        5 => Type::set(read_type(bytes, depth + 1)),
        6 => Type::map(read_type(bytes, depth + 1)),
        7 => {
            let count = bytes.next() % (MAX_MEMBERS + 1);
            let mut attributes = std::collections::BTreeMap::new();
            let mut optional = std::collections::BTreeSet::new();
            for _ in 0..count {
                let name_byte = bytes.next();
                let name = NAMES[usize::from(name_byte & 7)].to_owned();
                if name_byte & 0x80 != 0 {
                    optional.insert(name.clone());
                }
                attributes.insert(name, read_type(bytes, depth + 1));
            }
            optional.retain(|name| attributes.contains_key(name));
            Type::Object { attributes, optional }
        }
        _ => {
            let count = bytes.next() % (MAX_MEMBERS + 1);
            Type::Tuple((0..count).map(|_| read_type(bytes, depth + 1)).collect())
        }
    }
}

/// Encodes `value` as msgpack of `ty`, decodes it again and checks nothing changed:
/// the round trip every value Terraform sends us takes when we echo it back.
fn assert_msgpack_round_trip(value: &Value, ty: &Type, origin: &str) {
    let bytes = msgpack::encode(value, ty)
        .unwrap_or_else(|e| panic!("a value decoded from {origin} does not encode as msgpack: {e}\n{value:?}"));
    let again = msgpack::decode(&bytes, ty)
        .unwrap_or_else(|e| panic!("re-encoded msgpack does not decode: {e}\n{}", hex(&bytes)));
    assert!(
        again == *value,
        "msgpack round trip changed a value decoded from {origin}\nbefore: {value:?}\nafter:  {again:?}"
    );
    let bytes_again = msgpack::encode(&again, ty).expect("it encoded once");
    assert!(
        bytes_again == bytes,
        "msgpack encoding is not canonical: {} then {}",
        hex(&bytes),
        hex(&bytes_again)
    );
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// Type prefix (see [`split_type`]), then msgpack of that type.
pub fn msgpack_value(data: &[u8]) {
    let (ty, rest) = split_type(data);
    if let Ok(value) = msgpack::decode(rest, &ty) {
        assert_msgpack_round_trip(&value, &ty, "msgpack");
    }
}

/// Type prefix (see [`split_type`]), then JSON of that type.
pub fn json_value(data: &[u8]) {
    let (ty, rest) = split_type(data);
    let decoded = json::decode(rest, &ty);
    if ty == Type::String
        && let (Ok(Value::String(ours)), Ok(serde_json::Value::String(theirs))) =
            (&decoded, serde_json::from_slice::<serde_json::Value>(rest))
    {
        assert!(
            *ours == theirs,
            "JSON string read differently from serde_json: {ours:?} vs {theirs:?}"
        );
    }
    if let Ok(value) = decoded {
        assert_msgpack_round_trip(&value, &ty, "JSON");
    }
}

/// A type values are decoded against, and the resource whose state it is, if any.
struct Target {
    ty: Type,
    resource: Option<Arc<dyn ResourceHandler<<EntraProvider as Provider>::Data>>>,
}

/// Every implied type the server decodes DynamicValues with, in a fixed order.
fn targets() -> &'static [Target] {
    static TARGETS: OnceLock<Vec<Target>> = OnceLock::new();
    TARGETS.get_or_init(|| {
        let provider = EntraProvider;
        let mut targets = vec![Target {
            ty: provider.schema().implied_type(),
            resource: None,
        }];
        for resource in provider.resources() {
            targets.push(Target {
                ty: resource.schema().implied_type(),
                resource: Some(Arc::clone(&resource)),
            });
            if let Some(identity) = resource.identity_schema() {
                targets.push(Target {
                    ty: identity.implied_type(),
                    resource: None,
                });
            }
        }
        for data_source in provider.data_sources() {
            targets.push(Target {
                ty: data_source.schema().implied_type(),
                resource: None,
            });
        }
        for action in provider.actions() {
            targets.push(Target {
                ty: action.schema().implied_type(),
                resource: None,
            });
        }
        targets
    })
}

/// The number of types [`dynamic_value`] picks from, in this order: the provider block,
/// each resource then its identity (when it has one), each data source, each action.
pub fn dynamic_value_type_count() -> usize {
    targets().len()
}

/// First byte: the type (low 7 bits, modulo [`dynamic_value_type_count`]) and the
/// encoding (high bit set: JSON, else msgpack); the rest is the DynamicValue's bytes.
pub fn dynamic_value(data: &[u8]) {
    let Some((&selector, rest)) = data.split_first() else {
        return;
    };
    let targets = targets();
    let target = &targets[usize::from(selector & 0x7f) % targets.len()];
    let dynamic = if selector & 0x80 != 0 {
        proto::DynamicValue {
            msgpack: Vec::new(),
            json: rest.to_vec(),
        }
    } else {
        proto::DynamicValue {
            msgpack: rest.to_vec(),
            json: Vec::new(),
        }
    };
    let Ok(value) = decode_dynamic(Some(&dynamic), &target.ty) else {
        return;
    };
    let encoded = encode_dynamic(&value, &target.ty)
        .unwrap_or_else(|d| panic!("a decoded DynamicValue does not encode: {d:?}\n{value:?}"));
    let again = decode_dynamic(Some(&encoded), &target.ty)
        .unwrap_or_else(|d| panic!("an encoded DynamicValue does not decode: {d:?}"));
    assert!(
        again == value,
        "DynamicValue round trip changed the value\nbefore: {value:?}\nafter:  {again:?}"
    );
    if let Some(resource) = &target.resource {
        let _ = resource.identity(&value);
    }
}

/// The environment values, NUL-separated, in the order the module docs give.
pub fn handshake_environment(data: &[u8]) {
    let mut fields = data.split(|&b| b == 0).map(|f| std::str::from_utf8(f).ok());
    let mut field = || fields.next().flatten();
    let (versions, min_port, max_port, client_cert, cookie, provider_address) =
        (field(), field(), field(), field(), field(), field());

    let accepts = client_accepts_protocol_6(versions);
    assert!(
        versions.is_some() || accepts,
        "an unset version list must admit protocol 6"
    );
    let _is_plugin = cookie == Some(MAGIC_COOKIE_VALUE);

    let port = |v: Option<&str>| v.and_then(|v| v.parse::<u16>().ok()).unwrap_or(0);
    let address = SocketAddr::from((Ipv4Addr::LOCALHOST, port(min_port).max(port(max_port))));

    let mut server_certificate = None;
    if let Some(pem) = client_cert.filter(|pem| !pem.is_empty())
        && let Ok(mtls) = tls::auto_mtls(pem)
    {
        assert_eq!(mtls.config.alpn_protocols, vec![b"h2".to_vec()], "ALPN must be h2");
        assert!(!mtls.server_certificate.is_empty(), "a server certificate is announced");
        server_certificate = Some(mtls.server_certificate);
    }
    let line = handshake_line(address, server_certificate.as_deref());
    let parts: Vec<&str> = line.split('|').collect();
    assert_eq!(parts.len(), 6, "handshake line {line:?}");
    assert_eq!(parts[3], address.to_string(), "handshake line {line:?}");
    assert!(!line.contains('\n'), "handshake line {line:?}");
    {
        use base64::Engine;
        let certificate = base64::engine::general_purpose::STANDARD_NO_PAD
            .decode(parts[5])
            .expect("the certificate is unpadded base64");
        assert_eq!(certificate, server_certificate.unwrap_or_default());
    }

    let provider_address = provider_address.unwrap_or(crate::PROVIDER_ADDRESS);
    let reattach: serde_json::Value =
        serde_json::from_str(&reattach_config(provider_address, address)).expect("reattach config is JSON");
    let entry = &reattach[provider_address];
    assert_eq!(entry["Addr"]["String"], address.to_string(), "reattach {reattach}");
    assert_eq!(entry["ProtocolVersion"], 6, "reattach {reattach}");
}

/// A Graph collection page, as the endpoints read them.
#[derive(serde::Deserialize)]
#[serde(bound = "T: serde::de::DeserializeOwned")]
struct Page<T> {
    #[serde(default)]
    value: Vec<T>,
    #[serde(rename = "@odata.nextLink")]
    #[allow(dead_code)]
    next_link: Option<String>,
}

fn model<T: serde::de::DeserializeOwned>(data: &[u8]) -> Option<T> {
    serde_json::from_slice(data).ok()
}

fn check_sku(sku: &SubscribedSku) {
    for plan in &sku.service_plans {
        assert!(
            sku.plan_name(&plan.service_plan_id.to_ascii_uppercase()).is_some()
                && sku.plan_name(&plan.service_plan_id.to_ascii_lowercase()).is_some(),
            "plan {:?} not found in its SKU",
            plan.service_plan_id
        );
    }
}

fn check_state(state: &LicenseAssignmentState) {
    if let Some(error) = state.error() {
        assert!(!error.is_empty() && !error.eq_ignore_ascii_case("none"), "{error:?}");
    }
}

fn check_user(user: &User) {
    user.license_assignment_states.iter().for_each(check_state);
}

/// A Graph response body (JSON), and the same bytes as a `Retry-After` value.
pub fn graph_models(data: &[u8]) {
    if let Some(license) = model::<AssignedLicense>(data) {
        let json = serde_json::to_vec(&license).expect("a model serializes");
        let again: AssignedLicense = serde_json::from_slice(&json).expect("what we send reads back");
        assert_eq!(again, license);
    }
    let _ = model::<ServicePlanInfo>(data);
    let _ = model::<LicenseUnits>(data);
    let _ = model::<LicenseProcessingState>(data);
    let _ = model::<Group>(data);
    if let Some(sku) = model::<SubscribedSku>(data) {
        check_sku(&sku);
    }
    if let Some(state) = model::<LicenseAssignmentState>(data) {
        check_state(&state);
    }
    if let Some(user) = model::<User>(data) {
        check_user(&user);
    }
    if let Some(page) = model::<Page<SubscribedSku>>(data) {
        page.value.iter().for_each(check_sku);
    }
    if let Some(page) = model::<Page<User>>(data) {
        page.value.iter().for_each(check_user);
    }
    let _ = model::<Page<Group>>(data);

    // Any body under any status: a Graph answer, Graph's error, or an excerpt kept.
    let status = data.first().map_or(200, |b| 200 + u16::from(*b) * 2);
    let _ = crate::graph::client::decode::<serde_json::Value>("GET /fuzz", status, None, data);
    if let Ok(header) = std::str::from_utf8(data) {
        // A fixed "now" keeps the target deterministic for HTTP dates.
        let now = SystemTime::UNIX_EPOCH + Duration::from_secs(1_750_000_000);
        let _ = parse_retry_after(header, now);
        let policy = RetryPolicy::default();
        if let Some(delay) = policy.delay(
            Repeatable::Yes,
            Outcome::Status(429, Some(header)),
            1,
            Duration::ZERO,
            0.5,
        ) {
            assert!(delay <= policy.max_total, "waits stay within the total bound");
        }
    }
}
