//! Attribute paths: where in a value a diagnostic, a decode error or a replacement applies.
//!
//! A path is a list of steps from the root object. Terraform addresses set elements by
//! value, which its protocol cannot express, so a path into a set stops at the set itself.

use std::fmt;

/// One step of an [`AttributePath`].
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Step {
    /// An attribute of an object (or a nested block by its type name).
    Attribute(String),
    /// A key of a map.
    Key(String),
    /// A position in a list or tuple.
    Index(i64),
}

/// A location inside a resource, data source, provider or action value.
#[derive(Clone, Debug, Default, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct AttributePath {
    steps: Vec<Step>,
}

impl AttributePath {
    /// The root of the value: a diagnostic on it applies to the whole block.
    pub fn root() -> Self {
        Self::default()
    }

    /// A path of one attribute step, the usual start: `AttributePath::attr("licenses")`.
    pub fn attr(name: impl Into<String>) -> Self {
        Self::root().attribute(name)
    }

    /// This path followed by an attribute step.
    #[must_use]
    pub fn attribute(&self, name: impl Into<String>) -> Self {
        self.with(Step::Attribute(name.into()))
    }

    /// This path followed by a map-key step.
    #[must_use]
    pub fn key(&self, key: impl Into<String>) -> Self {
        self.with(Step::Key(key.into()))
    }

    /// This path followed by a list-index step.
    #[must_use]
    pub fn index(&self, index: usize) -> Self {
        self.with(Step::Index(index as i64))
    }

    /// This path followed by any step.
    #[must_use]
    pub fn with(&self, step: Step) -> Self {
        let mut steps = self.steps.clone();
        steps.push(step);
        Self { steps }
    }

    /// Builds a path from steps.
    pub fn from_steps(steps: Vec<Step>) -> Self {
        Self { steps }
    }

    /// The steps from the root.
    pub fn steps(&self) -> &[Step] {
        &self.steps
    }

    /// True for the root path.
    pub fn is_root(&self) -> bool {
        self.steps.is_empty()
    }
}

/// Renders the path the way Terraform prints it: `licenses["SPE_E5"].disabled_plans[0]`.
impl fmt::Display for AttributePath {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.steps.is_empty() {
            return f.write_str("(root)");
        }
        for (i, step) in self.steps.iter().enumerate() {
            match step {
                Step::Attribute(name) if i == 0 => write!(f, "{name}")?,
                Step::Attribute(name) => write!(f, ".{name}")?,
                Step::Key(key) => write!(f, "[{key:?}]")?,
                Step::Index(index) => write!(f, "[{index}]")?,
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn renders_like_terraform() {
        let path = AttributePath::attr("licenses")
            .key("SPE_E5")
            .attribute("disabled_plans")
            .index(0);
        assert_eq!(path.to_string(), r#"licenses["SPE_E5"].disabled_plans[0]"#);
        assert_eq!(AttributePath::root().to_string(), "(root)");
    }

    #[test]
    fn builders_do_not_mutate_the_parent() {
        let parent = AttributePath::attr("a");
        let _child = parent.attribute("b");
        assert_eq!(parent.steps().len(), 1);
    }
}
