//! The Terraform plugin protocol layer. It knows nothing about Microsoft Graph.
//!
//! - wire: [`handshake`] (go-plugin start-up), [`tls`] (AutoMTLS), [`go_plugin`]
//!   (controller, stdio, broker), [`server`] (one method per RPC), [`convert`] (protobuf
//!   conversions), [`logging`] (Terraform's JSON log lines);
//! - value model: [`types`], [`value`], [`msgpack`], [`json`], [`path`];
//! - framework: [`traits`] (what a resource implements, on typed [`model`]s),
//!   [`dispatch`] (the lifecycle rules, and the adapter from typed to untyped),
//!   [`schema`], [`diagnostics`], [`plan`], [`timeouts`].
//!
//! Resource code uses the framework and typed models only; protobuf types stay in the
//! wire modules.

pub mod convert;
pub(crate) mod diagnostics;
pub(crate) mod dispatch;
pub(crate) mod go_plugin;
pub mod handshake;
pub(crate) mod json;
pub mod logging;
pub(crate) mod model;
pub mod msgpack;
pub(crate) mod path;
pub(crate) mod plan;
pub(crate) mod schema;
pub(crate) mod server;
pub(crate) mod timeouts;
pub mod tls;
pub(crate) mod traits;
pub(crate) mod types;
pub(crate) mod value;

/// Generated protobuf code. Public only for the protocol tests and benchmarks, which play
/// Terraform's part; provider code never uses it.
#[doc(hidden)]
#[allow(dead_code, missing_docs, clippy::all, unreachable_pub)]
pub mod proto {
    tonic::include_proto!("tfplugin6");
    /// go-plugin's services.
    pub mod go_plugin {
        tonic::include_proto!("plugin");
    }
}

pub use diagnostics::{Diagnostic, Diagnostics, Severity};
pub use dispatch::{ActionHandler, DataSourceHandler, ListResourceHandler, ResourceHandler};
pub use model::{Empty, Model, TfType};
pub use path::AttributePath;
pub use schema::{Attribute, Block, IdentityAttribute, IdentitySchema, NestedBlock, Nesting, Schema};
pub use traits::{
    Action, ConfigureRequest, Context, DataSource, ListRequest, ListResource, Listed, MoveRequest, PlanRequest,
    PlannedChange, Progress, Provider, ReadOutcome, Resource, UpdateRequest,
};
pub use types::Type;
pub use value::ValueError;
pub use value::{Attr, FromValue, IntoValue, Number, SetOf, Value};
