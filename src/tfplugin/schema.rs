//! Schemas: what a provider, resource, data source or action accepts and computes.
//!
//! Attributes are built as plain values with a fluent builder, and carry their markdown
//! description (docs are generated from them) and their plan behaviour (`requires_replace`,
//! `use_state_for_unknown`), which the default plan in [`super::plan`] applies.

use super::types::Type;

/// A versioned schema: the root block and its version (for state upgrades).
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Schema {
    /// Bumped when stored state needs upgrading.
    pub version: i64,
    /// The root block.
    pub block: Block,
}

impl Schema {
    /// A version-0 schema with `attributes` and a markdown description.
    pub fn new(description: impl Into<String>, attributes: Vec<Attribute>) -> Self {
        Self {
            version: 0,
            block: Block {
                attributes,
                description: description.into(),
                ..Block::default()
            },
        }
    }

    /// The same schema with nested blocks added.
    #[must_use]
    pub fn with_blocks(mut self, blocks: Vec<NestedBlock>) -> Self {
        self.block.blocks = blocks;
        self
    }

    /// The same schema at another version.
    #[must_use]
    pub fn with_version(mut self, version: i64) -> Self {
        self.version = version;
        self
    }

    /// The object type every value of this schema has.
    pub fn implied_type(&self) -> Type {
        self.block.implied_type()
    }
}

/// A block: attributes and nested blocks.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Block {
    /// Attributes in declaration order.
    pub attributes: Vec<Attribute>,
    /// Nested blocks (for example `timeouts`).
    pub blocks: Vec<NestedBlock>,
    /// Markdown description.
    pub description: String,
    /// Whether the whole block is deprecated.
    pub deprecated: bool,
}

impl Block {
    /// The object type of this block's values.
    pub fn implied_type(&self) -> Type {
        let attributes = self
            .attributes
            .iter()
            .map(|a| (a.name.clone(), a.value_type()))
            .chain(self.blocks.iter().map(|b| (b.type_name.clone(), b.value_type())));
        Type::object(attributes)
    }

    /// The attribute called `name`.
    pub fn attribute(&self, name: &str) -> Option<&Attribute> {
        self.attributes.iter().find(|a| a.name == name)
    }
}

/// How nested attributes or blocks repeat.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Nesting {
    /// One object.
    Single,
    /// One object that is always present (blocks only).
    Group,
    /// A list of objects.
    List,
    /// A set of objects.
    Set,
    /// A map of objects keyed by string.
    Map,
}

impl Nesting {
    fn wrap(self, object: Type) -> Type {
        match self {
            Nesting::Single | Nesting::Group => object,
            Nesting::List => Type::list(object),
            Nesting::Set => Type::set(object),
            Nesting::Map => Type::map(object),
        }
    }
}

/// An attribute's value shape: a plain type, or nested attributes.
#[derive(Clone, Debug, PartialEq)]
pub enum AttributeKind {
    /// A type such as `string` or `map(object({...}))`.
    Plain(Type),
    /// Nested attributes (protocol 6), repeated as `nesting` says.
    Nested {
        /// How the object repeats.
        nesting: Nesting,
        /// The inner attributes.
        attributes: Vec<Attribute>,
    },
}

/// One attribute.
#[derive(Clone, Debug, PartialEq)]
pub struct Attribute {
    /// Its name (`[a-z0-9_]`).
    pub name: String,
    /// Its shape.
    pub kind: AttributeKind,
    /// Markdown description.
    pub description: String,
    /// Must be set in configuration.
    pub required: bool,
    /// May be set in configuration.
    pub optional: bool,
    /// Set by the provider (alone: read-only; with `optional`: defaulted by the provider).
    pub computed: bool,
    /// Hidden in plans and logs.
    pub sensitive: bool,
    /// Never stored in state or plan (Terraform 1.11+).
    pub write_only: bool,
    /// Deprecated.
    pub deprecated: bool,
    /// A change of this attribute replaces the resource.
    pub requires_replace: bool,
    /// When unknown in a plan, keep the prior state's value instead (stable computed ids).
    pub use_state_for_unknown: bool,
}

impl Attribute {
    /// An attribute of type `ty`; make it required, optional or computed next.
    pub fn new(name: impl Into<String>, ty: Type) -> Self {
        Self::with_kind(name, AttributeKind::Plain(ty))
    }

    /// A `string` attribute.
    pub fn string(name: impl Into<String>) -> Self {
        Self::new(name, Type::String)
    }

    /// A `bool` attribute.
    pub fn bool(name: impl Into<String>) -> Self {
        Self::new(name, Type::Bool)
    }

    /// A `number` attribute.
    pub fn number(name: impl Into<String>) -> Self {
        Self::new(name, Type::Number)
    }

    /// Nested attributes repeated as `nesting` says.
    pub fn nested(name: impl Into<String>, nesting: Nesting, attributes: Vec<Attribute>) -> Self {
        Self::with_kind(name, AttributeKind::Nested { nesting, attributes })
    }

    fn with_kind(name: impl Into<String>, kind: AttributeKind) -> Self {
        Self {
            name: name.into(),
            kind,
            description: String::new(),
            required: false,
            optional: false,
            computed: false,
            sensitive: false,
            write_only: false,
            deprecated: false,
            requires_replace: false,
            use_state_for_unknown: false,
        }
    }

    /// Must be set in configuration.
    #[must_use]
    pub fn required(mut self) -> Self {
        self.required = true;
        self
    }

    /// May be set in configuration.
    #[must_use]
    pub fn optional(mut self) -> Self {
        self.optional = true;
        self
    }

    /// Set by the provider.
    #[must_use]
    pub fn computed(mut self) -> Self {
        self.computed = true;
        self
    }

    /// Hidden in plans and logs.
    #[must_use]
    pub fn sensitive(mut self) -> Self {
        self.sensitive = true;
        self
    }

    /// A change replaces the resource.
    #[must_use]
    pub fn requires_replace(mut self) -> Self {
        self.requires_replace = true;
        self
    }

    /// Keeps the prior value when the plan would make it unknown.
    #[must_use]
    pub fn use_state_for_unknown(mut self) -> Self {
        self.use_state_for_unknown = true;
        self
    }

    /// Markdown description.
    #[must_use]
    pub fn description(mut self, text: impl Into<String>) -> Self {
        self.description = text.into();
        self
    }

    /// The type of this attribute's values.
    pub fn value_type(&self) -> Type {
        match &self.kind {
            AttributeKind::Plain(ty) => ty.clone(),
            AttributeKind::Nested { nesting, attributes } => {
                let object = Type::Object {
                    attributes: attributes.iter().map(|a| (a.name.clone(), a.value_type())).collect(),
                    // Nested attributes that are not required may be left out of a literal.
                    optional: attributes
                        .iter()
                        .filter(|a| !a.required)
                        .map(|a| a.name.clone())
                        .collect(),
                };
                nesting.wrap(object)
            }
        }
    }
}

/// A nested block such as `timeouts { create = "30m" }`.
#[derive(Clone, Debug, PartialEq)]
pub struct NestedBlock {
    /// The block's type name.
    pub type_name: String,
    /// How it repeats.
    pub nesting: Nesting,
    /// Its content.
    pub block: Block,
    /// Minimum count (list and set only).
    pub min_items: i64,
    /// Maximum count (list and set only; 0 = no limit).
    pub max_items: i64,
}

impl NestedBlock {
    /// A block repeated as `nesting` says, with no count limits.
    pub fn new(type_name: impl Into<String>, nesting: Nesting, block: Block) -> Self {
        Self {
            type_name: type_name.into(),
            nesting,
            block,
            min_items: 0,
            max_items: 0,
        }
    }

    /// The type of this block's values.
    pub fn value_type(&self) -> Type {
        // Terraform strips optional markers from wire types; blocks never carry them.
        let inner = match self.block.implied_type() {
            Type::Object { attributes, .. } => Type::Object {
                attributes,
                optional: Default::default(),
            },
            other => other,
        };
        self.nesting.wrap(inner)
    }
}

/// The identity of a managed resource (Terraform 1.12+): the attributes that name it.
#[derive(Clone, Debug, PartialEq)]
pub struct IdentitySchema {
    /// Bumped when the identity's shape changes.
    pub version: i64,
    /// The identity attributes.
    pub attributes: Vec<IdentityAttribute>,
}

impl IdentitySchema {
    /// The object type of identity values.
    pub fn implied_type(&self) -> Type {
        Type::object(self.attributes.iter().map(|a| (a.name.clone(), a.ty.clone())))
    }
}

/// One identity attribute.
#[derive(Clone, Debug, PartialEq)]
pub struct IdentityAttribute {
    /// Its name.
    pub name: String,
    /// Its type.
    pub ty: Type,
    /// Must be given to import by identity.
    pub required_for_import: bool,
    /// Markdown description.
    pub description: String,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn implied_type_covers_nested_attributes_and_blocks() {
        let schema = Schema::new(
            "test",
            vec![
                Attribute::string("id").computed(),
                Attribute::nested(
                    "licenses",
                    Nesting::Map,
                    vec![Attribute::new("disabled_plans", Type::set(Type::String)).optional()],
                )
                .required(),
            ],
        )
        .with_blocks(vec![NestedBlock::new(
            "timeouts",
            Nesting::Single,
            Block {
                attributes: vec![Attribute::string("create").optional()],
                ..Block::default()
            },
        )]);
        let Type::Object { attributes, .. } = schema.implied_type() else {
            panic!("object expected")
        };
        assert_eq!(attributes["id"], Type::String);
        assert_eq!(
            attributes["licenses"].to_json().to_string(),
            r#"["map",["object",{"disabled_plans":["set","string"]},["disabled_plans"]]]"#
        );
        assert_eq!(attributes["timeouts"], Type::object([("create", Type::String)]));
    }
}
