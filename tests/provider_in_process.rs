//! `entra_group_license_assignment` through the real provider, served in process: a gRPC
//! client plays Terraform (schema, configure, validate, plan, apply, read, import) against
//! `EntraProvider`, whose real Graph client talks to an in-process emulator.
//!
//! This tier sits between the unit tests and the `e2e_*` tests. It runs on every
//! `cargo test`, also on machines without terraform, and exercises plan, drift, update and
//! import through the real provider and the real Graph client against the emulator. Each
//! step checks what the emulator received (its request log) and now holds (its state), not
//! only that no error came back.

use std::collections::BTreeMap;

use entra_graph_emulator::{Emulator, Options};
use serde_json::{Value as Json, json};
use terraform_provider_entra::provider::EntraProvider;
use terraform_provider_entra::tfplugin::convert::path_from_proto;
use terraform_provider_entra::tfplugin::proto;
use terraform_provider_entra::tfplugin::{AttributePath, Type, Value};

use crate::support::{InProcess, dynamic, errors, value};

const RESOURCE: &str = "entra_group_license_assignment";
const USER_RESOURCE: &str = "entra_user_license_assignment";
const LEE: &str = "a1b2c3d4-0006-4000-8000-000000000006";
/// The Contoso fixture's `terraform-ci` application, which holds the licensing permissions.
const CLIENT_ID: &str = "11111111-1111-4111-8111-111111111111";
const CLIENT_SECRET: &str = "ci-secret-value";
/// Security groups of the fixture: Sales holds no licence; Engineering holds ENTERPRISEPACK
/// with YAMMER_ENTERPRISE disabled.
const SALES: &str = "1132b215-826f-42a9-8cfe-1643d19d17fd";
const ENGINEERING: &str = "2c9d8e71-4a3b-4c5d-9e8f-000000000002";
/// Office 365 E3 (50 seats) and three of its service plans.
const ENTERPRISEPACK: &str = "6fd2c87f-b296-42f0-b197-1e91e994b900";
const YAMMER: &str = "7547a3fe-08ee-4ccb-b430-5077c5041653";
const SWAY: &str = "a23b959c-7ce8-4e57-9140-b90eb88a9e97";
const TEAMS: &str = "57ff2da0-773e-42df-b2af-ffb7a2317929";

// ---------------------------------------------------------------------------------------
// Values
// ---------------------------------------------------------------------------------------

/// `licenses = { "ENTERPRISEPACK" = { disabled_plans = [...] } }`.
fn enterprisepack(disabled_plans: &[&str]) -> Value {
    let license = Value::object([
        (
            "disabled_plans",
            Value::Set(disabled_plans.iter().map(|p| Value::string(*p)).collect()),
        ),
        ("enabled_plans", Value::Null),
    ]);
    Value::Map(BTreeMap::from([("ENTERPRISEPACK".to_owned(), license)]))
}

/// A resource configuration; attributes not named are null, as Terraform sends them.
fn config(group_id: &str, disabled_plans: &[&str]) -> Value {
    Value::object([
        ("group_id", Value::string(group_id)),
        ("licenses", enterprisepack(disabled_plans)),
    ])
}

/// The elements of a set or list of strings, sorted.
fn strings(value: &Value) -> Vec<String> {
    let mut items: Vec<String> = value
        .as_elements()
        .unwrap_or_else(|| panic!("a known collection, found {value:?}"))
        .iter()
        .map(|v| v.as_str().expect("a string").to_owned())
        .collect();
    items.sort();
    items
}

fn sorted(items: &[&str]) -> Vec<String> {
    let mut items: Vec<String> = items.iter().map(|s| (*s).to_owned()).collect();
    items.sort();
    items
}

/// The plan names in `licenses["ENTERPRISEPACK"].disabled_plans`.
fn disabled_plans(state: &Value) -> Vec<String> {
    strings(state.get("licenses").get("ENTERPRISEPACK").get("disabled_plans"))
}

/// `effective_licenses` holds exactly ENTERPRISEPACK, resolved, with these plan IDs.
fn assert_effective(state: &Value, disabled_plan_ids: &[&str]) {
    let effective = state
        .get("effective_licenses")
        .as_map()
        .unwrap_or_else(|| panic!("effective_licenses known: {state:?}"));
    assert_eq!(effective.keys().collect::<Vec<_>>(), ["ENTERPRISEPACK"]);
    let license = &effective["ENTERPRISEPACK"];
    assert_eq!(license.get("sku_id"), &Value::string(ENTERPRISEPACK));
    assert_eq!(license.get("sku_part_number"), &Value::string("ENTERPRISEPACK"));
    assert_eq!(strings(license.get("disabled_plan_ids")), sorted(disabled_plan_ids));
}

/// The values only an apply sets are unknown in the plan.
fn assert_unknown_until_apply(planned: &Value) {
    for name in [
        "license_processing_state",
        "members_with_license_errors_count",
        "member_license_errors",
    ] {
        assert!(
            planned.get(name).is_unknown(),
            "{name} unknown in the plan: {planned:?}"
        );
    }
}

/// An assignLicense body (or a group's `assignedLicenses`) with its plan lists sorted.
fn normalised(mut json: Json) -> Json {
    let licenses = if json.get("addLicenses").is_some() {
        &mut json["addLicenses"]
    } else {
        &mut json
    };
    for license in licenses.as_array_mut().into_iter().flatten() {
        if let Some(plans) = license.get_mut("disabledPlans").and_then(Json::as_array_mut) {
            plans.sort_by(|a, b| a.as_str().cmp(&b.as_str()));
        }
    }
    json
}

/// The type Terraform derives from a schema block, to encode and decode values with.
fn implied_type(block: &proto::schema::Block) -> Type {
    use proto::schema::nested_block::NestingMode;
    let attributes = block.attributes.iter().map(|a| (a.name.clone(), attribute_type(a)));
    let blocks = block.block_types.iter().map(|b| {
        let inner = implied_type(b.block.as_ref().expect("a nested block has a block"));
        let ty = match NestingMode::try_from(b.nesting).expect("a nesting mode") {
            NestingMode::Single | NestingMode::Group => inner,
            NestingMode::List => Type::list(inner),
            NestingMode::Set => Type::set(inner),
            NestingMode::Map => Type::map(inner),
            NestingMode::Invalid => panic!("block {} has no nesting mode", b.type_name),
        };
        (b.type_name.clone(), ty)
    });
    Type::object(attributes.chain(blocks))
}

fn attribute_type(attribute: &proto::schema::Attribute) -> Type {
    use proto::schema::object::NestingMode;
    let Some(object) = &attribute.nested_type else {
        return Type::from_json_bytes(&attribute.r#type)
            .expect("an attribute type")
            .without_optional_markers();
    };
    let inner = Type::object(object.attributes.iter().map(|a| (a.name.clone(), attribute_type(a))));
    match NestingMode::try_from(object.nesting).expect("a nesting mode") {
        NestingMode::Single => inner,
        NestingMode::List => Type::list(inner),
        NestingMode::Set => Type::set(inner),
        NestingMode::Map => Type::map(inner),
        NestingMode::Invalid => panic!("attribute {} has no nesting mode", attribute.name),
    }
}

// ---------------------------------------------------------------------------------------
// Terraform's side
// ---------------------------------------------------------------------------------------

/// The emulator, and the provider configured against it as Terraform would configure it.
struct Harness {
    emulator: Emulator,
    server: InProcess,
    /// The resource's schema block as GetProviderSchema returned it.
    block: proto::schema::Block,
    /// Its implied type, and the identity's.
    ty: Type,
    identity_ty: Type,
}

impl Harness {
    /// GetProviderSchema, GetResourceIdentitySchemas, ValidateProviderConfig and
    /// ConfigureProvider with the emulator's endpoints and a client secret.
    async fn start() -> Self {
        let emulator = Emulator::start(Options::default()).await.expect("emulator");
        let server = InProcess::start(EntraProvider).await;
        let mut client = server.provider();

        let schemas = client
            .get_provider_schema(proto::get_provider_schema::Request {})
            .await
            .unwrap()
            .into_inner();
        assert!(errors(&schemas.diagnostics).is_empty(), "{:?}", schemas.diagnostics);
        let provider_block = schemas.provider.and_then(|s| s.block).expect("provider schema");
        let block = schemas.resource_schemas[RESOURCE]
            .block
            .clone()
            .expect("resource schema");

        let identities = client
            .get_resource_identity_schemas(proto::get_resource_identity_schemas::Request {})
            .await
            .unwrap()
            .into_inner();
        let identity = &identities.identity_schemas[RESOURCE].identity_attributes;
        assert_eq!(identity.len(), 1);
        assert!(identity[0].name == "group_id" && identity[0].required_for_import);
        let identity_ty = Type::object(identity.iter().map(|a| {
            let ty = Type::from_json_bytes(&a.r#type).expect("an identity attribute type");
            (a.name.clone(), ty)
        }));

        // Every attribute of the provider block, null but for these.
        let settings = BTreeMap::from([
            ("tenant_id", Value::string(emulator.tenant_id())),
            ("client_id", Value::string(CLIENT_ID)),
            ("client_secret", Value::string(CLIENT_SECRET)),
            ("graph_endpoint", Value::string(emulator.graph_url())),
            ("authority_endpoint", Value::string(emulator.base_url())),
            ("use_cli", Value::Bool(false)),
        ]);
        for name in settings.keys() {
            assert!(
                provider_block.attributes.iter().any(|a| a.name == *name),
                "the provider schema has {name}"
            );
        }
        let provider_config = Value::object(provider_block.attributes.iter().map(|a| {
            let setting = settings.get(a.name.as_str()).cloned().unwrap_or(Value::Null);
            (a.name.clone(), setting)
        }));
        let provider_config = dynamic(&provider_config, &implied_type(&provider_block));

        let validated = client
            .validate_provider_config(proto::validate_provider_config::Request {
                config: provider_config.clone(),
            })
            .await
            .unwrap()
            .into_inner();
        assert!(validated.diagnostics.is_empty(), "{:?}", validated.diagnostics);
        let configured = client
            .configure_provider(proto::configure_provider::Request {
                terraform_version: "1.12.0".into(),
                config: provider_config,
                client_capabilities: None,
            })
            .await
            .unwrap()
            .into_inner();
        assert!(configured.diagnostics.is_empty(), "{:?}", configured.diagnostics);
        // Configuring gets a first token, from the emulator and for the configured app.
        let tokens: Vec<_> = emulator
            .requests()
            .into_iter()
            .filter(|r| r.path.ends_with("/oauth2/v2.0/token"))
            .collect();
        assert_eq!(tokens.len(), 1, "{tokens:?}");
        assert_eq!(
            (tokens[0].status, tokens[0].application.as_deref()),
            (200, Some(CLIENT_ID))
        );

        let ty = implied_type(&block);
        Self {
            emulator,
            server,
            block,
            ty,
            identity_ty,
        }
    }

    fn decode(&self, dynamic_value: Option<&proto::DynamicValue>) -> Value {
        value(dynamic_value, &self.ty)
    }

    fn identity(&self, data: Option<&proto::ResourceIdentityData>) -> Value {
        value(data.and_then(|d| d.identity_data.as_ref()), &self.identity_ty)
    }

    /// Terraform's proposed new state: the configuration, with computed attributes that
    /// the configuration leaves null taken from the prior state; null to destroy.
    fn proposed(&self, prior: &Value, config: &Value) -> Value {
        if config.is_null() {
            return Value::Null;
        }
        let attributes = self.block.attributes.iter().map(|a| {
            let name = a.name.as_str();
            let chosen = if a.computed && config.get(name).is_null() {
                prior.get(name)
            } else {
                config.get(name)
            };
            (a.name.clone(), chosen.clone())
        });
        let blocks = self
            .block
            .block_types
            .iter()
            .map(|b| (b.type_name.clone(), config.get(&b.type_name).clone()));
        Value::object(attributes.chain(blocks))
    }

    async fn validate(&self, config: &Value) -> Vec<proto::Diagnostic> {
        self.server
            .provider()
            .validate_resource_config(proto::validate_resource_config::Request {
                type_name: RESOURCE.into(),
                config: dynamic(config, &self.ty),
                client_capabilities: None,
            })
            .await
            .unwrap()
            .into_inner()
            .diagnostics
    }

    /// PlanResourceChange, and the planned state.
    async fn plan(&self, prior: &Value, config: &Value) -> (proto::plan_resource_change::Response, Value) {
        let response = self
            .server
            .provider()
            .plan_resource_change(proto::plan_resource_change::Request {
                type_name: RESOURCE.into(),
                prior_state: dynamic(prior, &self.ty),
                proposed_new_state: dynamic(&self.proposed(prior, config), &self.ty),
                config: dynamic(config, &self.ty),
                ..Default::default()
            })
            .await
            .unwrap()
            .into_inner();
        let planned = self.decode(response.planned_state.as_ref());
        (response, planned)
    }

    /// ApplyResourceChange, and the new state.
    async fn apply(
        &self,
        prior: &Value,
        planned: &Value,
        config: &Value,
    ) -> (proto::apply_resource_change::Response, Value) {
        let response = self
            .server
            .provider()
            .apply_resource_change(proto::apply_resource_change::Request {
                type_name: RESOURCE.into(),
                prior_state: dynamic(prior, &self.ty),
                planned_state: dynamic(planned, &self.ty),
                config: dynamic(config, &self.ty),
                ..Default::default()
            })
            .await
            .unwrap()
            .into_inner();
        let state = self.decode(response.new_state.as_ref());
        (response, state)
    }

    /// ReadResource, and the refreshed state.
    async fn read(&self, state: &Value) -> (proto::read_resource::Response, Value) {
        let response = self
            .server
            .provider()
            .read_resource(proto::read_resource::Request {
                type_name: RESOURCE.into(),
                current_state: dynamic(state, &self.ty),
                ..Default::default()
            })
            .await
            .unwrap()
            .into_inner();
        let refreshed = self.decode(response.new_state.as_ref());
        (response, refreshed)
    }

    /// ImportResourceState by ID, or by identity when `id` is empty.
    async fn import(&self, id: &str, identity: Option<&Value>) -> proto::import_resource_state::Response {
        self.server
            .provider()
            .import_resource_state(proto::import_resource_state::Request {
                type_name: RESOURCE.into(),
                id: id.into(),
                identity: identity.map(|i| proto::ResourceIdentityData {
                    identity_data: dynamic(i, &self.identity_ty),
                }),
                client_capabilities: None,
            })
            .await
            .unwrap()
            .into_inner()
    }

    // --- The emulator's side ---------------------------------------------------------

    /// The implied type of another resource type of the provider, from its schema.
    async fn resource_type(&self, type_name: &str) -> Type {
        let schemas = self
            .server
            .provider()
            .get_provider_schema(proto::get_provider_schema::Request {})
            .await
            .unwrap()
            .into_inner();
        implied_type(schemas.resource_schemas[type_name].block.as_ref().unwrap())
    }

    /// Lee holding ENTERPRISEPACK directly with every plan on (he also inherits it, without
    /// Yammer, from Engineering), imported as `entra_user_license_assignment`: the state
    /// and the resource's type.
    async fn lee_imported_with_direct_enterprisepack(&self) -> (Value, Type) {
        let every_plan = json!({"addLicenses": [{"skuId": ENTERPRISEPACK, "disabledPlans": []}], "removeLicenses": []});
        assert_eq!(
            self.admin_post(&format!("/users/{LEE}/licenses"), &every_plan).await,
            200
        );
        let ty = self.resource_type(USER_RESOURCE).await;
        let imported = self
            .server
            .provider()
            .import_resource_state(proto::import_resource_state::Request {
                type_name: USER_RESOURCE.into(),
                id: LEE.into(),
                ..Default::default()
            })
            .await
            .unwrap()
            .into_inner();
        (value(imported.imported_resources[0].state.as_ref(), &ty), ty)
    }

    /// PlanResourceChange for a destroy of `state`, a `type_name` of type `ty`.
    async fn plan_destroy(&self, type_name: &str, state: &Value, ty: &Type) -> proto::plan_resource_change::Response {
        self.server
            .provider()
            .plan_resource_change(proto::plan_resource_change::Request {
                type_name: type_name.into(),
                prior_state: dynamic(state, ty),
                proposed_new_state: dynamic(&Value::Null, ty),
                config: dynamic(&Value::Null, ty),
                ..Default::default()
            })
            .await
            .unwrap()
            .into_inner()
    }

    /// A call to the emulator's admin API (`/_emulator/…`, an administrator's change made
    /// outside Graph's log); its status.
    async fn admin_post(&self, path: &str, body: &Json) -> u16 {
        terraform_provider_entra::graph::http_client()
            .post(format!("{}/_emulator{path}", self.emulator.base_url()))
            .json(body)
            .send()
            .await
            .unwrap()
            .status()
            .as_u16()
    }

    /// A position in the request log.
    fn mark(&self) -> usize {
        self.emulator.requests().len()
    }

    /// The top-level Graph requests since `from`, as `METHOD /path` without the query
    /// (`$batch` items and token requests left out).
    fn graph_requests(&self, from: usize) -> Vec<String> {
        let records = &self.emulator.requests()[from..];
        let path = |r: &entra_graph_emulator::RequestRecord| r.path.split('?').next().unwrap_or_default().to_owned();
        // Batch items are logged with their envelope's client-request-id.
        let envelopes: Vec<Option<String>> = records
            .iter()
            .filter(|r| path(r) == "/v1.0/$batch")
            .map(|r| r.client_request_id.clone())
            .collect();
        records
            .iter()
            .filter(|r| r.path.starts_with("/v1.0/"))
            .filter(|r| path(r) == "/v1.0/$batch" || !envelopes.contains(&r.client_request_id))
            .map(|r| format!("{} {}", r.method, path(r)))
            .collect()
    }

    /// The assignLicense bodies received since `from`.
    fn assign_calls(&self, from: usize) -> Vec<Json> {
        self.emulator.requests()[from..]
            .iter()
            .filter(|r| r.method == "POST" && r.path.ends_with("/assignLicense"))
            .map(|r| normalised(r.body.clone().unwrap_or(Json::Null)))
            .collect()
    }

    /// Every Graph write so far.
    fn writes(&self) -> usize {
        self.emulator
            .requests()
            .iter()
            // Write attempts: every non-GET Graph call (a `$batch` of reads is not one).
            .filter(|r| r.applied.is_some())
            .count()
    }

    /// The group as the emulator holds it.
    fn group(&self, id: &str) -> Json {
        let state = self.emulator.state();
        state["groups"]
            .as_array()
            .expect("groups")
            .iter()
            .find(|g| g["id"] == id)
            .unwrap_or_else(|| panic!("group {id} in the emulator"))
            .clone()
    }

    fn group_licenses(&self, id: &str) -> Json {
        normalised(self.group(id)["assignedLicenses"].clone())
    }

    fn members_in_error(&self, id: &str) -> i64 {
        let members = self.group(id)["membersWithLicenseErrors"]
            .as_array()
            .expect("a list")
            .len();
        i64::try_from(members).expect("a small number")
    }

    /// An administrator's licence change in the portal (the emulator's admin API).
    async fn change_out_of_band(&self, group_id: &str, body: Json) {
        let response = terraform_provider_entra::graph::http_client()
            .post(format!(
                "{}/_emulator/groups/{group_id}/licenses",
                self.emulator.base_url()
            ))
            .json(&body)
            .send()
            .await
            .expect("admin API");
        assert_eq!(response.status(), 200, "{:?}", response.text().await);
    }
}

// ---------------------------------------------------------------------------------------
// Tests
// ---------------------------------------------------------------------------------------

#[tokio::test]
async fn lifecycle_validate_plan_create_drift_update_and_destroy() {
    let h = Harness::start().await;
    let wanted = config(SALES, &["YAMMER_ENTERPRISE"]);

    // Validation: a good configuration has nothing to say; a malformed group ID is an
    // error on `group_id`.
    let diagnostics = h.validate(&wanted).await;
    assert!(diagnostics.is_empty(), "{diagnostics:?}");
    let diagnostics = h.validate(&config("not-a-guid", &["YAMMER_ENTERPRISE"])).await;
    let found = errors(&diagnostics);
    assert_eq!(found.len(), 1, "{found:?}");
    assert!(found[0].starts_with("Invalid Group ID"), "{found:?}");
    assert_eq!(
        path_from_proto(diagnostics[0].attribute.as_ref().expect("an attribute path")),
        AttributePath::attr("group_id")
    );

    // Plan the create: names resolved to IDs, what only the apply knows unknown, and no
    // warning (ENTERPRISEPACK has seats for Sales' 4 members). Two Graph requests: the SKU
    // list and one `$batch` with the group and its member counts.
    let from = h.mark();
    let (planning, planned) = h.plan(&Value::Null, &wanted).await;
    assert_eq!(
        h.graph_requests(from),
        ["GET /v1.0/subscribedSkus", "POST /v1.0/$batch"],
        "a plan's cost does not depend on the group"
    );
    assert!(planning.diagnostics.is_empty(), "{:?}", planning.diagnostics);
    assert!(planning.requires_replace.is_empty());
    assert_eq!(planned.get("id"), &Value::string(SALES));
    assert_eq!(planned.get("group_id"), &Value::string(SALES));
    assert_eq!(planned.get("licenses"), wanted.get("licenses"));
    assert_effective(&planned, &[YAMMER]);
    assert_unknown_until_apply(&planned);
    assert_eq!(h.writes(), 0, "planning writes nothing");

    // Create: exactly one assignLicense with the SKU and its disabled plan; the group holds
    // the licence, and the state records the processing outcome the emulator reports.
    let from = h.mark();
    let (created, state) = h.apply(&Value::Null, &planned, &wanted).await;
    assert!(errors(&created.diagnostics).is_empty(), "{:?}", created.diagnostics);
    let assigned = json!([{"skuId": ENTERPRISEPACK, "disabledPlans": [YAMMER]}]);
    assert_eq!(
        h.assign_calls(from),
        [json!({"addLicenses": assigned, "removeLicenses": []})]
    );
    // The write, a read that shows it, and the confirming read in one `$batch` with the
    // first page of member errors.
    assert_eq!(
        h.graph_requests(from),
        [
            format!("POST /v1.0/groups/{SALES}/assignLicense"),
            format!("GET /v1.0/groups/{SALES}"),
            "POST /v1.0/$batch".to_owned()
        ]
    );
    assert_eq!(h.group_licenses(SALES), assigned);
    assert_eq!(state.get("id"), &Value::string(SALES));
    assert_eq!(state.get("licenses"), wanted.get("licenses"));
    assert_effective(&state, &[YAMMER]);
    assert_eq!(
        state.get("license_processing_state"),
        &Value::string(h.group(SALES)["licenseProcessingState"]["state"].as_str().unwrap())
    );
    assert_eq!(
        state.get("license_processing_state"),
        &Value::string("ProcessingComplete")
    );
    let in_error = h.members_in_error(SALES);
    assert_eq!(state.get("members_with_license_errors_count"), &Value::number(in_error));
    assert_eq!(
        state.get("member_license_errors").as_elements().map(<[Value]>::len),
        Some(usize::try_from(in_error).unwrap())
    );
    assert_eq!(
        h.identity(created.new_identity.as_ref()),
        Value::object([("group_id", Value::string(SALES))])
    );

    // Read: nothing changed outside Terraform, so the state comes back as it was.
    let (read, refreshed) = h.read(&state).await;
    assert!(read.diagnostics.is_empty(), "{:?}", read.diagnostics);
    assert_eq!(refreshed, state, "no drift");
    assert_eq!(
        h.identity(read.new_identity.as_ref()),
        Value::object([("group_id", Value::string(SALES))])
    );

    // Drift: an administrator disables Sway as well. The next read shows it by plan name,
    // and nothing else changes.
    h.change_out_of_band(
        SALES,
        json!({"addLicenses": [{"skuId": ENTERPRISEPACK, "disabledPlans": [YAMMER, SWAY]}], "removeLicenses": []}),
    )
    .await;
    let (read, drifted) = h.read(&state).await;
    assert!(read.diagnostics.is_empty(), "{:?}", read.diagnostics);
    assert_eq!(disabled_plans(&drifted), ["SWAY", "YAMMER_ENTERPRISE"]);
    assert_effective(&drifted, &[SWAY, YAMMER]);
    let mut expected = state.clone();
    expected.set("licenses", drifted.get("licenses").clone());
    expected.set("effective_licenses", drifted.get("effective_licenses").clone());
    assert_eq!(drifted, expected, "only the licences drifted");

    // Plan back to the configuration: an in-place update that re-enables Sway.
    let (planning, planned) = h.plan(&drifted, &wanted).await;
    assert!(errors(&planning.diagnostics).is_empty(), "{:?}", planning.diagnostics);
    assert!(planning.requires_replace.is_empty(), "{:?}", planning.requires_replace);
    assert_eq!(planned.get("id"), &Value::string(SALES));
    assert_eq!(planned.get("licenses"), wanted.get("licenses"));
    assert_effective(&planned, &[YAMMER]);
    assert_unknown_until_apply(&planned);
    let from = h.mark();
    let (restoring, restored) = h.apply(&drifted, &planned, &wanted).await;
    assert!(errors(&restoring.diagnostics).is_empty(), "{:?}", restoring.diagnostics);
    assert_eq!(
        h.assign_calls(from),
        [json!({"addLicenses": assigned, "removeLicenses": []})]
    );
    assert_eq!(h.group_licenses(SALES), assigned, "the group is back as configured");
    assert_eq!(restored, state, "the state is back as created");

    // With nothing to change, the plan is the prior state exactly (no perpetual diff).
    let (planning, planned) = h.plan(&restored, &wanted).await;
    assert!(planning.diagnostics.is_empty(), "{:?}", planning.diagnostics);
    assert_eq!(planned, restored);

    // Update in place: disable Teams as well. One assignLicense re-posting the SKU with the
    // full plan list; the SKU is never removed, so members keep the licence.
    let more = config(SALES, &["TEAMS1", "YAMMER_ENTERPRISE"]);
    let (planning, planned) = h.plan(&restored, &more).await;
    assert!(errors(&planning.diagnostics).is_empty(), "{:?}", planning.diagnostics);
    assert!(planning.requires_replace.is_empty(), "{:?}", planning.requires_replace);
    assert_eq!(planned.get("licenses"), more.get("licenses"));
    assert_effective(&planned, &[TEAMS, YAMMER]);
    assert_unknown_until_apply(&planned);
    let from = h.mark();
    let (updating, updated) = h.apply(&restored, &planned, &more).await;
    assert!(errors(&updating.diagnostics).is_empty(), "{:?}", updating.diagnostics);
    let assigned_more = json!([{"skuId": ENTERPRISEPACK, "disabledPlans": sorted(&[TEAMS, YAMMER])}]);
    assert_eq!(
        h.assign_calls(from),
        [json!({"addLicenses": assigned_more, "removeLicenses": []})]
    );
    assert_eq!(h.group_licenses(SALES), assigned_more);
    assert_eq!(disabled_plans(&updated), ["TEAMS1", "YAMMER_ENTERPRISE"]);
    assert_effective(&updated, &[TEAMS, YAMMER]);
    assert_eq!(
        updated.get("license_processing_state"),
        &Value::string("ProcessingComplete")
    );
    assert!(
        h.assign_calls(0).iter().all(|call| call["removeLicenses"] == json!([])),
        "no call so far removed a licence: {:?}",
        h.assign_calls(0)
    );

    // Destroy: the plan is null and warns of the plans lost (see
    // a_destroy_plan_names_the_service_plans_members_lose); the apply removes exactly the
    // managed SKU.
    let (planning, planned) = h.plan(&updated, &Value::Null).await;
    let summaries: Vec<&str> = planning.diagnostics.iter().map(|d| d.summary.as_str()).collect();
    assert_eq!(summaries, ["Members Lose Service Plans"]);
    assert!(planned.is_null());
    let from = h.mark();
    let (deleting, gone) = h.apply(&updated, &Value::Null, &Value::Null).await;
    assert!(deleting.diagnostics.is_empty(), "{:?}", deleting.diagnostics);
    assert!(gone.is_null());
    assert_eq!(
        h.assign_calls(from),
        [json!({"addLicenses": [], "removeLicenses": [ENTERPRISEPACK]})]
    );
    assert_eq!(h.group_licenses(SALES), json!([]));
    assert_eq!(h.writes(), 4, "create, restore, update, delete");
}

#[tokio::test]
async fn import_by_id_and_by_identity_gives_readable_state_and_an_empty_plan() {
    let h = Harness::start().await;
    let engineering = Value::object([("group_id", Value::string(ENGINEERING))]);

    // By ID: Engineering's seeded licence, keyed by part number, plans by name.
    let by_id = h.import(ENGINEERING, None).await;
    assert!(by_id.diagnostics.is_empty(), "{:?}", by_id.diagnostics);
    assert_eq!(by_id.imported_resources.len(), 1);
    let imported = &by_id.imported_resources[0];
    assert_eq!(imported.type_name, RESOURCE);
    let state = h.decode(imported.state.as_ref());
    assert_eq!(state.get("id"), &Value::string(ENGINEERING));
    assert_eq!(state.get("group_id"), &Value::string(ENGINEERING));
    assert_eq!(state.get("licenses"), &enterprisepack(&["YAMMER_ENTERPRISE"]));
    assert_effective(&state, &[YAMMER]);
    for unset in ["exclusive", "wait_for_processing", "timeouts"] {
        assert!(state.get(unset).is_null(), "{unset} is null after import");
    }
    assert_eq!(
        state.get("license_processing_state"),
        &Value::string(
            h.group(ENGINEERING)["licenseProcessingState"]["state"]
                .as_str()
                .unwrap()
        )
    );
    assert_eq!(
        state.get("members_with_license_errors_count"),
        &Value::number(h.members_in_error(ENGINEERING))
    );
    assert_eq!(h.identity(imported.identity.as_ref()), engineering);

    // By identity (Terraform 1.12+ import blocks): the same resource.
    let by_identity = h.import("", Some(&engineering)).await;
    assert!(by_identity.diagnostics.is_empty(), "{:?}", by_identity.diagnostics);
    assert_eq!(by_identity.imported_resources.len(), 1);
    let imported = &by_identity.imported_resources[0];
    assert_eq!(h.decode(imported.state.as_ref()), state);
    assert_eq!(h.identity(imported.identity.as_ref()), engineering);

    // Terraform reads the imported object, then plans it with the matching configuration:
    // nothing to change.
    let (read, refreshed) = h.read(&state).await;
    assert!(read.diagnostics.is_empty(), "{:?}", read.diagnostics);
    assert_eq!(refreshed, state);
    let (planning, planned) = h.plan(&state, &config(ENGINEERING, &["YAMMER_ENTERPRISE"])).await;
    assert!(planning.diagnostics.is_empty(), "{:?}", planning.diagnostics);
    assert!(planning.requires_replace.is_empty());
    assert_eq!(planned, state, "the plan after import is empty");
    // The same group written in upper case (as azuread kept it): no replacement, no change.
    let (planning, planned) = h
        .plan(&state, &config(&ENGINEERING.to_uppercase(), &["YAMMER_ENTERPRISE"]))
        .await;
    assert!(planning.diagnostics.is_empty(), "{:?}", planning.diagnostics);
    assert!(planning.requires_replace.is_empty(), "{:?}", planning.requires_replace);
    assert_eq!(planned, state, "the letter case of a GUID is not a change");

    // An ID that is not a group object ID imports nothing.
    let bad = h.import("Engineering", None).await;
    assert!(bad.imported_resources.is_empty());
    let found = errors(&bad.diagnostics);
    assert!(
        found.len() == 1 && found[0].starts_with("Invalid Import ID"),
        "{found:?}"
    );
    assert_eq!(h.writes(), 0, "importing writes nothing");
    assert_eq!(
        h.group_licenses(ENGINEERING),
        json!([{"skuId": ENTERPRISEPACK, "disabledPlans": [YAMMER]}])
    );
}

/// The Terraform 1.14 action `entra_redundant_direct_license_removal`, with the message
/// shapes of Terraform 1.14: validate, plan and invoke, one progress message per user.
#[tokio::test]
async fn the_redundant_direct_license_removal_action_streams_one_message_per_user() {
    const ACTION: &str = "entra_redundant_direct_license_removal";
    let h = Harness::start().await;
    // Three members with ENTERPRISEPACK directly: two as the group assigns it (Yammer off),
    // one with Yammer on, which the group does not cover.
    let users: Vec<String> = (0..3).map(|n| format!("d0000000-0000-4000-8000-{n:012}")).collect();
    for (n, id) in users.iter().enumerate() {
        let disabled: Vec<&str> = if n == 2 { vec![] } else { vec![YAMMER] };
        h.emulator
            .create_user(json!({
                "id": id,
                "displayName": format!("Direct {n}"),
                "userPrincipalName": format!("direct{n}@contoso.example"),
                "usageLocation": "US",
                "assignedLicenses": [{"skuId": ENTERPRISEPACK, "disabledPlans": disabled}],
            }))
            .unwrap();
    }
    let group = "d0000000-0000-4000-8000-0000000000aa";
    h.emulator
        .create_group(json!({
            "id": group,
            "displayName": "Action Group",
            "members": users,
            "assignedLicenses": [{"skuId": ENTERPRISEPACK, "disabledPlans": [YAMMER]}],
        }))
        .unwrap();

    let mut client = h.server.provider();
    let schemas = client
        .get_provider_schema(proto::get_provider_schema::Request {})
        .await
        .unwrap()
        .into_inner();
    let block = schemas.action_schemas[ACTION].schema.clone().unwrap().block.unwrap();
    let config = Value::object([
        ("group_id", Value::string(group)),
        ("skus", Value::Set(vec![Value::string("ENTERPRISEPACK")])),
        ("batch_size", Value::Number(2_i64.into())),
    ]);
    let config = dynamic(&config, &implied_type(&block));
    let validated = client
        .validate_action_config(proto::validate_action_config::Request {
            type_name: ACTION.into(),
            config: config.clone(),
        })
        .await
        .unwrap()
        .into_inner();
    assert!(validated.diagnostics.is_empty(), "{:?}", validated.diagnostics);
    let planned = client
        .plan_action(proto::plan_action::Request {
            action_type: ACTION.into(),
            config: config.clone(),
            client_capabilities: Some(proto::ClientCapabilities {
                deferral_allowed: true,
                write_only_attributes_allowed: true,
            }),
        })
        .await
        .unwrap()
        .into_inner();
    let notices: Vec<&str> = planned.diagnostics.iter().map(|d| d.summary.as_str()).collect();
    assert_eq!(notices, ["Direct Licenses To Remove", "Direct Licenses Left In Place"]);
    assert!(errors(&planned.diagnostics).is_empty());
    assert!(
        planned.diagnostics[0].detail.contains("remove 2 direct licences"),
        "{:?}",
        planned.diagnostics
    );
    let mut events = client
        .invoke_action(proto::invoke_action::Request {
            action_type: ACTION.into(),
            config,
            client_capabilities: None,
        })
        .await
        .unwrap()
        .into_inner();
    let (mut progress, mut completed) = (Vec::new(), None);
    while let Some(event) = events.message().await.unwrap() {
        match event.r#type.unwrap() {
            proto::invoke_action::event::Type::Progress(p) => progress.push(p.message),
            proto::invoke_action::event::Type::Completed(c) => completed = Some(c.diagnostics),
        }
    }
    let per_user: Vec<&String> = progress.iter().filter(|m| m.starts_with('[')).collect();
    assert_eq!(per_user.len(), 2, "{progress:?}");
    assert!(
        per_user.iter().all(|m| m.ends_with("ENTERPRISEPACK: removed")),
        "{progress:?}"
    );
    let completed = completed.expect("the stream ends with Completed");
    assert!(errors(&completed).is_empty(), "{completed:?}");
    let kept: Vec<&proto::Diagnostic> = completed
        .iter()
        .filter(|d| d.summary == "Direct Licenses Left In Place")
        .collect();
    assert_eq!(kept.len(), 1, "{completed:?}");
    assert!(kept[0].detail.contains("direct2@contoso.example") && kept[0].detail.contains("YAMMER_ENTERPRISE"));
    let removals: Vec<String> = h
        .emulator
        .requests()
        .iter()
        .filter(|r| r.path.ends_with("/assignLicense"))
        .map(|r| r.path.clone())
        .collect();
    assert_eq!(
        removals,
        [
            format!("/v1.0/users/{}/assignLicense", users[0]),
            format!("/v1.0/users/{}/assignLicense", users[1])
        ]
    );
    assert!(h.emulator.continuity().is_empty(), "nobody lost a plan");
}

/// `entra_user_license_assignment` imported by identity (Terraform 1.12+): the object ID
/// gives the user's direct licences only, keyed by part number, and the same identity.
#[tokio::test]
async fn a_users_direct_licences_import_by_identity() {
    let h = Harness::start().await;
    let mut client = h.server.provider();
    // Lee inherits ENTERPRISEPACK from Engineering and holds it directly too, every plan on.
    let every_plan = json!({"addLicenses": [{"skuId": ENTERPRISEPACK, "disabledPlans": []}], "removeLicenses": []});
    assert_eq!(h.admin_post(&format!("/users/{LEE}/licenses"), &every_plan).await, 200);
    let ty = h.resource_type(USER_RESOURCE).await;
    let identity_ty = Type::object([("user_id", Type::String)]);
    let identity = Value::object([("user_id", Value::string(LEE))]);
    let imported = client
        .import_resource_state(proto::import_resource_state::Request {
            type_name: USER_RESOURCE.into(),
            id: String::new(),
            identity: Some(proto::ResourceIdentityData {
                identity_data: dynamic(&identity, &identity_ty),
            }),
            client_capabilities: None,
        })
        .await
        .unwrap()
        .into_inner();
    assert!(imported.diagnostics.is_empty(), "{:?}", imported.diagnostics);
    let resource = &imported.imported_resources[0];
    let state = value(resource.state.as_ref(), &ty);
    assert_eq!(state.get("id"), &Value::string(LEE));
    let licenses = state.get("licenses");
    assert!(
        licenses.get("ENTERPRISEPACK").get("disabled_plans").is_null(),
        "{licenses:?}"
    );
    assert_eq!(
        licenses.as_map().map(|m| m.len()),
        Some(1),
        "only the direct licence: {licenses:?}"
    );
    let identity_back = value(
        resource.identity.as_ref().and_then(|i| i.identity_data.as_ref()),
        &identity_ty,
    );
    assert_eq!(identity_back, identity);
    assert_eq!(h.writes(), 0);
}

/// A destroy plan of a user's direct licence warns only of what the user's inherited
/// licences do not give: Lee inherits ENTERPRISEPACK without Yammer from Engineering, so
/// removing his direct ENTERPRISEPACK (every plan on) loses Yammer alone.
#[tokio::test]
async fn a_users_destroy_plan_counts_inherited_licences() {
    let h = Harness::start().await;
    let (state, ty) = h.lee_imported_with_direct_enterprisepack().await;
    let destroy = h.plan_destroy(USER_RESOURCE, &state, &ty).await;
    assert_eq!(value(destroy.planned_state.as_ref(), &ty), Value::Null);
    assert_eq!(destroy.diagnostics.len(), 1, "{:?}", destroy.diagnostics);
    let warning = &destroy.diagnostics[0];
    assert_eq!(warning.summary, "User Loses Service Plans");
    assert!(
        warning
            .detail
            .contains(&format!("YAMMER_ENTERPRISE (from ENTERPRISEPACK, {YAMMER})")),
        "{}",
        warning.detail
    );
    assert!(
        warning.detail.contains("1 enabled service plan"),
        "inherited plans are not lost: {}",
        warning.detail
    );
    assert_eq!(h.writes(), 0, "planning writes nothing (the admin API is not Graph)");
}

/// A `user_id` only known at apply plans an update, not a replacement (which would remove
/// the licences first); at apply, another user is refused and nothing is written.
#[tokio::test]
async fn a_user_id_known_only_at_apply_is_checked_then() {
    let h = Harness::start().await;
    let mut client = h.server.provider();
    let (prior, ty) = h.lee_imported_with_direct_enterprisepack().await;
    let mut config = prior.clone();
    for computed in ["id", "effective_licenses", "graph_disabled_plan_ids"] {
        config.set(computed, Value::Null);
    }
    config.set("user_id", Value::unknown());
    let mut proposed = prior.clone();
    proposed.set("user_id", Value::unknown());
    let planned = client
        .plan_resource_change(proto::plan_resource_change::Request {
            type_name: USER_RESOURCE.into(),
            prior_state: dynamic(&prior, &ty),
            proposed_new_state: dynamic(&proposed, &ty),
            config: dynamic(&config, &ty),
            ..Default::default()
        })
        .await
        .unwrap()
        .into_inner();
    assert!(errors(&planned.diagnostics).is_empty(), "{:?}", planned.diagnostics);
    assert!(planned.requires_replace.is_empty(), "an update, not a replacement");

    // At apply, user_id turns out to be Adele.
    let mut final_plan = value(planned.planned_state.as_ref(), &ty);
    final_plan.set("user_id", Value::string("adele@contoso.example"));
    config.set("user_id", Value::string("adele@contoso.example"));
    let applied = client
        .apply_resource_change(proto::apply_resource_change::Request {
            type_name: USER_RESOURCE.into(),
            prior_state: dynamic(&prior, &ty),
            planned_state: dynamic(&final_plan, &ty),
            config: dynamic(&config, &ty),
            ..Default::default()
        })
        .await
        .unwrap()
        .into_inner();
    let found = errors(&applied.diagnostics);
    assert!(
        found.len() == 1 && found[0].starts_with("User ID Names Another User"),
        "{found:?}"
    );
    assert_eq!(
        value(applied.new_state.as_ref(), &ty),
        prior,
        "the state stays as it was"
    );
    assert_eq!(h.writes(), 0, "nothing written to either user");
}

/// A destroy plan (Terraform 1.3+ sends it to the provider) warns which enabled service
/// plans the group's members lose, and plans nothing else: the planned state stays null.
#[tokio::test]
async fn a_destroy_plan_names_the_service_plans_members_lose() {
    let h = Harness::start().await;
    let wanted = config(SALES, &["YAMMER_ENTERPRISE"]);
    let (_, planned) = h.plan(&Value::Null, &wanted).await;
    let (_, state) = h.apply(&Value::Null, &planned, &wanted).await;
    let from = h.mark();
    let destroy = h.plan_destroy(RESOURCE, &state, &h.ty).await;
    assert_eq!(h.decode(destroy.planned_state.as_ref()), Value::Null);
    assert!(errors(&destroy.diagnostics).is_empty(), "{:?}", destroy.diagnostics);
    assert_eq!(destroy.diagnostics.len(), 1, "{:?}", destroy.diagnostics);
    let warning = &destroy.diagnostics[0];
    assert_eq!(warning.summary, "Members Lose Service Plans");
    assert!(
        warning.detail.contains("SWAY (from ENTERPRISEPACK") && warning.detail.contains("4 members"),
        "{}",
        warning.detail
    );
    assert!(
        !warning.detail.contains("YAMMER_ENTERPRISE"),
        "a disabled plan is not lost: {}",
        warning.detail
    );
    assert_eq!(h.graph_requests(from), ["POST /v1.0/$batch"], "one review, no write");
}

/// The reprocess action sends each user's progress as soon as that user is done: with
/// six users, four at a time and 200 ms per request, the first message arrives while the
/// last users are still being reprocessed.
#[tokio::test]
async fn the_reprocess_action_streams_each_user_as_it_is_done() {
    let h = Harness::start().await;
    let users: Vec<String> = (1..=6)
        .map(|n| format!("a1b2c3d4-000{n}-4000-8000-00000000000{n}"))
        .collect();
    let config_type = Type::object([("user_ids", Type::set(Type::String)), ("group_id", Type::String)]);
    let config = Value::object([
        (
            "user_ids",
            Value::Set(users.iter().map(|u| Value::string(u.as_str())).collect()),
        ),
        ("group_id", Value::Null),
    ]);
    h.emulator.set_realism(entra_graph_emulator::Realism {
        latency_ms: 200,
        ..Default::default()
    });
    let reprocessed = || {
        h.emulator
            .requests()
            .iter()
            .filter(|r| r.path.ends_with("/reprocessLicenseAssignment"))
            .count()
    };
    let mut events = h
        .server
        .provider()
        .invoke_action(proto::invoke_action::Request {
            action_type: "entra_user_license_reprocess".into(),
            config: dynamic(&config, &config_type),
            client_capabilities: None,
        })
        .await
        .unwrap()
        .into_inner();
    let (mut per_user, mut reprocessed_at_first, mut completed) = (Vec::new(), None, None);
    while let Some(event) = events.message().await.unwrap() {
        match event.r#type.unwrap() {
            proto::invoke_action::event::Type::Progress(p) if p.message.contains("reprocessed") => {
                reprocessed_at_first.get_or_insert_with(reprocessed);
                per_user.push(p.message);
            }
            proto::invoke_action::event::Type::Progress(_) => {}
            proto::invoke_action::event::Type::Completed(c) => completed = Some(c.diagnostics),
        }
    }
    assert!(errors(&completed.expect("the stream ends with Completed")).is_empty());
    assert_eq!(per_user.len(), 6, "{per_user:?}");
    let at_first = reprocessed_at_first.unwrap();
    assert!(
        at_first < 6,
        "the first message came before the last users were reprocessed ({at_first} of 6)"
    );
    assert_eq!(reprocessed(), 6);
}

/// A refresh that meets a lagging replica (one 404 for a group that exists) reads again
/// before deciding: the resource stays in state, unchanged.
#[tokio::test]
async fn one_stale_not_found_does_not_drop_the_resource() {
    let h = Harness::start().await;
    let wanted = config(SALES, &["YAMMER_ENTERPRISE"]);
    let (_, planned) = h.plan(&Value::Null, &wanted).await;
    let (_, state) = h.apply(&Value::Null, &planned, &wanted).await;
    h.emulator.set_realism(entra_graph_emulator::Realism {
        lagging_reads: 1,
        ..Default::default()
    });
    let from = h.mark();
    let (read, refreshed) = h.read(&state).await;
    assert!(read.diagnostics.is_empty(), "{:?}", read.diagnostics);
    assert_eq!(refreshed, state, "still there, as it was");
    let reads = h.graph_requests(from);
    assert_eq!(
        reads,
        [format!("GET /v1.0/groups/{SALES}"), format!("GET /v1.0/groups/{SALES}")]
    );
    let statuses: Vec<u16> = h.emulator.requests()[from..].iter().map(|r| r.status).collect();
    assert_eq!(statuses, [404, 200], "a 404, then the group");
}

/// A delete whose removal reads do not show before its time limit (a replica that lags
/// longer than `timeouts.delete`): a warning, and the resource leaves state. Kept, the next
/// apply would send the removal again, even after another resource took the SKU over.
#[tokio::test]
async fn an_unconfirmed_removal_is_a_warning_and_is_not_sent_again() {
    let h = Harness::start().await;
    let wanted = config(SALES, &["YAMMER_ENTERPRISE"]);
    let (_, planned) = h.plan(&Value::Null, &wanted).await;
    let (created, mut state) = h.apply(&Value::Null, &planned, &wanted).await;
    assert!(errors(&created.diagnostics).is_empty(), "{:?}", created.diagnostics);
    state.set(
        "timeouts",
        Value::object([
            ("create", Value::Null),
            ("update", Value::Null),
            ("delete", Value::string("1s")),
        ]),
    );
    h.emulator.set_realism(entra_graph_emulator::Realism {
        read_after_write_ms: 1_500,
        ..Default::default()
    });
    let from = h.mark();
    let (deleted, gone) = h.apply(&state, &Value::Null, &Value::Null).await;
    assert!(errors(&deleted.diagnostics).is_empty(), "{:?}", deleted.diagnostics);
    let summaries: Vec<&str> = deleted.diagnostics.iter().map(|d| d.summary.as_str()).collect();
    assert_eq!(summaries, ["Licence Removal Not Confirmed"]);
    assert_eq!(gone, Value::Null, "the resource leaves state");
    assert_eq!(h.assign_calls(from).len(), 1, "the removal was sent once");
    tokio::time::sleep(std::time::Duration::from_millis(1_000)).await;
    h.emulator.set_realism(entra_graph_emulator::Realism::default());
    assert_eq!(h.group_licenses(SALES), json!([]), "Graph made the removal");
}

/// `exclusive` turned on for a group that holds a SKU the configuration does not list
/// (Engineering's ENTERPRISEPACK, assigned by hand): the diff shows only the flag, so the
/// plan names what the apply will remove; with `exclusive` unknown it says it cannot.
#[tokio::test]
async fn removals_by_exclusive_are_named_in_the_plan() {
    let h = Harness::start().await;
    let ems = Value::object([("disabled_plans", Value::Null), ("enabled_plans", Value::Null)]);
    let mut wanted = Value::object([
        ("group_id", Value::string(ENGINEERING)),
        ("licenses", Value::Map(BTreeMap::from([("EMS".to_owned(), ems)]))),
    ]);
    let warnings = |diagnostics: &[proto::Diagnostic]| -> Vec<(String, String, Option<AttributePath>)> {
        diagnostics
            .iter()
            .filter(|d| d.severity == proto::diagnostic::Severity::Warning as i32)
            .map(|d| {
                (
                    d.summary.clone(),
                    d.detail.clone(),
                    d.attribute.as_ref().map(path_from_proto),
                )
            })
            .collect()
    };
    let (planning, planned) = h.plan(&Value::Null, &wanted).await;
    assert!(warnings(&planning.diagnostics).is_empty(), "{:?}", planning.diagnostics);
    let (created, state) = h.apply(&Value::Null, &planned, &wanted).await;
    assert!(errors(&created.diagnostics).is_empty(), "{:?}", created.diagnostics);

    wanted.set("exclusive", Value::Bool(true));
    let (planning, _) = h.plan(&state, &wanted).await;
    let found = warnings(&planning.diagnostics);
    let unlisted: Vec<_> = found
        .iter()
        .filter(|w| w.0 == "Unlisted Licences Will Be Removed")
        .collect();
    assert_eq!(unlisted.len(), 1, "{found:?}");
    assert!(
        unlisted[0].1.contains(&format!("ENTERPRISEPACK ({ENTERPRISEPACK})")),
        "named, part number first: {}",
        unlisted[0].1
    );
    assert_eq!(unlisted[0].2, Some(AttributePath::attr("exclusive")));

    wanted.set("exclusive", Value::unknown());
    let (planning, planned) = h.plan(&state, &wanted).await;
    let found = warnings(&planning.diagnostics);
    assert!(
        found
            .iter()
            .any(|w| w.0 == "Removals Known Only At Apply" && w.2 == Some(AttributePath::attr("exclusive"))),
        "{found:?}"
    );
    assert!(
        planned.get("license_processing_state").is_unknown(),
        "the plan does not claim that nothing will be sent"
    );

    // The same licence re-spelled by SKU ID: the plan with `exclusive` unknown and the
    // apply-time plan, with it known and unchanged, agree on every known value (Terraform
    // refuses a final plan that changes one).
    let ems_by_id = Value::object([("disabled_plans", Value::Null), ("enabled_plans", Value::Null)]);
    let mut respelled = wanted.clone();
    respelled.set(
        "licenses",
        Value::Map(BTreeMap::from([(
            "efccb6f7-5641-4e0e-bd10-b4976e1bf68e".to_owned(),
            ems_by_id,
        )])),
    );
    let (_, first) = h.plan(&state, &respelled).await;
    respelled.set("exclusive", Value::Null);
    let (_, at_apply) = h.plan(&state, &respelled).await;
    for name in ["licenses", "effective_licenses"] {
        assert_eq!(first.get(name), at_apply.get(name), "{name}");
    }
    assert_eq!(h.writes(), 1, "planning wrote nothing");
}

/// Terraform stops the provider (Ctrl-C) after Graph accepted `assignLicense`, while the
/// provider reads the group to confirm it: the state records the write, a warning says what
/// happened and what was left unchecked, and nothing is undone.
#[tokio::test]
async fn a_stop_after_the_write_keeps_it_in_state_and_says_so() {
    let h = Harness::start().await;
    let wanted = config(SALES, &["YAMMER_ENTERPRISE"]);
    let (_, planned) = h.plan(&Value::Null, &wanted).await;
    // Slow reads, so that the stop lands while the first confirming read is on its way.
    h.emulator.set_realism(entra_graph_emulator::Realism {
        latency_ms: 300,
        ..Default::default()
    });
    let from = h.mark();
    let stop = async {
        while h.assign_calls(from).is_empty() {
            tokio::time::sleep(std::time::Duration::from_millis(5)).await;
        }
        let stopped = h
            .server
            .provider()
            .stop_provider(proto::stop_provider::Request {})
            .await
            .unwrap()
            .into_inner();
        assert!(stopped.error.is_empty(), "{}", stopped.error);
    };
    let ((applied, state), ()) = tokio::join!(h.apply(&Value::Null, &planned, &wanted), stop);
    assert!(errors(&applied.diagnostics).is_empty(), "{:?}", applied.diagnostics);
    let warnings: Vec<(&str, &str)> = applied
        .diagnostics
        .iter()
        .filter(|d| d.severity == proto::diagnostic::Severity::Warning as i32)
        .map(|d| (d.summary.as_str(), d.detail.as_str()))
        .collect();
    assert_eq!(warnings.len(), 1, "{warnings:?}");
    assert_eq!(warnings[0].0, "Interrupted After The Licences Were Assigned");
    assert!(
        warnings[0]
            .1
            .contains("member processing and licence errors were not checked"),
        "{}",
        warnings[0].1
    );
    assert_eq!(
        state.get("licenses"),
        wanted.get("licenses"),
        "the state records the write"
    );
    assert_eq!(h.assign_calls(from).len(), 1, "one write, and nothing undone after it");
    assert_eq!(
        h.group_licenses(SALES),
        json!([{"skuId": ENTERPRISEPACK, "disabledPlans": [YAMMER]}])
    );
}

/// A user deleted outside Terraform: the refresh removes the resource from state.
#[tokio::test]
async fn a_vanished_user_leaves_state_on_refresh() {
    let h = Harness::start().await;
    let mut client = h.server.provider();
    let ty = h.resource_type(USER_RESOURCE).await;
    let gone = "f0000000-0000-4000-8000-000000000404";
    let Type::Object { attributes, .. } = &ty else {
        panic!("a resource's type is an object")
    };
    let mut state = Value::object(attributes.keys().map(|name| (name.clone(), Value::Null)));
    state.set("id", Value::string(gone));
    state.set("user_id", Value::string(gone));
    let read = client
        .read_resource(proto::read_resource::Request {
            type_name: USER_RESOURCE.into(),
            current_state: dynamic(&state, &ty),
            ..Default::default()
        })
        .await
        .unwrap()
        .into_inner();
    assert!(read.diagnostics.is_empty(), "{:?}", read.diagnostics);
    assert!(value(read.new_state.as_ref(), &ty).is_null(), "removed from state");
}

/// MoveResourceState as Terraform 1.8+ sends it for `moved` from `azuread_group_license`,
/// to a provider it has not configured.
async fn move_from_azuread(server: &InProcess, type_name: &str, state: &Json) -> proto::move_resource_state::Response {
    server
        .provider()
        .move_resource_state(proto::move_resource_state::Request {
            source_provider_address: "registry.terraform.io/hashicorp/azuread".into(),
            source_type_name: type_name.into(),
            source_schema_version: 0,
            source_state: Some(proto::RawState {
                json: serde_json::to_vec(state).unwrap(),
                flatmap: Default::default(),
            }),
            target_type_name: RESOURCE.into(),
            source_private: Vec::new(),
            source_identity: None,
            source_identity_schema_version: 0,
        })
        .await
        .unwrap()
        .into_inner()
}

#[tokio::test]
async fn moved_from_azuread_on_an_unconfigured_provider_then_refreshed_with_names() {
    let h = Harness::start().await;
    let unconfigured = InProcess::start(EntraProvider).await;
    let azuread = json!({
        "id": format!("{ENGINEERING}/license/{ENTERPRISEPACK}"),
        "group_object_id": ENGINEERING,
        "sku_id": ENTERPRISEPACK,
        "disabled_plans": [YAMMER],
        "timeouts": null,
    });
    let before = h.mark();
    let moved = move_from_azuread(&unconfigured, "azuread_group_license", &azuread).await;
    assert!(moved.diagnostics.is_empty(), "{:?}", moved.diagnostics);
    let state = h.decode(moved.target_state.as_ref());
    assert_eq!(state.get("group_id"), &Value::string(ENGINEERING));
    assert!(
        state
            .get("licenses")
            .get(ENTERPRISEPACK)
            .get("disabled_plans")
            .as_elements()
            .is_some()
    );
    assert_eq!(
        h.identity(moved.target_identity.as_ref()),
        Value::object([("group_id", Value::string(ENGINEERING))])
    );
    assert_eq!(h.mark(), before, "the move sends no request");

    // The refresh spells it as import does; the plan with names is then empty.
    let (read, refreshed) = h.read(&state).await;
    assert!(read.diagnostics.is_empty(), "{:?}", read.diagnostics);
    assert_eq!(disabled_plans(&refreshed), sorted(&["YAMMER_ENTERPRISE"]));
    assert_effective(&refreshed, &[YAMMER]);
    let (planning, planned) = h.plan(&refreshed, &config(ENGINEERING, &["YAMMER_ENTERPRISE"])).await;
    assert!(planning.diagnostics.is_empty(), "{:?}", planning.diagnostics);
    assert_eq!(planned, refreshed, "the plan after the move is empty");
    assert_eq!(h.writes(), 0);

    // Another type is refused, naming it.
    let refused = move_from_azuread(&unconfigured, "azuread_group", &azuread).await;
    assert!(refused.target_state.is_none());
    let found = errors(&refused.diagnostics);
    assert!(
        found.len() == 1
            && found[0].starts_with("Cannot Move Resource State")
            && found[0].contains("\"azuread_group\""),
        "{found:?}"
    );
}

/// The `config` type of the list resource, as GetProviderSchema declares it.
fn list_config(sku: Option<&str>, prefix: Option<&str>, with_errors: Option<bool>) -> (Value, Type) {
    let text = |v: Option<&str>| v.map_or(Value::Null, Value::string);
    let value = Value::object([
        ("sku", text(sku)),
        ("display_name_prefix", text(prefix)),
        (
            "with_member_license_errors",
            with_errors.map_or(Value::Null, Value::Bool),
        ),
    ]);
    let ty = Type::object([
        ("sku", Type::String),
        ("display_name_prefix", Type::String),
        ("with_member_license_errors", Type::Bool),
    ]);
    (value, ty)
}

/// ListResource as Terraform 1.14 sends it (the `config` block's value, the
/// `include_resource` flag and the `limit`), read to the end of the stream.
async fn list(h: &Harness, config: &(Value, Type), include: bool, limit: i64) -> Vec<proto::list_resource::Event> {
    let mut stream = h
        .server
        .provider()
        .list_resource(proto::list_resource::Request {
            type_name: RESOURCE.into(),
            config: dynamic(&config.0, &config.1),
            include_resource_object: include,
            limit,
        })
        .await
        .unwrap()
        .into_inner();
    let mut events = Vec::new();
    while let Some(event) = stream.message().await.unwrap() {
        events.push(event);
    }
    events
}

#[tokio::test]
async fn list_resource_validate_and_generate_config_with_terraform_1_14_messages() {
    let h = Harness::start().await;
    // Sales gets AAD_PREMIUM in the portal; Engineering holds ENTERPRISEPACK (seeded).
    h.change_out_of_band(
        SALES,
        json!({"addLicenses": [{"skuId": "078d2b04-f1bd-4111-bbd4-b4b1b354cef4", "disabledPlans": []}], "removeLicenses": []}),
    )
    .await;
    let mut client = h.server.provider();

    let metadata = client
        .get_metadata(proto::get_metadata::Request {})
        .await
        .unwrap()
        .into_inner();
    let listed_types: Vec<&str> = metadata.list_resources.iter().map(|l| l.type_name.as_str()).collect();
    assert_eq!(listed_types, vec![RESOURCE]);
    let schema = client
        .get_provider_schema(proto::get_provider_schema::Request {})
        .await
        .unwrap()
        .into_inner();
    let list_block = schema.list_resource_schemas[RESOURCE].block.clone().unwrap();
    assert_eq!(implied_type(&list_block), list_config(None, None, None).1);
    assert!(schema.server_capabilities.unwrap().generate_resource_config);

    // ValidateListResourceConfig: Terraform 1.14 sends the type and the config only.
    let validate = |config: (Value, Type)| {
        let mut client = h.server.provider();
        async move {
            client
                .validate_list_resource_config(proto::validate_list_resource_config::Request {
                    type_name: RESOURCE.into(),
                    config: dynamic(&config.0, &config.1),
                    include_resource_object: None,
                    limit: None,
                })
                .await
                .unwrap()
                .into_inner()
                .diagnostics
        }
    };
    assert!(
        validate(list_config(Some("SPE_E5"), Some("Sa"), Some(false)))
            .await
            .is_empty()
    );
    let bad = validate(list_config(Some("6fd2c87f-b296-42f0-b197-1e91e994b9zz"), None, None)).await;
    assert_eq!(errors(&bad).len(), 1, "{bad:?}");
    assert!(errors(&bad)[0].starts_with("Invalid SKU"));
    assert_eq!(
        bad[0].attribute.as_ref().map(path_from_proto),
        Some(AttributePath::attr("sku"))
    );

    // Every licensed group: identities and names, sorted by name; no objects unless asked;
    // one `$batch` of advanced queries.
    let before = h.mark();
    let events = list(&h, &list_config(None, None, None), false, 100).await;
    let batches = h.emulator.requests()[before..]
        .iter()
        .filter(|r| r.path.starts_with("/v1.0/$batch"))
        .count();
    assert_eq!(batches, 1);
    let names: Vec<&str> = events.iter().map(|e| e.display_name.as_str()).collect();
    assert_eq!(names, vec!["Engineering", "Sales"]);
    for event in &events {
        assert!(event.diagnostic.is_empty() && event.resource_object.is_none());
    }
    assert_eq!(
        h.identity(events[0].identity.as_ref()),
        Value::object([("group_id", Value::string(ENGINEERING))])
    );
    assert_eq!(
        list(&h, &list_config(None, None, None), false, 1).await.len(),
        1,
        "the limit"
    );

    // By SKU and prefix, with the object: the state import writes (member errors not read).
    let events = list(&h, &list_config(Some("ENTERPRISEPACK"), Some("eng"), None), true, 100).await;
    assert_eq!(events.len(), 1, "{events:?}");
    let object = h.decode(events[0].resource_object.as_ref());
    assert_eq!(object.get("group_id"), &Value::string(ENGINEERING));
    assert_eq!(object.get("licenses"), &enterprisepack(&["YAMMER_ENTERPRISE"]));
    assert_effective(&object, &[YAMMER]);
    assert!(object.get("members_with_license_errors_count").is_null());
    assert!(
        list(&h, &list_config(Some("EMS"), None, None), false, 100)
            .await
            .is_empty()
    );

    // Groups with member licence errors: a default query. Sales gets ENTERPRISEPREMIUM,
    // which has 3 seats for its 4 members: one member in CountViolation.
    let premium = json!({"addLicenses": [{"skuId": "c7df2760-2c81-4ef7-b578-5b5392b571df", "disabledPlans": []}], "removeLicenses": []});
    assert_eq!(h.admin_post(&format!("/groups/{SALES}/licenses"), &premium).await, 200);
    let from = h.mark();
    let events = list(&h, &list_config(None, None, Some(true)), false, 100).await;
    assert!(events.iter().all(|e| e.diagnostic.is_empty()), "{events:?}");
    let listed: Vec<Value> = events.iter().map(|e| h.identity(e.identity.as_ref())).collect();
    assert_eq!(listed, [Value::object([("group_id", Value::string(SALES))])]);
    let queries = &h.emulator.requests()[from..];
    assert!(
        queries.iter().any(|r| r.path.contains("hasMembersWithLicenseErrors")),
        "{queries:?}"
    );

    // An unknown part number: one event, the error on `sku`, and nothing listed.
    let events = list(&h, &list_config(Some("NOPE"), None, None), false, 100).await;
    assert_eq!(events.len(), 1);
    assert!(events[0].identity.is_none());
    let found = errors(&events[0].diagnostic);
    assert!(found.len() == 1 && found[0].starts_with("SKU Not Found") && found[0].contains("\"NOPE\""));

    // GenerateResourceConfig with the listed object: the configuration to write, without
    // computed-only attributes.
    let generated = client
        .generate_resource_config(proto::generate_resource_config::Request {
            type_name: RESOURCE.into(),
            state: dynamic(&object, &h.ty),
        })
        .await
        .unwrap()
        .into_inner();
    assert!(generated.diagnostics.is_empty(), "{:?}", generated.diagnostics);
    let config = h.decode(generated.config.as_ref());
    assert_eq!(config.get("group_id"), &Value::string(ENGINEERING));
    assert_eq!(config.get("licenses"), &enterprisepack(&["YAMMER_ENTERPRISE"]));
    for computed in [
        "id",
        "effective_licenses",
        "graph_disabled_plan_ids",
        "license_processing_state",
        "members_with_license_errors_count",
        "member_license_errors",
    ] {
        assert!(config.get(computed).is_null(), "{computed} is not configuration");
    }
    assert_eq!(h.writes(), 0, "listing writes nothing");
}
