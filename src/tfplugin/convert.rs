//! Pure conversions between the generated protobuf types and ours.
//!
//! Nothing else in the crate touches protobuf values apart from `server.rs`, which calls
//! these functions; resource code never sees them.

use super::diagnostics::{Diagnostic, Severity};
use super::path::{AttributePath, Step};
use super::proto;
use super::schema::{Attribute, AttributeKind, Block, IdentitySchema, NestedBlock, Nesting, Schema};
use super::types::Type;
use super::value::Value;
use super::{json, msgpack};

/// Our diagnostic on the wire.
pub(crate) fn diagnostic(d: &Diagnostic) -> proto::Diagnostic {
    proto::Diagnostic {
        severity: match d.severity {
            Severity::Error => proto::diagnostic::Severity::Error,
            Severity::Warning => proto::diagnostic::Severity::Warning,
        } as i32,
        summary: d.summary.clone(),
        detail: d.detail.clone(),
        attribute: d.path.as_ref().filter(|p| !p.is_root()).map(attribute_path),
    }
}

/// Diagnostics on the wire.
pub(crate) fn diagnostics<'a>(ds: impl IntoIterator<Item = &'a Diagnostic>) -> Vec<proto::Diagnostic> {
    ds.into_iter().map(diagnostic).collect()
}

/// Our path on the wire.
pub(crate) fn attribute_path(path: &AttributePath) -> proto::AttributePath {
    use proto::attribute_path::step::Selector;
    proto::AttributePath {
        steps: path
            .steps()
            .iter()
            .map(|step| proto::attribute_path::Step {
                selector: Some(match step {
                    Step::Attribute(name) => Selector::AttributeName(name.clone()),
                    Step::Key(key) => Selector::ElementKeyString(key.clone()),
                    Step::Index(i) => Selector::ElementKeyInt(*i),
                }),
            })
            .collect(),
    }
}

/// A path from the wire (used by the protocol tests, which play Terraform).
pub fn path_from_proto(path: &proto::AttributePath) -> AttributePath {
    use proto::attribute_path::step::Selector;
    AttributePath::from_steps(
        path.steps
            .iter()
            .filter_map(|s| {
                Some(match s.selector.as_ref()? {
                    Selector::AttributeName(n) => Step::Attribute(n.clone()),
                    Selector::ElementKeyString(k) => Step::Key(k.clone()),
                    Selector::ElementKeyInt(i) => Step::Index(*i),
                })
            })
            .collect(),
    )
}

/// Our schema on the wire.
pub(crate) fn schema(s: &Schema) -> proto::Schema {
    proto::Schema {
        version: s.version,
        block: Some(block(&s.block, s.version)),
    }
}

fn block(b: &Block, version: i64) -> proto::schema::Block {
    proto::schema::Block {
        version,
        attributes: b.attributes.iter().map(attribute).collect(),
        block_types: b.blocks.iter().map(nested_block).collect(),
        description: b.description.clone(),
        description_kind: proto::StringKind::Markdown as i32,
        deprecated: b.deprecated,
    }
}

fn attribute(a: &Attribute) -> proto::schema::Attribute {
    let (type_json, nested_type) = match &a.kind {
        AttributeKind::Plain(ty) => (ty.to_json_bytes(), None),
        AttributeKind::Nested { nesting, attributes } => {
            let nesting = match nesting {
                Nesting::Single | Nesting::Group => proto::schema::object::NestingMode::Single,
                Nesting::List => proto::schema::object::NestingMode::List,
                Nesting::Set => proto::schema::object::NestingMode::Set,
                Nesting::Map => proto::schema::object::NestingMode::Map,
            };
            #[allow(deprecated)]
            let object = proto::schema::Object {
                attributes: attributes.iter().map(attribute).collect(),
                nesting: nesting as i32,
                min_items: 0,
                max_items: 0,
            };
            (Vec::new(), Some(object))
        }
    };
    proto::schema::Attribute {
        name: a.name.clone(),
        r#type: type_json,
        nested_type,
        description: a.description.clone(),
        required: a.required,
        optional: a.optional,
        computed: a.computed,
        sensitive: a.sensitive,
        description_kind: proto::StringKind::Markdown as i32,
        deprecated: a.deprecated,
        write_only: a.write_only,
    }
}

fn nested_block(b: &NestedBlock) -> proto::schema::NestedBlock {
    use proto::schema::nested_block::NestingMode;
    let nesting = match b.nesting {
        Nesting::Single => NestingMode::Single,
        Nesting::Group => NestingMode::Group,
        Nesting::List => NestingMode::List,
        Nesting::Set => NestingMode::Set,
        Nesting::Map => NestingMode::Map,
    };
    proto::schema::NestedBlock {
        type_name: b.type_name.clone(),
        block: Some(block(&b.block, 0)),
        nesting: nesting as i32,
        min_items: b.min_items,
        max_items: b.max_items,
    }
}

/// An identity schema on the wire.
pub(crate) fn identity_schema(s: &IdentitySchema) -> proto::ResourceIdentitySchema {
    proto::ResourceIdentitySchema {
        version: s.version,
        identity_attributes: s
            .attributes
            .iter()
            .map(|a| proto::resource_identity_schema::IdentityAttribute {
                name: a.name.clone(),
                r#type: a.ty.to_json_bytes(),
                required_for_import: a.required_for_import,
                optional_for_import: !a.required_for_import,
                description: a.description.clone(),
            })
            .collect(),
    }
}

/// Decodes a DynamicValue of type `ty`: msgpack if present, else JSON, else null (as
/// Terraform itself reads them). Errors become a diagnostic on the failing path.
pub(crate) fn decode_dynamic(value: Option<&proto::DynamicValue>, ty: &Type) -> Result<Value, Diagnostic> {
    let result = match value {
        Some(v) if !v.msgpack.is_empty() => msgpack::decode(&v.msgpack, ty),
        Some(v) if !v.json.is_empty() => json::decode(&v.json, ty),
        _ => Ok(Value::Null),
    };
    result.map_err(|e| {
        let path = e.path.clone();
        Diagnostic::provider_bug(
            "Invalid Value From Terraform",
            format!("The value at {path} could not be decoded: {}", e.message),
        )
        .at(path)
    })
}

/// Encodes a value of type `ty` as msgpack, the only encoding we send.
pub(crate) fn encode_dynamic(value: &Value, ty: &Type) -> Result<proto::DynamicValue, Diagnostic> {
    msgpack::encode(value, ty)
        .map(|msgpack| proto::DynamicValue {
            msgpack,
            json: Vec::new(),
        })
        .map_err(|e| {
            let path = e.path.clone();
            Diagnostic::provider_bug(
                "Invalid Value From Provider",
                format!("The value at {path} could not be encoded: {}", e.message),
            )
            .at(path)
        })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::tfplugin::schema::IdentityAttribute;

    #[test]
    fn diagnostics_keep_severity_text_and_path() {
        let d = Diagnostic::warning("Seat Shortage", "detail").at(AttributePath::attr("licenses").key("E5").index(2));
        let p = diagnostic(&d);
        assert_eq!(p.severity, proto::diagnostic::Severity::Warning as i32);
        assert_eq!((p.summary.as_str(), p.detail.as_str()), ("Seat Shortage", "detail"));
        assert_eq!(path_from_proto(p.attribute.as_ref().unwrap()), d.path.unwrap());
        assert!(diagnostic(&Diagnostic::error("A", "b")).attribute.is_none());
    }

    #[test]
    fn schema_attributes_map_to_type_or_nested_type() {
        let s = Schema::new(
            "desc",
            vec![
                Attribute::string("id").computed().description("The id."),
                Attribute::nested("licenses", Nesting::Map, vec![Attribute::string("x").optional()]).required(),
            ],
        )
        .with_version(2);
        let p = schema(&s);
        assert_eq!(p.version, 2);
        let b = p.block.unwrap();
        assert_eq!(b.description_kind, proto::StringKind::Markdown as i32);
        assert_eq!(b.attributes[0].r#type, br#""string""#);
        assert!(b.attributes[0].computed && !b.attributes[0].optional);
        assert!(b.attributes[1].r#type.is_empty());
        let nested = b.attributes[1].nested_type.as_ref().unwrap();
        assert_eq!(nested.nesting, proto::schema::object::NestingMode::Map as i32);
    }

    #[test]
    fn identity_attributes_are_required_or_optional_for_import() {
        let s = IdentitySchema {
            version: 0,
            attributes: vec![IdentityAttribute {
                name: "group_id".into(),
                ty: Type::String,
                required_for_import: true,
                description: "d".into(),
            }],
        };
        let p = identity_schema(&s);
        assert!(p.identity_attributes[0].required_for_import && !p.identity_attributes[0].optional_for_import);
    }

    #[test]
    fn dynamic_values_prefer_msgpack_then_json_then_null() {
        let ty = Type::object([("a", Type::String)]);
        let encoded = encode_dynamic(&Value::object([("a", Value::string("m"))]), &ty).unwrap();
        assert_eq!(
            decode_dynamic(Some(&encoded), &ty).unwrap().get("a"),
            &Value::string("m")
        );
        let json = proto::DynamicValue {
            msgpack: vec![],
            json: br#"{"a":"j"}"#.to_vec(),
        };
        assert_eq!(decode_dynamic(Some(&json), &ty).unwrap().get("a"), &Value::string("j"));
        assert_eq!(decode_dynamic(None, &ty).unwrap(), Value::Null);
        let bad = proto::DynamicValue {
            msgpack: vec![0x81, 0xa1, b'a', 0x01],
            json: vec![],
        };
        let d = decode_dynamic(Some(&bad), &ty).unwrap_err();
        assert_eq!(d.path, Some(AttributePath::attr("a")));
    }
}
