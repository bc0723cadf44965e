//! The framework: what a provider, a resource, a data source and an action implement.
//!
//! These traits see typed models ([`Model`]), [`Schema`] and [`Diagnostics`], never
//! protobuf or untyped values. [`super::dispatch`] adapts them to the object-safe
//! handlers the server calls, decoding and encoding at that one boundary.
//!
//! Conventions:
//! - Methods take `&mut Diagnostics` and return `Option<Model>`: return `Some` whenever the
//!   remote object exists, even alongside errors, so that Terraform records (and taints) it.
//! - Provider data is typed: `Provider::Data` is what `configure` built (a Graph client),
//!   and every resource receives `&Data`. There are no runtime casts.
//! - Every call gets a [`Context`] whose cancellation token fires on `StopProvider`
//!   (Ctrl-C in Terraform); long operations select on it.

use std::sync::Arc;

use async_trait::async_trait;
use tokio::sync::mpsc;
use tokio_util::sync::CancellationToken;

use super::diagnostics::Diagnostics;
use super::dispatch::{ActionHandler, DataSourceHandler, ListResourceHandler, ResourceHandler};
use super::model::Model;
use super::path::AttributePath;
use super::schema::{IdentitySchema, Schema};
use super::value::Value;

/// Per-call context.
#[derive(Clone, Debug, Default)]
pub struct Context {
    /// Cancelled when Terraform asks the provider to stop.
    pub cancel: CancellationToken,
}

impl Context {
    /// True once Terraform asked the provider to stop.
    pub fn is_cancelled(&self) -> bool {
        self.cancel.is_cancelled()
    }
}

/// What ConfigureProvider receives.
#[derive(Clone, Debug)]
pub struct ConfigureRequest<C> {
    /// The provider block, possibly with unknown values (they depend on other resources).
    pub config: C,
    /// The calling Terraform's version, e.g. "1.11.4" (empty if not sent).
    pub terraform_version: String,
}

/// A provider: its configuration and the types it offers.
#[async_trait]
pub trait Provider: Send + Sync + 'static {
    /// What `configure` builds and every resource receives.
    type Data: Send + Sync + 'static;
    /// The provider block.
    type Config: Model;

    /// The provider's type name, the prefix of every resource type (`entra`).
    fn type_name(&self) -> &'static str;

    /// The provider block's schema.
    fn schema(&self) -> Schema;

    /// Static checks of the provider block (values may be unknown).
    async fn validate(&self, _ctx: &Context, _config: &Self::Config, _diags: &mut Diagnostics) {}

    /// Builds the provider data. Returning `None` without an error means "not configured
    /// yet" (configuration unknown at plan time): resources then plan without it.
    async fn configure(
        &self,
        ctx: &Context,
        request: ConfigureRequest<Self::Config>,
        diags: &mut Diagnostics,
    ) -> Option<Self::Data>;

    /// The managed resource types; each is any [`Resource`], behind the framework's
    /// typed adapter: `Arc::new(MyResource)`.
    fn resources(&self) -> Vec<Arc<dyn ResourceHandler<Self::Data>>>;

    /// The data source types.
    fn data_sources(&self) -> Vec<Arc<dyn DataSourceHandler<Self::Data>>> {
        Vec::new()
    }

    /// The action types (Terraform 1.14+).
    fn actions(&self) -> Vec<Arc<dyn ActionHandler<Self::Data>>> {
        Vec::new()
    }

    /// The list resource types (`terraform query`, Terraform 1.14+); each has the type name
    /// and the identity of one of [`Provider::resources`].
    fn list_resources(&self) -> Vec<Arc<dyn ListResourceHandler<Self::Data>>> {
        Vec::new()
    }
}

/// What PlanResourceChange gives a resource, after the default plan (see [`super::plan`]).
#[derive(Clone, Debug)]
pub struct PlanRequest<M> {
    /// The state before the change; `None` on create.
    pub prior: Option<M>,
    /// The configuration; may contain unknown values.
    pub config: M,
}

/// The plan a resource may adjust.
#[derive(Clone, Debug)]
pub struct PlannedChange<M> {
    /// The planned new state; starts as the default plan.
    pub planned: M,
    /// Attribute paths whose change forces replacement, besides the schema's
    /// `requires_replace` attributes that changed.
    pub requires_replace: Vec<AttributePath>,
}

/// What ApplyResourceChange gives a resource on update.
#[derive(Clone, Debug)]
pub struct UpdateRequest<M> {
    /// The state before the change.
    pub prior: M,
    /// The final planned state (wholly known apart from computed values).
    pub planned: M,
    /// The configuration.
    pub config: M,
}

/// What MoveResourceState gives a resource (a `moved` block whose source is another
/// resource type, perhaps another provider's; Terraform 1.8+).
#[derive(Clone, Debug, Default)]
pub struct MoveRequest {
    /// The source's provider, fully qualified, e.g. `registry.terraform.io/hashicorp/azuread`.
    pub source_provider_address: String,
    /// The source's resource type, e.g. `azuread_group_license`.
    pub source_type_name: String,
    /// The schema version the source state was written with (not upgraded by Terraform).
    pub source_schema_version: i64,
    /// The source state as Terraform stored it: JSON in the source provider's schema.
    pub source_state_json: Vec<u8>,
}

/// What a refresh found.
#[derive(Clone, Debug)]
pub enum ReadOutcome<M> {
    /// The object exists, with this state.
    Found(M),
    /// The object is gone: Terraform removes it from state.
    Gone,
}

/// A managed resource type, written against its typed [`Model`].
///
/// The framework decodes every value Terraform sends into `Model` (a value that does not
/// fit is a diagnostic on its attribute path, and the method is not called) and encodes
/// what the method returns.
#[async_trait]
pub trait Resource<D: Send + Sync + 'static>: Send + Sync + 'static {
    /// The state, plan and configuration of one object.
    type Model: Model;
    /// The identity (Terraform 1.12+); [`Empty`](super::model::Empty) when the resource
    /// has none.
    type Identity: Model;

    /// The full type name, e.g. `entra_group_license_assignment`.
    fn type_name(&self) -> &'static str;

    /// The schema.
    fn schema(&self) -> Schema;

    /// The identity schema (Terraform 1.12+), if this resource has one.
    fn identity_schema(&self) -> Option<IdentitySchema> {
        None
    }

    /// The identity of the object that `state` describes; `None` when it cannot be told yet.
    fn identity(&self, _state: &Self::Model) -> Option<Self::Identity> {
        None
    }

    /// Static checks before the provider is configured (values may be unknown).
    async fn validate(&self, _ctx: &Context, _config: &Self::Model, _diags: &mut Diagnostics) {}

    /// Adjusts the default plan for a create or update. `data` is `None` while the
    /// provider's configuration is unknown.
    async fn plan(
        &self,
        _ctx: &Context,
        _data: Option<&D>,
        _request: &PlanRequest<Self::Model>,
        _change: &mut PlannedChange<Self::Model>,
        _diags: &mut Diagnostics,
    ) {
    }

    /// Checks a planned destroy (Terraform 1.3+ asks the provider; older versions do not):
    /// warnings only, the planned state is null whatever it says. `data` is `None` while
    /// the provider's configuration is unknown.
    async fn plan_destroy(&self, _ctx: &Context, _data: Option<&D>, _prior: &Self::Model, _diags: &mut Diagnostics) {}

    /// Creates the object; returns its state, which must match every known planned value.
    async fn create(
        &self,
        ctx: &Context,
        data: &D,
        planned: Self::Model,
        config: Self::Model,
        diags: &mut Diagnostics,
    ) -> Option<Self::Model>;

    /// Reads the object's current state.
    async fn read(
        &self,
        ctx: &Context,
        data: &D,
        state: Self::Model,
        diags: &mut Diagnostics,
    ) -> ReadOutcome<Self::Model>;

    /// Updates the object in place.
    async fn update(
        &self,
        ctx: &Context,
        data: &D,
        request: UpdateRequest<Self::Model>,
        diags: &mut Diagnostics,
    ) -> Option<Self::Model>;

    /// Deletes the object. An object that is already gone counts as deleted.
    async fn delete(&self, ctx: &Context, data: &D, prior: Self::Model, diags: &mut Diagnostics);

    /// Turns an import ID into a state that `read` then completes.
    async fn import(&self, _ctx: &Context, _data: &D, _id: &str, diags: &mut Diagnostics) -> Option<Self::Model> {
        diags.error(
            "Import Not Supported",
            format!("{} cannot be imported.", self.type_name()),
        );
        None
    }

    /// Turns an identity (import by identity, Terraform 1.12+) into a state.
    async fn import_identity(
        &self,
        _ctx: &Context,
        _data: &D,
        _identity: Self::Identity,
        diags: &mut Diagnostics,
    ) -> Option<Self::Model> {
        diags.error(
            "Import By Identity Not Supported",
            format!("{} cannot be imported by identity.", self.type_name()),
        );
        None
    }

    /// Turns the state of another resource type into this resource's state (`moved` across
    /// types, Terraform 1.8+). There is no provider data: Terraform calls this on a provider
    /// it has not configured, so the remote system cannot be read here; the refresh that
    /// follows does that. The default refuses every source, naming it.
    async fn move_state(&self, _ctx: &Context, request: MoveRequest, diags: &mut Diagnostics) -> Option<Self::Model> {
        diags.error(
            "Unsupported Move Source",
            format!(
                "{} cannot take over the state of {:?} from {:?}. Remove the moved block; import the object instead.",
                self.type_name(),
                request.source_type_name,
                request.source_provider_address
            ),
        );
        None
    }

    /// Attributes each schema version renamed: `(version, &[(old name, new name)])`.
    /// The default [`Resource::upgrade_state`] applies them to state stored by older
    /// versions; attributes added since then read as null.
    fn renamed_attributes(&self) -> &'static [(i64, &'static [(&'static str, &'static str)])] {
        &[]
    }

    /// Upgrades state stored with schema `version` to the current schema. `raw_json` is the
    /// state as Terraform stored it. The default accepts the current version, and older
    /// versions through [`Resource::renamed_attributes`].
    async fn upgrade_state(
        &self,
        _ctx: &Context,
        version: i64,
        raw_json: &[u8],
        diags: &mut Diagnostics,
    ) -> Option<Value> {
        let schema = self.schema();
        let known_history = version == schema.version
            || (version < schema.version && self.renamed_attributes().iter().any(|(v, _)| *v > version));
        if !known_history {
            diags.error(
                "Unsupported State Version",
                format!(
                    "The state of this {} was written with schema version {version}, but this provider reads version {}. Use the provider version that wrote it, or remove the resource from state and import it again.",
                    self.type_name(),
                    schema.version
                ),
            );
            return None;
        }
        let renames = self
            .renamed_attributes()
            .iter()
            .filter(|(v, _)| *v > version)
            .flat_map(|(_, renames)| renames.iter().copied());
        match super::json::decode_renamed(raw_json, &schema.implied_type(), renames) {
            Ok(state) => Some(state),
            Err(e) => {
                diags.push(
                    super::diagnostics::Diagnostic::error(
                        "Unreadable Stored State",
                        format!("The stored state of this {} could not be read: {e}. Remove it from state and import it again.", self.type_name()),
                    )
                    .at(e.path),
                );
                None
            }
        }
    }
}

/// A data source type, written against its typed [`Model`].
#[async_trait]
pub trait DataSource<D: Send + Sync + 'static>: Send + Sync + 'static {
    /// The configuration and result.
    type Model: Model;

    /// The full type name.
    fn type_name(&self) -> &'static str;

    /// The schema.
    fn schema(&self) -> Schema;

    /// Static checks (values may be unknown).
    async fn validate(&self, _ctx: &Context, _config: &Self::Model, _diags: &mut Diagnostics) {}

    /// Reads; returns the whole object (every computed attribute known).
    async fn read(&self, ctx: &Context, data: &D, config: Self::Model, diags: &mut Diagnostics) -> Option<Self::Model>;
}

/// Sends progress messages of a running action to Terraform.
#[derive(Clone, Debug)]
pub struct Progress {
    sender: mpsc::Sender<String>,
}

impl Progress {
    /// A progress channel and its receiving end.
    pub fn channel(capacity: usize) -> (Self, mpsc::Receiver<String>) {
        let (sender, receiver) = mpsc::channel(capacity);
        (Self { sender }, receiver)
    }

    /// Sends one message; a message Terraform no longer listens for is dropped.
    pub async fn send(&self, message: impl Into<String>) {
        let _ = self.sender.send(message.into()).await;
    }
}

/// An action type (Terraform 1.14+): invoked, not stored in state.
#[async_trait]
pub trait Action<D: Send + Sync + 'static>: Send + Sync + 'static {
    /// The action's `config` block.
    type Model: Model;

    /// The full type name.
    fn type_name(&self) -> &'static str;

    /// The schema of the action's `config` block.
    fn schema(&self) -> Schema;

    /// Static checks (values may be unknown).
    async fn validate(&self, _ctx: &Context, _config: &Self::Model, _diags: &mut Diagnostics) {}

    /// Checks at plan time; `data` is `None` while the provider's configuration is unknown.
    async fn plan(&self, _ctx: &Context, _data: Option<&D>, _config: &Self::Model, _diags: &mut Diagnostics) {}

    /// Runs the action, reporting progress as it goes.
    async fn invoke(&self, ctx: &Context, data: &D, config: Self::Model, progress: &Progress, diags: &mut Diagnostics);
}

/// What ListResource gives a list resource (`terraform query`, Terraform 1.14+).
#[derive(Clone, Debug)]
pub struct ListRequest<C> {
    /// The `config` block of the `list` block.
    pub config: C,
    /// Whether Terraform wants each result's full resource object (costlier to build).
    pub include_resource_object: bool,
    /// At most this many results: Terraform stops reading after them.
    pub limit: usize,
}

/// One object a list resource found.
#[derive(Clone, Debug)]
pub struct Listed<I, M> {
    /// The managed resource's identity of the object.
    pub identity: I,
    /// A name people recognise.
    pub display_name: String,
    /// The object as the managed resource's state, when Terraform asked for it.
    pub object: Option<M>,
}

/// A list resource type (`terraform query`, Terraform 1.14+): finds existing objects of the
/// managed resource type of the same name.
#[async_trait]
pub trait ListResource<D: Send + Sync + 'static>: Send + Sync + 'static {
    /// The `config` block of a `list` block (the filters).
    type Config: Model;
    /// The managed resource's identity.
    type Identity: Model;
    /// The managed resource's state.
    type Object: Model;

    /// The managed resource's type name.
    fn type_name(&self) -> &'static str;

    /// The schema of the `config` block.
    fn schema(&self) -> Schema;

    /// Static checks (values may be unknown).
    async fn validate(&self, _ctx: &Context, _config: &Self::Config, _diags: &mut Diagnostics) {}

    /// Finds the objects; at most `request.limit` are used.
    async fn list(
        &self,
        ctx: &Context,
        data: &D,
        request: ListRequest<Self::Config>,
        diags: &mut Diagnostics,
    ) -> Vec<Listed<Self::Identity, Self::Object>>;
}
