//! Registry-format documentation, generated from the schemas' markdown descriptions and
//! the files under `examples/` (the layout the Terraform Registry reads):
//! `docs/index.md`, `docs/resources/*.md`, `docs/data-sources/*.md`, `docs/actions/*.md`.
//!
//! `tests/docs.rs` fails when `docs/` differs from what this renders; regenerate with
//! `UPDATE_DOCS=1 cargo test --test integration docs_`.

use std::collections::BTreeMap;
use std::fmt::Write;
use std::path::Path;

use crate::provider::EntraProvider;
use crate::tfplugin::schema::{Attribute, AttributeKind, Block, NestedBlock, Nesting};
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
        ),
    );
    for resource in provider.resources() {
        let name = resource.type_name();
        let schema = resource.schema();
        let file = format!("docs/resources/{}.md", name.trim_start_matches("entra_"));
        let import = example(&format!("resources/{name}/import.sh"));
        files.insert(
            file,
            page(
                name,
                "Resource",
                name,
                &schema,
                example(&format!("resources/{name}/resource.tf")),
                import,
                &schema.block.description,
            ),
        );
    }
    for data_source in provider.data_sources() {
        let name = data_source.type_name();
        let schema = data_source.schema();
        let file = format!("docs/data-sources/{}.md", name.trim_start_matches("entra_"));
        files.insert(
            file,
            page(
                name,
                "Data Source",
                name,
                &schema,
                example(&format!("data-sources/{name}/data-source.tf")),
                None,
                &schema.block.description,
            ),
        );
    }
    for action in <EntraProvider as Provider>::actions(&provider) {
        let name = action.type_name();
        let schema = action.schema();
        let file = format!("docs/actions/{}.md", name.trim_start_matches("entra_"));
        files.insert(
            file,
            page(
                name,
                "Action",
                name,
                &schema,
                example(&format!("actions/{name}/action.tf")),
                None,
                &schema.block.description,
            ),
        );
    }
    files
}

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
    let _ = writeln!(out, "<!-- schema generated from the provider's schema descriptions -->");
    let _ = writeln!(out, "## Schema\n");
    let mut nested = Vec::new();
    block_sections(&mut out, &schema.block, &mut nested);
    while let Some((path, section)) = nested.pop() {
        let _ = writeln!(
            out,
            "<a id=\"nestedatt--{}\"></a>\n### Nested Schema for `{path}`\n",
            path.replace('.', "--")
        );
        match section {
            Section::Attributes(attributes) => {
                let block = Block {
                    attributes,
                    ..Block::default()
                };
                block_sections(&mut out, &block, &mut nested);
            }
            Section::Block(block) => block_sections(&mut out, &block, &mut nested),
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

enum Section {
    Attributes(Vec<Attribute>),
    Block(Block),
}

fn block_sections(out: &mut String, block: &Block, nested: &mut Vec<(String, Section)>) {
    type Belongs = fn(&Attribute) -> bool;
    let groups: [(&str, Belongs); 3] = [
        ("Required", |a| a.required),
        ("Optional", |a| a.optional),
        ("Read-Only", |a| a.computed && !a.optional && !a.required),
    ];
    for (title, belongs) in groups {
        let attributes: Vec<&Attribute> = block.attributes.iter().filter(|a| belongs(a)).collect();
        let blocks: Vec<&NestedBlock> = if title == "Optional" {
            block.blocks.iter().collect()
        } else {
            Vec::new()
        };
        if attributes.is_empty() && blocks.is_empty() {
            continue;
        }
        let _ = writeln!(out, "### {title}\n");
        let mut lines: Vec<String> = attributes
            .iter()
            .map(|a| {
                let sensitive = if a.sensitive { ", Sensitive" } else { "" };
                let see = if let AttributeKind::Nested { attributes, .. } = &a.kind {
                    nested.push((a.name.clone(), Section::Attributes(attributes.clone())));
                    format!(" (see [below for nested schema](#nestedatt--{}))", a.name)
                } else {
                    String::new()
                };
                format!(
                    "- `{}` ({}{sensitive}) {}{see}",
                    a.name,
                    attribute_label(a),
                    a.description
                )
            })
            .collect();
        for b in blocks {
            nested.push((b.type_name.clone(), Section::Block(b.block.clone())));
            lines.push(format!(
                "- `{}` (Block) {} (see [below for nested schema](#nestedatt--{}))",
                b.type_name, b.block.description, b.type_name
            ));
        }
        lines.sort();
        let _ = writeln!(out, "{}\n", lines.join("\n"));
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
