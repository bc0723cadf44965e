//! Terraform values: known, null or unknown, with arbitrary-precision numbers.
//!
//! A [`Value`] is untyped on its own; the [`Type`](super::types::Type) it belongs to comes
//! from the schema, and the codecs need both. Resource code reads values through the typed
//! accessors here ([`Value::attr`], [`Attr`]) rather than matching on variants.

use std::collections::BTreeMap;
use std::fmt;
use std::str::FromStr;

use bigdecimal::BigDecimal;

use super::path::AttributePath;
use super::types::Type;

/// An arbitrary-precision number, as cty's `number`.
///
/// Finite values are exact decimals; Terraform can also send ±infinity.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Number {
    /// Negative infinity.
    NegativeInfinity,
    /// An exact decimal.
    Finite(BigDecimal),
    /// Positive infinity.
    PositiveInfinity,
}

/// Whole numbers with more digits than this are printed in scientific notation: writing out
/// `1e100000000` would take a hundred million digits (and as long to compute).
const MAX_PLAIN_DIGITS: i64 = 400;

/// The number of digits of a whole number, when `d` is one (without computing it).
fn whole_digits(d: &BigDecimal) -> Option<i64> {
    let normalized = d.normalized();
    let (digits, scale) = normalized.as_bigint_and_exponent();
    // After normalisation a negative scale is trailing zeros, a positive one a fraction.
    let len = i64::try_from(digits.to_string().trim_start_matches('-').len()).unwrap_or(i64::MAX);
    (scale <= 0).then(|| len.saturating_sub(scale))
}

impl Number {
    /// The value as an `i64`, when it is a whole number in range.
    pub fn to_i64(&self) -> Option<i64> {
        match self {
            Number::Finite(d) if whole_digits(d)? <= 20 => i64::from_str(&d.with_scale(0).to_string()).ok(),
            _ => None,
        }
    }

    /// The value as a `u64`, when it is a whole non-negative number in range.
    pub fn to_u64(&self) -> Option<u64> {
        match self {
            Number::Finite(d) if whole_digits(d)? <= 20 => u64::from_str(&d.with_scale(0).to_string()).ok(),
            _ => None,
        }
    }

    /// The value as the closest `f64`.
    pub fn to_f64(&self) -> f64 {
        match self {
            Number::NegativeInfinity => f64::NEG_INFINITY,
            Number::PositiveInfinity => f64::INFINITY,
            Number::Finite(d) => f64::from_str(&d.to_string()).unwrap_or(f64::NAN),
        }
    }

    /// A number from an `f64`, keeping its shortest exact decimal form. NaN is not a number
    /// in Terraform and is refused.
    pub fn from_f64(value: f64) -> Option<Self> {
        if value.is_nan() {
            None
        } else if value == f64::INFINITY {
            Some(Number::PositiveInfinity)
        } else if value == f64::NEG_INFINITY {
            Some(Number::NegativeInfinity)
        } else {
            BigDecimal::from_str(&format!("{value}")).ok().map(Number::Finite)
        }
    }

    /// True when the `f64` nearest to this number is exactly this number.
    pub fn is_exact_f64(&self) -> bool {
        Number::from_f64(self.to_f64()).as_ref() == Some(self)
    }
}

impl From<i64> for Number {
    fn from(value: i64) -> Self {
        Number::Finite(BigDecimal::from(value))
    }
}

impl From<u64> for Number {
    fn from(value: u64) -> Self {
        Number::Finite(BigDecimal::from(value))
    }
}

impl FromStr for Number {
    type Err = String;
    /// Parses a decimal (`"1.5"`, `"-2e30"`) or `"+Inf"`/`"-Inf"`, as cty writes them.
    fn from_str(text: &str) -> Result<Self, Self::Err> {
        match text.trim() {
            "+Inf" | "Inf" | "inf" | "+inf" => Ok(Number::PositiveInfinity),
            "-Inf" | "-inf" => Ok(Number::NegativeInfinity),
            t => BigDecimal::from_str(t)
                .map(|d| Number::Finite(d.normalized()))
                .map_err(|_| format!("{text:?} is not a number")),
        }
    }
}

impl fmt::Display for Number {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Number::NegativeInfinity => f.write_str("-Inf"),
            Number::PositiveInfinity => f.write_str("+Inf"),
            Number::Finite(d) => {
                let d = d.normalized();
                // Plain notation for whole numbers keeps them readable; bigdecimal would
                // otherwise print 1000 as 1E+3 after normalisation.
                if whole_digits(&d).is_some_and(|n| n <= MAX_PLAIN_DIGITS) {
                    write!(f, "{}", d.with_scale(0))
                } else {
                    write!(f, "{d}")
                }
            }
        }
    }
}

/// What Terraform (1.6+) knows about an unknown value: its refinements.
///
/// Keeping them lets a provider echo them back in a plan instead of widening the unknown.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Refinements {
    /// The value will certainly not be null.
    pub not_null: bool,
    /// A string that the final string value starts with.
    pub string_prefix: Option<String>,
    /// Lower bound of a number, and whether it is inclusive.
    pub number_lower: Option<(Number, bool)>,
    /// Upper bound of a number, and whether it is inclusive.
    pub number_upper: Option<(Number, bool)>,
    /// Lower bound of a collection's length.
    pub length_lower: Option<u64>,
    /// Upper bound of a collection's length.
    pub length_upper: Option<u64>,
}

impl Refinements {
    /// True when nothing is known about the value.
    pub fn is_empty(&self) -> bool {
        *self == Refinements::default()
    }
}

/// A Terraform value.
#[derive(Clone, Debug, PartialEq)]
pub enum Value {
    /// Null, of whatever type the schema says.
    Null,
    /// Not known until apply, possibly with refinements.
    Unknown(Box<Refinements>),
    /// A boolean.
    Bool(bool),
    /// A number.
    Number(Number),
    /// A string.
    String(String),
    /// A list (or, for a `tuple` type, the tuple's elements).
    List(Vec<Value>),
    /// A set; elements are kept unique by the codecs.
    Set(Vec<Value>),
    /// A map, or an object: the type decides which.
    Map(BTreeMap<String, Value>),
    /// A value whose schema type is `dynamic`: the concrete type travels with it.
    Dynamic(Box<(Type, Value)>),
}

impl Value {
    /// The unknown value with no refinements.
    pub fn unknown() -> Self {
        Value::Unknown(Box::default())
    }

    /// A string value.
    pub fn string(text: impl Into<String>) -> Self {
        Value::String(text.into())
    }

    /// A number value.
    pub fn number(number: impl Into<Number>) -> Self {
        Value::Number(number.into())
    }

    /// An object (or map) value from name/value pairs.
    pub fn object<K: Into<String>>(attributes: impl IntoIterator<Item = (K, Value)>) -> Self {
        Value::Map(attributes.into_iter().map(|(k, v)| (k.into(), v)).collect())
    }

    /// True for null.
    pub fn is_null(&self) -> bool {
        matches!(self, Value::Null)
    }

    /// True for an unknown value (at the top level only).
    pub fn is_unknown(&self) -> bool {
        matches!(self, Value::Unknown(_))
    }

    /// True when neither the value nor anything inside it is unknown.
    pub fn is_wholly_known(&self) -> bool {
        match self {
            Value::Unknown(_) => false,
            Value::List(items) | Value::Set(items) => items.iter().all(Value::is_wholly_known),
            Value::Map(entries) => entries.values().all(Value::is_wholly_known),
            Value::Dynamic(inner) => inner.1.is_wholly_known(),
            _ => true,
        }
    }

    /// The string, if this is a known string.
    pub fn as_str(&self) -> Option<&str> {
        match self {
            Value::String(s) => Some(s),
            _ => None,
        }
    }

    /// The boolean, if this is a known boolean.
    pub fn as_bool(&self) -> Option<bool> {
        match self {
            Value::Bool(b) => Some(*b),
            _ => None,
        }
    }

    /// The number, if this is a known number.
    pub fn as_number(&self) -> Option<&Number> {
        match self {
            Value::Number(n) => Some(n),
            _ => None,
        }
    }

    /// The elements, if this is a known list, set or tuple.
    pub fn as_elements(&self) -> Option<&[Value]> {
        match self {
            Value::List(items) | Value::Set(items) => Some(items),
            _ => None,
        }
    }

    /// The entries, if this is a known map or object.
    pub fn as_map(&self) -> Option<&BTreeMap<String, Value>> {
        match self {
            Value::Map(entries) => Some(entries),
            _ => None,
        }
    }

    /// The attribute `name` of an object; null when the object is null, unknown when the
    /// object is unknown, null when absent.
    pub fn get(&self, name: &str) -> &Value {
        const NULL: Value = Value::Null;
        static UNKNOWN: std::sync::LazyLock<Value> = std::sync::LazyLock::new(Value::unknown);
        match self {
            Value::Map(entries) => entries.get(name).unwrap_or(&NULL),
            Value::Unknown(_) => &UNKNOWN,
            _ => &NULL,
        }
    }

    /// Sets the attribute `name` of an object (or map). Does nothing on other values.
    pub fn set(&mut self, name: &str, value: Value) {
        if let Value::Map(entries) = self {
            entries.insert(name.to_owned(), value);
        }
    }

    /// The value at `path`, when every step exists.
    pub fn at(&self, path: &AttributePath) -> Option<&Value> {
        use super::path::Step;
        let mut current = self;
        for step in path.steps() {
            current = match (step, current) {
                (Step::Attribute(name) | Step::Key(name), Value::Map(entries)) => entries.get(name)?,
                (Step::Index(i), Value::List(items)) => items.get(usize::try_from(*i).ok()?)?,
                _ => return None,
            };
        }
        Some(current)
    }

    /// Reads attribute `name` of an object as a typed [`Attr`], with errors naming `path`.
    pub fn attr<T: FromValue>(&self, name: &str) -> Result<Attr<T>, ValueError> {
        <Attr<T> as FromValue>::from_value(self.get(name), &AttributePath::attr(name))
    }
}

/// A value that did not have the shape the code expected.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ValueError {
    /// Where it happened.
    pub path: AttributePath,
    /// What was wrong.
    pub message: String,
}

impl fmt::Display for ValueError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.path, self.message)
    }
}

impl std::error::Error for ValueError {}

/// A typed attribute: known, null, or not known until apply.
#[derive(Clone, Debug, Default, PartialEq)]
pub enum Attr<T> {
    /// A known value.
    Known(T),
    /// Null (unset).
    #[default]
    Null,
    /// Unknown until apply.
    Unknown,
}

impl<T> Attr<T> {
    /// The known value, if any.
    pub fn known(&self) -> Option<&T> {
        match self {
            Attr::Known(v) => Some(v),
            _ => None,
        }
    }

    /// The known value, consuming the attribute.
    pub fn into_known(self) -> Option<T> {
        match self {
            Attr::Known(v) => Some(v),
            _ => None,
        }
    }

    /// True when unknown.
    pub fn is_unknown(&self) -> bool {
        matches!(self, Attr::Unknown)
    }

    /// True when null.
    pub fn is_null(&self) -> bool {
        matches!(self, Attr::Null)
    }
}

/// Null and unknown decode as such. A value that is only partly known (a list with an
/// unknown element) decodes as [`Attr::Unknown`] when `T` cannot hold it: code that needs
/// the value waits for it to be known, as it would for a wholly unknown one.
impl<T: FromValue> FromValue for Attr<T> {
    const ACCEPTS_NULL: bool = true;

    fn from_value(value: &Value, path: &AttributePath) -> Result<Self, ValueError> {
        match value {
            Value::Null => Ok(Attr::Null),
            Value::Unknown(_) => Ok(Attr::Unknown),
            known => match T::from_value(known, path) {
                Ok(value) => Ok(Attr::Known(value)),
                Err(_) if !known.is_wholly_known() => Ok(Attr::Unknown),
                Err(error) => Err(error),
            },
        }
    }
}

impl<T: IntoValue> IntoValue for Attr<T> {
    fn into_value(self) -> Value {
        match self {
            Attr::Known(v) => v.into_value(),
            Attr::Null => Value::Null,
            Attr::Unknown => Value::unknown(),
        }
    }
}

/// Conversion from a known (not null, not unknown) value.
pub trait FromValue: Sized {
    /// True for types that hold null themselves ([`Attr`]); others refuse null elements.
    const ACCEPTS_NULL: bool = false;

    /// Converts `value`, found at `path`.
    fn from_value(value: &Value, path: &AttributePath) -> Result<Self, ValueError>;
}

/// Conversion into a value.
pub trait IntoValue {
    /// Converts `self`.
    fn into_value(self) -> Value;
}

fn mismatch(path: &AttributePath, expected: &str, value: &Value) -> ValueError {
    ValueError {
        path: path.clone(),
        message: format!("expected {expected}, found {value:?}"),
    }
}

impl FromValue for String {
    fn from_value(value: &Value, path: &AttributePath) -> Result<Self, ValueError> {
        value
            .as_str()
            .map(str::to_owned)
            .ok_or_else(|| mismatch(path, "a string", value))
    }
}

impl FromValue for bool {
    fn from_value(value: &Value, path: &AttributePath) -> Result<Self, ValueError> {
        value.as_bool().ok_or_else(|| mismatch(path, "a bool", value))
    }
}

impl FromValue for Number {
    fn from_value(value: &Value, path: &AttributePath) -> Result<Self, ValueError> {
        value
            .as_number()
            .cloned()
            .ok_or_else(|| mismatch(path, "a number", value))
    }
}

impl FromValue for i64 {
    fn from_value(value: &Value, path: &AttributePath) -> Result<Self, ValueError> {
        value
            .as_number()
            .and_then(Number::to_i64)
            .ok_or_else(|| mismatch(path, "a whole number", value))
    }
}

impl FromValue for Value {
    fn from_value(value: &Value, _path: &AttributePath) -> Result<Self, ValueError> {
        Ok(value.clone())
    }
}

/// Lists and sets decode into a `Vec`. A null or unknown element is an error; inside a
/// set it is reported on the set itself, since Terraform has no path to a set element.
impl<T: FromValue> FromValue for Vec<T> {
    fn from_value(value: &Value, path: &AttributePath) -> Result<Self, ValueError> {
        let (items, is_set) = match value {
            Value::List(items) => (items, false),
            Value::Set(items) => (items, true),
            other => return Err(mismatch(path, "a list or set", other)),
        };
        items
            .iter()
            .enumerate()
            .map(|(i, item)| {
                let element_path = if is_set { path.clone() } else { path.index(i) };
                match item {
                    Value::Null => Err(ValueError {
                        path: element_path,
                        message: "a null element is not allowed here; remove it".to_owned(),
                    }),
                    Value::Unknown(_) => Err(mismatch(&element_path, "a known element", item)),
                    known => T::from_value(known, &element_path),
                }
            })
            .collect()
    }
}

impl<T: FromValue> FromValue for SetOf<T> {
    fn from_value(value: &Value, path: &AttributePath) -> Result<Self, ValueError> {
        Vec::from_value(value, path).map(SetOf)
    }
}

impl<T: FromValue> FromValue for BTreeMap<String, T> {
    fn from_value(value: &Value, path: &AttributePath) -> Result<Self, ValueError> {
        let entries = value.as_map().ok_or_else(|| mismatch(path, "a map", value))?;
        entries
            .iter()
            .map(|(k, v)| match v {
                Value::Unknown(_) => Err(mismatch(&path.key(k), "a known element", v)),
                Value::Null if !T::ACCEPTS_NULL => Err(ValueError {
                    path: path.key(k),
                    message: "a null value is not allowed here; remove the entry or give it a value".to_owned(),
                }),
                known => Ok((k.clone(), T::from_value(known, &path.key(k))?)),
            })
            .collect()
    }
}

impl IntoValue for String {
    fn into_value(self) -> Value {
        Value::String(self)
    }
}

impl IntoValue for &str {
    fn into_value(self) -> Value {
        Value::String(self.to_owned())
    }
}

impl IntoValue for bool {
    fn into_value(self) -> Value {
        Value::Bool(self)
    }
}

impl IntoValue for i64 {
    fn into_value(self) -> Value {
        Value::Number(self.into())
    }
}

impl IntoValue for Number {
    fn into_value(self) -> Value {
        Value::Number(self)
    }
}

impl IntoValue for Value {
    fn into_value(self) -> Value {
        self
    }
}

/// A `Vec` becomes a list; wrap it in [`SetOf`] for a set.
impl<T: IntoValue> IntoValue for Vec<T> {
    fn into_value(self) -> Value {
        Value::List(self.into_iter().map(IntoValue::into_value).collect())
    }
}

/// Elements for a `set(...)` attribute.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct SetOf<T>(pub Vec<T>);

impl<T> FromIterator<T> for SetOf<T> {
    fn from_iter<I: IntoIterator<Item = T>>(items: I) -> Self {
        SetOf(items.into_iter().collect())
    }
}

impl<T: IntoValue> IntoValue for SetOf<T> {
    fn into_value(self) -> Value {
        Value::Set(self.0.into_iter().map(IntoValue::into_value).collect())
    }
}

impl<T: IntoValue> IntoValue for BTreeMap<String, T> {
    fn into_value(self) -> Value {
        Value::Map(self.into_iter().map(|(k, v)| (k, v.into_value())).collect())
    }
}

impl<T: IntoValue> IntoValue for Option<T> {
    fn into_value(self) -> Value {
        self.map_or(Value::Null, IntoValue::into_value)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_compare_by_value_and_print_plainly() {
        let a: Number = "1.50".parse().unwrap();
        let b: Number = "1.5".parse().unwrap();
        assert_eq!(a, b);
        assert_eq!(Number::from(1000_i64).to_string(), "1000");
        assert_eq!("1e3".parse::<Number>().unwrap().to_i64(), Some(1000));
        let huge: Number = "123456789012345678901234567890.5".parse().unwrap();
        assert_eq!(huge.to_string(), "123456789012345678901234567890.5");
        assert!(!huge.is_exact_f64());
        assert!(Number::from_f64(0.1).unwrap().is_exact_f64());
        assert_eq!(Number::from_f64(f64::NAN), None);
        // Huge exponents are answered at once, not computed digit by digit.
        let huge: Number = "1e100000000".parse().unwrap();
        assert_eq!(huge.to_i64(), None);
        assert!(huge.to_string().len() < 20, "{huge}");
        let tiny: Number = "1e-100000000".parse().unwrap();
        assert_eq!(tiny.to_u64(), None);
        assert_eq!("-12e2".parse::<Number>().unwrap().to_i64(), Some(-1200));
    }

    #[test]
    fn typed_attributes_carry_null_unknown_and_paths() {
        let obj = Value::object([
            ("name", Value::string("x")),
            ("size", Value::unknown()),
            ("tags", Value::object([("a", Value::Bool(true))])),
        ]);
        assert_eq!(obj.attr::<String>("name").unwrap(), Attr::Known("x".to_owned()));
        assert_eq!(obj.attr::<i64>("size").unwrap(), Attr::Unknown);
        assert_eq!(obj.attr::<String>("missing").unwrap(), Attr::Null);
        let err = obj.attr::<BTreeMap<String, String>>("tags").unwrap_err();
        assert_eq!(err.path.to_string(), r#"tags["a"]"#);
    }

    #[test]
    fn wholly_known_looks_inside_collections() {
        assert!(Value::List(vec![Value::string("a")]).is_wholly_known());
        assert!(!Value::Set(vec![Value::unknown()]).is_wholly_known());
        assert!(Value::Null.is_wholly_known());
    }
}
