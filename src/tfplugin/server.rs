//! The `tfplugin6.Provider` gRPC service: one thin protobuf adapter per RPC.
//!
//! Every method does the same steps in the same order, so the file reads as a table:
//! open a span naming the RPC and type, decode the request's values with the schema's type,
//! call the lifecycle rules in [`super::dispatch`], encode the result, attach diagnostics. A panic inside a
//! handler becomes an error diagnostic on that RPC (and a log line with its backtrace);
//! the process keeps serving. Domain errors are never gRPC status errors.

use std::collections::HashMap;
use std::future::Future;
use std::panic::AssertUnwindSafe;
use std::sync::{Arc, Mutex, RwLock};

use futures::FutureExt;
use tokio_util::sync::CancellationToken;
use tonic::{Request, Response, Status};
use tracing::Instrument;

use super::convert::{self, decode_dynamic, encode_dynamic};
use super::diagnostics::{Diagnostic, Diagnostics};
use super::dispatch::{self, ActionHandler, DataSourceHandler, ListResourceHandler, ResourceEntry};
use super::proto::{self, provider_server};
use super::schema::Schema;
use super::traits::{Context, Progress, Provider};
use super::types::Type;
use super::value::Value;

/// gRPC messages up to this size are accepted and sent. Terraform's client allows any size
/// and reads schemas with a 64 MiB limit; terraform-plugin-go settled on 256 MiB, large
/// enough for any plan of this provider yet bounded. tonic's default (4 MiB) is too small
/// for a plan of thousands of licence assignments.
pub const MAX_MESSAGE_SIZE: usize = 256 << 20;

type StreamOf<T> = std::pin::Pin<Box<dyn futures::Stream<Item = Result<T, Status>> + Send + 'static>>;

/// The events of one ListResource call, before they are streamed.
#[derive(Default)]
struct ListEvents(Vec<proto::list_resource::Event>);

/// A data source or action with its schema and type computed once.
struct Typed<T: ?Sized> {
    implementation: Arc<T>,
    schema: Schema,
    ty: Type,
}

impl<T: ?Sized> Typed<T> {
    fn new(implementation: Arc<T>, schema: Schema) -> Self {
        let ty = schema.implied_type();
        Self {
            implementation,
            schema,
            ty,
        }
    }
}

struct Inner<P: Provider> {
    provider: P,
    provider_schema: Typed<()>,
    resources: HashMap<String, ResourceEntry<P::Data>>,
    data_sources: HashMap<String, Typed<dyn DataSourceHandler<P::Data>>>,
    actions: HashMap<String, Typed<dyn ActionHandler<P::Data>>>,
    list_resources: HashMap<String, Typed<dyn ListResourceHandler<P::Data>>>,
    data: RwLock<Option<Arc<P::Data>>>,
    stop: Mutex<CancellationToken>,
}

/// Serves a [`Provider`] as `tfplugin6.Provider`. Schemas are computed once, here.
pub struct ProviderService<P: Provider> {
    inner: Arc<Inner<P>>,
}

impl<P: Provider> Clone for ProviderService<P> {
    fn clone(&self) -> Self {
        Self {
            inner: Arc::clone(&self.inner),
        }
    }
}

impl<P: Provider> ProviderService<P> {
    /// Wraps `provider`.
    pub fn new(provider: P) -> Self {
        let provider_schema = Typed::new(Arc::new(()), provider.schema());
        let resources = provider
            .resources()
            .into_iter()
            .map(|r| (r.type_name().to_owned(), ResourceEntry::new(r)))
            .collect();
        let data_sources = provider
            .data_sources()
            .into_iter()
            .map(|d| {
                let schema = d.schema();
                (d.type_name().to_owned(), Typed::new(d, schema))
            })
            .collect();
        let actions = provider
            .actions()
            .into_iter()
            .map(|a| {
                let schema = a.schema();
                (a.type_name().to_owned(), Typed::new(a, schema))
            })
            .collect();
        let list_resources = provider
            .list_resources()
            .into_iter()
            .map(|l| {
                let schema = l.schema();
                (l.type_name().to_owned(), Typed::new(l, schema))
            })
            .collect();
        let inner = Inner {
            provider,
            provider_schema,
            resources,
            data_sources,
            actions,
            list_resources,
            data: RwLock::new(None),
            stop: Mutex::new(CancellationToken::new()),
        };
        Self { inner: Arc::new(inner) }
    }

    /// The tonic server for this service, with the message limits applied.
    pub fn into_server(self) -> provider_server::ProviderServer<Self> {
        provider_server::ProviderServer::new(self)
            .max_decoding_message_size(MAX_MESSAGE_SIZE)
            .max_encoding_message_size(MAX_MESSAGE_SIZE)
    }

    fn context(&self) -> Context {
        Context {
            cancel: self.inner.stop.lock().expect("stop lock").child_token(),
        }
    }

    fn data(&self) -> Option<Arc<P::Data>> {
        self.inner.data.read().expect("data lock").clone()
    }

    fn resource(&self, type_name: &str) -> Result<&ResourceEntry<P::Data>, Diagnostic> {
        self.inner
            .resources
            .get(type_name)
            .ok_or_else(|| unknown_type("Resource", type_name))
    }

    /// The resource type and the request's values decoded with its type.
    fn resource_values<const N: usize>(
        &self,
        type_name: &str,
        values: [&Option<proto::DynamicValue>; N],
    ) -> Result<(&ResourceEntry<P::Data>, [Value; N]), Diagnostic> {
        let entry = self.resource(type_name)?;
        let mut decoded = [const { Value::Null }; N];
        for (slot, value) in decoded.iter_mut().zip(values) {
            *slot = decode_dynamic(value.as_ref(), &entry.ty)?;
        }
        Ok((entry, decoded))
    }

    fn data_source(&self, type_name: &str) -> Result<&Typed<dyn DataSourceHandler<P::Data>>, Diagnostic> {
        self.inner
            .data_sources
            .get(type_name)
            .ok_or_else(|| unknown_type("Data Source", type_name))
    }

    fn action(&self, type_name: &str) -> Result<&Typed<dyn ActionHandler<P::Data>>, Diagnostic> {
        self.inner
            .actions
            .get(type_name)
            .ok_or_else(|| unknown_type("Action", type_name))
    }

    fn list_resource_type(&self, type_name: &str) -> Result<&Typed<dyn ListResourceHandler<P::Data>>, Diagnostic> {
        self.inner
            .list_resources
            .get(type_name)
            .ok_or_else(|| unknown_type("List Resource", type_name))
    }
}

/// What the three Validate*Config RPCs share: a configuration type and a check.
#[async_trait::async_trait]
trait ValidatesConfig: Send + Sync {
    fn config_type(&self) -> &Type;
    async fn validate(&self, ctx: &Context, config: &Value, diags: &mut Diagnostics);
}

#[async_trait::async_trait]
impl<D: Send + Sync + 'static> ValidatesConfig for ResourceEntry<D> {
    fn config_type(&self) -> &Type {
        &self.ty
    }
    async fn validate(&self, ctx: &Context, config: &Value, diags: &mut Diagnostics) {
        self.handler.validate(ctx, config, diags).await;
    }
}

#[async_trait::async_trait]
impl<D: Send + Sync + 'static> ValidatesConfig for Typed<dyn DataSourceHandler<D>> {
    fn config_type(&self) -> &Type {
        &self.ty
    }
    async fn validate(&self, ctx: &Context, config: &Value, diags: &mut Diagnostics) {
        self.implementation.validate(ctx, config, diags).await;
    }
}

#[async_trait::async_trait]
impl<D: Send + Sync + 'static> ValidatesConfig for Typed<dyn ActionHandler<D>> {
    fn config_type(&self) -> &Type {
        &self.ty
    }
    async fn validate(&self, ctx: &Context, config: &Value, diags: &mut Diagnostics) {
        self.implementation.validate(ctx, config, diags).await;
    }
}

#[async_trait::async_trait]
impl<D: Send + Sync + 'static> ValidatesConfig for Typed<dyn ListResourceHandler<D>> {
    fn config_type(&self) -> &Type {
        &self.ty
    }
    async fn validate(&self, ctx: &Context, config: &Value, diags: &mut Diagnostics) {
        self.implementation.validate(ctx, config, diags).await;
    }
}

impl<P: Provider> ProviderService<P> {
    /// Decodes `config` with the target's type and validates it.
    async fn validate_config(
        &self,
        target: Result<&dyn ValidatesConfig, Diagnostic>,
        config: Option<&proto::DynamicValue>,
    ) -> Vec<proto::Diagnostic> {
        let mut diags = Diagnostics::new();
        match target.and_then(|t| decode_dynamic(config, t.config_type()).map(|c| (t, c))) {
            Ok((target, config)) => target.validate(&self.context(), &config, &mut diags).await,
            Err(d) => diags.push(d),
        }
        wire(&diags)
    }
}

fn unknown_type(kind: &str, type_name: &str) -> Diagnostic {
    Diagnostic::provider_bug(
        format!("Unknown {kind} Type"),
        format!("Terraform asked for {type_name:?}, which this provider does not have."),
    )
}

/// Runs one handler inside its span, turning a panic into an error diagnostic.
async fn rpc<R: Default>(
    name: &'static str,
    type_name: &str,
    handler: impl Future<Output = R>,
    report: impl FnOnce(&mut R, Vec<proto::Diagnostic>),
) -> Result<Response<R>, Status> {
    let span = tracing::debug_span!("rpc", tf_rpc = name, tf_resource_type = type_name);
    let outcome = async {
        tracing::trace!("Received request");
        let outcome = AssertUnwindSafe(handler).catch_unwind().await;
        tracing::trace!("Served request");
        outcome
    }
    .instrument(span)
    .await;
    match outcome {
        Ok(response) => Ok(Response::new(response)),
        Err(panic) => {
            let message = panic
                .downcast_ref::<&str>()
                .map(|s| (*s).to_owned())
                .or_else(|| panic.downcast_ref::<String>().cloned())
                .unwrap_or_else(|| "unknown panic".to_owned());
            let mut response = R::default();
            let diagnostic = Diagnostic::provider_bug("Provider Panicked", format!("{name} panicked: {message}"));
            report(&mut response, vec![convert::diagnostic(&diagnostic)]);
            Ok(Response::new(response))
        }
    }
}

fn wire(diags: &Diagnostics) -> Vec<proto::Diagnostic> {
    convert::diagnostics(diags.iter())
}

/// Encodes `value` or records why it could not be; `None` for null.
fn encode_into(value: &Value, ty: &Type, diags: &mut Diagnostics) -> Option<proto::DynamicValue> {
    if value.is_null() {
        return None;
    }
    encode_dynamic(value, ty).map_err(|d| diags.push(d)).ok()
}

fn identity_data<D: Send + Sync + 'static>(
    entry: &ResourceEntry<D>,
    state: &Value,
) -> Option<proto::ResourceIdentityData> {
    let (identity, ty) = entry.identity_of(state)?;
    Some(proto::ResourceIdentityData {
        identity_data: Some(encode_dynamic(&identity, ty).ok()?),
    })
}

#[tonic::async_trait]
impl<P: Provider> provider_server::Provider for ProviderService<P> {
    async fn get_metadata(
        &self,
        _request: Request<proto::get_metadata::Request>,
    ) -> Result<Response<proto::get_metadata::Response>, Status> {
        use proto::get_metadata as m;
        let response = m::Response {
            server_capabilities: Some(capabilities()),
            resources: self
                .inner
                .resources
                .keys()
                .map(|t| m::ResourceMetadata { type_name: t.clone() })
                .collect(),
            data_sources: self
                .inner
                .data_sources
                .keys()
                .map(|t| m::DataSourceMetadata { type_name: t.clone() })
                .collect(),
            actions: self
                .inner
                .actions
                .keys()
                .map(|t| m::ActionMetadata { type_name: t.clone() })
                .collect(),
            list_resources: self
                .inner
                .list_resources
                .keys()
                .map(|t| m::ListResourceMetadata { type_name: t.clone() })
                .collect(),
            ..Default::default()
        };
        Ok(Response::new(response))
    }

    async fn get_provider_schema(
        &self,
        _request: Request<proto::get_provider_schema::Request>,
    ) -> Result<Response<proto::get_provider_schema::Response>, Status> {
        let inner = &self.inner;
        let response = proto::get_provider_schema::Response {
            provider: Some(convert::schema(&inner.provider_schema.schema)),
            resource_schemas: inner
                .resources
                .iter()
                .map(|(k, r)| (k.clone(), convert::schema(&r.schema)))
                .collect(),
            data_source_schemas: inner
                .data_sources
                .iter()
                .map(|(k, d)| (k.clone(), convert::schema(&d.schema)))
                .collect(),
            action_schemas: inner
                .actions
                .iter()
                .map(|(k, a)| {
                    (
                        k.clone(),
                        proto::ActionSchema {
                            schema: Some(convert::schema(&a.schema)),
                        },
                    )
                })
                .collect(),
            list_resource_schemas: inner
                .list_resources
                .iter()
                .map(|(k, l)| (k.clone(), convert::schema(&l.schema)))
                .collect(),
            server_capabilities: Some(capabilities()),
            ..Default::default()
        };
        Ok(Response::new(response))
    }

    async fn get_resource_identity_schemas(
        &self,
        _request: Request<proto::get_resource_identity_schemas::Request>,
    ) -> Result<Response<proto::get_resource_identity_schemas::Response>, Status> {
        let identity_schemas = self
            .inner
            .resources
            .iter()
            .filter_map(|(k, r)| Some((k.clone(), convert::identity_schema(&r.identity.as_ref()?.0))))
            .collect();
        Ok(Response::new(proto::get_resource_identity_schemas::Response {
            identity_schemas,
            diagnostics: vec![],
        }))
    }

    async fn validate_provider_config(
        &self,
        request: Request<proto::validate_provider_config::Request>,
    ) -> Result<Response<proto::validate_provider_config::Response>, Status> {
        let request = request.into_inner();
        rpc(
            "ValidateProviderConfig",
            "",
            async {
                let mut diags = Diagnostics::new();
                let config = decode_dynamic(request.config.as_ref(), &self.inner.provider_schema.ty)
                    .and_then(|c| dispatch::decode_config::<P::Config>(&c));
                match config {
                    Ok(config) => self.inner.provider.validate(&self.context(), &config, &mut diags).await,
                    Err(d) => diags.push(d),
                }
                proto::validate_provider_config::Response {
                    diagnostics: wire(&diags),
                }
            },
            |r, d| r.diagnostics = d,
        )
        .await
    }

    async fn validate_resource_config(
        &self,
        request: Request<proto::validate_resource_config::Request>,
    ) -> Result<Response<proto::validate_resource_config::Response>, Status> {
        let request = request.into_inner();
        let target = self.resource(&request.type_name).map(|t| t as &dyn ValidatesConfig);
        let diagnostics = self.validate_config(target, request.config.as_ref());
        rpc(
            "ValidateResourceConfig",
            &request.type_name,
            async {
                proto::validate_resource_config::Response {
                    diagnostics: diagnostics.await,
                }
            },
            |r, d| r.diagnostics = d,
        )
        .await
    }

    async fn validate_data_resource_config(
        &self,
        request: Request<proto::validate_data_resource_config::Request>,
    ) -> Result<Response<proto::validate_data_resource_config::Response>, Status> {
        let request = request.into_inner();
        let target = self.data_source(&request.type_name).map(|t| t as &dyn ValidatesConfig);
        let diagnostics = self.validate_config(target, request.config.as_ref());
        rpc(
            "ValidateDataResourceConfig",
            &request.type_name,
            async {
                proto::validate_data_resource_config::Response {
                    diagnostics: diagnostics.await,
                }
            },
            |r, d| r.diagnostics = d,
        )
        .await
    }

    async fn upgrade_resource_state(
        &self,
        request: Request<proto::upgrade_resource_state::Request>,
    ) -> Result<Response<proto::upgrade_resource_state::Response>, Status> {
        let request = request.into_inner();
        rpc("UpgradeResourceState", &request.type_name, async {
            let mut diags = Diagnostics::new();
            let mut upgraded_state = None;
            match self.resource(&request.type_name) {
                Err(d) => diags.push(d),
                Ok(r) => {
                    let raw = request.raw_state.unwrap_or_default();
                    if raw.json.is_empty() && !raw.flatmap.is_empty() {
                        diags.error(
                            "Unsupported Legacy State",
                            "This resource's state is in the pre-0.12 flatmap format, which this provider never wrote. Remove it from state and import it again.",
                        );
                    } else {
                        let ctx = self.context();
                        if let Some(state) = r.handler.upgrade_state(&ctx, request.version, &raw.json, &mut diags).await {
                            dispatch::require_wholly_known(&state, "The upgraded state", &mut diags);
                            upgraded_state = encode_into(&state, &r.ty, &mut diags);
                        }
                    }
                }
            }
            proto::upgrade_resource_state::Response { upgraded_state, diagnostics: wire(&diags) }
        }, |r, d| r.diagnostics = d)
        .await
    }

    async fn move_resource_state(
        &self,
        request: Request<proto::move_resource_state::Request>,
    ) -> Result<Response<proto::move_resource_state::Response>, Status> {
        let request = request.into_inner();
        rpc(
            "MoveResourceState",
            &request.target_type_name,
            async {
                let mut diags = Diagnostics::new();
                let mut response = proto::move_resource_state::Response::default();
                match self.resource(&request.target_type_name) {
                    Err(d) => diags.push(d),
                    Ok(r) => {
                        let raw = request.source_state.unwrap_or_default();
                        if raw.json.is_empty() && !raw.flatmap.is_empty() {
                            diags.error(
                                "Unsupported Legacy State",
                                format!("The state of {} is in the pre-0.12 flatmap format. Refresh it with its own provider first, then move it.", request.source_type_name),
                            );
                        } else {
                            let move_request = super::traits::MoveRequest {
                                source_provider_address: request.source_provider_address,
                                source_type_name: request.source_type_name,
                                source_schema_version: request.source_schema_version,
                                source_state_json: raw.json,
                            };
                            if let Some(state) =
                                dispatch::move_resource(r, &self.context(), move_request, &mut diags).await
                            {
                                response.target_identity = identity_data(r, &state);
                                response.target_state = encode_into(&state, &r.ty, &mut diags);
                            }
                        }
                    }
                }
                response.diagnostics = wire(&diags);
                response
            },
            |r, d| r.diagnostics = d,
        )
        .await
    }

    async fn validate_list_resource_config(
        &self,
        request: Request<proto::validate_list_resource_config::Request>,
    ) -> Result<Response<proto::validate_list_resource_config::Response>, Status> {
        let request = request.into_inner();
        let target = self
            .list_resource_type(&request.type_name)
            .map(|t| t as &dyn ValidatesConfig);
        let diagnostics = self.validate_config(target, request.config.as_ref());
        rpc(
            "ValidateListResourceConfig",
            &request.type_name,
            async {
                proto::validate_list_resource_config::Response {
                    diagnostics: diagnostics.await,
                }
            },
            |r, d| r.diagnostics = d,
        )
        .await
    }

    async fn list_resource(
        &self,
        request: Request<proto::list_resource::Request>,
    ) -> Result<Response<StreamOf<proto::list_resource::Event>>, Status> {
        let request = request.into_inner();
        // The whole answer is computed first, then streamed: errors come as one event with
        // diagnostics only (Terraform stops there), warnings as a first event without an
        // identity (Terraform reads on), then one event per object.
        let events = rpc(
            "ListResource",
            &request.type_name,
            async {
                let mut diags = Diagnostics::new();
                let mut results = Vec::new();
                let listing = self
                    .list_resource_type(&request.type_name)
                    .and_then(|l| decode_dynamic(request.config.as_ref(), &l.ty).map(|c| (l, c)));
                let resource = self.resource(&request.type_name);
                match (listing, resource) {
                    (Err(d), _) | (_, Err(d)) => diags.push(d),
                    (Ok((l, config)), Ok(r)) => {
                        let data = self.data();
                        let listed = dispatch::list_resource(
                            l.implementation.as_ref(),
                            &self.context(),
                            data.as_deref(),
                            config,
                            request.include_resource_object,
                            request.limit,
                            &mut diags,
                        )
                        .await;
                        for item in listed {
                            // A value that does not fit its schema is the provider's bug:
                            // reported, never sent as a result without its identity.
                            let identity = match &r.identity {
                                Some((_, ty)) => encode_into(&item.identity, ty, &mut diags),
                                None => None,
                            };
                            let object = match &item.object {
                                Some(object) => match encode_into(object, &r.ty, &mut diags) {
                                    Some(encoded) => Some(encoded),
                                    None => continue,
                                },
                                None => None,
                            };
                            if identity.is_none() {
                                continue;
                            }
                            results.push(proto::list_resource::Event {
                                identity: identity.map(|d| proto::ResourceIdentityData { identity_data: Some(d) }),
                                display_name: item.display_name,
                                resource_object: object,
                                diagnostic: Vec::new(),
                            });
                        }
                    }
                }
                let mut events = Vec::new();
                if !diags.is_empty() {
                    events.push(proto::list_resource::Event {
                        diagnostic: wire(&diags),
                        ..Default::default()
                    });
                }
                if !diags.has_errors() {
                    events.extend(results);
                }
                ListEvents(events)
            },
            |r, d| {
                r.0 = vec![proto::list_resource::Event {
                    diagnostic: d,
                    ..Default::default()
                }]
            },
        )
        .await?
        .into_inner()
        .0;
        let stream: StreamOf<proto::list_resource::Event> = Box::pin(futures::stream::iter(events.into_iter().map(Ok)));
        Ok(Response::new(stream))
    }

    async fn generate_resource_config(
        &self,
        request: Request<proto::generate_resource_config::Request>,
    ) -> Result<Response<proto::generate_resource_config::Response>, Status> {
        let request = request.into_inner();
        rpc(
            "GenerateResourceConfig",
            &request.type_name,
            async {
                let mut diags = Diagnostics::new();
                let mut response = proto::generate_resource_config::Response::default();
                match self.resource_values(&request.type_name, [&request.state]) {
                    Err(d) => diags.push(d),
                    Ok((r, [state])) => {
                        let config = dispatch::generate_config(r, &state);
                        response.config = encode_into(&config, &r.ty, &mut diags);
                    }
                }
                response.diagnostics = wire(&diags);
                response
            },
            |r, d| r.diagnostics = d,
        )
        .await
    }

    async fn configure_provider(
        &self,
        request: Request<proto::configure_provider::Request>,
    ) -> Result<Response<proto::configure_provider::Response>, Status> {
        let request = request.into_inner();
        rpc(
            "ConfigureProvider",
            "",
            async {
                let mut diags = Diagnostics::new();
                let config = decode_dynamic(request.config.as_ref(), &self.inner.provider_schema.ty)
                    .and_then(|c| dispatch::decode_config::<P::Config>(&c));
                match config {
                    Err(d) => diags.push(d),
                    Ok(config) => {
                        let configure = super::traits::ConfigureRequest {
                            config,
                            terraform_version: request.terraform_version,
                        };
                        if let Some(data) = self
                            .inner
                            .provider
                            .configure(&self.context(), configure, &mut diags)
                            .await
                        {
                            *self.inner.data.write().expect("data lock") = Some(Arc::new(data));
                        }
                    }
                }
                proto::configure_provider::Response {
                    diagnostics: wire(&diags),
                }
            },
            |r, d| r.diagnostics = d,
        )
        .await
    }

    async fn read_resource(
        &self,
        request: Request<proto::read_resource::Request>,
    ) -> Result<Response<proto::read_resource::Response>, Status> {
        let request = request.into_inner();
        rpc(
            "ReadResource",
            &request.type_name,
            async {
                let mut diags = Diagnostics::new();
                let mut response = proto::read_resource::Response {
                    private: request.private.clone(),
                    ..Default::default()
                };
                match self.resource_values(&request.type_name, [&request.current_state]) {
                    Err(d) => diags.push(d),
                    Ok((r, [state])) => {
                        let data = self.data();
                        let state =
                            dispatch::read_resource(r, &self.context(), data.as_deref(), state, &mut diags).await;
                        response.new_identity = identity_data(r, &state);
                        response.new_state = encode_into(&state, &r.ty, &mut diags);
                    }
                }
                response.diagnostics = wire(&diags);
                response
            },
            |r, d| r.diagnostics = d,
        )
        .await
    }

    async fn plan_resource_change(
        &self,
        request: Request<proto::plan_resource_change::Request>,
    ) -> Result<Response<proto::plan_resource_change::Response>, Status> {
        let request = request.into_inner();
        rpc(
            "PlanResourceChange",
            &request.type_name,
            async {
                let mut diags = Diagnostics::new();
                let mut response = proto::plan_resource_change::Response {
                    planned_private: request.prior_private.clone(),
                    ..Default::default()
                };
                let values = [&request.prior_state, &request.proposed_new_state, &request.config];
                match self.resource_values(&request.type_name, values) {
                    Err(d) => diags.push(d),
                    Ok((r, [prior, proposed, config])) => {
                        let data = self.data();
                        let ctx = self.context();
                        let outcome =
                            dispatch::plan_resource(r, &ctx, data.as_deref(), prior, proposed, config, &mut diags)
                                .await;
                        response.requires_replace =
                            outcome.requires_replace.iter().map(convert::attribute_path).collect();
                        response.planned_identity = identity_data(r, &outcome.planned);
                        response.planned_state = encode_into(&outcome.planned, &r.ty, &mut diags);
                    }
                }
                response.diagnostics = wire(&diags);
                response
            },
            |r, d| r.diagnostics = d,
        )
        .await
    }

    async fn apply_resource_change(
        &self,
        request: Request<proto::apply_resource_change::Request>,
    ) -> Result<Response<proto::apply_resource_change::Response>, Status> {
        let request = request.into_inner();
        rpc(
            "ApplyResourceChange",
            &request.type_name,
            async {
                let mut diags = Diagnostics::new();
                let mut response = proto::apply_resource_change::Response {
                    private: request.planned_private.clone(),
                    ..Default::default()
                };
                let values = [&request.prior_state, &request.planned_state, &request.config];
                match self.resource_values(&request.type_name, values) {
                    Err(d) => diags.push(d),
                    Ok((r, [prior, planned, config])) => {
                        let data = self.data();
                        let ctx = self.context();
                        let state =
                            dispatch::apply_resource(r, &ctx, data.as_deref(), prior, planned, config, &mut diags)
                                .await;
                        response.new_identity = identity_data(r, &state);
                        response.new_state = encode_into(&state, &r.ty, &mut diags);
                    }
                }
                response.diagnostics = wire(&diags);
                response
            },
            |r, d| r.diagnostics = d,
        )
        .await
    }

    async fn import_resource_state(
        &self,
        request: Request<proto::import_resource_state::Request>,
    ) -> Result<Response<proto::import_resource_state::Response>, Status> {
        let request = request.into_inner();
        rpc(
            "ImportResourceState",
            &request.type_name,
            async {
                let mut diags = Diagnostics::new();
                let mut response = proto::import_resource_state::Response::default();
                match self.resource(&request.type_name) {
                    Err(d) => diags.push(d),
                    Ok(r) => {
                        let raw_identity = request.identity.as_ref().and_then(|i| i.identity_data.as_ref());
                        let identity = match (raw_identity, &r.identity) {
                            (Some(raw), Some((_, ty))) => decode_dynamic(Some(raw), ty).map_err(|d| diags.push(d)).ok(),
                            _ => None,
                        };
                        let data = self.data();
                        let ctx = self.context();
                        let imported =
                            dispatch::import_resource(r, &ctx, data.as_deref(), &request.id, identity, &mut diags)
                                .await;
                        if let Some(state) = imported {
                            response
                                .imported_resources
                                .push(proto::import_resource_state::ImportedResource {
                                    type_name: request.type_name.clone(),
                                    state: encode_into(&state, &r.ty, &mut diags),
                                    private: Vec::new(),
                                    identity: identity_data(r, &state),
                                });
                        }
                    }
                }
                response.diagnostics = wire(&diags);
                response
            },
            |r, d| r.diagnostics = d,
        )
        .await
    }

    async fn read_data_source(
        &self,
        request: Request<proto::read_data_source::Request>,
    ) -> Result<Response<proto::read_data_source::Response>, Status> {
        let request = request.into_inner();
        rpc(
            "ReadDataSource",
            &request.type_name,
            async {
                let mut diags = Diagnostics::new();
                let mut response = proto::read_data_source::Response::default();
                let decoded = self
                    .data_source(&request.type_name)
                    .and_then(|d| decode_dynamic(request.config.as_ref(), &d.ty).map(|c| (d, c)));
                match (decoded, self.data()) {
                    (Err(d), _) => diags.push(d),
                    (Ok(_), None) => diags.push(dispatch::not_configured()),
                    (Ok((d, config)), Some(data)) => {
                        let ctx = self.context();
                        if let Some(state) = d.implementation.read(&ctx, &data, config, &mut diags).await {
                            dispatch::require_wholly_known(&state, "The data source's result", &mut diags);
                            response.state = encode_into(&state, &d.ty, &mut diags);
                        }
                    }
                }
                response.diagnostics = wire(&diags);
                response
            },
            |r, d| r.diagnostics = d,
        )
        .await
    }

    async fn validate_action_config(
        &self,
        request: Request<proto::validate_action_config::Request>,
    ) -> Result<Response<proto::validate_action_config::Response>, Status> {
        let request = request.into_inner();
        let target = self.action(&request.type_name).map(|t| t as &dyn ValidatesConfig);
        let diagnostics = self.validate_config(target, request.config.as_ref());
        rpc(
            "ValidateActionConfig",
            &request.type_name,
            async {
                proto::validate_action_config::Response {
                    diagnostics: diagnostics.await,
                }
            },
            |r, d| r.diagnostics = d,
        )
        .await
    }

    async fn plan_action(
        &self,
        request: Request<proto::plan_action::Request>,
    ) -> Result<Response<proto::plan_action::Response>, Status> {
        let request = request.into_inner();
        rpc(
            "PlanAction",
            &request.action_type,
            async {
                let mut diags = Diagnostics::new();
                let checked = self
                    .action(&request.action_type)
                    .and_then(|a| decode_dynamic(request.config.as_ref(), &a.ty).map(|c| (a, c)));
                match checked {
                    Ok((a, config)) => {
                        let data = self.data();
                        a.implementation
                            .plan(&self.context(), data.as_deref(), &config, &mut diags)
                            .await;
                    }
                    Err(d) => diags.push(d),
                }
                proto::plan_action::Response {
                    diagnostics: wire(&diags),
                    deferred: None,
                }
            },
            |r, d| r.diagnostics = d,
        )
        .await
    }

    async fn invoke_action(
        &self,
        request: Request<proto::invoke_action::Request>,
    ) -> Result<Response<StreamOf<proto::invoke_action::Event>>, Status> {
        use proto::invoke_action::event::{Completed, Progress as ProgressEvent, Type as EventType};
        let request = request.into_inner();
        let (events, receiver) = tokio::sync::mpsc::channel(16);
        let service = self.clone();
        tokio::spawn(async move {
            let (progress, mut messages) = Progress::channel(16);
            let forward_events = events.clone();
            let forwarder = tokio::spawn(async move {
                while let Some(message) = messages.recv().await {
                    let event = proto::invoke_action::Event {
                        r#type: Some(EventType::Progress(ProgressEvent { message })),
                    };
                    if forward_events.send(Ok(event)).await.is_err() {
                        break;
                    }
                }
            });
            let run = async {
                let mut diags = Diagnostics::new();
                let checked = service
                    .action(&request.action_type)
                    .and_then(|a| decode_dynamic(request.config.as_ref(), &a.ty).map(|c| (a, c)));
                match (checked, service.data()) {
                    (Err(d), _) => diags.push(d),
                    (Ok(_), None) => diags.push(dispatch::not_configured()),
                    (Ok((a, config)), Some(data)) => {
                        a.implementation
                            .invoke(&service.context(), &data, config, &progress, &mut diags)
                            .await;
                    }
                }
                drop(progress);
                wire(&diags)
            };
            let completed = rpc("InvokeAction", &request.action_type, run, |r, d| *r = d)
                .await
                .map(Response::into_inner)
                .unwrap_or_default();
            let _ = forwarder.await;
            let event = proto::invoke_action::Event {
                r#type: Some(EventType::Completed(Completed { diagnostics: completed })),
            };
            let _ = events.send(Ok(event)).await;
        });
        Ok(Response::new(Box::pin(tokio_stream::wrappers::ReceiverStream::new(
            receiver,
        ))))
    }

    async fn stop_provider(
        &self,
        _request: Request<proto::stop_provider::Request>,
    ) -> Result<Response<proto::stop_provider::Response>, Status> {
        // Cancel what is in flight and arm a fresh token for later calls, as
        // terraform-plugin-go does: StopProvider never stops the server itself.
        let mut stop = self.inner.stop.lock().expect("stop lock");
        stop.cancel();
        *stop = CancellationToken::new();
        tracing::info!("StopProvider: in-flight operations cancelled");
        Ok(Response::new(proto::stop_provider::Response { error: String::new() }))
    }
}

fn capabilities() -> proto::ServerCapabilities {
    proto::ServerCapabilities {
        // Destroy plans come to us, so resources can return a null plan with diagnostics.
        plan_destroy: true,
        // Terraform may reuse a cached schema across provider processes: cheaper starts.
        get_provider_schema_optional: true,
        // `moved` across resource types (Terraform 1.8+): each resource decides which
        // sources it accepts (`Resource::move_state`; the default refuses, naming the source).
        move_resource_state: true,
        // Terraform 1.14+ asks the provider for generated configuration (readable HCL for
        // -generate-config-out and terraform query) instead of guessing it from the state.
        generate_resource_config: true,
    }
}
