//! Typed models: the Rust structs that resources, data sources and actions work on.
//!
//! Terraform sends untyped [`Value`]s; product code should read `model.licenses`, not
//! `config.get("licenses")`. A model is declared once with [`model!`], which writes the
//! struct and its three conversions: [`FromValue`] (decoding, with errors that name the
//! attribute path), [`IntoValue`] (encoding) and [`TfType`] (the Terraform type the struct
//! stands for). The framework decodes and encodes at its boundary (see
//! [`super::dispatch`]), and a test compares every model's type with its schema's implied
//! type, so the two cannot drift apart.
//!
//! Fields that may be null or unknown are [`Attr<T>`](super::value::Attr). An attribute
//! whose value is only partly known (a set with one unknown element) decodes as
//! [`Attr::Unknown`](super::value::Attr::Unknown): product code treats it as not known
//! yet, and the framework keeps the exact wire value of every attribute the product left
//! unchanged, so nothing of what Terraform sent is lost on the way back.

use std::collections::BTreeMap;

use super::types::Type;
use super::value::{Attr, FromValue, IntoValue, Number, SetOf, Value};

/// The Terraform type a Rust type stands for.
pub trait TfType {
    /// The type, without optional-attribute markers (they are a configuration concept).
    fn tf_type() -> Type;
}

/// What the framework needs of a model: decoding, encoding and its type.
pub trait Model: FromValue + IntoValue + TfType + Clone + std::fmt::Debug + Send + Sync + 'static {}

impl<T: FromValue + IntoValue + TfType + Clone + std::fmt::Debug + Send + Sync + 'static> Model for T {}

impl TfType for String {
    fn tf_type() -> Type {
        Type::String
    }
}

impl TfType for bool {
    fn tf_type() -> Type {
        Type::Bool
    }
}

impl TfType for i64 {
    fn tf_type() -> Type {
        Type::Number
    }
}

impl TfType for Number {
    fn tf_type() -> Type {
        Type::Number
    }
}

impl<T: TfType> TfType for Attr<T> {
    fn tf_type() -> Type {
        T::tf_type()
    }
}

impl<T: TfType> TfType for Vec<T> {
    fn tf_type() -> Type {
        Type::list(T::tf_type())
    }
}

impl<T: TfType> TfType for SetOf<T> {
    fn tf_type() -> Type {
        Type::set(T::tf_type())
    }
}

impl<T: TfType> TfType for BTreeMap<String, T> {
    fn tf_type() -> Type {
        Type::map(T::tf_type())
    }
}

/// A model with no attributes: the identity of a resource that has none, the
/// configuration of an action without settings.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Empty;

impl FromValue for Empty {
    fn from_value(_value: &Value, _path: &super::path::AttributePath) -> Result<Self, super::value::ValueError> {
        Ok(Empty)
    }
}

impl IntoValue for Empty {
    fn into_value(self) -> Value {
        Value::Map(BTreeMap::new())
    }
}

impl TfType for Empty {
    fn tf_type() -> Type {
        Type::object(Vec::<(String, Type)>::new())
    }
}

/// Declares a model struct whose field names are the Terraform attribute names, and
/// implements [`FromValue`], [`IntoValue`] and [`TfType`] for it.
///
/// ```
/// use terraform_provider_entra::model;
/// use terraform_provider_entra::tfplugin::{Attr, SetOf};
///
/// model! {
///     /// One licence as configured.
///     #[derive(Clone, Debug, Default, PartialEq)]
///     pub struct LicenseConfig {
///         /// Plans to switch off.
///         pub disabled_plans: Attr<SetOf<String>>,
///     }
/// }
/// ```
#[macro_export]
macro_rules! model {
    (
        $(#[$meta:meta])*
        $vis:vis struct $name:ident {
            $( $(#[$field_meta:meta])* $field_vis:vis $field:ident : $ty:ty ),* $(,)?
        }
    ) => {
        $(#[$meta])*
        $vis struct $name {
            $( $(#[$field_meta])* $field_vis $field: $ty ),*
        }

        impl $crate::tfplugin::FromValue for $name {
            fn from_value(
                value: &$crate::tfplugin::Value,
                path: &$crate::tfplugin::AttributePath,
            ) -> ::std::result::Result<Self, $crate::tfplugin::ValueError> {
                if value.as_map().is_none() {
                    return Err($crate::tfplugin::ValueError {
                        path: path.clone(),
                        message: format!("expected an object, found {value:?}"),
                    });
                }
                Ok(Self {
                    $( $field: $crate::tfplugin::FromValue::from_value(
                        value.get(stringify!($field)),
                        &path.attribute(stringify!($field)),
                    )? ),*
                })
            }
        }

        impl $crate::tfplugin::IntoValue for $name {
            fn into_value(self) -> $crate::tfplugin::Value {
                $crate::tfplugin::Value::object([
                    $( (stringify!($field), $crate::tfplugin::IntoValue::into_value(self.$field)) ),*
                ])
            }
        }

        impl $crate::tfplugin::TfType for $name {
            fn tf_type() -> $crate::tfplugin::Type {
                $crate::tfplugin::Type::object([
                    $( (stringify!($field), <$ty as $crate::tfplugin::TfType>::tf_type()) ),*
                ])
            }
        }
    };
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::tfplugin::path::AttributePath;

    crate::model! {
        #[derive(Clone, Debug, Default, PartialEq)]
        struct Inner {
            plans: Attr<SetOf<String>>,
        }
    }

    crate::model! {
        #[derive(Clone, Debug, Default, PartialEq)]
        struct Outer {
            name: Attr<String>,
            count: Attr<i64>,
            items: Attr<BTreeMap<String, Inner>>,
            tags: Attr<Vec<String>>,
        }
    }

    fn decode(value: &Value) -> Result<Outer, super::super::value::ValueError> {
        Outer::from_value(value, &AttributePath::root())
    }

    #[test]
    fn a_model_round_trips_and_knows_its_type() {
        let value = Value::object([
            ("name", Value::string("a")),
            ("count", Value::number(2_i64)),
            (
                "items",
                Value::object([("k", Value::object([("plans", Value::Set(vec![Value::string("p")]))]))]),
            ),
            ("tags", Value::Null),
        ]);
        let model = decode(&value).unwrap();
        assert_eq!(model.name, Attr::Known("a".to_owned()));
        assert_eq!(
            model.items.known().unwrap()["k"].plans,
            Attr::Known(SetOf(vec!["p".to_owned()]))
        );
        assert_eq!(model.clone().into_value(), value);
        assert_eq!(
            Outer::tf_type(),
            Type::object([
                ("name", Type::String),
                ("count", Type::Number),
                ("items", Type::map(Type::object([("plans", Type::set(Type::String))]))),
                ("tags", Type::list(Type::String)),
            ])
        );
    }

    #[test]
    fn partly_unknown_attributes_decode_as_unknown_and_nulls_in_sets_are_errors() {
        let value = Value::object([
            ("name", Value::unknown()),
            ("tags", Value::List(vec![Value::string("a"), Value::unknown()])),
            (
                "items",
                Value::object([("k", Value::object([("plans", Value::Set(vec![Value::unknown()]))]))]),
            ),
        ]);
        let model = decode(&value).unwrap();
        assert!(model.name.is_unknown() && model.tags.is_unknown());
        assert!(
            model.items.known().unwrap()["k"].plans.is_unknown(),
            "unknown stays as deep as it can"
        );

        let with_null = Value::object([(
            "items",
            Value::object([("k", Value::object([("plans", Value::Set(vec![Value::Null]))]))]),
        )]);
        let error = decode(&with_null).unwrap_err();
        assert_eq!(
            error.path.to_string(),
            r#"items["k"].plans"#,
            "sets have no element paths"
        );
        assert!(error.message.contains("null"), "{}", error.message);
    }
}
