//! The lifecycle rules between the wire and the typed resources.
//!
//! `server.rs` only turns protobuf into [`Value`]s and back; everything Terraform's
//! resource lifecycle asks of a provider is decided here, once, for every resource:
//! - decoding into the resource's model and encoding back, with path-scoped diagnostics
//!   when a value does not fit (the typed methods are then not called);
//! - plan: destroy plans stay null (the resource may only warn), computed nulls become
//!   unknown, the resource adjusts, `requires_replace` is collected, attributes the
//!   resource left alone keep the exact value Terraform sent (refinements, partly unknown
//!   collections);
//! - apply: create, update or delete by what is null; a failed delete keeps the object, a
//!   missing or partly unknown new state is a provider bug;
//! - read: an unconfigured provider keeps the state, a vanished object leaves state;
//! - import: by identity when Terraform sends one and no ID, by ID otherwise;
//! - identity: derived from a wholly known state only.
//!
//! The object-safe handler traits ([`ResourceHandler`], [`DataSourceHandler`],
//! [`ActionHandler`]) are implemented for every typed [`Resource`], [`DataSource`] and
//! [`Action`], so the server keeps one path for all of them.

use std::sync::Arc;

use async_trait::async_trait;

use super::diagnostics::{Diagnostic, Diagnostics, Severity};
use super::model::{Model, TfType};
use super::path::AttributePath;
use super::plan;
use super::schema::{IdentitySchema, Schema};
use super::traits::{
    Action, Context, DataSource, ListRequest, ListResource, MoveRequest, PlanRequest, PlannedChange, Progress,
    ReadOutcome, Resource, UpdateRequest,
};
use super::types::Type;
use super::value::{FromValue, IntoValue, Value};

/// Decodes `value` into `M`, or records why it does not fit. Configuration that does not
/// fit (a null element in a set) is the practitioner's to fix; anything else is a bug.
fn decode<M: Model>(value: &Value, what: Decoding, diags: &mut Diagnostics) -> Option<M> {
    match M::from_value(value, &AttributePath::root()) {
        Ok(model) => Some(model),
        Err(error) => {
            let diagnostic = match what {
                Decoding::Config => Diagnostic::error(
                    "Invalid Configuration Value",
                    format!("{}: {}.", error.path, error.message),
                ),
                Decoding::Other(name) => Diagnostic::provider_bug(
                    "Unreadable Value",
                    format!(
                        "The {name} does not fit the schema at {}: {}",
                        error.path, error.message
                    ),
                ),
            };
            let path = match what {
                Decoding::Config => placeable(error.path),
                Decoding::Other(_) => error.path,
            };
            diags.push(diagnostic.at(path));
            None
        }
    }
}

/// Decodes a configuration (the provider block) into its model.
pub(crate) fn decode_config<M: Model>(value: &Value) -> Result<M, Diagnostic> {
    let mut diags = Diagnostics::new();
    decode::<M>(value, Decoding::Config, &mut diags)
        .ok_or_else(|| diags.into_vec().pop().expect("a failed decoding leaves a diagnostic"))
}

/// The part of a configuration path Terraform can point at: it resolves a path in the
/// configuration down to an element of a map or list of nested attributes, not inside it,
/// so a problem deeper down is shown on that element rather than on the resource.
fn placeable(path: AttributePath) -> AttributePath {
    use super::path::Step;
    let steps = path.steps();
    match steps.iter().position(|s| matches!(s, Step::Key(_) | Step::Index(_))) {
        Some(element) if element + 1 < steps.len() => AttributePath::from_steps(steps[..=element].to_vec()),
        _ => path,
    }
}

#[derive(Clone, Copy)]
enum Decoding {
    Config,
    Other(&'static str),
}

/// `None` for a null value (no prior state), the model otherwise.
fn decode_optional<M: Model>(value: &Value, what: &'static str, diags: &mut Diagnostics) -> Result<Option<M>, ()> {
    if value.is_null() {
        return Ok(None);
    }
    decode(value, Decoding::Other(what), diags).map(Some).ok_or(())
}

/// Where the typed result equals the typed reading of what Terraform sent, keep what
/// Terraform sent: decoding is lossy only for unknowns, and this keeps them exact.
fn keep_untouched(sent: Value, typed_sent: &Value, typed_result: Value) -> Value {
    match (sent, typed_result) {
        (Value::Map(mut sent), Value::Map(result)) => {
            let typed_sent = typed_sent.as_map();
            Value::Map(
                result
                    .into_iter()
                    .map(|(key, value)| {
                        let typed = typed_sent.and_then(|m| m.get(&key));
                        let value = match (sent.remove(&key), typed) {
                            (Some(original), Some(typed)) => keep_untouched(original, typed, value),
                            _ => value,
                        };
                        (key, value)
                    })
                    .collect(),
            )
        }
        (sent, result) if &result == typed_sent => sent,
        (_, result) => result,
    }
}

/// A managed resource as the server sees it: untyped, object-safe.
#[async_trait]
pub trait ResourceHandler<D: Send + Sync + 'static>: Send + Sync + 'static {
    /// The full type name.
    fn type_name(&self) -> &'static str;
    /// The schema.
    fn schema(&self) -> Schema;
    /// The identity schema, if any.
    fn identity_schema(&self) -> Option<IdentitySchema>;
    /// The type of the resource's model (must equal the schema's implied type).
    fn model_type(&self) -> Type;
    /// The identity of a state.
    fn identity(&self, state: &Value) -> Option<Value>;
    /// ValidateResourceConfig.
    async fn validate(&self, ctx: &Context, config: &Value, diags: &mut Diagnostics);
    /// The resource's part of a create or update plan; returns the planned state and the
    /// extra replacement paths.
    async fn plan(
        &self,
        ctx: &Context,
        data: Option<&D>,
        prior: &Value,
        config: &Value,
        planned: Value,
        diags: &mut Diagnostics,
    ) -> (Value, Vec<AttributePath>);
    /// PlanResourceChange for a destroy.
    async fn plan_destroy(&self, ctx: &Context, data: Option<&D>, prior: &Value, diags: &mut Diagnostics);
    /// Create.
    async fn create(
        &self,
        ctx: &Context,
        data: &D,
        planned: Value,
        config: Value,
        diags: &mut Diagnostics,
    ) -> Option<Value>;
    /// Read.
    async fn read(&self, ctx: &Context, data: &D, state: Value, diags: &mut Diagnostics) -> ReadOutcome<Value>;
    /// Update.
    async fn update(
        &self,
        ctx: &Context,
        data: &D,
        request: UpdateRequest<Value>,
        diags: &mut Diagnostics,
    ) -> Option<Value>;
    /// Delete.
    async fn delete(&self, ctx: &Context, data: &D, prior: Value, diags: &mut Diagnostics);
    /// Import by ID.
    async fn import(&self, ctx: &Context, data: &D, id: &str, diags: &mut Diagnostics) -> Option<Value>;
    /// Import by identity.
    async fn import_identity(
        &self,
        ctx: &Context,
        data: &D,
        identity: &Value,
        diags: &mut Diagnostics,
    ) -> Option<Value>;
    /// MoveResourceState.
    async fn move_state(&self, ctx: &Context, request: MoveRequest, diags: &mut Diagnostics) -> Option<Value>;
    /// UpgradeResourceState.
    async fn upgrade_state(
        &self,
        ctx: &Context,
        version: i64,
        raw_json: &[u8],
        diags: &mut Diagnostics,
    ) -> Option<Value>;
}

#[async_trait]
impl<D: Send + Sync + 'static, R: Resource<D>> ResourceHandler<D> for R {
    fn type_name(&self) -> &'static str {
        Resource::type_name(self)
    }

    fn schema(&self) -> Schema {
        Resource::schema(self)
    }

    fn identity_schema(&self) -> Option<IdentitySchema> {
        Resource::identity_schema(self)
    }

    fn model_type(&self) -> Type {
        R::Model::tf_type()
    }

    fn identity(&self, state: &Value) -> Option<Value> {
        let state = R::Model::from_value(state, &AttributePath::root()).ok()?;
        Resource::identity(self, &state).map(IntoValue::into_value)
    }

    async fn validate(&self, ctx: &Context, config: &Value, diags: &mut Diagnostics) {
        if let Some(config) = decode::<R::Model>(config, Decoding::Config, diags) {
            Resource::validate(self, ctx, &config, diags).await;
        }
    }

    async fn plan(
        &self,
        ctx: &Context,
        data: Option<&D>,
        prior: &Value,
        config: &Value,
        planned: Value,
        diags: &mut Diagnostics,
    ) -> (Value, Vec<AttributePath>) {
        let Ok(prior) = decode_optional::<R::Model>(prior, "prior state", diags) else {
            return (planned, Vec::new());
        };
        let (Some(config), Some(typed_planned)) = (
            decode::<R::Model>(config, Decoding::Config, diags),
            decode::<R::Model>(&planned, Decoding::Other("proposed plan"), diags),
        ) else {
            return (planned, Vec::new());
        };
        let typed_sent = typed_planned.clone().into_value();
        let request = PlanRequest { prior, config };
        let mut change = PlannedChange {
            planned: typed_planned,
            requires_replace: Vec::new(),
        };
        Resource::plan(self, ctx, data, &request, &mut change, diags).await;
        let result = keep_untouched(planned, &typed_sent, change.planned.into_value());
        (result, change.requires_replace)
    }

    async fn create(
        &self,
        ctx: &Context,
        data: &D,
        planned: Value,
        config: Value,
        diags: &mut Diagnostics,
    ) -> Option<Value> {
        let planned = decode::<R::Model>(&planned, Decoding::Other("planned state"), diags)?;
        let config = decode::<R::Model>(&config, Decoding::Config, diags)?;
        Resource::create(self, ctx, data, planned, config, diags)
            .await
            .map(IntoValue::into_value)
    }

    async fn read(&self, ctx: &Context, data: &D, state: Value, diags: &mut Diagnostics) -> ReadOutcome<Value> {
        let Some(typed) = decode::<R::Model>(&state, Decoding::Other("stored state"), diags) else {
            return ReadOutcome::Found(state);
        };
        match Resource::read(self, ctx, data, typed, diags).await {
            ReadOutcome::Found(state) => ReadOutcome::Found(state.into_value()),
            ReadOutcome::Gone => ReadOutcome::Gone,
        }
    }

    async fn update(
        &self,
        ctx: &Context,
        data: &D,
        request: UpdateRequest<Value>,
        diags: &mut Diagnostics,
    ) -> Option<Value> {
        let prior = decode::<R::Model>(&request.prior, Decoding::Other("prior state"), diags)?;
        let planned = decode::<R::Model>(&request.planned, Decoding::Other("planned state"), diags)?;
        let config = decode::<R::Model>(&request.config, Decoding::Config, diags)?;
        let request = UpdateRequest { prior, planned, config };
        Resource::update(self, ctx, data, request, diags)
            .await
            .map(IntoValue::into_value)
    }

    async fn delete(&self, ctx: &Context, data: &D, prior: Value, diags: &mut Diagnostics) {
        if let Some(prior) = decode::<R::Model>(&prior, Decoding::Other("prior state"), diags) {
            Resource::delete(self, ctx, data, prior, diags).await;
        }
    }

    async fn plan_destroy(&self, ctx: &Context, data: Option<&D>, prior: &Value, diags: &mut Diagnostics) {
        if let Some(prior) = decode::<R::Model>(prior, Decoding::Other("prior state"), diags) {
            Resource::plan_destroy(self, ctx, data, &prior, diags).await;
        }
    }

    async fn import(&self, ctx: &Context, data: &D, id: &str, diags: &mut Diagnostics) -> Option<Value> {
        Resource::import(self, ctx, data, id, diags)
            .await
            .map(IntoValue::into_value)
    }

    async fn import_identity(
        &self,
        ctx: &Context,
        data: &D,
        identity: &Value,
        diags: &mut Diagnostics,
    ) -> Option<Value> {
        let identity = decode::<R::Identity>(identity, Decoding::Config, diags)?;
        Resource::import_identity(self, ctx, data, identity, diags)
            .await
            .map(IntoValue::into_value)
    }

    async fn move_state(&self, ctx: &Context, request: MoveRequest, diags: &mut Diagnostics) -> Option<Value> {
        Resource::move_state(self, ctx, request, diags)
            .await
            .map(IntoValue::into_value)
    }

    async fn upgrade_state(
        &self,
        ctx: &Context,
        version: i64,
        raw_json: &[u8],
        diags: &mut Diagnostics,
    ) -> Option<Value> {
        Resource::upgrade_state(self, ctx, version, raw_json, diags).await
    }
}

/// A data source as the server sees it.
#[async_trait]
pub trait DataSourceHandler<D: Send + Sync + 'static>: Send + Sync + 'static {
    /// The full type name.
    fn type_name(&self) -> &'static str;
    /// The schema.
    fn schema(&self) -> Schema;
    /// The type of the data source's model.
    fn model_type(&self) -> Type;
    /// ValidateDataResourceConfig.
    async fn validate(&self, ctx: &Context, config: &Value, diags: &mut Diagnostics);
    /// ReadDataSource.
    async fn read(&self, ctx: &Context, data: &D, config: Value, diags: &mut Diagnostics) -> Option<Value>;
}

#[async_trait]
impl<D: Send + Sync + 'static, S: DataSource<D>> DataSourceHandler<D> for S {
    fn type_name(&self) -> &'static str {
        DataSource::type_name(self)
    }

    fn schema(&self) -> Schema {
        DataSource::schema(self)
    }

    fn model_type(&self) -> Type {
        S::Model::tf_type()
    }

    async fn validate(&self, ctx: &Context, config: &Value, diags: &mut Diagnostics) {
        if let Some(config) = decode::<S::Model>(config, Decoding::Config, diags) {
            DataSource::validate(self, ctx, &config, diags).await;
        }
    }

    async fn read(&self, ctx: &Context, data: &D, config: Value, diags: &mut Diagnostics) -> Option<Value> {
        let config = decode::<S::Model>(&config, Decoding::Config, diags)?;
        DataSource::read(self, ctx, data, config, diags)
            .await
            .map(IntoValue::into_value)
    }
}

/// One result of a list resource, as values.
#[derive(Clone, Debug, PartialEq)]
pub struct ListedValue {
    /// The identity.
    pub identity: Value,
    /// The display name.
    pub display_name: String,
    /// The resource object, when asked for.
    pub object: Option<Value>,
}

/// A list resource as the server sees it.
#[async_trait]
pub trait ListResourceHandler<D: Send + Sync + 'static>: Send + Sync + 'static {
    /// The managed resource's type name.
    fn type_name(&self) -> &'static str;
    /// The schema of the `config` block.
    fn schema(&self) -> Schema;
    /// The type of the `config` model.
    fn model_type(&self) -> Type;
    /// ValidateListResourceConfig.
    async fn validate(&self, ctx: &Context, config: &Value, diags: &mut Diagnostics);
    /// ListResource.
    async fn list(
        &self,
        ctx: &Context,
        data: &D,
        config: Value,
        include_resource_object: bool,
        limit: usize,
        diags: &mut Diagnostics,
    ) -> Vec<ListedValue>;
}

#[async_trait]
impl<D: Send + Sync + 'static, L: ListResource<D>> ListResourceHandler<D> for L {
    fn type_name(&self) -> &'static str {
        ListResource::type_name(self)
    }

    fn schema(&self) -> Schema {
        ListResource::schema(self)
    }

    fn model_type(&self) -> Type {
        L::Config::tf_type()
    }

    async fn validate(&self, ctx: &Context, config: &Value, diags: &mut Diagnostics) {
        if let Some(config) = decode::<L::Config>(config, Decoding::Config, diags) {
            ListResource::validate(self, ctx, &config, diags).await;
        }
    }

    async fn list(
        &self,
        ctx: &Context,
        data: &D,
        config: Value,
        include_resource_object: bool,
        limit: usize,
        diags: &mut Diagnostics,
    ) -> Vec<ListedValue> {
        let Some(config) = decode::<L::Config>(&config, Decoding::Config, diags) else {
            return Vec::new();
        };
        let request = ListRequest {
            config,
            include_resource_object,
            limit,
        };
        ListResource::list(self, ctx, data, request, diags)
            .await
            .into_iter()
            .map(|listed| ListedValue {
                identity: listed.identity.into_value(),
                display_name: listed.display_name,
                object: listed.object.map(IntoValue::into_value),
            })
            .collect()
    }
}

/// ListResource: needs the provider configured; at most `limit` results (a negative limit
/// is none); objects only when asked for; every identity and object wholly known (a
/// result that is not is dropped, with a provider-bug diagnostic).
pub(crate) async fn list_resource<D: Send + Sync + 'static>(
    handler: &dyn ListResourceHandler<D>,
    ctx: &Context,
    data: Option<&D>,
    config: Value,
    include_resource_object: bool,
    limit: i64,
    diags: &mut Diagnostics,
) -> Vec<ListedValue> {
    let Some(data) = data else {
        diags.push(not_configured());
        return Vec::new();
    };
    let limit = usize::try_from(limit).unwrap_or(0);
    if limit == 0 {
        return Vec::new();
    }
    let mut listed = handler
        .list(ctx, data, config, include_resource_object, limit, diags)
        .await;
    listed.truncate(limit);
    let mut incomplete = 0;
    listed.retain_mut(|item| {
        if !include_resource_object {
            item.object = None;
        }
        let whole = item.identity.is_wholly_known() && item.object.as_ref().is_none_or(Value::is_wholly_known);
        incomplete += usize::from(!whole);
        whole
    });
    if incomplete > 0 {
        diags.push(Diagnostic::provider_bug(
            "Unknown Value in List Result",
            format!("{incomplete} listed object(s) held unknown values and were left out."),
        ));
    }
    listed
}

/// GenerateResourceConfig (Terraform 1.14+: `-generate-config-out`, `terraform query`): the
/// state without its computed-only attributes, at any depth of nested attributes; blocks
/// are kept as they are.
pub(crate) fn generate_config<D: Send + Sync + 'static>(entry: &ResourceEntry<D>, state: &Value) -> Value {
    without_computed_only(&entry.schema.block.attributes, state.clone())
}

fn without_computed_only(attributes: &[super::schema::Attribute], mut object: Value) -> Value {
    if !matches!(object, Value::Map(_)) {
        return object;
    }
    for attribute in attributes {
        let name = attribute.name.as_str();
        if attribute.computed && !attribute.optional && !attribute.required {
            object.set(name, Value::Null);
            continue;
        }
        if let super::schema::AttributeKind::Nested {
            nesting,
            attributes: inner,
        } = &attribute.kind
        {
            let nested = object.get(name).clone();
            let cleaned = match (nesting, nested) {
                (super::schema::Nesting::Single | super::schema::Nesting::Group, value) => {
                    without_computed_only(inner, value)
                }
                (super::schema::Nesting::Map, Value::Map(entries)) => Value::Map(
                    entries
                        .into_iter()
                        .map(|(k, v)| (k, without_computed_only(inner, v)))
                        .collect(),
                ),
                (super::schema::Nesting::List, Value::List(items)) => {
                    Value::List(items.into_iter().map(|v| without_computed_only(inner, v)).collect())
                }
                (super::schema::Nesting::Set, Value::Set(items)) => {
                    Value::Set(items.into_iter().map(|v| without_computed_only(inner, v)).collect())
                }
                (_, value) => value,
            };
            object.set(name, cleaned);
        }
    }
    object
}

/// An action as the server sees it.
#[async_trait]
pub trait ActionHandler<D: Send + Sync + 'static>: Send + Sync + 'static {
    /// The full type name.
    fn type_name(&self) -> &'static str;
    /// The schema of the `config` block.
    fn schema(&self) -> Schema;
    /// The type of the action's model.
    fn model_type(&self) -> Type;
    /// ValidateActionConfig.
    async fn validate(&self, ctx: &Context, config: &Value, diags: &mut Diagnostics);
    /// PlanAction.
    async fn plan(&self, ctx: &Context, data: Option<&D>, config: &Value, diags: &mut Diagnostics);
    /// InvokeAction.
    async fn invoke(&self, ctx: &Context, data: &D, config: Value, progress: &Progress, diags: &mut Diagnostics);
}

#[async_trait]
impl<D: Send + Sync + 'static, A: Action<D>> ActionHandler<D> for A {
    fn type_name(&self) -> &'static str {
        Action::type_name(self)
    }

    fn schema(&self) -> Schema {
        Action::schema(self)
    }

    fn model_type(&self) -> Type {
        A::Model::tf_type()
    }

    async fn validate(&self, ctx: &Context, config: &Value, diags: &mut Diagnostics) {
        if let Some(config) = decode::<A::Model>(config, Decoding::Config, diags) {
            Action::validate(self, ctx, &config, diags).await;
        }
    }

    async fn plan(&self, ctx: &Context, data: Option<&D>, config: &Value, diags: &mut Diagnostics) {
        if let Some(config) = decode::<A::Model>(config, Decoding::Config, diags) {
            Action::plan(self, ctx, data, &config, diags).await;
        }
    }

    async fn invoke(&self, ctx: &Context, data: &D, config: Value, progress: &Progress, diags: &mut Diagnostics) {
        if let Some(config) = decode::<A::Model>(&config, Decoding::Config, diags) {
            Action::invoke(self, ctx, data, config, progress, diags).await;
        }
    }
}

/// A registered resource type: its handler with the schema and types computed once.
pub(crate) struct ResourceEntry<D> {
    pub(crate) handler: Arc<dyn ResourceHandler<D>>,
    pub(crate) schema: Schema,
    pub(crate) ty: Type,
    pub(crate) identity: Option<(IdentitySchema, Type)>,
}

impl<D: Send + Sync + 'static> ResourceEntry<D> {
    pub(crate) fn new(handler: Arc<dyn ResourceHandler<D>>) -> Self {
        let schema = handler.schema();
        let ty = schema.implied_type();
        let identity = handler.identity_schema().map(|s| {
            let ty = s.implied_type();
            (s, ty)
        });
        Self {
            handler,
            schema,
            ty,
            identity,
        }
    }

    /// The identity of `state`, when the resource has one and it is wholly known.
    pub(crate) fn identity_of(&self, state: &Value) -> Option<(Value, &Type)> {
        let (_, ty) = self.identity.as_ref()?;
        if state.is_null() {
            return None;
        }
        let identity = self.handler.identity(state)?;
        identity.is_wholly_known().then_some((identity, ty))
    }
}

/// The outcome of PlanResourceChange.
#[derive(Debug)]
pub(crate) struct PlanOutcome {
    pub(crate) planned: Value,
    pub(crate) requires_replace: Vec<AttributePath>,
}

/// PlanResourceChange's rules.
pub(crate) async fn plan_resource<D: Send + Sync + 'static>(
    entry: &ResourceEntry<D>,
    ctx: &Context,
    data: Option<&D>,
    prior: Value,
    proposed: Value,
    config: Value,
    diags: &mut Diagnostics,
) -> PlanOutcome {
    if proposed.is_null() {
        // Destroy: the planned state is null, and there is nothing to adjust; the resource
        // may only warn.
        if !prior.is_null() {
            // Only warnings: nothing a check finds may stop a destroy.
            let mut checked = Diagnostics::new();
            entry.handler.plan_destroy(ctx, data, &prior, &mut checked).await;
            diags.extend(checked.into_iter().map(|mut d| {
                d.severity = Severity::Warning;
                d
            }));
        }
        return PlanOutcome {
            planned: Value::Null,
            requires_replace: Vec::new(),
        };
    }
    let block = &entry.schema.block;
    let planned = plan::mark_computed_nulls_unknown(block, &prior, &config, proposed);
    let (planned, extra) = entry.handler.plan(ctx, data, &prior, &config, planned, diags).await;
    let mut requires_replace = plan::requires_replace(block, &prior, &planned);
    requires_replace.extend(extra);
    requires_replace.sort();
    requires_replace.dedup();
    PlanOutcome {
        planned,
        requires_replace,
    }
}

/// ApplyResourceChange's rules; returns the new state (null when the object is gone).
pub(crate) async fn apply_resource<D: Send + Sync + 'static>(
    entry: &ResourceEntry<D>,
    ctx: &Context,
    data: Option<&D>,
    prior: Value,
    planned: Value,
    config: Value,
    diags: &mut Diagnostics,
) -> Value {
    let Some(data) = data else {
        diags.push(not_configured());
        return prior;
    };
    let handler = &entry.handler;
    if planned.is_null() {
        handler.delete(ctx, data, prior.clone(), diags).await;
        // A failed delete leaves the object in state.
        return if diags.has_errors() { prior } else { Value::Null };
    }
    let result = if prior.is_null() {
        handler.create(ctx, data, planned, config, diags).await
    } else {
        let request = UpdateRequest { prior, planned, config };
        handler.update(ctx, data, request, diags).await
    };
    match result {
        Some(state) => {
            require_wholly_known(&state, "The new state", diags);
            state
        }
        None => {
            if !diags.has_errors() {
                diags.push(Diagnostic::provider_bug(
                    "Missing State After Apply",
                    "The resource returned no state and no error.",
                ));
            }
            Value::Null
        }
    }
}

/// ReadResource's rules; returns the refreshed state (null when the object is gone).
pub(crate) async fn read_resource<D: Send + Sync + 'static>(
    entry: &ResourceEntry<D>,
    ctx: &Context,
    data: Option<&D>,
    state: Value,
    diags: &mut Diagnostics,
) -> Value {
    // Unconfigured (provider configuration unknown): keep the state as it is.
    let Some(data) = data else {
        return state;
    };
    match entry.handler.read(ctx, data, state, diags).await {
        ReadOutcome::Gone => Value::Null,
        ReadOutcome::Found(state) => {
            require_wholly_known(&state, "The refreshed state", diags);
            state
        }
    }
}

/// ImportResourceState's rules: by identity when Terraform sends one without an ID.
pub(crate) async fn import_resource<D: Send + Sync + 'static>(
    entry: &ResourceEntry<D>,
    ctx: &Context,
    data: Option<&D>,
    id: &str,
    identity: Option<Value>,
    diags: &mut Diagnostics,
) -> Option<Value> {
    let Some(data) = data else {
        diags.push(not_configured());
        return None;
    };
    match identity {
        Some(identity) if id.is_empty() && entry.identity.is_some() => {
            entry.handler.import_identity(ctx, data, &identity, diags).await
        }
        _ => entry.handler.import(ctx, data, id, diags).await,
    }
}

/// MoveResourceState: the resource turns the source state into its own, whether or not
/// the provider is configured (Terraform does not configure it first), and the result is
/// a whole state: no unknown values, nothing without an error.
pub(crate) async fn move_resource<D: Send + Sync + 'static>(
    entry: &ResourceEntry<D>,
    ctx: &Context,
    request: MoveRequest,
    diags: &mut Diagnostics,
) -> Option<Value> {
    let moved = entry.handler.move_state(ctx, request, diags).await;
    match moved {
        Some(state) if !diags.has_errors() => {
            require_wholly_known(&state, "The moved state", diags);
            (!diags.has_errors()).then_some(state)
        }
        Some(_) => None,
        None if diags.has_errors() => None,
        None => {
            diags.push(Diagnostic::provider_bug(
                "Missing State After Move",
                "The resource returned no state and no error for the moved object.",
            ));
            None
        }
    }
}

/// The error for operations that need the provider configured.
pub(crate) fn not_configured() -> Diagnostic {
    Diagnostic::error(
        "Provider Not Configured",
        "The provider configuration was not known when this operation ran (it depends on values known only after apply). Apply the resources it depends on first, for example with -target, then run this again.",
    )
}

/// A provider bug when a value meant to be final still holds unknowns.
pub(crate) fn require_wholly_known(value: &Value, what: &str, diags: &mut Diagnostics) {
    if !diags.has_errors() && !value.is_wholly_known() {
        diags.push(Diagnostic::provider_bug(
            "Unknown Value After Apply",
            format!("{what} still holds unknown values."),
        ));
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Mutex;

    use super::*;
    use crate::tfplugin::model::Empty;
    use crate::tfplugin::schema::Attribute;
    use crate::tfplugin::value::{Attr, SetOf};

    crate::model! {
        #[derive(Clone, Debug, Default, PartialEq)]
        struct Thing {
            id: Attr<String>,
            name: Attr<String>,
            tags: Attr<SetOf<String>>,
            size: Attr<i64>,
        }
    }

    crate::model! {
        #[derive(Clone, Debug, Default, PartialEq)]
        struct ThingIdentity {
            id: Attr<String>,
        }
    }

    /// A resource whose every call is recorded, and whose behaviour a case chooses.
    #[derive(Default)]
    struct Fake {
        calls: Mutex<Vec<&'static str>>,
        fail: bool,
        gone: bool,
        return_nothing: bool,
    }

    impl Fake {
        fn called(&self, call: &'static str) {
            self.calls.lock().unwrap().push(call);
        }
        fn calls(&self) -> Vec<&'static str> {
            self.calls.lock().unwrap().clone()
        }
        fn finish(&self, mut model: Thing, diags: &mut Diagnostics) -> Option<Thing> {
            if self.fail {
                diags.error("Failed", "as the case asked");
            }
            if self.return_nothing {
                return None;
            }
            model.id = Attr::Known("id-1".into());
            model.size = Attr::Known(model.name.known().map_or(0, |n| n.len() as i64));
            Some(model)
        }
    }

    #[async_trait]
    impl Resource<()> for Fake {
        type Model = Thing;
        type Identity = ThingIdentity;

        fn type_name(&self) -> &'static str {
            "test_thing"
        }

        fn schema(&self) -> Schema {
            Schema::new(
                "test",
                vec![
                    Attribute::string("id").computed().use_state_for_unknown(),
                    Attribute::string("name").required().requires_replace(),
                    Attribute::new("tags", Type::set(Type::String)).optional(),
                    Attribute::number("size").computed(),
                ],
            )
        }

        fn identity_schema(&self) -> Option<IdentitySchema> {
            Some(IdentitySchema {
                version: 0,
                attributes: vec![super::super::schema::IdentityAttribute {
                    name: "id".into(),
                    ty: Type::String,
                    required_for_import: true,
                    description: "id".into(),
                }],
            })
        }

        fn identity(&self, state: &Thing) -> Option<ThingIdentity> {
            Some(ThingIdentity { id: state.id.clone() })
        }

        async fn plan(
            &self,
            _ctx: &Context,
            _data: Option<&()>,
            request: &PlanRequest<Thing>,
            change: &mut PlannedChange<Thing>,
            _diags: &mut Diagnostics,
        ) {
            self.called("plan");
            if let Attr::Known(name) = &request.config.name {
                change.planned.size = Attr::Known(name.len() as i64);
            }
        }

        async fn plan_destroy(&self, _ctx: &Context, _data: Option<&()>, _prior: &Thing, diags: &mut Diagnostics) {
            self.called("plan_destroy");
            if self.fail {
                diags.error("Failed", "as the case asked");
            }
        }

        async fn create(
            &self,
            _ctx: &Context,
            _data: &(),
            planned: Thing,
            _config: Thing,
            diags: &mut Diagnostics,
        ) -> Option<Thing> {
            self.called("create");
            self.finish(planned, diags)
        }

        async fn read(&self, _ctx: &Context, _data: &(), state: Thing, _diags: &mut Diagnostics) -> ReadOutcome<Thing> {
            self.called("read");
            if self.gone {
                ReadOutcome::Gone
            } else {
                ReadOutcome::Found(state)
            }
        }

        async fn update(
            &self,
            _ctx: &Context,
            _data: &(),
            request: UpdateRequest<Thing>,
            diags: &mut Diagnostics,
        ) -> Option<Thing> {
            self.called("update");
            self.finish(request.planned, diags)
        }

        async fn delete(&self, _ctx: &Context, _data: &(), _prior: Thing, diags: &mut Diagnostics) {
            self.called("delete");
            if self.fail {
                diags.error("Failed", "as the case asked");
            }
        }

        async fn import(&self, _ctx: &Context, _data: &(), id: &str, _diags: &mut Diagnostics) -> Option<Thing> {
            self.called("import");
            Some(Thing {
                id: Attr::Known(id.to_owned()),
                ..Thing::default()
            })
        }

        async fn import_identity(
            &self,
            _ctx: &Context,
            _data: &(),
            identity: ThingIdentity,
            _diags: &mut Diagnostics,
        ) -> Option<Thing> {
            self.called("import_identity");
            Some(Thing {
                id: identity.id,
                ..Thing::default()
            })
        }

        /// Accepts `old_thing` of `registry.terraform.io/test/old` (its `name` kept, `size`
        /// as the case asks: known, or unknown to show the rule).
        async fn move_state(&self, _ctx: &Context, request: MoveRequest, diags: &mut Diagnostics) -> Option<Thing> {
            self.called("move_state");
            if request.source_type_name != "old_thing"
                || request.source_provider_address != "registry.terraform.io/test/old"
            {
                diags.error("Unsupported Move Source", request.source_type_name);
                return None;
            }
            if self.return_nothing {
                return None;
            }
            let old: serde_json::Value = serde_json::from_slice(&request.source_state_json).ok()?;
            let name = old["name"].as_str().unwrap_or_default().to_owned();
            Some(Thing {
                id: Attr::Known(name.clone()),
                size: if self.gone {
                    Attr::Unknown
                } else {
                    Attr::Known(name.len() as i64)
                },
                name: Attr::Known(name),
                tags: Attr::Null,
            })
        }
    }

    /// A resource that keeps every default.
    struct Unmovable;

    #[async_trait]
    impl Resource<()> for Unmovable {
        type Model = Thing;
        type Identity = Empty;

        fn type_name(&self) -> &'static str {
            "test_unmovable"
        }

        fn schema(&self) -> Schema {
            Resource::<()>::schema(&Fake::default())
        }

        async fn create(&self, _: &Context, _: &(), planned: Thing, _: Thing, _: &mut Diagnostics) -> Option<Thing> {
            Some(planned)
        }

        async fn read(&self, _: &Context, _: &(), state: Thing, _: &mut Diagnostics) -> ReadOutcome<Thing> {
            ReadOutcome::Found(state)
        }

        async fn update(&self, _: &Context, _: &(), r: UpdateRequest<Thing>, _: &mut Diagnostics) -> Option<Thing> {
            Some(r.planned)
        }

        async fn delete(&self, _: &Context, _: &(), _: Thing, _: &mut Diagnostics) {}
    }

    fn thing(id: Value, name: &str, tags: Value, size: Value) -> Value {
        Value::object([
            ("id", id),
            ("name", Value::string(name)),
            ("tags", tags),
            ("size", size),
        ])
    }

    fn entry(fake: Fake) -> (ResourceEntry<()>, Arc<Fake>) {
        let fake = Arc::new(fake);
        (
            ResourceEntry::new(Arc::clone(&fake) as Arc<dyn ResourceHandler<()>>),
            fake,
        )
    }

    fn block_on<F: std::future::Future>(future: F) -> F::Output {
        tokio::runtime::Builder::new_current_thread()
            .build()
            .unwrap()
            .block_on(future)
    }

    fn summaries(diags: &Diagnostics) -> Vec<String> {
        diags.iter().map(|d| d.summary.clone()).collect()
    }

    #[test]
    fn the_model_type_is_the_schema_type() {
        let (entry, _) = entry(Fake::default());
        assert_eq!(entry.handler.model_type(), entry.ty);
        assert_eq!(Empty::tf_type(), Type::object(Vec::<(String, Type)>::new()));
    }

    #[test]
    fn plan_rules() {
        let known = |s: &str| Value::string(s);
        let partly_unknown_tags = Value::Set(vec![Value::string("a"), Value::unknown()]);
        struct Case {
            name: &'static str,
            prior: Value,
            proposed: Value,
            config: Value,
            planned: Value,
            replace: Vec<AttributePath>,
            calls: Vec<&'static str>,
        }
        let cases = vec![
            Case {
                name: "destroy: planned null; the resource is only asked to check it",
                prior: thing(known("1"), "a", Value::Null, Value::number(1_i64)),
                proposed: Value::Null,
                config: Value::Null,
                planned: Value::Null,
                replace: vec![],
                calls: vec!["plan_destroy"],
            },
            Case {
                name: "nothing to create nor destroy: nothing asked",
                prior: Value::Null,
                proposed: Value::Null,
                config: Value::Null,
                planned: Value::Null,
                replace: vec![],
                calls: vec![],
            },
            Case {
                name: "create: computed nulls unknown, then the resource fills what it knows",
                prior: Value::Null,
                proposed: thing(Value::Null, "abc", Value::Null, Value::Null),
                config: thing(Value::Null, "abc", Value::Null, Value::Null),
                planned: thing(Value::unknown(), "abc", Value::Null, Value::number(3_i64)),
                replace: vec![],
                calls: vec!["plan"],
            },
            Case {
                name: "a partly unknown set the resource left alone comes back exactly",
                prior: Value::Null,
                proposed: thing(Value::Null, "abc", partly_unknown_tags.clone(), Value::Null),
                config: thing(Value::Null, "abc", partly_unknown_tags.clone(), Value::Null),
                planned: thing(Value::unknown(), "abc", partly_unknown_tags, Value::number(3_i64)),
                replace: vec![],
                calls: vec!["plan"],
            },
            Case {
                name: "a changed requires_replace attribute is reported; stable ids kept",
                prior: thing(known("1"), "a", Value::Null, Value::number(1_i64)),
                proposed: thing(known("1"), "bb", Value::Null, Value::number(1_i64)),
                config: thing(Value::Null, "bb", Value::Null, Value::Null),
                planned: thing(known("1"), "bb", Value::Null, Value::number(2_i64)),
                replace: vec![AttributePath::attr("name")],
                calls: vec!["plan"],
            },
        ];
        for case in cases {
            let (entry, fake) = entry(Fake::default());
            let mut diags = Diagnostics::new();
            let outcome = block_on(plan_resource(
                &entry,
                &Context::default(),
                Some(&()),
                case.prior,
                case.proposed,
                case.config,
                &mut diags,
            ));
            assert!(diags.is_empty(), "{}: {diags:?}", case.name);
            assert_eq!(outcome.planned, case.planned, "{}", case.name);
            assert_eq!(outcome.requires_replace, case.replace, "{}", case.name);
            assert_eq!(fake.calls(), case.calls, "{}", case.name);
        }
    }

    #[test]
    fn a_destroy_check_can_only_warn() {
        let (entry, fake) = entry(Fake {
            fail: true,
            ..Fake::default()
        });
        let mut diags = Diagnostics::new();
        let outcome = block_on(plan_resource(
            &entry,
            &Context::default(),
            Some(&()),
            thing(Value::string("1"), "a", Value::Null, Value::number(1_i64)),
            Value::Null,
            Value::Null,
            &mut diags,
        ));
        assert_eq!(outcome.planned, Value::Null);
        assert!(!diags.has_errors(), "{diags:?}");
        let d = diags.iter().next().expect("the check's finding");
        assert_eq!((d.severity, d.summary.as_str()), (Severity::Warning, "Failed"));
        assert_eq!(fake.calls(), ["plan_destroy"]);
    }

    #[test]
    fn a_null_in_a_set_is_a_configuration_error_on_the_set() {
        let (entry, fake) = entry(Fake::default());
        let config = thing(Value::Null, "a", Value::Set(vec![Value::Null]), Value::Null);
        let mut diags = Diagnostics::new();
        block_on(entry.handler.validate(&Context::default(), &config, &mut diags));
        let d = diags.iter().next().expect("a diagnostic");
        assert_eq!(d.summary, "Invalid Configuration Value");
        assert_eq!(d.path, Some(AttributePath::attr("tags")));
        assert!(fake.calls().is_empty());
    }

    #[test]
    fn configuration_paths_stop_at_the_element_terraform_can_show() {
        let deep = AttributePath::attr("licenses")
            .key("SPE_E5")
            .attribute("disabled_plans");
        assert_eq!(placeable(deep), AttributePath::attr("licenses").key("SPE_E5"));
        assert_eq!(placeable(AttributePath::attr("tags")), AttributePath::attr("tags"));
        let element = AttributePath::attr("items").index(2);
        assert_eq!(placeable(element.clone()), element);
    }

    #[test]
    fn apply_rules() {
        let prior = thing(Value::string("id-1"), "a", Value::Null, Value::number(1_i64));
        let planned_create = thing(Value::unknown(), "abc", Value::Null, Value::unknown());
        struct Case {
            name: &'static str,
            fake: Fake,
            configured: bool,
            prior: Value,
            planned: Value,
            state: Value,
            errors: Vec<&'static str>,
            calls: Vec<&'static str>,
        }
        let cases = vec![
            Case {
                name: "create",
                fake: Fake::default(),
                configured: true,
                prior: Value::Null,
                planned: planned_create.clone(),
                state: thing(Value::string("id-1"), "abc", Value::Null, Value::number(3_i64)),
                errors: vec![],
                calls: vec!["create"],
            },
            Case {
                name: "update",
                fake: Fake::default(),
                configured: true,
                prior: prior.clone(),
                planned: thing(Value::string("id-1"), "ab", Value::Null, Value::unknown()),
                state: thing(Value::string("id-1"), "ab", Value::Null, Value::number(2_i64)),
                errors: vec![],
                calls: vec!["update"],
            },
            Case {
                name: "delete",
                fake: Fake::default(),
                configured: true,
                prior: prior.clone(),
                planned: Value::Null,
                state: Value::Null,
                errors: vec![],
                calls: vec!["delete"],
            },
            Case {
                name: "a failed delete keeps the object",
                fake: Fake {
                    fail: true,
                    ..Fake::default()
                },
                configured: true,
                prior: prior.clone(),
                planned: Value::Null,
                state: prior.clone(),
                errors: vec!["Failed"],
                calls: vec!["delete"],
            },
            Case {
                name: "no state and no error is a provider bug",
                fake: Fake {
                    return_nothing: true,
                    ..Fake::default()
                },
                configured: true,
                prior: Value::Null,
                planned: planned_create.clone(),
                state: Value::Null,
                errors: vec!["Missing State After Apply"],
                calls: vec!["create"],
            },
            Case {
                name: "an object returned with an error is kept (Terraform taints it)",
                fake: Fake {
                    fail: true,
                    ..Fake::default()
                },
                configured: true,
                prior: Value::Null,
                planned: planned_create.clone(),
                state: thing(Value::string("id-1"), "abc", Value::Null, Value::number(3_i64)),
                errors: vec!["Failed"],
                calls: vec!["create"],
            },
            Case {
                name: "unconfigured provider: nothing is applied",
                fake: Fake::default(),
                configured: false,
                prior: Value::Null,
                planned: planned_create.clone(),
                state: Value::Null,
                errors: vec!["Provider Not Configured"],
                calls: vec![],
            },
        ];
        for case in cases {
            let (entry, fake) = entry(case.fake);
            let mut diags = Diagnostics::new();
            let config = case.planned.clone();
            let data = case.configured.then_some(&());
            let state = block_on(apply_resource(
                &entry,
                &Context::default(),
                data,
                case.prior,
                case.planned,
                config,
                &mut diags,
            ));
            assert_eq!(state, case.state, "{}", case.name);
            assert_eq!(summaries(&diags), case.errors, "{}", case.name);
            assert_eq!(fake.calls(), case.calls, "{}", case.name);
        }
    }

    #[test]
    fn read_import_and_identity_rules() {
        let state = thing(Value::string("id-1"), "a", Value::Null, Value::number(1_i64));
        let mut diags = Diagnostics::new();
        let ctx = Context::default();

        let (entry, fake) = entry(Fake::default());
        assert_eq!(
            block_on(read_resource(&entry, &ctx, None, state.clone(), &mut diags)),
            state,
            "unconfigured: the state is kept"
        );
        assert!(fake.calls().is_empty());
        assert_eq!(
            block_on(read_resource(&entry, &ctx, Some(&()), state.clone(), &mut diags)),
            state
        );

        let (gone, _) = self::entry(Fake {
            gone: true,
            ..Fake::default()
        });
        assert_eq!(
            block_on(read_resource(&gone, &ctx, Some(&()), state.clone(), &mut diags)),
            Value::Null,
            "a vanished object leaves state"
        );

        let identity = Value::object([("id", Value::string("by-identity"))]);
        let by_identity = block_on(import_resource(
            &entry,
            &ctx,
            Some(&()),
            "",
            Some(identity.clone()),
            &mut diags,
        ));
        assert_eq!(by_identity.unwrap().get("id"), &Value::string("by-identity"));
        let by_id = block_on(import_resource(
            &entry,
            &ctx,
            Some(&()),
            "by-id",
            Some(identity),
            &mut diags,
        ));
        assert_eq!(
            by_id.unwrap().get("id"),
            &Value::string("by-id"),
            "an ID wins over an identity"
        );
        assert_eq!(fake.calls(), vec!["read", "import_identity", "import"]);
        assert!(diags.is_empty(), "{diags:?}");

        assert_eq!(
            entry.identity_of(&state).map(|(v, _)| v),
            Some(Value::object([("id", Value::string("id-1"))]))
        );
        let unknown_id = thing(Value::unknown(), "a", Value::Null, Value::unknown());
        assert_eq!(entry.identity_of(&unknown_id), None, "no identity before it is known");
        assert_eq!(entry.identity_of(&Value::Null), None);
    }

    #[test]
    fn move_rules() {
        let request = |provider: &str, type_name: &str| MoveRequest {
            source_provider_address: provider.into(),
            source_type_name: type_name.into(),
            source_schema_version: 0,
            source_state_json: br#"{"name": "abc"}"#.to_vec(),
        };
        let old = "registry.terraform.io/test/old";
        struct Case {
            name: &'static str,
            fake: Fake,
            request: MoveRequest,
            state: Option<Value>,
            errors: Vec<&'static str>,
        }
        let cases = vec![
            Case {
                name: "an accepted source becomes a whole state, without provider data",
                fake: Fake::default(),
                request: request(old, "old_thing"),
                state: Some(thing(Value::string("abc"), "abc", Value::Null, Value::number(3_i64))),
                errors: vec![],
            },
            Case {
                name: "another source is the resource's error",
                fake: Fake::default(),
                request: request(old, "other_thing"),
                state: None,
                errors: vec!["Unsupported Move Source"],
            },
            Case {
                name: "unknown values in a moved state are a provider bug",
                fake: Fake {
                    gone: true,
                    ..Fake::default()
                },
                request: request(old, "old_thing"),
                state: None,
                errors: vec!["Unknown Value After Apply"],
            },
            Case {
                name: "no state and no error is a provider bug",
                fake: Fake {
                    return_nothing: true,
                    ..Fake::default()
                },
                request: request(old, "old_thing"),
                state: None,
                errors: vec!["Missing State After Move"],
            },
        ];
        for case in cases {
            let (entry, fake) = entry(case.fake);
            let mut diags = Diagnostics::new();
            let state = block_on(move_resource(&entry, &Context::default(), case.request, &mut diags));
            assert_eq!(state, case.state, "{}", case.name);
            assert_eq!(summaries(&diags), case.errors, "{}", case.name);
            assert_eq!(fake.calls(), vec!["move_state"], "{}", case.name);
        }

        // The default refuses every source, naming it.
        let entry = ResourceEntry::new(Arc::new(Unmovable) as Arc<dyn ResourceHandler<()>>);
        let mut diags = Diagnostics::new();
        let state = block_on(move_resource(
            &entry,
            &Context::default(),
            request(old, "old_thing"),
            &mut diags,
        ));
        assert_eq!(state, None);
        let d = diags.iter().next().expect("an error");
        assert_eq!(d.summary, "Unsupported Move Source");
        assert!(
            d.detail.contains("\"old_thing\"") && d.detail.contains(old),
            "{}",
            d.detail
        );
    }

    crate::model! {
        #[derive(Clone, Debug, Default, PartialEq)]
        struct ListFilter {
            prefix: Attr<String>,
        }
    }

    /// Lists `a1`, `a2`, `b1` (filtered by prefix); `b1`'s identity is unknown when `broken`.
    struct FakeList {
        broken: bool,
    }

    #[async_trait]
    impl ListResource<()> for FakeList {
        type Config = ListFilter;
        type Identity = ThingIdentity;
        type Object = Thing;

        fn type_name(&self) -> &'static str {
            "test_thing"
        }

        fn schema(&self) -> Schema {
            Schema::new("test", vec![Attribute::string("prefix").optional()])
        }

        async fn list(
            &self,
            _ctx: &Context,
            _data: &(),
            request: ListRequest<ListFilter>,
            _diags: &mut Diagnostics,
        ) -> Vec<super::super::traits::Listed<ThingIdentity, Thing>> {
            let prefix = request.config.prefix.known().cloned().unwrap_or_default();
            ["a1", "a2", "b1"]
                .into_iter()
                .filter(|id| id.starts_with(&prefix))
                .map(|id| super::super::traits::Listed {
                    identity: ThingIdentity {
                        id: if self.broken && id == "b1" {
                            Attr::Unknown
                        } else {
                            Attr::Known(id.into())
                        },
                    },
                    display_name: format!("Thing {id}"),
                    object: Some(Thing {
                        id: Attr::Known(id.into()),
                        name: Attr::Known(id.into()),
                        tags: Attr::Null,
                        size: Attr::Known(2),
                    }),
                })
                .collect()
        }
    }

    #[test]
    fn list_rules() {
        let config = |prefix: Option<&str>| Value::object([("prefix", prefix.map_or(Value::Null, Value::string))]);
        struct Case {
            name: &'static str,
            broken: bool,
            configured: bool,
            prefix: Option<&'static str>,
            include: bool,
            limit: i64,
            ids: Vec<&'static str>,
            errors: Vec<&'static str>,
        }
        let cases = vec![
            Case {
                name: "every match, identities and names, no objects unless asked",
                broken: false,
                configured: true,
                prefix: None,
                include: false,
                limit: 100,
                ids: vec!["a1", "a2", "b1"],
                errors: vec![],
            },
            Case {
                name: "the filter reaches the typed method; objects when asked",
                broken: false,
                configured: true,
                prefix: Some("a"),
                include: true,
                limit: 100,
                ids: vec!["a1", "a2"],
                errors: vec![],
            },
            Case {
                name: "at most limit results",
                broken: false,
                configured: true,
                prefix: None,
                include: false,
                limit: 2,
                ids: vec!["a1", "a2"],
                errors: vec![],
            },
            Case {
                name: "a limit of 0 lists nothing",
                broken: false,
                configured: true,
                prefix: None,
                include: false,
                limit: 0,
                ids: vec![],
                errors: vec![],
            },
            Case {
                name: "an unknown identity is left out, as a provider bug",
                broken: true,
                configured: true,
                prefix: None,
                include: false,
                limit: 100,
                ids: vec!["a1", "a2"],
                errors: vec!["Unknown Value in List Result"],
            },
            Case {
                name: "unconfigured provider: nothing listed",
                broken: false,
                configured: false,
                prefix: None,
                include: false,
                limit: 100,
                ids: vec![],
                errors: vec!["Provider Not Configured"],
            },
        ];
        for case in cases {
            let handler = FakeList { broken: case.broken };
            let mut diags = Diagnostics::new();
            let data = case.configured.then_some(&());
            let listed = block_on(list_resource(
                &handler,
                &Context::default(),
                data,
                config(case.prefix),
                case.include,
                case.limit,
                &mut diags,
            ));
            let ids: Vec<&str> = listed.iter().filter_map(|l| l.identity.get("id").as_str()).collect();
            assert_eq!(ids, case.ids, "{}", case.name);
            assert_eq!(summaries(&diags), case.errors, "{}", case.name);
            for item in &listed {
                assert_eq!(item.object.is_some(), case.include, "{}", case.name);
                assert!(item.display_name.starts_with("Thing "), "{}", case.name);
            }
        }
    }

    #[test]
    fn generated_config_leaves_out_computed_only_attributes() {
        let (entry, _) = entry(Fake::default());
        let state = thing(
            Value::string("id-1"),
            "a",
            Value::Set(vec![Value::string("t")]),
            Value::number(1_i64),
        );
        assert_eq!(
            generate_config(&entry, &state),
            thing(Value::Null, "a", Value::Set(vec![Value::string("t")]), Value::Null)
        );
    }
}
