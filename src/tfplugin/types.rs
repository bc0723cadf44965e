//! Terraform's type system (cty types) and their JSON form.
//!
//! Every value on the wire is decoded *given a type*: msgpack arrays mean a list, a set or a
//! tuple depending on the schema, so the type travels beside the value everywhere.
//! The JSON form (`"string"`, `["list","string"]`, `["object",{…}]`) is what schemas carry
//! in `Attribute.type` and what dynamic values are wrapped with.

use std::collections::{BTreeMap, BTreeSet};

use serde_json::{Value as Json, json};

/// A Terraform type.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum Type {
    /// A UTF-8 string.
    String,
    /// An arbitrary-precision number.
    Number,
    /// A boolean.
    Bool,
    /// Any type, decided per value (`DynamicPseudoType`).
    Dynamic,
    /// An ordered list of one element type.
    List(Box<Type>),
    /// An unordered set of one element type.
    Set(Box<Type>),
    /// A map from string keys to one element type.
    Map(Box<Type>),
    /// A fixed set of named attributes; `optional` lists the ones a config may leave out.
    Object {
        /// Attribute types by name.
        attributes: BTreeMap<String, Type>,
        /// Names of optional attributes (type constraints only; stripped on the wire).
        optional: BTreeSet<String>,
    },
    /// A fixed-length sequence of element types.
    Tuple(Vec<Type>),
}

/// A type JSON that could not be understood.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TypeParseError(pub String);

impl std::fmt::Display for TypeParseError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "invalid type: {}", self.0)
    }
}

impl std::error::Error for TypeParseError {}

impl Type {
    /// `list(element)`.
    pub fn list(element: Type) -> Self {
        Type::List(Box::new(element))
    }

    /// `set(element)`.
    pub fn set(element: Type) -> Self {
        Type::Set(Box::new(element))
    }

    /// `map(element)`.
    pub fn map(element: Type) -> Self {
        Type::Map(Box::new(element))
    }

    /// The same type without optional-attribute markers, as values on the wire have it.
    pub fn without_optional_markers(&self) -> Type {
        match self {
            Type::List(t) => Type::list(t.without_optional_markers()),
            Type::Set(t) => Type::set(t.without_optional_markers()),
            Type::Map(t) => Type::map(t.without_optional_markers()),
            Type::Tuple(ts) => Type::Tuple(ts.iter().map(Type::without_optional_markers).collect()),
            Type::Object { attributes, .. } => Type::object(
                attributes
                    .iter()
                    .map(|(k, t)| (k.clone(), t.without_optional_markers())),
            ),
            other => other.clone(),
        }
    }

    /// `object({...})` with every attribute required.
    pub fn object<K: Into<String>>(attributes: impl IntoIterator<Item = (K, Type)>) -> Self {
        Type::Object {
            attributes: attributes.into_iter().map(|(k, t)| (k.into(), t)).collect(),
            optional: BTreeSet::new(),
        }
    }

    /// The JSON form Terraform expects in schemas and dynamic wrappers.
    pub fn to_json(&self) -> Json {
        match self {
            Type::String => json!("string"),
            Type::Number => json!("number"),
            Type::Bool => json!("bool"),
            Type::Dynamic => json!("dynamic"),
            Type::List(e) => json!(["list", e.to_json()]),
            Type::Set(e) => json!(["set", e.to_json()]),
            Type::Map(e) => json!(["map", e.to_json()]),
            Type::Object { attributes, optional } => {
                let attrs: serde_json::Map<String, Json> =
                    attributes.iter().map(|(k, t)| (k.clone(), t.to_json())).collect();
                if optional.is_empty() {
                    json!(["object", attrs])
                } else {
                    json!(["object", attrs, optional.iter().collect::<Vec<_>>()])
                }
            }
            Type::Tuple(elements) => {
                json!(["tuple", elements.iter().map(Type::to_json).collect::<Vec<_>>()])
            }
        }
    }

    /// The JSON form as compact bytes.
    pub fn to_json_bytes(&self) -> Vec<u8> {
        self.to_json().to_string().into_bytes()
    }

    /// Parses the JSON form.
    pub fn from_json(json: &Json) -> Result<Self, TypeParseError> {
        let bad = || TypeParseError(json.to_string());
        match json {
            Json::String(name) => match name.as_str() {
                "string" => Ok(Type::String),
                "number" => Ok(Type::Number),
                "bool" => Ok(Type::Bool),
                "dynamic" => Ok(Type::Dynamic),
                _ => Err(bad()),
            },
            Json::Array(parts) => {
                let kind = parts.first().and_then(Json::as_str).ok_or_else(bad)?;
                let arg = parts.get(1).ok_or_else(bad)?;
                match kind {
                    "list" => Ok(Type::list(Type::from_json(arg)?)),
                    "set" => Ok(Type::set(Type::from_json(arg)?)),
                    "map" => Ok(Type::map(Type::from_json(arg)?)),
                    "tuple" => Ok(Type::Tuple(
                        arg.as_array()
                            .ok_or_else(bad)?
                            .iter()
                            .map(Type::from_json)
                            .collect::<Result<_, _>>()?,
                    )),
                    "object" => {
                        let attributes = arg
                            .as_object()
                            .ok_or_else(bad)?
                            .iter()
                            .map(|(k, t)| Ok((k.clone(), Type::from_json(t)?)))
                            .collect::<Result<_, TypeParseError>>()?;
                        let optional = match parts.get(2) {
                            None => BTreeSet::new(),
                            Some(names) => names
                                .as_array()
                                .ok_or_else(bad)?
                                .iter()
                                .map(|n| n.as_str().map(str::to_owned).ok_or_else(bad))
                                .collect::<Result<_, _>>()?,
                        };
                        Ok(Type::Object { attributes, optional })
                    }
                    _ => Err(bad()),
                }
            }
            _ => Err(bad()),
        }
    }

    /// Parses the JSON form from bytes.
    pub fn from_json_bytes(bytes: &[u8]) -> Result<Self, TypeParseError> {
        let json: Json = serde_json::from_slice(bytes).map_err(|e| TypeParseError(e.to_string()))?;
        Type::from_json(&json)
    }

    /// The element type of a list, set or map.
    pub fn element(&self) -> Option<&Type> {
        match self {
            Type::List(e) | Type::Set(e) | Type::Map(e) => Some(e),
            _ => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn json_round_trip_for_every_kind() {
        let ty = Type::Object {
            attributes: [
                ("s".to_owned(), Type::String),
                ("n".to_owned(), Type::Number),
                ("b".to_owned(), Type::Bool),
                ("d".to_owned(), Type::Dynamic),
                ("l".to_owned(), Type::list(Type::String)),
                ("st".to_owned(), Type::set(Type::Number)),
                ("m".to_owned(), Type::map(Type::Bool)),
                ("t".to_owned(), Type::Tuple(vec![Type::String, Type::Number])),
            ]
            .into_iter()
            .collect(),
            optional: ["s".to_owned()].into_iter().collect(),
        };
        let bytes = ty.to_json_bytes();
        assert_eq!(Type::from_json_bytes(&bytes).unwrap(), ty);
    }

    #[test]
    fn compact_json_matches_terraform() {
        let ty = Type::map(Type::object([("sku_id", Type::String)]));
        assert_eq!(
            String::from_utf8(ty.to_json_bytes()).unwrap(),
            r#"["map",["object",{"sku_id":"string"}]]"#
        );
    }

    #[test]
    fn rejects_unknown_names() {
        assert!(Type::from_json_bytes(br#""float""#).is_err());
        assert!(Type::from_json_bytes(br#"["list"]"#).is_err());
    }
}
