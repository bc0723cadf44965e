//! Registry-format documentation, generated from the schemas' markdown descriptions and
//! the files under `examples/` (the layout the Terraform Registry reads):
//! `docs/index.md`, `docs/resources/*.md`, `docs/data-sources/*.md`, `docs/actions/*.md`,
//! `docs/list-resources/*.md`.
//! The provider page adds authentication per method and the Graph permissions
//! ([`AUTHENTICATION`], [`PERMISSIONS`]); every attribute of object type, however deeply it
//! sits in lists, sets and maps, gets a "Nested Schema" section generated from its type.
//!
//! `tests/docs.rs` fails when `docs/` differs from what this renders; regenerate with
//! `UPDATE_DOCS=1 cargo test --test integration docs_`.

use std::collections::{BTreeMap, BTreeSet, VecDeque};
use std::fmt::Write;
use std::path::Path;

use crate::provider::EntraProvider;
use crate::tfplugin::schema::{Attribute, AttributeKind, Block, Nesting};
use crate::tfplugin::{Provider, Schema, Type};

/// Every docs file: path relative to the repository root → contents.
pub fn render_all(root: &Path) -> BTreeMap<String, String> {
    let provider = EntraProvider;
    let example = |relative: &str| std::fs::read_to_string(root.join("examples").join(relative)).ok();
    let mut files = BTreeMap::new();
    files.insert(
        "docs/index.md".to_owned(),
        page(
            "entra Provider",
            "Provider",
            "entra",
            &provider.schema(),
            example("provider/provider.tf"),
            None,
            "Manages Microsoft Entra ID group-based licensing through Microsoft Graph. Settings fall back to the azuread/azurerm environment variables (`ARM_*`), and credentials are tried in azuread's order: client certificate, client secret, OIDC, managed identity, Azure CLI.",
        )
        .replacen(SCHEMA_MARKER, &format!("{AUTHENTICATION}\n{PERMISSIONS}\n{SCHEMA_MARKER}"), 1),
    );
    // Each kind of type: its docs folder and examples folder, its heading, its example file.
    let kinds: [(&str, &str, &str, Vec<Named>); 4] = [
        (
            "resources",
            "Resource",
            "resource.tf",
            provider
                .resources()
                .iter()
                .map(|r| (r.type_name(), r.schema()))
                .collect(),
        ),
        (
            "data-sources",
            "Data Source",
            "data-source.tf",
            provider
                .data_sources()
                .iter()
                .map(|d| (d.type_name(), d.schema()))
                .collect(),
        ),
        (
            "list-resources",
            "List Resource",
            "list-resource.tfquery.hcl",
            <EntraProvider as Provider>::list_resources(&provider)
                .iter()
                .map(|l| (l.type_name(), l.schema()))
                .collect(),
        ),
        (
            "actions",
            "Action",
            "action.tf",
            <EntraProvider as Provider>::actions(&provider)
                .iter()
                .map(|a| (a.type_name(), a.schema()))
                .collect(),
        ),
    ];
    for (folder, kind, example_file, types) in kinds {
        for (name, schema) in types {
            let file = format!("docs/{folder}/{}.md", name.trim_start_matches("entra_"));
            // Only resources are imported.
            let import = (folder == "resources")
                .then(|| example(&format!("{folder}/{name}/import.sh")))
                .flatten();
            let text = page(
                name,
                kind,
                name,
                &schema,
                example(&format!("{folder}/{name}/{example_file}")),
                import,
                &schema.block.description,
            );
            files.insert(file, text);
        }
    }
    files
}

/// A type's name and schema.
type Named = (&'static str, Schema);

/// The line before the schema sections; the provider page puts its own sections above it.
const SCHEMA_MARKER: &str = "<!-- schema generated from the provider's schema descriptions -->";

/// The provider page's authentication section: one subsection per method, in the order the
/// provider tries them (`src/provider/settings.rs`).
pub const AUTHENTICATION: &str = r#"## Authentication

The provider reads the same settings and `ARM_*` environment variables as azuread and
azurerm, so existing pipelines work unchanged. Credentials are tried in this order, and the
first one configured is used: client certificate, client secret, OIDC (`use_oidc`), managed
identity (`use_msi`), Azure CLI (`use_cli`, on by default). The first token is requested
when the provider is configured, so a wrong credential is one clear error before anything
is planned, and a secret never appears in a message.

### Azure CLI (on a workstation)

Run `az login`: with no settings at all the provider uses the Azure CLI's login.
`tenant_id` (`ARM_TENANT_ID`) picks the tenant when the login has several;
`use_cli = false` (`ARM_USE_CLI=false`) turns the fallback off.

```terraform
provider "entra" {}
```

### Service principal with a client secret

```terraform
provider "entra" {
  tenant_id     = "00000000-0000-0000-0000-000000000000"
  client_id     = "11111111-1111-1111-1111-111111111111"
  client_secret = var.client_secret
}
```

Or, with an empty provider block, the environment: `ARM_TENANT_ID`, `ARM_CLIENT_ID`,
`ARM_CLIENT_SECRET`. A secret mounted as a file: `client_secret_file_path`
(`ARM_CLIENT_SECRET_FILE_PATH`) instead of `client_secret`; setting both is an error.

### Service principal with a client certificate

A PKCS#12 (`.pfx`) or PEM file holding the certificate and its private key:
`client_certificate_path` (`ARM_CLIENT_CERTIFICATE_PATH`), or its base64-encoded content in
`client_certificate` (`ARM_CLIENT_CERTIFICATE`), with `client_certificate_password`
(`ARM_CLIENT_CERTIFICATE_PASSWORD`) if it has one. The token request is signed with the
certificate's key (PS256, `x5t#S256`), so no secret is sent.

```terraform
provider "entra" {
  tenant_id                   = "00000000-0000-0000-0000-000000000000"
  client_id                   = "11111111-1111-1111-1111-111111111111"
  client_certificate_path     = "sp.pfx"
  client_certificate_password = var.certificate_password
}
```

### OIDC: workload identity federation (no secret stored anywhere)

`use_oidc = true` (`ARM_USE_OIDC=true`) with `tenant_id` and `client_id`. The OIDC token
comes from, in this order: `oidc_token` (`ARM_OIDC_TOKEN`); a file, `oidc_token_file_path`
(`ARM_OIDC_TOKEN_FILE_PATH`, or `AZURE_FEDERATED_TOKEN_FILE` as Kubernetes workload
identity sets it), read again for every token; Azure DevOps; GitHub Actions.

GitHub Actions:

```yaml
permissions:
  id-token: write          # lets the job request an OIDC token
  contents: read
env:
  ARM_USE_OIDC: "true"
  ARM_TENANT_ID: ${{ vars.AZURE_TENANT_ID }}
  ARM_CLIENT_ID: ${{ vars.AZURE_CLIENT_ID }}
```

The application needs a federated credential for issuer
`https://token.actions.githubusercontent.com`, subject `repo:OWNER/REPO:ref:refs/heads/main`
(or `repo:OWNER/REPO:environment:NAME`) and audience `api://AzureADTokenExchange`.

Azure DevOps: set `ARM_USE_OIDC=true` and `ARM_ADO_PIPELINE_SERVICE_CONNECTION_ID` (the
service connection's ID), and map `System.AccessToken` into the step as
`SYSTEM_ACCESSTOKEN`; the provider requests the token from `SYSTEM_OIDCREQUESTURI`.

AKS workload identity: `use_aks_workload_identity = true`
(`ARM_USE_AKS_WORKLOAD_IDENTITY=true`) is OIDC with what the pod's environment provides:
the token file `AZURE_FEDERATED_TOKEN_FILE`, and `AZURE_CLIENT_ID` and `AZURE_TENANT_ID`
when `client_id` and `tenant_id` (or `ARM_CLIENT_ID`, `ARM_TENANT_ID`) are not set.

### Managed identity

On an Azure VM, App Service, Functions or a container with an identity: `use_msi = true`
(`ARM_USE_MSI=true`), plus `client_id` for a user-assigned identity. `msi_endpoint`
(`ARM_MSI_ENDPOINT`) overrides the identity endpoint.

```terraform
provider "entra" {
  use_msi   = true
  client_id = "22222222-2222-2222-2222-222222222222" # user-assigned identity only
}
```

### Other clouds

`environment = "usgovernmentl4" | "usgovernmentl5" | "china"` (`ARM_ENVIRONMENT`) selects
the cloud's Graph and login hosts; the default is `global`. azuread's `metadata_host`
(endpoints read from a metadata service) has no equivalent: set `graph_endpoint` and
`authority_endpoint` to the cloud's hosts instead.

### The local Graph emulator

`graph_endpoint` (`ENTRA_GRAPH_ENDPOINT`) and `authority_endpoint`
(`ENTRA_AUTHORITY_ENDPOINT`) point the provider at another Graph and login host; plain
`http://` is accepted only for loopback addresses. The repository's emulator runs the
Contoso test tenant (tenant `48a80680-7326-48cd-9935-b556b81d3a4e`, client
`11111111-1111-4111-8111-111111111111`, secret `ci-secret-value`).
"#;

/// The provider page's permissions section (the README quotes the table).
pub const PERMISSIONS: &str = r#"## Permissions

Microsoft Graph **application** permissions the service principal needs (admin consent):

| for | least privileged | or |
|---|---|---|
| assigning group licences | `LicenseAssignment.ReadWrite.All` | `Group.ReadWrite.All`, `Directory.ReadWrite.All` |
| assigning and removing direct user licences | `LicenseAssignment.ReadWrite.All` | `User.ReadWrite.All`, `Directory.ReadWrite.All` |
| reading users and their licences (user resource and data source, the removal's re-check) | `User.Read.All` | `Directory.Read.All` |
| reading groups and their licences | `Group.Read.All` | `Directory.Read.All` |
| reading members with licence errors, listing a group's members (the removal's survey) | `GroupMember.Read.All` | `Group.Read.All`, `Directory.Read.All` |
| reading subscribed SKUs | `LicenseAssignment.Read.All` | `Organization.Read.All`, `Directory.Read.All` |
| reprocessing users | `User.ReadWrite.All` | `Directory.ReadWrite.All` |

Microsoft has noted that `LicenseAssignment.ReadWrite.All` may not be enough to *read*
licence assignments of groups; grant `Group.Read.All` alongside it. A missing permission is
reported by name in the error.
"#;

fn first_sentence(text: &str) -> &str {
    text.split_inclusive(". ").next().unwrap_or(text).trim()
}

fn page(
    title: &str,
    kind: &str,
    name: &str,
    schema: &Schema,
    example: Option<String>,
    import: Option<String>,
    description: &str,
) -> String {
    let mut out = String::new();
    let _ = writeln!(out, "---");
    let _ = writeln!(out, "page_title: \"{title} - terraform-provider-entra\"");
    let _ = writeln!(out, "subcategory: \"\"");
    let _ = writeln!(out, "description: |-\n  {}", first_sentence(description));
    let _ = writeln!(out, "---\n");
    let heading = if kind == "Provider" {
        format!("# {name} Provider")
    } else {
        format!("# {name} ({kind})")
    };
    let _ = writeln!(out, "{heading}\n\n{description}\n");
    if let Some(example) = example {
        let _ = writeln!(out, "## Example Usage\n\n```terraform\n{}\n```\n", example.trim_end());
    }
    let _ = writeln!(out, "{SCHEMA_MARKER}");
    let _ = writeln!(out, "## Schema\n");
    let mut nested = VecDeque::new();
    block_sections(&mut out, &schema.block, "", true, &mut nested);
    while let Some(Nested { path, section }) = nested.pop_front() {
        let kind = match section {
            Section::Attributes(_) => "nestedatt",
            Section::Block(_) => "nestedblock",
            Section::Object { .. } => "nestedobjatt",
        };
        let _ = writeln!(
            out,
            "<a id=\"{}\"></a>\n### Nested Schema for `{path}`\n",
            anchor(kind, &path)
        );
        match section {
            Section::Attributes(attributes) => {
                let block = Block {
                    attributes,
                    ..Block::default()
                };
                block_sections(&mut out, &block, &path, false, &mut nested);
            }
            Section::Block(block) => block_sections(&mut out, &block, &path, false, &mut nested),
            Section::Object {
                attributes,
                optional,
                read_only,
            } => object_sections(&mut out, &attributes, &optional, read_only, &path, &mut nested),
        }
    }
    if let Some(import) = import {
        let _ = writeln!(
            out,
            "## Import\n\nImport is supported using the following syntax:\n\n```shell\n{}\n```",
            import.trim_end()
        );
    }
    out.trim_end().to_owned() + "\n"
}

/// A section still to write: the attribute's dotted path and what it holds.
struct Nested {
    path: String,
    section: Section,
}

enum Section {
    /// A nested attribute (`Attributes`, `Attributes Map`, …).
    Attributes(Vec<Attribute>),
    /// A nested block.
    Block(Block),
    /// An attribute of object type, or of lists, sets or maps of objects.
    Object {
        attributes: BTreeMap<String, Type>,
        optional: BTreeSet<String>,
        /// The attribute is computed only: every field is read-only.
        read_only: bool,
    },
}

/// The anchor the registry uses for a nested schema section.
fn anchor(kind: &str, path: &str) -> String {
    format!("{kind}--{}", path.replace('.', "--"))
}

fn joined(prefix: &str, name: &str) -> String {
    if prefix.is_empty() {
        name.to_owned()
    } else {
        format!("{prefix}.{name}")
    }
}

/// The object type inside `ty`, through any lists, sets and maps.
fn object_type(ty: &Type) -> Option<(&BTreeMap<String, Type>, &BTreeSet<String>)> {
    match ty {
        Type::Object { attributes, optional } => Some((attributes, optional)),
        Type::List(element) | Type::Set(element) | Type::Map(element) => object_type(element),
        _ => None,
    }
}

/// Writes `title` (a heading at the top level, a label in nested sections) and its lines.
fn write_group(out: &mut String, title: &str, top_level: bool, mut lines: Vec<String>) {
    if lines.is_empty() {
        return;
    }
    lines.sort();
    if top_level {
        let _ = writeln!(out, "### {title}\n");
    } else {
        let _ = writeln!(out, "{title}:\n");
    }
    let _ = writeln!(out, "{}\n", lines.join("\n"));
}

fn see_below(kind: &str, path: &str) -> String {
    format!(" (see [below for nested schema](#{}))", anchor(kind, path))
}

fn block_sections(out: &mut String, block: &Block, prefix: &str, top_level: bool, nested: &mut VecDeque<Nested>) {
    type Belongs = fn(&Attribute) -> bool;
    let groups: [(&str, Belongs); 3] = [
        ("Required", |a| a.required),
        ("Optional", |a| a.optional),
        ("Read-Only", |a| a.computed && !a.optional && !a.required),
    ];
    for (title, belongs) in groups {
        let mut lines = Vec::new();
        for a in block.attributes.iter().filter(|a| belongs(a)) {
            let path = joined(prefix, &a.name);
            let sensitive = if a.sensitive { ", Sensitive" } else { "" };
            let see = match &a.kind {
                AttributeKind::Nested { attributes, .. } => {
                    let see = see_below("nestedatt", &path);
                    nested.push_back(Nested {
                        path,
                        section: Section::Attributes(attributes.clone()),
                    });
                    see
                }
                AttributeKind::Plain(ty) => match object_type(ty) {
                    Some((attributes, optional)) => {
                        let see = see_below("nestedobjatt", &path);
                        nested.push_back(Nested {
                            path,
                            section: Section::Object {
                                attributes: attributes.clone(),
                                optional: optional.clone(),
                                read_only: !a.required && !a.optional,
                            },
                        });
                        see
                    }
                    None => String::new(),
                },
            };
            lines.push(format!(
                "- `{}` ({}{sensitive}) {}{see}",
                a.name,
                attribute_label(a),
                a.description
            ));
        }
        if title == "Optional" {
            for b in &block.blocks {
                let path = joined(prefix, &b.type_name);
                lines.push(format!(
                    "- `{}` (Block{}) {}{}",
                    b.type_name,
                    block_label(b.nesting),
                    b.block.description,
                    see_below("nestedblock", &path)
                ));
                nested.push_back(Nested {
                    path,
                    section: Section::Block(b.block.clone()),
                });
            }
        }
        write_group(out, title, top_level, lines);
    }
}

/// The fields of an object type: read-only when the attribute is computed only, else
/// required or optional as the type says.
fn object_sections(
    out: &mut String,
    attributes: &BTreeMap<String, Type>,
    optional: &BTreeSet<String>,
    read_only: bool,
    prefix: &str,
    nested: &mut VecDeque<Nested>,
) {
    let (mut required_lines, mut optional_lines, mut read_only_lines) = (Vec::new(), Vec::new(), Vec::new());
    for (name, ty) in attributes {
        let path = joined(prefix, name);
        let see = match object_type(ty) {
            Some((inner, inner_optional)) => {
                let see = see_below("nestedobjatt", &path);
                nested.push_back(Nested {
                    path,
                    section: Section::Object {
                        attributes: inner.clone(),
                        optional: inner_optional.clone(),
                        read_only,
                    },
                });
                see
            }
            None => String::new(),
        };
        let line = format!("- `{name}` ({}){see}", type_label(ty));
        if read_only {
            read_only_lines.push(line);
        } else if optional.contains(name) {
            optional_lines.push(line);
        } else {
            required_lines.push(line);
        }
    }
    write_group(out, "Required", false, required_lines);
    write_group(out, "Optional", false, optional_lines);
    write_group(out, "Read-Only", false, read_only_lines);
}

fn block_label(nesting: Nesting) -> &'static str {
    match nesting {
        Nesting::List => " List",
        Nesting::Set => " Set",
        Nesting::Map => " Map",
        Nesting::Single | Nesting::Group => "",
    }
}

fn attribute_label(attribute: &Attribute) -> String {
    match &attribute.kind {
        AttributeKind::Plain(ty) => type_label(ty),
        AttributeKind::Nested { nesting, .. } => match nesting {
            Nesting::Map => "Attributes Map".into(),
            Nesting::List => "Attributes List".into(),
            Nesting::Set => "Attributes Set".into(),
            Nesting::Single | Nesting::Group => "Attributes".into(),
        },
    }
}

fn type_label(ty: &Type) -> String {
    match ty {
        Type::String => "String".into(),
        Type::Number => "Number".into(),
        Type::Bool => "Boolean".into(),
        Type::Dynamic => "Dynamic".into(),
        Type::List(e) => format!("List of {}", type_label(e)),
        Type::Set(e) => format!("Set of {}", type_label(e)),
        Type::Map(e) => format!("Map of {}", type_label(e)),
        Type::Object { .. } => "Object".into(),
        Type::Tuple(_) => "Tuple".into(),
    }
}
