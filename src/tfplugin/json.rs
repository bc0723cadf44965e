//! Type-directed JSON decoding, used for stored state (`RawState.json`) and accepted in
//! `DynamicValue.json`. We never emit JSON values: JSON cannot express unknowns.
//!
//! Numbers must keep their full precision, so this module parses JSON itself (a small
//! recursive-descent reader) instead of going through `f64`.

use std::collections::BTreeMap;

use super::msgpack::CodecError;
use super::path::AttributePath;
use super::types::Type;
use super::value::Value;

/// Untyped JSON with numbers kept as text.
#[derive(Debug, Clone, PartialEq)]
enum Json {
    Null,
    Bool(bool),
    Number(String),
    String(String),
    Array(Vec<Json>),
    Object(Vec<(String, Json)>),
}

/// Decodes JSON `bytes` as a value of type `ty`. Missing object attributes are null;
/// attributes the type does not have are an error, as in cty.
pub fn decode(bytes: &[u8], ty: &Type) -> Result<Value, CodecError> {
    decode_renamed(bytes, ty, std::iter::empty())
}

/// Decodes a stored object whose top-level attributes were renamed since it was written
/// (`(old name, new name)`), keeping every value exactly as written.
pub fn decode_renamed<'a>(
    bytes: &[u8],
    ty: &Type,
    renames: impl Iterator<Item = (&'a str, &'a str)>,
) -> Result<Value, CodecError> {
    let root = AttributePath::root();
    let text = std::str::from_utf8(bytes).map_err(|_| err(&root, "JSON is not valid UTF-8"))?;
    let mut parser = Parser { text, pos: 0, depth: 0 };
    let mut json = parser
        .value()
        .map_err(|m| err(&root, format!("malformed JSON at byte {}: {m}", parser.pos)))?;
    parser.skip_ws();
    if parser.pos != text.len() {
        return Err(err(&root, "trailing characters after the JSON value"));
    }
    if let Json::Object(entries) = &mut json {
        for (old, new) in renames {
            for (name, _) in entries.iter_mut().filter(|(name, _)| name == old) {
                *name = new.to_owned();
            }
        }
    }
    typed(json, ty, &root)
}

fn err(path: &AttributePath, message: impl Into<String>) -> CodecError {
    CodecError {
        path: path.clone(),
        message: message.into(),
    }
}

fn typed(json: Json, ty: &Type, path: &AttributePath) -> Result<Value, CodecError> {
    if json == Json::Null {
        return Ok(Value::Null);
    }
    match (ty, json) {
        (Type::String, Json::String(s)) => Ok(Value::String(s)),
        (Type::Bool, Json::Bool(b)) => Ok(Value::Bool(b)),
        (Type::Number, Json::Number(n) | Json::String(n)) => n.parse().map(Value::Number).map_err(|e| err(path, e)),
        (Type::List(e), Json::Array(items)) => items
            .into_iter()
            .enumerate()
            .map(|(i, item)| typed(item, e, &path.index(i)))
            .collect::<Result<_, _>>()
            .map(Value::List),
        (Type::Set(e), Json::Array(items)) => {
            let mut values: Vec<Value> = Vec::new();
            for item in items {
                let v = typed(item, e, path)?;
                if !values.contains(&v) {
                    values.push(v);
                }
            }
            Ok(Value::Set(values))
        }
        (Type::Tuple(types), Json::Array(items)) if items.len() == types.len() => items
            .into_iter()
            .zip(types)
            .enumerate()
            .map(|(i, (item, t))| typed(item, t, &path.index(i)))
            .collect::<Result<_, _>>()
            .map(Value::List),
        (Type::Map(e), Json::Object(entries)) => entries
            .into_iter()
            .map(|(k, v)| {
                let value = typed(v, e, &path.key(&k))?;
                Ok((k, value))
            })
            .collect::<Result<BTreeMap<_, _>, _>>()
            .map(Value::Map),
        (Type::Object { attributes, .. }, Json::Object(entries)) => {
            let mut object: BTreeMap<String, Value> = attributes.keys().map(|k| (k.clone(), Value::Null)).collect();
            for (name, v) in entries {
                let t = attributes
                    .get(&name)
                    .ok_or_else(|| err(path, format!("unsupported attribute {name:?}")))?;
                let value = typed(v, t, &path.attribute(&name))?;
                object.insert(name, value);
            }
            Ok(Value::Map(object))
        }
        (Type::Dynamic, Json::Object(entries)) => {
            let mut value = None;
            let mut type_json = None;
            for (k, v) in entries {
                match k.as_str() {
                    "value" => value = Some(v),
                    "type" => type_json = Some(v),
                    other => {
                        return Err(err(path, format!("unexpected key {other:?} in a dynamic value")));
                    }
                }
            }
            let (Some(value), Some(type_json)) = (value, type_json) else {
                return Err(err(path, "a dynamic value needs \"value\" and \"type\""));
            };
            let concrete = Type::from_json(&type_json.to_serde()).map_err(|e| err(path, e.to_string()))?;
            let inner = typed(value, &concrete, path)?;
            Ok(Value::Dynamic(Box::new((concrete, inner))))
        }
        (ty, other) => Err(err(
            path,
            format!("{other:?} does not conform to type {}", ty.to_json()),
        )),
    }
}

impl Json {
    /// For type JSON only, where numbers do not occur.
    fn to_serde(&self) -> serde_json::Value {
        match self {
            Json::Null => serde_json::Value::Null,
            Json::Bool(b) => serde_json::Value::Bool(*b),
            Json::Number(n) => serde_json::Value::String(n.clone()),
            Json::String(s) => serde_json::Value::String(s.clone()),
            Json::Array(items) => serde_json::Value::Array(items.iter().map(Json::to_serde).collect()),
            Json::Object(entries) => {
                serde_json::Value::Object(entries.iter().map(|(k, v)| (k.clone(), v.to_serde())).collect())
            }
        }
    }
}

struct Parser<'a> {
    text: &'a str,
    pos: usize,
    /// How many arrays and objects enclose the current position.
    depth: usize,
}

/// Deeper nesting is refused rather than recursed into: no schema of this provider nests
/// anywhere near this, and unbounded recursion would overflow the stack on hostile input.
const MAX_DEPTH: usize = 128;

impl Parser<'_> {
    fn peek(&self) -> Option<u8> {
        self.text.as_bytes().get(self.pos).copied()
    }

    fn skip_ws(&mut self) {
        while matches!(self.peek(), Some(b' ' | b'\t' | b'\n' | b'\r')) {
            self.pos += 1;
        }
    }

    fn expect(&mut self, literal: &str) -> Result<(), String> {
        if self.text[self.pos..].starts_with(literal) {
            self.pos += literal.len();
            Ok(())
        } else {
            Err(format!("expected {literal}"))
        }
    }

    fn value(&mut self) -> Result<Json, String> {
        self.depth += 1;
        if self.depth > MAX_DEPTH {
            return Err(format!("nested more than {MAX_DEPTH} levels deep"));
        }
        let value = self.nested_value();
        self.depth -= 1;
        value
    }

    fn nested_value(&mut self) -> Result<Json, String> {
        self.skip_ws();
        match self.peek().ok_or("unexpected end of input")? {
            b'n' => self.expect("null").map(|_| Json::Null),
            b't' => self.expect("true").map(|_| Json::Bool(true)),
            b'f' => self.expect("false").map(|_| Json::Bool(false)),
            b'"' => self.string().map(Json::String),
            b'[' => {
                self.pos += 1;
                let mut items = Vec::new();
                self.skip_ws();
                if self.peek() == Some(b']') {
                    self.pos += 1;
                    return Ok(Json::Array(items));
                }
                loop {
                    items.push(self.value()?);
                    self.skip_ws();
                    match self.peek() {
                        Some(b',') => self.pos += 1,
                        Some(b']') => {
                            self.pos += 1;
                            return Ok(Json::Array(items));
                        }
                        _ => return Err("expected , or ]".into()),
                    }
                }
            }
            b'{' => {
                self.pos += 1;
                let mut entries = Vec::new();
                self.skip_ws();
                if self.peek() == Some(b'}') {
                    self.pos += 1;
                    return Ok(Json::Object(entries));
                }
                loop {
                    self.skip_ws();
                    let key = self.string()?;
                    self.skip_ws();
                    self.expect(":")?;
                    entries.push((key, self.value()?));
                    self.skip_ws();
                    match self.peek() {
                        Some(b',') => self.pos += 1,
                        Some(b'}') => {
                            self.pos += 1;
                            return Ok(Json::Object(entries));
                        }
                        _ => return Err("expected , or }".into()),
                    }
                }
            }
            b'-' | b'0'..=b'9' => {
                let start = self.pos;
                while matches!(self.peek(), Some(b'-' | b'+' | b'.' | b'e' | b'E' | b'0'..=b'9')) {
                    self.pos += 1;
                }
                Ok(Json::Number(self.text[start..self.pos].to_owned()))
            }
            other => Err(format!("unexpected character {:?}", other as char)),
        }
    }

    fn string(&mut self) -> Result<String, String> {
        self.expect("\"")?;
        let mut out = String::new();
        loop {
            let rest = &self.text[self.pos..];
            let mut chars = rest.chars();
            let c = chars.next().ok_or("unterminated string")?;
            self.pos += c.len_utf8();
            match c {
                '"' => return Ok(out),
                '\\' => {
                    let escape = self.peek().ok_or("unterminated escape")?;
                    self.pos += 1;
                    match escape {
                        b'"' => out.push('"'),
                        b'\\' => out.push('\\'),
                        b'/' => out.push('/'),
                        b'b' => out.push('\u{8}'),
                        b'f' => out.push('\u{c}'),
                        b'n' => out.push('\n'),
                        b'r' => out.push('\r'),
                        b't' => out.push('\t'),
                        b'u' => {
                            let high = self.hex4()?;
                            let code = if (0xD800..0xDC00).contains(&high) {
                                self.expect("\\u")?;
                                let low = self.hex4()?;
                                0x10000 + ((high - 0xD800) << 10) + (low.wrapping_sub(0xDC00) & 0x3FF)
                            } else {
                                high
                            };
                            out.push(char::from_u32(code).ok_or("invalid unicode escape")?);
                        }
                        _ => return Err("invalid escape".into()),
                    }
                }
                c => out.push(c),
            }
        }
    }

    fn hex4(&mut self) -> Result<u32, String> {
        let digits = self.text.get(self.pos..self.pos + 4).ok_or("short unicode escape")?;
        self.pos += 4;
        u32::from_str_radix(digits, 16).map_err(|_| "invalid unicode escape".to_owned())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn state_type() -> Type {
        Type::object([
            ("id", Type::String),
            ("items", Type::set(Type::String)),
            ("name", Type::String),
            ("size", Type::Number),
            ("tags", Type::map(Type::String)),
            ("any", Type::Dynamic),
        ])
    }

    #[test]
    fn deep_nesting_is_refused_not_recursed() {
        let deep = format!("{}{}", "[".repeat(20_000), "]".repeat(20_000));
        let error = decode(deep.as_bytes(), &Type::Dynamic).unwrap_err();
        assert!(error.message.contains("nested more than"), "{}", error.message);
    }

    #[test]
    fn renamed_attributes_keep_their_exact_values() {
        let ty = Type::object([("new", Type::Number), ("kept", Type::String)]);
        let raw = br#"{"old":12345678901234567890.5,"kept":"k"}"#;
        let value = decode_renamed(raw, &ty, [("old", "new"), ("absent", "x")].into_iter()).unwrap();
        assert_eq!(
            value.get("new"),
            &Value::Number("12345678901234567890.5".parse().unwrap())
        );
        assert_eq!(value.get("kept"), &Value::string("k"));
    }

    #[test]
    fn decodes_stored_state_with_missing_attributes_as_null() {
        let json = br#"{"id":"thing-alpha","items":["x","y","x"],"name":"a\u00e9\n","size":3,"tags":{"env":"dev"}}"#;
        let value = decode(json, &state_type()).unwrap();
        assert_eq!(
            value.get("items"),
            &Value::Set(vec![Value::string("x"), Value::string("y")])
        );
        assert_eq!(value.get("name"), &Value::string("a\u{e9}\n"));
        assert_eq!(value.get("size"), &Value::number(3_i64));
        assert_eq!(value.get("any"), &Value::Null);
    }

    #[test]
    fn keeps_full_number_precision() {
        let value = decode(br#"{"size": 12345678901234567890123.25}"#, &state_type()).unwrap();
        assert_eq!(
            value.get("size").as_number().unwrap().to_string(),
            "12345678901234567890123.25"
        );
    }

    #[test]
    fn dynamic_values_carry_their_type() {
        let value = decode(
            br#"{"any": {"value": ["a"], "type": ["list","string"]}}"#,
            &state_type(),
        )
        .unwrap();
        assert_eq!(
            value.get("any"),
            &Value::Dynamic(Box::new((
                Type::list(Type::String),
                Value::List(vec![Value::string("a")])
            )))
        );
    }

    #[test]
    fn errors_name_the_path() {
        let e = decode(br#"{"tags": {"env": 1}}"#, &state_type()).unwrap_err();
        assert_eq!(e.path.to_string(), r#"tags["env"]"#);
        let e = decode(br#"{"removed": 1}"#, &state_type()).unwrap_err();
        assert!(e.message.contains("unsupported attribute"));
        assert!(decode(br#"{"id": "x"} x"#, &state_type()).is_err());
    }
}
