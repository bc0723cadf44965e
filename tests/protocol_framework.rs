//! Every RPC the framework serves, driven in process by a gRPC client that plays
//! Terraform, against a test-only provider (`test_thing`, `test_echo`, `test_count`).

use std::collections::BTreeMap;
use std::sync::Arc;
use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};

use async_trait::async_trait;
use terraform_provider_entra::model;
use terraform_provider_entra::tfplugin::proto::{self, go_plugin};
use terraform_provider_entra::tfplugin::{
    Action, ActionHandler, Attr, Attribute, AttributePath, ConfigureRequest, Context, DataSource, DataSourceHandler,
    Diagnostics, IdentityAttribute, IdentitySchema, Number, PlanRequest, PlannedChange, Progress, Provider,
    ReadOutcome, Resource, ResourceHandler, Schema, SetOf, Type, UpdateRequest, Value,
};

use crate::support::{InProcess, dynamic, errors, value};

/// The remote system the test provider manages.
#[derive(Default)]
struct Store {
    things: Mutex<BTreeMap<String, ThingModel>>,
    next_id: AtomicU64,
    calls: Mutex<Vec<String>>,
}

impl Store {
    fn record(&self, call: &str) {
        self.calls.lock().unwrap().push(call.to_owned());
    }
}

struct TestProvider {
    store: Arc<Store>,
}

model! {
    #[derive(Clone, Debug, Default, PartialEq)]
    struct TestConfig {
        endpoint: Attr<String>,
    }
}

#[async_trait]
impl Provider for TestProvider {
    type Data = Arc<Store>;
    type Config = TestConfig;

    fn type_name(&self) -> &'static str {
        "test"
    }

    fn schema(&self) -> Schema {
        Schema::new(
            "Test provider.",
            vec![Attribute::string("endpoint").optional().description("Where.")],
        )
    }

    async fn validate(&self, _ctx: &Context, config: &TestConfig, diags: &mut Diagnostics) {
        if config.endpoint.known().is_some_and(String::is_empty) {
            diags.attribute_error(AttributePath::attr("endpoint"), "Empty Endpoint", "Set a URL.");
        }
    }

    async fn configure(
        &self,
        _ctx: &Context,
        request: ConfigureRequest<TestConfig>,
        _diags: &mut Diagnostics,
    ) -> Option<Arc<Store>> {
        // Configuration that depends on other resources is unknown at plan time.
        if request.config.endpoint.is_unknown() {
            return None;
        }
        Some(Arc::clone(&self.store))
    }

    fn resources(&self) -> Vec<Arc<dyn ResourceHandler<Arc<Store>>>> {
        vec![Arc::new(Thing)]
    }

    fn data_sources(&self) -> Vec<Arc<dyn DataSourceHandler<Arc<Store>>>> {
        vec![Arc::new(Echo)]
    }

    fn actions(&self) -> Vec<Arc<dyn ActionHandler<Arc<Store>>>> {
        vec![Arc::new(Count)]
    }
}

struct Thing;

fn thing_schema() -> Schema {
    Schema::new(
        "A thing.",
        vec![
            Attribute::string("id")
                .computed()
                .use_state_for_unknown()
                .description("Id."),
            Attribute::string("name")
                .required()
                .requires_replace()
                .description("Name."),
            Attribute::number("size").optional().description("Size."),
            Attribute::new("tags", Type::map(Type::String))
                .optional()
                .description("Tags."),
            Attribute::new("items", Type::set(Type::String))
                .optional()
                .description("Items."),
            Attribute::string("etag")
                .computed()
                .description("Changes on every write."),
        ],
    )
}

fn thing_type() -> Type {
    thing_schema().implied_type()
}

model! {
    #[derive(Clone, Debug, Default, PartialEq)]
    struct ThingModel {
        id: Attr<String>,
        name: Attr<String>,
        size: Attr<Number>,
        tags: Attr<BTreeMap<String, String>>,
        items: Attr<SetOf<String>>,
        etag: Attr<String>,
    }
}

model! {
    #[derive(Clone, Debug, Default, PartialEq)]
    struct ThingIdentity {
        id: Attr<String>,
    }
}

#[async_trait]
impl Resource<Arc<Store>> for Thing {
    type Model = ThingModel;
    type Identity = ThingIdentity;

    fn type_name(&self) -> &'static str {
        "test_thing"
    }

    fn schema(&self) -> Schema {
        thing_schema()
    }

    fn identity_schema(&self) -> Option<IdentitySchema> {
        Some(IdentitySchema {
            version: 0,
            attributes: vec![IdentityAttribute {
                name: "id".into(),
                ty: Type::String,
                required_for_import: true,
                description: "Id.".into(),
            }],
        })
    }

    fn identity(&self, state: &ThingModel) -> Option<ThingIdentity> {
        (!state.id.is_null()).then(|| ThingIdentity { id: state.id.clone() })
    }

    async fn plan(
        &self,
        _ctx: &Context,
        data: Option<&Arc<Store>>,
        _request: &PlanRequest<ThingModel>,
        change: &mut PlannedChange<ThingModel>,
        diags: &mut Diagnostics,
    ) {
        if change.planned.name.known().is_some_and(|n| n == "forbidden") {
            diags.attribute_error(AttributePath::attr("name"), "Forbidden Name", "Pick another name.");
        }
        if data.is_none() {
            diags.warning("Provider Unconfigured", "Planned without provider data.");
        }
    }

    async fn create(
        &self,
        ctx: &Context,
        store: &Arc<Store>,
        planned: ThingModel,
        _config: ThingModel,
        diags: &mut Diagnostics,
    ) -> Option<ThingModel> {
        store.record("create");
        match planned.name.known().map(String::as_str) {
            Some("panic") => panic!("asked to panic"),
            Some("slow") => {
                ctx.cancel.cancelled().await;
                diags.error("Cancelled", "Terraform asked the provider to stop.");
                return None;
            }
            _ => {}
        }
        let id = format!("thing-{}", store.next_id.fetch_add(1, Ordering::SeqCst));
        let mut state = planned;
        state.id = Attr::Known(id.clone());
        state.etag = Attr::Known("e1".into());
        store.things.lock().unwrap().insert(id, state.clone());
        Some(state)
    }

    async fn read(
        &self,
        _ctx: &Context,
        store: &Arc<Store>,
        state: ThingModel,
        _diags: &mut Diagnostics,
    ) -> ReadOutcome<ThingModel> {
        store.record("read");
        let id = state.id.known().cloned().unwrap_or_default();
        match store.things.lock().unwrap().get(&id) {
            Some(found) => ReadOutcome::Found(found.clone()),
            None => ReadOutcome::Gone,
        }
    }

    async fn update(
        &self,
        _ctx: &Context,
        store: &Arc<Store>,
        request: UpdateRequest<ThingModel>,
        _diags: &mut Diagnostics,
    ) -> Option<ThingModel> {
        store.record("update");
        let mut state = request.planned;
        state.etag = Attr::Known("e2".into());
        let id = state.id.known().unwrap().clone();
        store.things.lock().unwrap().insert(id, state.clone());
        Some(state)
    }

    async fn delete(&self, _ctx: &Context, store: &Arc<Store>, prior: ThingModel, _diags: &mut Diagnostics) {
        store.record("delete");
        store.things.lock().unwrap().remove(prior.id.known().unwrap());
    }

    async fn import(
        &self,
        _ctx: &Context,
        _store: &Arc<Store>,
        id: &str,
        _diags: &mut Diagnostics,
    ) -> Option<ThingModel> {
        Some(ThingModel {
            id: Attr::Known(id.to_owned()),
            ..ThingModel::default()
        })
    }

    async fn import_identity(
        &self,
        _ctx: &Context,
        _store: &Arc<Store>,
        identity: ThingIdentity,
        _diags: &mut Diagnostics,
    ) -> Option<ThingModel> {
        Some(ThingModel {
            id: identity.id,
            ..ThingModel::default()
        })
    }
}

struct Echo;

model! {
    #[derive(Clone, Debug, Default, PartialEq)]
    struct EchoModel {
        input: Attr<String>,
        output: Attr<String>,
    }
}

#[async_trait]
impl DataSource<Arc<Store>> for Echo {
    type Model = EchoModel;

    fn type_name(&self) -> &'static str {
        "test_echo"
    }

    fn schema(&self) -> Schema {
        Schema::new(
            "Echoes.",
            vec![
                Attribute::string("input").required().description("In."),
                Attribute::string("output").computed().description("Out."),
            ],
        )
    }

    async fn read(
        &self,
        _ctx: &Context,
        _store: &Arc<Store>,
        mut config: EchoModel,
        _diags: &mut Diagnostics,
    ) -> Option<EchoModel> {
        config.output = Attr::Known(config.input.known()?.to_uppercase());
        Some(config)
    }
}

struct Count;

model! {
    #[derive(Clone, Debug, Default, PartialEq)]
    struct CountModel {
        to: Attr<i64>,
    }
}

#[async_trait]
impl Action<Arc<Store>> for Count {
    type Model = CountModel;

    fn type_name(&self) -> &'static str {
        "test_count"
    }

    fn schema(&self) -> Schema {
        Schema::new(
            "Counts.",
            vec![Attribute::number("to").required().description("Last number.")],
        )
    }

    async fn validate(&self, _ctx: &Context, config: &CountModel, diags: &mut Diagnostics) {
        if config.to.known().is_some_and(|n| *n < 0) {
            diags.attribute_error(AttributePath::attr("to"), "Negative Count", "Count to zero or more.");
        }
    }

    async fn invoke(
        &self,
        _ctx: &Context,
        _store: &Arc<Store>,
        config: CountModel,
        progress: &Progress,
        diags: &mut Diagnostics,
    ) {
        let to = config.to.known().copied().unwrap_or(0);
        for i in 1..=to {
            progress.send(format!("counted {i}")).await;
        }
        if to > 3 {
            diags.warning("Long Count", "That was more than three.");
        }
    }
}

async fn started() -> (InProcess, Arc<Store>) {
    let store = Arc::new(Store::default());
    let server = InProcess::start(TestProvider {
        store: Arc::clone(&store),
    })
    .await;
    (server, store)
}

fn provider_config(endpoint: Value) -> Option<proto::DynamicValue> {
    dynamic(
        &Value::object([("endpoint", endpoint)]),
        &Type::object([("endpoint", Type::String)]),
    )
}

async fn configure(server: &InProcess) {
    let response = server
        .provider()
        .configure_provider(proto::configure_provider::Request {
            terraform_version: "1.11.4".into(),
            config: provider_config(Value::string("http://127.0.0.1")),
            client_capabilities: None,
        })
        .await
        .unwrap()
        .into_inner();
    assert!(errors(&response.diagnostics).is_empty());
}

fn thing(name: &str) -> Value {
    Value::object([("name", Value::string(name))])
}

async fn plan(
    server: &InProcess,
    prior: &Value,
    config: &Value,
    proposed: &Value,
) -> proto::plan_resource_change::Response {
    let ty = thing_type();
    server
        .provider()
        .plan_resource_change(proto::plan_resource_change::Request {
            type_name: "test_thing".into(),
            prior_state: dynamic(prior, &ty),
            proposed_new_state: dynamic(proposed, &ty),
            config: dynamic(config, &ty),
            ..Default::default()
        })
        .await
        .unwrap()
        .into_inner()
}

async fn apply(
    server: &InProcess,
    prior: &Value,
    planned: &Value,
    config: &Value,
) -> proto::apply_resource_change::Response {
    let ty = thing_type();
    server
        .provider()
        .apply_resource_change(proto::apply_resource_change::Request {
            type_name: "test_thing".into(),
            prior_state: dynamic(prior, &ty),
            planned_state: dynamic(planned, &ty),
            config: dynamic(config, &ty),
            ..Default::default()
        })
        .await
        .unwrap()
        .into_inner()
}

#[tokio::test]
async fn schema_lists_every_type_and_capabilities() {
    let (server, _) = started().await;
    let schema = server
        .provider()
        .get_provider_schema(proto::get_provider_schema::Request {})
        .await
        .unwrap()
        .into_inner();
    let capabilities = schema.server_capabilities.unwrap();
    assert!(capabilities.plan_destroy && capabilities.get_provider_schema_optional);
    assert!(capabilities.move_resource_state, "moved across types (Terraform 1.8+)");
    let thing = schema.resource_schemas["test_thing"].block.as_ref().unwrap();
    let name = thing.attributes.iter().find(|a| a.name == "name").unwrap();
    assert!(name.required && name.r#type == br#""string""#);
    assert_eq!(name.description, "Name.");
    assert!(schema.data_source_schemas.contains_key("test_echo"));
    assert!(schema.action_schemas["test_count"].schema.is_some());
    assert_eq!(schema.provider.unwrap().block.unwrap().attributes[0].name, "endpoint");

    let metadata = server
        .provider()
        .get_metadata(proto::get_metadata::Request {})
        .await
        .unwrap()
        .into_inner();
    assert_eq!(metadata.resources[0].type_name, "test_thing");
    assert_eq!(metadata.actions[0].type_name, "test_count");

    let identities = server
        .provider()
        .get_resource_identity_schemas(proto::get_resource_identity_schemas::Request {})
        .await
        .unwrap()
        .into_inner();
    let identity = &identities.identity_schemas["test_thing"].identity_attributes[0];
    assert!(identity.name == "id" && identity.required_for_import);
}

#[tokio::test]
async fn validation_reports_paths_and_unknown_types() {
    let (server, _) = started().await;
    let response = server
        .provider()
        .validate_provider_config(proto::validate_provider_config::Request {
            config: provider_config(Value::string("")),
        })
        .await
        .unwrap()
        .into_inner();
    let diagnostic = &response.diagnostics[0];
    assert_eq!(diagnostic.summary, "Empty Endpoint");
    assert_eq!(
        terraform_provider_entra::tfplugin::convert::path_from_proto(diagnostic.attribute.as_ref().unwrap()),
        AttributePath::attr("endpoint")
    );

    let response = server
        .provider()
        .validate_resource_config(proto::validate_resource_config::Request {
            type_name: "test_nothing".into(),
            config: dynamic(&thing("a"), &thing_type()),
            client_capabilities: None,
        })
        .await
        .unwrap()
        .into_inner();
    assert!(
        errors(&response.diagnostics)[0].starts_with("Unknown Resource Type"),
        "{:?}",
        response.diagnostics
    );

    // A value that does not match the schema names the attribute at fault.
    let bad = proto::DynamicValue {
        msgpack: vec![0x81, 0xa4, b's', b'i', b'z', b'e', 0xa1, b'x'],
        json: vec![],
    };
    let response = server
        .provider()
        .validate_resource_config(proto::validate_resource_config::Request {
            type_name: "test_thing".into(),
            config: Some(bad),
            client_capabilities: None,
        })
        .await
        .unwrap()
        .into_inner();
    assert_eq!(response.diagnostics[0].summary, "Invalid Value From Terraform");
    assert!(
        response.diagnostics[0].detail.contains("size"),
        "{}",
        response.diagnostics[0].detail
    );

    let response = server
        .provider()
        .validate_data_resource_config(proto::validate_data_resource_config::Request {
            type_name: "test_echo".into(),
            config: dynamic(
                &Value::object([("input", Value::string("x"))]),
                &DataSource::<Arc<Store>>::schema(&Echo).implied_type(),
            ),
        })
        .await
        .unwrap()
        .into_inner();
    assert!(response.diagnostics.is_empty());
}

#[tokio::test]
async fn full_lifecycle_create_read_plan_update_replace_destroy() {
    let (server, store) = started().await;
    configure(&server).await;
    let ty = thing_type();

    // Create: computed attributes come as null in the proposed state and are planned unknown.
    let config = Value::object([("name", Value::string("alpha")), ("size", Value::number(3_i64))]);
    let planned = plan(&server, &Value::Null, &config, &config).await;
    assert!(errors(&planned.diagnostics).is_empty());
    let planned_state = value(planned.planned_state.as_ref(), &ty);
    assert!(planned_state.get("id").is_unknown() && planned_state.get("etag").is_unknown());
    assert!(planned.requires_replace.is_empty());

    let created = apply(&server, &Value::Null, &planned_state, &config).await;
    assert!(errors(&created.diagnostics).is_empty());
    let state = value(created.new_state.as_ref(), &ty);
    assert_eq!(state.get("id"), &Value::string("thing-0"));
    assert_eq!(state.get("size"), &Value::number(3_i64));
    assert!(created.new_identity.is_some(), "identity returned after create");

    // Read returns the stored object.
    let read = server
        .provider()
        .read_resource(proto::read_resource::Request {
            type_name: "test_thing".into(),
            current_state: dynamic(&state, &ty),
            private: b"opaque".to_vec(),
            ..Default::default()
        })
        .await
        .unwrap()
        .into_inner();
    assert_eq!(value(read.new_state.as_ref(), &ty), state);
    assert_eq!(read.private, b"opaque", "private data passes through");

    // No change: the plan equals the prior state exactly (no perpetual diff).
    let unchanged = plan(&server, &state, &config, &state).await;
    assert_eq!(value(unchanged.planned_state.as_ref(), &ty), state);

    // In-place update: id kept (use_state_for_unknown), etag unknown, no replacement.
    let mut bigger = state.clone();
    bigger.set("size", Value::number(4_i64));
    let update_config = Value::object([("name", Value::string("alpha")), ("size", Value::number(4_i64))]);
    let updating = plan(&server, &state, &update_config, &bigger).await;
    let updating_state = value(updating.planned_state.as_ref(), &ty);
    assert_eq!(updating_state.get("id"), &Value::string("thing-0"));
    assert!(updating_state.get("etag").is_unknown());
    assert!(updating.requires_replace.is_empty());
    let updated = apply(&server, &state, &updating_state, &update_config).await;
    let state = value(updated.new_state.as_ref(), &ty);
    assert_eq!(state.get("etag"), &Value::string("e2"));

    // A new name replaces the resource.
    let mut renamed = state.clone();
    renamed.set("name", Value::string("beta"));
    let replacing = plan(&server, &state, &thing("beta"), &renamed).await;
    let paths: Vec<_> = replacing
        .requires_replace
        .iter()
        .map(terraform_provider_entra::tfplugin::convert::path_from_proto)
        .collect();
    assert_eq!(paths, vec![AttributePath::attr("name")]);

    // Destroy: planned null, then apply deletes and returns null.
    let destroying = plan(&server, &state, &Value::Null, &Value::Null).await;
    assert!(destroying.planned_state.is_none());
    let deleted = apply(&server, &state, &Value::Null, &Value::Null).await;
    assert!(deleted.new_state.is_none() && deleted.diagnostics.is_empty());

    // Gone: read returns a null state, and Terraform drops it.
    let read = server
        .provider()
        .read_resource(proto::read_resource::Request {
            type_name: "test_thing".into(),
            current_state: dynamic(&state, &ty),
            ..Default::default()
        })
        .await
        .unwrap()
        .into_inner();
    assert!(read.new_state.is_none());
    assert_eq!(
        *store.calls.lock().unwrap(),
        ["create", "read", "update", "delete", "read"]
    );
}

#[tokio::test]
async fn plan_diagnostics_carry_the_attribute_path() {
    let (server, _) = started().await;
    configure(&server).await;
    let response = plan(&server, &Value::Null, &thing("forbidden"), &thing("forbidden")).await;
    assert_eq!(response.diagnostics[0].summary, "Forbidden Name");
    assert!(response.diagnostics[0].attribute.is_some());
}

#[tokio::test]
async fn unconfigured_provider_plans_but_does_not_apply() {
    let (server, store) = started().await;
    let response = server
        .provider()
        .configure_provider(proto::configure_provider::Request {
            terraform_version: "1.11.4".into(),
            config: provider_config(Value::unknown()),
            client_capabilities: None,
        })
        .await
        .unwrap()
        .into_inner();
    assert!(response.diagnostics.is_empty());
    let planned = plan(&server, &Value::Null, &thing("a"), &thing("a")).await;
    assert_eq!(
        planned.diagnostics[0].summary, "Provider Unconfigured",
        "plan ran with data = None"
    );
    let applied = apply(
        &server,
        &Value::Null,
        &value(planned.planned_state.as_ref(), &thing_type()),
        &thing("a"),
    )
    .await;
    assert!(errors(&applied.diagnostics)[0].starts_with("Provider Not Configured"));
    assert!(store.calls.lock().unwrap().is_empty(), "nothing was written");
}

#[tokio::test]
async fn import_by_id_and_by_identity() {
    let (server, _) = started().await;
    configure(&server).await;
    let ty = thing_type();
    let by_id = server
        .provider()
        .import_resource_state(proto::import_resource_state::Request {
            type_name: "test_thing".into(),
            id: "thing-7".into(),
            ..Default::default()
        })
        .await
        .unwrap()
        .into_inner();
    assert_eq!(by_id.imported_resources.len(), 1);
    let imported = &by_id.imported_resources[0];
    assert_eq!(imported.type_name, "test_thing");
    assert_eq!(value(imported.state.as_ref(), &ty).get("id"), &Value::string("thing-7"));
    assert!(imported.identity.is_some());

    let identity_type = Type::object([("id", Type::String)]);
    let by_identity = server
        .provider()
        .import_resource_state(proto::import_resource_state::Request {
            type_name: "test_thing".into(),
            identity: Some(proto::ResourceIdentityData {
                identity_data: dynamic(&Value::object([("id", Value::string("thing-9"))]), &identity_type),
            }),
            ..Default::default()
        })
        .await
        .unwrap()
        .into_inner();
    assert_eq!(
        value(by_identity.imported_resources[0].state.as_ref(), &ty).get("id"),
        &Value::string("thing-9")
    );
}

#[tokio::test]
async fn stored_json_state_is_upgraded_to_msgpack() {
    let (server, _) = started().await;
    let upgrade = |version: i64, json: &'static str| proto::upgrade_resource_state::Request {
        type_name: "test_thing".into(),
        version,
        raw_state: Some(proto::RawState {
            json: json.as_bytes().to_vec(),
            flatmap: Default::default(),
        }),
    };
    let json = r#"{"id":"thing-1","name":"a","size":12345678901234567890.5,"tags":{"k":"v"},"items":["x"],"etag":"e"}"#;
    let response = server
        .provider()
        .upgrade_resource_state(upgrade(0, json))
        .await
        .unwrap()
        .into_inner();
    assert!(response.diagnostics.is_empty(), "{:?}", response.diagnostics);
    let state = value(response.upgraded_state.as_ref(), &thing_type());
    assert_eq!(
        state.get("size").as_number().unwrap().to_string(),
        "12345678901234567890.5"
    );
    let response = server
        .provider()
        .upgrade_resource_state(upgrade(3, json))
        .await
        .unwrap()
        .into_inner();
    assert!(errors(&response.diagnostics)[0].starts_with("Unsupported State Version"));
}

#[tokio::test]
async fn data_source_reads() {
    let (server, _) = started().await;
    configure(&server).await;
    let ty = DataSource::<Arc<Store>>::schema(&Echo).implied_type();
    let response = server
        .provider()
        .read_data_source(proto::read_data_source::Request {
            type_name: "test_echo".into(),
            config: dynamic(&Value::object([("input", Value::string("hello"))]), &ty),
            ..Default::default()
        })
        .await
        .unwrap()
        .into_inner();
    assert_eq!(
        value(response.state.as_ref(), &ty).get("output"),
        &Value::string("HELLO")
    );
}

#[tokio::test]
async fn actions_validate_plan_and_stream_progress() {
    let (server, _) = started().await;
    configure(&server).await;
    let ty = Action::<Arc<Store>>::schema(&Count).implied_type();
    let config = |n: i64| dynamic(&Value::object([("to", Value::number(n))]), &ty);
    let invalid = server
        .provider()
        .validate_action_config(proto::validate_action_config::Request {
            type_name: "test_count".into(),
            config: config(-1),
        })
        .await
        .unwrap()
        .into_inner();
    assert_eq!(invalid.diagnostics[0].summary, "Negative Count");
    let planned = server
        .provider()
        .plan_action(proto::plan_action::Request {
            action_type: "test_count".into(),
            config: config(2),
            client_capabilities: None,
        })
        .await
        .unwrap()
        .into_inner();
    assert!(planned.diagnostics.is_empty());

    let mut stream = server
        .provider()
        .invoke_action(proto::invoke_action::Request {
            action_type: "test_count".into(),
            config: config(4),
            client_capabilities: None,
        })
        .await
        .unwrap()
        .into_inner();
    let mut progress = Vec::new();
    let mut completed = None;
    while let Some(event) = stream.message().await.unwrap() {
        match event.r#type.unwrap() {
            proto::invoke_action::event::Type::Progress(p) => progress.push(p.message),
            proto::invoke_action::event::Type::Completed(c) => completed = Some(c.diagnostics),
        }
    }
    assert_eq!(progress, ["counted 1", "counted 2", "counted 3", "counted 4"]);
    let completed = completed.expect("a Completed event ends the stream");
    assert_eq!(completed[0].summary, "Long Count");
}

#[tokio::test]
async fn a_panic_becomes_a_diagnostic_and_the_server_keeps_serving() {
    let (server, _) = started().await;
    configure(&server).await;
    let planned = plan(&server, &Value::Null, &thing("panic"), &thing("panic")).await;
    let response = apply(
        &server,
        &Value::Null,
        &value(planned.planned_state.as_ref(), &thing_type()),
        &thing("panic"),
    )
    .await;
    let errors = errors(&response.diagnostics);
    assert!(errors[0].starts_with("Provider Panicked"), "{errors:?}");
    assert!(errors[0].contains("asked to panic"));
    let next = plan(&server, &Value::Null, &thing("fine"), &thing("fine")).await;
    assert!(next.diagnostics.is_empty());
}

#[tokio::test]
async fn stop_provider_cancels_in_flight_work_only() {
    let (server, _) = started().await;
    configure(&server).await;
    let planned = plan(&server, &Value::Null, &thing("slow"), &thing("slow")).await;
    let planned_state = value(planned.planned_state.as_ref(), &thing_type());
    let in_flight = {
        let server_channel = server.provider();
        let planned_state = planned_state.clone();
        tokio::spawn(async move {
            let ty = thing_type();
            let mut client = server_channel;
            client
                .apply_resource_change(proto::apply_resource_change::Request {
                    type_name: "test_thing".into(),
                    prior_state: None,
                    planned_state: dynamic(&planned_state, &ty),
                    config: dynamic(&thing("slow"), &ty),
                    ..Default::default()
                })
                .await
                .unwrap()
                .into_inner()
        })
    };
    tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    assert!(!in_flight.is_finished(), "the slow create waits for cancellation");
    server
        .provider()
        .stop_provider(proto::stop_provider::Request {})
        .await
        .unwrap();
    let response = tokio::time::timeout(std::time::Duration::from_secs(10), in_flight)
        .await
        .unwrap()
        .unwrap();
    assert!(errors(&response.diagnostics)[0].starts_with("Cancelled"));
    // The server still serves, with a fresh cancellation token.
    let next = plan(&server, &Value::Null, &thing("fine"), &thing("fine")).await;
    assert!(next.diagnostics.is_empty());
}

#[tokio::test]
async fn health_reports_plugin_serving_and_shutdown_fires() {
    let (server, _) = started().await;
    let mut health = tonic_health::pb::health_client::HealthClient::new(server.channel.clone());
    let status = health
        .check(tonic_health::pb::HealthCheckRequest {
            service: "plugin".into(),
        })
        .await
        .unwrap()
        .into_inner();
    assert_eq!(
        status.status,
        tonic_health::pb::health_check_response::ServingStatus::Serving as i32
    );

    let mut stdio = go_plugin::grpc_stdio_client::GrpcStdioClient::new(server.channel.clone());
    let mut stream = stdio.stream_stdio(()).await.unwrap().into_inner();
    let mut controller = go_plugin::grpc_controller_client::GrpcControllerClient::new(server.channel.clone());
    controller.shutdown(go_plugin::Empty {}).await.unwrap();
    assert!(server.shutdown.is_cancelled());
    let ended = tokio::time::timeout(std::time::Duration::from_secs(5), stream.message())
        .await
        .unwrap();
    assert!(matches!(ended, Ok(None) | Err(_)), "stdio stream ends with the server");
}
