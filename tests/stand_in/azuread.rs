//! A stand-in for `registry.terraform.io/hashicorp/azuread`, for the end-to-end tests of
//! `moved` from `azuread_group_license` (`tests/e2e_moved_from_azuread.rs`).
//!
//! It serves the schema of `azuread_group_license` as azuread 3.x declares it (`id`,
//! `group_object_id`, `sku_id`, `disabled_plans`, a `timeouts` block with `create`, `read`
//! and `delete`; schema version 0) and accepts any provider configuration, so that
//! Terraform can read a state in azuread's layout, plan a `moved` block (which needs the
//! source's schema only) and a `removed` block (which configures the source provider and
//! refreshes the object); it records each configuration in the file named by
//! `AZUREAD_STAND_IN_CONFIGURED`. It never reaches Azure: a refresh returns the state as stored,
//! and creating, changing or deleting an object is an error. Built on this crate's own
//! plugin framework; a Cargo example target, so it is never part of a release build.

use std::sync::Arc;

use async_trait::async_trait;
use terraform_provider_entra::model;
use terraform_provider_entra::tfplugin::handshake::{ServeOptions, serve};
use terraform_provider_entra::tfplugin::{
    Attr, Attribute, Block, ConfigureRequest, Context, Diagnostics, Empty, NestedBlock, Nesting, Provider, ReadOutcome,
    Resource, ResourceHandler, Schema, SetOf, Type, UpdateRequest,
};

model! {
    #[derive(Clone, Debug, Default, PartialEq)]
    struct GroupLicense {
        id: Attr<String>,
        group_object_id: Attr<String>,
        sku_id: Attr<String>,
        disabled_plans: Attr<SetOf<String>>,
        timeouts: Attr<Timeouts>,
    }
}

model! {
    #[derive(Clone, Debug, Default, PartialEq)]
    struct Timeouts {
        create: Attr<String>,
        read: Attr<String>,
        delete: Attr<String>,
    }
}

struct GroupLicenseStandIn;

fn refused(diags: &mut Diagnostics, what: &str) {
    diags.error(
        "Stand-In Provider",
        format!("This test stand-in for azuread cannot {what}; it only serves the schema and stored state."),
    );
}

#[async_trait]
impl Resource<()> for GroupLicenseStandIn {
    type Model = GroupLicense;
    type Identity = Empty;

    fn type_name(&self) -> &'static str {
        "azuread_group_license"
    }

    fn schema(&self) -> Schema {
        let timeouts = Block {
            attributes: ["create", "read", "delete"]
                .iter()
                .map(|op| Attribute::string(*op).optional())
                .collect(),
            ..Block::default()
        };
        Schema::new(
            "azuread_group_license (test stand-in)",
            vec![
                Attribute::string("id").computed(),
                Attribute::string("group_object_id").required().requires_replace(),
                Attribute::string("sku_id").required().requires_replace(),
                Attribute::new("disabled_plans", Type::set(Type::String))
                    .optional()
                    .requires_replace(),
            ],
        )
        .with_blocks(vec![NestedBlock::new("timeouts", Nesting::Single, timeouts)])
    }

    async fn create(
        &self,
        _: &Context,
        _: &(),
        _: GroupLicense,
        _: GroupLicense,
        diags: &mut Diagnostics,
    ) -> Option<GroupLicense> {
        refused(diags, "create a licence");
        None
    }

    async fn read(&self, _: &Context, _: &(), state: GroupLicense, _: &mut Diagnostics) -> ReadOutcome<GroupLicense> {
        ReadOutcome::Found(state)
    }

    async fn update(
        &self,
        _: &Context,
        _: &(),
        request: UpdateRequest<GroupLicense>,
        diags: &mut Diagnostics,
    ) -> Option<GroupLicense> {
        refused(diags, "change a licence");
        Some(request.prior)
    }

    async fn delete(&self, _: &Context, _: &(), _: GroupLicense, diags: &mut Diagnostics) {
        refused(diags, "remove a licence");
    }
}

struct AzureadStandIn;

#[async_trait]
impl Provider for AzureadStandIn {
    type Data = ();
    type Config = Empty;

    fn type_name(&self) -> &'static str {
        "azuread"
    }

    fn schema(&self) -> Schema {
        Schema::new("azuread (test stand-in)", Vec::new())
    }

    /// Accepts any configuration; appends a line to the file `AZUREAD_STAND_IN_CONFIGURED`
    /// names, so that tests can tell whether Terraform configured azuread at all.
    async fn configure(&self, _: &Context, request: ConfigureRequest<Empty>, _: &mut Diagnostics) -> Option<()> {
        if let Some(path) = std::env::var_os("AZUREAD_STAND_IN_CONFIGURED") {
            use std::io::Write;
            let mut file = std::fs::OpenOptions::new().create(true).append(true).open(path).ok()?;
            let _ = writeln!(file, "configured by Terraform {}", request.terraform_version);
        }
        Some(())
    }

    fn resources(&self) -> Vec<Arc<dyn ResourceHandler<()>>> {
        vec![Arc::new(GroupLicenseStandIn)]
    }
}

#[tokio::main(flavor = "current_thread")]
async fn main() -> std::process::ExitCode {
    let options = ServeOptions {
        debug: false,
        provider_address: "registry.terraform.io/hashicorp/azuread".to_owned(),
    };
    match serve(AzureadStandIn, options).await {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("{e}");
            std::process::ExitCode::FAILURE
        }
    }
}
