//! The default plan, applied before a resource's own planning logic.
//!
//! Terraform's rules (`docs/resource-instance-change-lifecycle.md`, see the protocol
//! reference §4): on create, computed attributes arrive as *null* in the proposed state,
//! so the provider must mark them unknown itself; with no change, planned must equal prior
//! or every plan shows a perpetual diff. The sequence, as terraform-plugin-framework does it:
//!
//! 1. start from the proposed new state;
//! 2. if this is a create or anything differs from the prior state, mark every computed
//!    attribute whose configuration is null as unknown, except attributes marked
//!    `use_state_for_unknown`, which keep their prior value;
//! 3. the resource adjusts the plan (its own `plan` method);
//! 4. attributes marked `requires_replace` whose planned value differs from the prior one
//!    are reported as replacement paths.

use super::path::AttributePath;
use super::schema::{Attribute, AttributeKind, Block, Nesting};
use super::value::Value;

/// Steps 1 and 2: the proposed state with computed nulls made unknown where a change is
/// planned.
pub fn mark_computed_nulls_unknown(block: &Block, prior: &Value, config: &Value, proposed: Value) -> Value {
    if !prior.is_null() && proposed == *prior {
        return proposed;
    }
    mark_in_object(&block.attributes, prior, config, proposed)
}

fn mark_in_object(attributes: &[Attribute], prior: &Value, config: &Value, mut planned: Value) -> Value {
    if !matches!(planned, Value::Map(_)) {
        return planned;
    }
    for attribute in attributes {
        let name = attribute.name.as_str();
        let config_value = config.get(name);
        let prior_value = prior.get(name);
        if attribute.computed && config_value.is_null() {
            let keep_prior = attribute.use_state_for_unknown && !prior_value.is_null() && !prior_value.is_unknown();
            let value = if keep_prior {
                prior_value.clone()
            } else {
                Value::unknown()
            };
            planned.set(name, value);
            continue;
        }
        if let AttributeKind::Nested {
            nesting,
            attributes: inner,
        } = &attribute.kind
        {
            let current = planned.get(name).clone();
            planned.set(
                name,
                mark_in_nested(*nesting, inner, prior_value, config_value, current),
            );
        }
    }
    planned
}

fn mark_in_nested(nesting: Nesting, inner: &[Attribute], prior: &Value, config: &Value, planned: Value) -> Value {
    match (nesting, planned) {
        (Nesting::Single | Nesting::Group, object) => mark_in_object(inner, prior, config, object),
        (Nesting::Map, Value::Map(entries)) => Value::Map(
            entries
                .into_iter()
                .map(|(key, element)| {
                    let prior_element = prior.as_map().and_then(|m| m.get(&key)).unwrap_or(&Value::Null);
                    let config_element = config.as_map().and_then(|m| m.get(&key)).unwrap_or(&Value::Null);
                    let marked = mark_in_object(inner, prior_element, config_element, element);
                    (key, marked)
                })
                .collect(),
        ),
        (Nesting::List, Value::List(items)) => Value::List(
            items
                .into_iter()
                .enumerate()
                .map(|(i, element)| {
                    let prior_element = prior.as_elements().and_then(|e| e.get(i)).unwrap_or(&Value::Null);
                    let config_element = config.as_elements().and_then(|e| e.get(i)).unwrap_or(&Value::Null);
                    mark_in_object(inner, prior_element, config_element, element)
                })
                .collect(),
        ),
        // Set elements have no identity to match prior and config by; they are planned as
        // proposed, so computed attributes inside sets are not supported by this default.
        (_, other) => other,
    }
}

/// Step 4: the paths of `requires_replace` attributes whose planned value differs from the
/// prior one. Empty on create (no prior) and on destroy.
pub fn requires_replace(block: &Block, prior: &Value, planned: &Value) -> Vec<AttributePath> {
    if prior.is_null() || planned.is_null() {
        return Vec::new();
    }
    block
        .attributes
        .iter()
        .filter(|a| a.requires_replace && prior.get(&a.name) != planned.get(&a.name))
        .map(|a| AttributePath::attr(&a.name))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::tfplugin::schema::Schema;
    use crate::tfplugin::types::Type;

    fn schema() -> Schema {
        Schema::new(
            "test",
            vec![
                Attribute::string("id").computed().use_state_for_unknown(),
                Attribute::string("name").required().requires_replace(),
                Attribute::string("etag").computed(),
                Attribute::string("size").optional().computed(),
                Attribute::nested(
                    "items",
                    Nesting::Map,
                    vec![
                        Attribute::string("value").optional(),
                        Attribute::string("resolved").computed(),
                    ],
                )
                .optional(),
            ],
        )
    }

    fn state(id: Value, name: &str, etag: Value, size: Value) -> Value {
        Value::object([
            ("id", id),
            ("name", Value::string(name)),
            ("etag", etag),
            ("size", size),
            ("items", Value::Null),
        ])
    }

    #[test]
    fn create_marks_computed_nulls_unknown() {
        let config = state(Value::Null, "a", Value::Null, Value::Null);
        let planned = mark_computed_nulls_unknown(&schema().block, &Value::Null, &config, config.clone());
        assert!(planned.get("id").is_unknown());
        assert!(planned.get("etag").is_unknown());
        assert!(
            planned.get("size").is_unknown(),
            "optional+computed left unset is the provider's to fill"
        );
        assert_eq!(planned.get("name"), &Value::string("a"));
    }

    #[test]
    fn no_change_keeps_prior_exactly() {
        let prior = state(Value::string("1"), "a", Value::string("e1"), Value::string("s"));
        let config = state(Value::Null, "a", Value::Null, Value::Null);
        let planned = mark_computed_nulls_unknown(&schema().block, &prior, &config, prior.clone());
        assert_eq!(planned, prior);
        assert!(requires_replace(&schema().block, &prior, &planned).is_empty());
    }

    #[test]
    fn update_keeps_stable_ids_and_flags_replacement() {
        let prior = state(Value::string("1"), "a", Value::string("e1"), Value::string("s"));
        let config = state(Value::Null, "b", Value::Null, Value::Null);
        let proposed = state(Value::string("1"), "b", Value::string("e1"), Value::string("s"));
        let planned = mark_computed_nulls_unknown(&schema().block, &prior, &config, proposed);
        assert_eq!(planned.get("id"), &Value::string("1"), "use_state_for_unknown");
        assert!(planned.get("etag").is_unknown());
        assert_eq!(
            requires_replace(&schema().block, &prior, &planned),
            vec![AttributePath::attr("name")]
        );
    }

    #[test]
    fn computed_attributes_inside_nested_maps_become_unknown() {
        let items = Value::object([(
            "k",
            Value::object([("value", Value::string("v")), ("resolved", Value::Null)]),
        )]);
        let mut config = state(Value::Null, "a", Value::Null, Value::Null);
        config.set("items", items.clone());
        let planned = mark_computed_nulls_unknown(&schema().block, &Value::Null, &config, config.clone());
        let element = planned.get("items").as_map().unwrap()["k"].clone();
        assert!(element.get("resolved").is_unknown());
        assert_eq!(element.get("value"), &Value::string("v"));
        assert_eq!(schema().implied_type().element(), None);
        assert!(matches!(schema().implied_type(), Type::Object { .. }));
    }
}
