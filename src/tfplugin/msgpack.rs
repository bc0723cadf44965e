//! Type-directed msgpack codec, the encoding Terraform always sends and always gets back.
//!
//! Rules (from Terraform's object wire format and go-cty, which is the reference codec):
//! - null is `nil`; *any* extension is unknown; extension 12 carries refinements;
//! - we write unknown as `d4 00 00` (fixext1, type 0) or as extension 12 when it is refined;
//! - numbers arrive as int, float or decimal string, and are written as int when whole,
//!   float when exact, decimal string otherwise;
//! - objects are written with every attribute present; sets are de-duplicated;
//! - a `dynamic` position holds `[type JSON, value]`, unless the value itself is null or
//!   unknown of no particular type.
//!
//! Every error names the attribute path where it happened.

use std::collections::BTreeMap;

use rmpv::Value as Mp;

use super::path::AttributePath;
use super::types::Type;
use super::value::{Number, Refinements, Value};

/// Extension type Terraform uses for refined unknown values.
const REFINED_UNKNOWN_EXT: i8 = 12;

/// A value that could not be decoded or encoded, and where.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CodecError {
    /// The attribute at fault.
    pub path: AttributePath,
    /// What was wrong.
    pub message: String,
}

impl std::fmt::Display for CodecError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}: {}", self.path, self.message)
    }
}

impl std::error::Error for CodecError {}

fn error(path: &AttributePath, message: impl Into<String>) -> CodecError {
    CodecError {
        path: path.clone(),
        message: message.into(),
    }
}

/// Decodes msgpack `bytes` as a value of type `ty`.
pub fn decode(bytes: &[u8], ty: &Type) -> Result<Value, CodecError> {
    let mut reader = bytes;
    let raw = rmpv::decode::read_value(&mut reader)
        .map_err(|e| error(&AttributePath::root(), format!("malformed msgpack: {e}")))?;
    if !reader.is_empty() {
        return Err(error(
            &AttributePath::root(),
            format!("{} trailing bytes after the value", reader.len()),
        ));
    }
    from_msgpack(raw, ty, &AttributePath::root())
}

/// Encodes `value` as msgpack of type `ty`.
pub fn encode(value: &Value, ty: &Type) -> Result<Vec<u8>, CodecError> {
    let raw = to_msgpack(value, ty, &AttributePath::root())?;
    let mut out = Vec::new();
    rmpv::encode::write_value(&mut out, &raw).expect("writing to a Vec cannot fail");
    Ok(out)
}

fn from_msgpack(raw: Mp, ty: &Type, path: &AttributePath) -> Result<Value, CodecError> {
    match raw {
        Mp::Nil => return Ok(Value::Null),
        Mp::Ext(kind, body) => {
            return Ok(Value::Unknown(Box::new(decode_refinements(kind, &body))));
        }
        _ => {}
    }
    match ty {
        Type::Dynamic => {
            let Mp::Array(mut pair) = raw else {
                return Err(error(path, "a dynamic value must be a [type, value] pair"));
            };
            if pair.len() != 2 {
                return Err(error(path, "a dynamic value must be a [type, value] pair"));
            }
            let inner = pair.pop().expect("two elements");
            let type_json = match pair.pop().expect("two elements") {
                Mp::Binary(bytes) => bytes,
                Mp::String(s) => s.into_bytes(),
                other => {
                    return Err(error(path, format!("dynamic type must be JSON bytes, found {other}")));
                }
            };
            let concrete = Type::from_json_bytes(&type_json).map_err(|e| error(path, e.to_string()))?;
            let value = from_msgpack(inner, &concrete, path)?;
            Ok(Value::Dynamic(Box::new((concrete, value))))
        }
        Type::String => match raw {
            Mp::String(s) => s
                .into_str()
                .map(Value::String)
                .ok_or_else(|| error(path, "string is not valid UTF-8")),
            other => Err(error(path, format!("expected a string, found {other}"))),
        },
        Type::Bool => match raw {
            Mp::Boolean(b) => Ok(Value::Bool(b)),
            other => Err(error(path, format!("expected a bool, found {other}"))),
        },
        Type::Number => decode_number(raw, path).map(Value::Number),
        Type::List(element) | Type::Set(element) => {
            let Mp::Array(items) = raw else {
                return Err(error(path, "expected an array for a list or set"));
            };
            let is_set = matches!(ty, Type::Set(_));
            let mut values = Vec::with_capacity(items.len());
            for (i, item) in items.into_iter().enumerate() {
                // Set elements have no index Terraform can address: errors stop at the set.
                let item_path = if is_set { path.clone() } else { path.index(i) };
                values.push(from_msgpack(item, element, &item_path)?);
            }
            if is_set {
                Ok(Value::Set(dedup_set(values)))
            } else {
                Ok(Value::List(values))
            }
        }
        Type::Tuple(elements) => {
            let Mp::Array(items) = raw else {
                return Err(error(path, "expected an array for a tuple"));
            };
            if items.len() != elements.len() {
                return Err(error(
                    path,
                    format!(
                        "a tuple of {} elements is required ({} given)",
                        elements.len(),
                        items.len()
                    ),
                ));
            }
            items
                .into_iter()
                .zip(elements)
                .enumerate()
                .map(|(i, (item, t))| from_msgpack(item, t, &path.index(i)))
                .collect::<Result<_, _>>()
                .map(Value::List)
        }
        Type::Map(element) => {
            let entries = map_entries(raw, path)?;
            let mut map = BTreeMap::new();
            for (key, item) in entries {
                let value = from_msgpack(item, element, &path.key(&key))?;
                map.insert(key, value);
            }
            Ok(Value::Map(map))
        }
        Type::Object { attributes, .. } => {
            let entries = map_entries(raw, path)?;
            let mut object: BTreeMap<String, Value> = attributes.keys().map(|k| (k.clone(), Value::Null)).collect();
            for (name, item) in entries {
                let attr_type = attributes
                    .get(&name)
                    .ok_or_else(|| error(path, format!("unsupported attribute {name:?}")))?;
                let value = from_msgpack(item, attr_type, &path.attribute(&name))?;
                object.insert(name, value);
            }
            Ok(Value::Map(object))
        }
    }
}

fn map_entries(raw: Mp, path: &AttributePath) -> Result<Vec<(String, Mp)>, CodecError> {
    let Mp::Map(entries) = raw else {
        return Err(error(path, format!("expected a map, found {raw}")));
    };
    entries
        .into_iter()
        .map(|(k, v)| match k {
            Mp::String(s) => s
                .into_str()
                .map(|k| (k, v))
                .ok_or_else(|| error(path, "map key is not valid UTF-8")),
            other => Err(error(path, format!("map keys must be strings, found {other}"))),
        })
        .collect()
}

fn decode_number(raw: Mp, path: &AttributePath) -> Result<Number, CodecError> {
    match raw {
        Mp::Integer(i) => {
            if let Some(v) = i.as_i64() {
                Ok(Number::from(v))
            } else {
                Ok(Number::from(i.as_u64().expect("msgpack integers fit i64 or u64")))
            }
        }
        Mp::F32(f) => Number::from_f64(f64::from(f)).ok_or_else(|| error(path, "NaN is not a number")),
        Mp::F64(f) => Number::from_f64(f).ok_or_else(|| error(path, "NaN is not a number")),
        Mp::String(s) => {
            let text = s
                .into_str()
                .ok_or_else(|| error(path, "number string is not valid UTF-8"))?;
            text.parse().map_err(|e: String| error(path, e))
        }
        other => Err(error(path, format!("expected a number, found {other}"))),
    }
}

/// Keeps the first of each group of equal, wholly known elements. Unknown elements are
/// never equal to anything, as in cty, so they all stay.
fn dedup_set(values: Vec<Value>) -> Vec<Value> {
    let mut unique: Vec<Value> = Vec::with_capacity(values.len());
    for value in values {
        if !value.is_wholly_known() || !unique.contains(&value) {
            unique.push(value);
        }
    }
    unique
}

fn decode_refinements(kind: i8, body: &[u8]) -> Refinements {
    let mut refinements = Refinements::default();
    if kind != REFINED_UNKNOWN_EXT {
        return refinements;
    }
    // Refinements are advisory: a body we cannot read still means "unknown".
    let Ok(Mp::Map(entries)) = rmpv::decode::read_value(&mut &body[..]) else {
        return refinements;
    };
    let bound = |v: &Mp| -> Option<(Number, bool)> {
        let pair = v.as_array()?;
        let number = decode_number(pair.first()?.clone(), &AttributePath::root()).ok()?;
        Some((number, pair.get(1)?.as_bool()?))
    };
    for (key, value) in &entries {
        match key.as_i64() {
            Some(1) => refinements.not_null = value.as_bool() == Some(false),
            Some(2) => refinements.string_prefix = value.as_str().map(str::to_owned),
            Some(3) => refinements.number_lower = bound(value),
            Some(4) => refinements.number_upper = bound(value),
            Some(5) => refinements.length_lower = value.as_u64(),
            Some(6) => refinements.length_upper = value.as_u64(),
            _ => {} // newer refinement kinds are ignored, as cty does
        }
    }
    refinements
}

fn encode_refinements(r: &Refinements) -> Mp {
    if r.is_empty() {
        return Mp::Ext(0, vec![0]);
    }
    let bound = |(n, inclusive): &(Number, bool)| Mp::Array(vec![number_to_msgpack(n), Mp::Boolean(*inclusive)]);
    let mut entries = Vec::new();
    if r.not_null {
        entries.push((Mp::from(1), Mp::Boolean(false)));
    }
    if let Some(prefix) = &r.string_prefix {
        entries.push((Mp::from(2), Mp::from(prefix.as_str())));
    }
    if let Some(b) = &r.number_lower {
        entries.push((Mp::from(3), bound(b)));
    }
    if let Some(b) = &r.number_upper {
        entries.push((Mp::from(4), bound(b)));
    }
    if let Some(n) = r.length_lower {
        entries.push((Mp::from(5), Mp::from(n)));
    }
    if let Some(n) = r.length_upper {
        entries.push((Mp::from(6), Mp::from(n)));
    }
    let mut body = Vec::new();
    rmpv::encode::write_value(&mut body, &Mp::Map(entries)).expect("writing to a Vec cannot fail");
    Mp::Ext(REFINED_UNKNOWN_EXT, body)
}

fn number_to_msgpack(n: &Number) -> Mp {
    if let Some(i) = n.to_i64() {
        Mp::from(i)
    } else if let Some(u) = n.to_u64() {
        Mp::from(u)
    } else if n.is_exact_f64() {
        Mp::F64(n.to_f64())
    } else {
        Mp::from(n.to_string())
    }
}

fn to_msgpack(value: &Value, ty: &Type, path: &AttributePath) -> Result<Mp, CodecError> {
    match value {
        Value::Null => return Ok(Mp::Nil),
        Value::Unknown(refinements) => return Ok(encode_refinements(refinements)),
        _ => {}
    }
    let mismatch = || {
        error(
            path,
            format!("value {value:?} does not conform to type {}", ty.to_json()),
        )
    };
    match (ty, value) {
        (Type::Dynamic, Value::Dynamic(inner)) => {
            let (concrete, inner_value) = inner.as_ref();
            Ok(Mp::Array(vec![
                Mp::Binary(concrete.to_json_bytes()),
                to_msgpack(inner_value, concrete, path)?,
            ]))
        }
        (Type::Dynamic, other) => {
            let concrete = infer_type(other).ok_or_else(mismatch)?;
            Ok(Mp::Array(vec![
                Mp::Binary(concrete.to_json_bytes()),
                to_msgpack(other, &concrete, path)?,
            ]))
        }
        (_, Value::Dynamic(inner)) if inner.0 == *ty => to_msgpack(&inner.1, ty, path),
        (Type::String, Value::String(s)) => Ok(Mp::from(s.as_str())),
        (Type::Bool, Value::Bool(b)) => Ok(Mp::Boolean(*b)),
        (Type::Number, Value::Number(n)) => Ok(number_to_msgpack(n)),
        (Type::List(element), Value::List(items)) => items
            .iter()
            .enumerate()
            .map(|(i, item)| to_msgpack(item, element, &path.index(i)))
            .collect::<Result<_, _>>()
            .map(Mp::Array),
        (Type::Set(element), Value::Set(items) | Value::List(items)) => dedup_set(items.clone())
            .iter()
            .map(|item| to_msgpack(item, element, path))
            .collect::<Result<_, _>>()
            .map(Mp::Array),
        (Type::Tuple(elements), Value::List(items)) if items.len() == elements.len() => items
            .iter()
            .zip(elements)
            .enumerate()
            .map(|(i, (item, t))| to_msgpack(item, t, &path.index(i)))
            .collect::<Result<_, _>>()
            .map(Mp::Array),
        (Type::Map(element), Value::Map(entries)) => entries
            .iter()
            .map(|(k, v)| Ok((Mp::from(k.as_str()), to_msgpack(v, element, &path.key(k))?)))
            .collect::<Result<_, _>>()
            .map(Mp::Map),
        (Type::Object { attributes, .. }, Value::Map(entries)) => {
            if let Some(extra) = entries.keys().find(|k| !attributes.contains_key(*k)) {
                return Err(error(path, format!("attribute {extra:?} is not in the schema")));
            }
            attributes
                .iter()
                .map(|(name, attr_type)| {
                    let v = entries.get(name).unwrap_or(&Value::Null);
                    Ok((
                        Mp::from(name.as_str()),
                        to_msgpack(v, attr_type, &path.attribute(name))?,
                    ))
                })
                .collect::<Result<_, _>>()
                .map(Mp::Map)
        }
        _ => Err(mismatch()),
    }
}

/// The type a known value naturally has, for values placed in a `dynamic` position:
/// lists become tuples and maps become objects, as Terraform infers for literals.
pub fn infer_type(value: &Value) -> Option<Type> {
    match value {
        Value::Null | Value::Unknown(_) => Some(Type::Dynamic),
        Value::Bool(_) => Some(Type::Bool),
        Value::Number(_) => Some(Type::Number),
        Value::String(_) => Some(Type::String),
        Value::List(items) => items.iter().map(infer_type).collect::<Option<_>>().map(Type::Tuple),
        Value::Set(items) => Some(Type::set(items.first().map_or(Some(Type::Dynamic), infer_type)?)),
        Value::Map(entries) => Some(Type::Object {
            attributes: entries
                .iter()
                .map(|(k, v)| Some((k.clone(), infer_type(v)?)))
                .collect::<Option<_>>()?,
            optional: Default::default(),
        }),
        Value::Dynamic(inner) => Some(inner.0.clone()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn obj(attrs: &[(&str, Type)]) -> Type {
        Type::object(attrs.iter().cloned())
    }

    /// (name, hex bytes, type, value): decoded and re-encoded, both directions asserted.
    fn cases() -> Vec<(&'static str, &'static str, Type, Value)> {
        vec![
            ("null-string", "c0", Type::String, Value::Null),
            ("unknown-string", "d40000", Type::String, Value::unknown()),
            ("string", "a568656c6c6f", Type::String, Value::string("hello")),
            ("empty-string", "a0", Type::String, Value::string("")),
            ("true", "c3", Type::Bool, Value::Bool(true)),
            ("false", "c2", Type::Bool, Value::Bool(false)),
            ("null-bool", "c0", Type::Bool, Value::Null),
            ("small-int", "07", Type::Number, Value::number(7_i64)),
            ("negative-int", "d0c0", Type::Number, Value::number(-64_i64)),
            (
                "int64",
                "cf0000000100000000",
                Type::Number,
                Value::number(4294967296_i64),
            ),
            ("u64-max", "cfffffffffffffffff", Type::Number, Value::number(u64::MAX)),
            (
                "float",
                "cb3ff8000000000000",
                Type::Number,
                Value::Number("1.5".parse().unwrap()),
            ),
            (
                "big-decimal-as-string",
                "d9203132333435363738393031323334353637383930313233343536373839302e35",
                Type::Number,
                Value::Number("123456789012345678901234567890.5".parse().unwrap()),
            ),
            (
                "list",
                "92a161a162",
                Type::list(Type::String),
                Value::List(vec![Value::string("a"), Value::string("b")]),
            ),
            ("empty-list", "90", Type::list(Type::String), Value::List(vec![])),
            (
                "set",
                "92a161d40000",
                Type::set(Type::String),
                Value::Set(vec![Value::string("a"), Value::unknown()]),
            ),
            (
                "map",
                "81a16101",
                Type::map(Type::Number),
                Value::object([("a", Value::number(1_i64))]),
            ),
            (
                "object-with-null",
                "82a16101a162c0",
                obj(&[("a", Type::Number), ("b", Type::String)]),
                Value::object([("a", Value::number(1_i64)), ("b", Value::Null)]),
            ),
            (
                "tuple",
                "92a17802",
                Type::Tuple(vec![Type::String, Type::Number]),
                Value::List(vec![Value::string("x"), Value::number(2_i64)]),
            ),
            (
                "dynamic-string",
                "92c40822737472696e6722a161",
                Type::Dynamic,
                Value::Dynamic(Box::new((Type::String, Value::string("a")))),
            ),
            ("dynamic-null", "c0", Type::Dynamic, Value::Null),
            ("dynamic-unknown", "d40000", Type::Dynamic, Value::unknown()),
            (
                "refined-unknown-prefix",
                "c7090c8201c202a4707265 2d".trim(),
                Type::String,
                Value::Unknown(Box::new(Refinements {
                    not_null: true,
                    string_prefix: Some("pre-".into()),
                    ..Default::default()
                })),
            ),
        ]
    }

    fn unhex(s: &str) -> Vec<u8> {
        hex::decode(s.replace(' ', "")).unwrap()
    }

    #[test]
    fn hex_fixtures_decode_and_encode() {
        for (name, hex, ty, value) in cases() {
            let bytes = unhex(hex);
            assert_eq!(decode(&bytes, &ty).unwrap(), value, "decode {name}");
            assert_eq!(
                hex::encode(encode(&value, &ty).unwrap()),
                hex::encode(&bytes),
                "encode {name}"
            );
        }
    }

    #[test]
    fn terraform_proposed_new_state_from_the_reference() {
        // proposed_new_state as Terraform 1.11.4 sent it (see the protocol reference, §3.1).
        let bytes = unhex(
            "85a26964c0a56974656d7392a56669786564d40000a46e616d65c7090c8201c202a47072652da473697a65c0a47461677\
             3c0",
        );
        let ty = obj(&[
            ("id", Type::String),
            ("items", Type::set(Type::String)),
            ("name", Type::String),
            ("size", Type::Number),
            ("tags", Type::map(Type::String)),
        ]);
        let value = decode(&bytes, &ty).unwrap();
        assert_eq!(value.get("id"), &Value::Null);
        assert_eq!(
            value.get("items"),
            &Value::Set(vec![Value::string("fixed"), Value::unknown()])
        );
        let Value::Unknown(refined) = value.get("name") else {
            panic!("name should be unknown")
        };
        assert!(refined.not_null);
        assert_eq!(refined.string_prefix.as_deref(), Some("pre-"));
        assert_eq!(
            encode(&value, &ty).unwrap(),
            bytes,
            "re-encoding keeps the refinement bytes"
        );
    }

    #[test]
    fn any_extension_is_unknown() {
        assert_eq!(decode(&unhex("c70000"), &Type::String).unwrap(), Value::unknown());
        assert_eq!(decode(&unhex("d40500"), &Type::Number).unwrap(), Value::unknown());
    }

    #[test]
    fn number_strings_and_infinities_decode() {
        assert_eq!(decode(&unhex("a3312e30"), &Type::Number).unwrap(), Value::number(1_i64));
        let inf = encode(&Value::Number(Number::PositiveInfinity), &Type::Number).unwrap();
        assert_eq!(
            decode(&inf, &Type::Number).unwrap(),
            Value::Number(Number::PositiveInfinity)
        );
    }

    #[test]
    fn sets_are_deduplicated() {
        let ty = Type::set(Type::String);
        let value = decode(&unhex("93a161a161a162"), &ty).unwrap();
        assert_eq!(value, Value::Set(vec![Value::string("a"), Value::string("b")]));
    }

    #[test]
    fn errors_name_the_attribute_path() {
        let ty = obj(&[(
            "licenses",
            Type::map(obj(&[("disabled_plans", Type::list(Type::String))])),
        )]);
        // {"licenses": {"E5": {"disabled_plans": ["a", 1]}}}
        let bytes = unhex("81a86c6963656e73657381a2453581ae64697361626c65645f706c616e7392a16101");
        let err = decode(&bytes, &ty).unwrap_err();
        assert_eq!(err.path.to_string(), r#"licenses["E5"].disabled_plans[1]"#);
        let err = encode(&Value::object([("nope", Value::Null)]), &ty).unwrap_err();
        assert!(err.message.contains("nope"), "{err}");
        assert!(
            decode(&unhex("81a178c0"), &ty)
                .unwrap_err()
                .message
                .contains("unsupported attribute")
        );
        assert!(decode(&unhex("c0c0"), &ty).unwrap_err().message.contains("trailing"));
    }

    #[test]
    fn objects_are_written_with_every_attribute() {
        let ty = obj(&[("a", Type::String), ("b", Type::String)]);
        let bytes = encode(&Value::object([("a", Value::string("x"))]), &ty).unwrap();
        assert_eq!(hex::encode(bytes), "82a161a178a162c0");
    }

    fn arb_type() -> impl Strategy<Value = Type> {
        let leaf = prop_oneof![Just(Type::String), Just(Type::Number), Just(Type::Bool)];
        leaf.prop_recursive(3, 16, 4, |inner| {
            prop_oneof![
                inner.clone().prop_map(Type::list),
                inner.clone().prop_map(Type::set),
                inner.clone().prop_map(Type::map),
                prop::collection::btree_map("[a-z_]{1,6}", inner.clone(), 0..4).prop_map(Type::object),
                prop::collection::vec(inner, 0..3).prop_map(Type::Tuple),
            ]
        })
    }

    fn arb_number() -> impl Strategy<Value = Number> {
        prop_oneof![
            any::<i64>().prop_map(Number::from),
            any::<u64>().prop_map(Number::from),
            any::<f64>().prop_filter_map("finite", |f| if f.is_finite() { Number::from_f64(f) } else { None }),
            ("[1-9][0-9]{20,40}", "[0-9]{1,10}").prop_map(|(a, b)| format!("{a}.{b}").parse().unwrap()),
            Just(Number::PositiveInfinity),
        ]
    }

    fn arb_value(ty: Type) -> BoxedStrategy<Value> {
        let special = prop_oneof![Just(Value::Null), Just(Value::unknown())];
        let known: BoxedStrategy<Value> = match ty {
            Type::String => "\\PC{0,8}".prop_map(Value::String).boxed(),
            Type::Number => arb_number().prop_map(Value::Number).boxed(),
            Type::Bool => any::<bool>().prop_map(Value::Bool).boxed(),
            Type::List(e) => prop::collection::vec(arb_value(*e), 0..4).prop_map(Value::List).boxed(),
            Type::Set(e) => prop::collection::vec(arb_value(*e), 0..4)
                .prop_map(|v| Value::Set(dedup_set(v)))
                .boxed(),
            Type::Map(e) => prop::collection::btree_map("[a-z]{0,4}", arb_value(*e), 0..4)
                .prop_map(Value::Map)
                .boxed(),
            Type::Object { attributes, .. } => {
                let parts: Vec<_> = attributes
                    .into_iter()
                    .map(|(k, t)| arb_value(t).prop_map(move |v| (k.clone(), v)))
                    .collect();
                parts.prop_map(|kv| Value::Map(kv.into_iter().collect())).boxed()
            }
            Type::Tuple(elements) => elements
                .into_iter()
                .map(arb_value)
                .collect::<Vec<_>>()
                .prop_map(Value::List)
                .boxed(),
            Type::Dynamic => unreachable!("not generated"),
        };
        prop_oneof![1 => special, 4 => known].boxed()
    }

    proptest! {
        #[test]
        fn decode_inverts_encode((ty, value) in arb_type().prop_flat_map(|t| (Just(t.clone()), arb_value(t)))) {
            let bytes = encode(&value, &ty).unwrap();
            prop_assert_eq!(decode(&bytes, &ty).unwrap(), value);
        }

        #[test]
        fn dynamic_values_round_trip((ty, value) in arb_type().prop_flat_map(|t| (Just(t.clone()), arb_value(t)))) {
            let wrapped = match value {
                Value::Null | Value::Unknown(_) => value,
                known => Value::Dynamic(Box::new((ty, known))),
            };
            let bytes = encode(&wrapped, &Type::Dynamic).unwrap();
            prop_assert_eq!(decode(&bytes, &Type::Dynamic).unwrap(), wrapped);
        }
    }
}
