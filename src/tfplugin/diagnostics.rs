//! Diagnostics: how the provider talks to the practitioner.
//!
//! Diagnostics are data, not errors: every response can carry a state *and* diagnostics
//! (a create that half-worked returns the object and an error, so Terraform taints it).
//! A gRPC status error is reserved for a broken server.
//!
//! Style: a short Title Case summary ("Unknown License SKU"), a detail that says what
//! happened and what to do, the Graph request-id when there is one, and the attribute path
//! whenever a single attribute is at fault.

use std::fmt;

use super::path::AttributePath;

/// How serious a diagnostic is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Severity {
    /// The operation failed.
    Error,
    /// The operation went ahead; the practitioner should know something.
    Warning,
}

/// One message for the practitioner.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Diagnostic {
    /// Error or warning.
    pub severity: Severity,
    /// Short Title Case summary.
    pub summary: String,
    /// What happened and what to do.
    pub detail: String,
    /// The attribute at fault, if one is.
    pub path: Option<AttributePath>,
}

impl Diagnostic {
    /// An error diagnostic.
    pub fn error(summary: impl Into<String>, detail: impl Into<String>) -> Self {
        Self {
            severity: Severity::Error,
            summary: summary.into(),
            detail: detail.into(),
            path: None,
        }
    }

    /// A warning diagnostic.
    pub fn warning(summary: impl Into<String>, detail: impl Into<String>) -> Self {
        Self {
            severity: Severity::Warning,
            summary: summary.into(),
            detail: detail.into(),
            path: None,
        }
    }

    /// The same diagnostic, scoped to `path`.
    #[must_use]
    pub fn at(mut self, path: AttributePath) -> Self {
        self.path = Some(path);
        self
    }

    /// The fixed wording for a bug in the provider itself.
    pub fn provider_bug(summary: impl Into<String>, what: impl fmt::Display) -> Self {
        Self::error(
            summary,
            format!(
                "This is always an error in the provider. Please report the following to the provider developer:\n\n{what}"
            ),
        )
    }
}

/// An ordered collection of diagnostics, passed as `&mut` through provider code.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Diagnostics(Vec<Diagnostic>);

impl Diagnostics {
    /// No diagnostics.
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds one diagnostic, skipping exact duplicates.
    pub fn push(&mut self, diagnostic: Diagnostic) {
        if !self.0.contains(&diagnostic) {
            self.0.push(diagnostic);
        }
    }

    /// Adds an error.
    pub fn error(&mut self, summary: impl Into<String>, detail: impl Into<String>) {
        self.push(Diagnostic::error(summary, detail));
    }

    /// Adds an error on an attribute.
    pub fn attribute_error(&mut self, path: AttributePath, summary: impl Into<String>, detail: impl Into<String>) {
        self.push(Diagnostic::error(summary, detail).at(path));
    }

    /// Adds a warning.
    pub fn warning(&mut self, summary: impl Into<String>, detail: impl Into<String>) {
        self.push(Diagnostic::warning(summary, detail));
    }

    /// Adds a warning on an attribute.
    pub fn attribute_warning(&mut self, path: AttributePath, summary: impl Into<String>, detail: impl Into<String>) {
        self.push(Diagnostic::warning(summary, detail).at(path));
    }

    /// Adds every diagnostic of `other`.
    pub fn extend(&mut self, other: impl IntoIterator<Item = Diagnostic>) {
        for d in other {
            self.push(d);
        }
    }

    /// True when any diagnostic is an error.
    pub fn has_errors(&self) -> bool {
        self.0.iter().any(|d| d.severity == Severity::Error)
    }

    /// True when there are none.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// The diagnostics in order.
    pub fn iter(&self) -> impl Iterator<Item = &Diagnostic> {
        self.0.iter()
    }

    /// The diagnostics as a vector.
    pub fn into_vec(self) -> Vec<Diagnostic> {
        self.0
    }

    /// Turns a `Result` into an `Option`, recording the error under `summary`. Keeps `?`
    /// usable in code whose errors become diagnostics.
    pub fn check<T, E: fmt::Display>(&mut self, result: Result<T, E>, summary: &str) -> Option<T> {
        match result {
            Ok(v) => Some(v),
            Err(e) => {
                self.error(summary, e.to_string());
                None
            }
        }
    }
}

impl IntoIterator for Diagnostics {
    type Item = Diagnostic;
    type IntoIter = std::vec::IntoIter<Diagnostic>;
    fn into_iter(self) -> Self::IntoIter {
        self.0.into_iter()
    }
}

impl From<super::value::ValueError> for Diagnostic {
    /// A value with an unexpected shape is a provider bug: Terraform checked the schema.
    fn from(e: super::value::ValueError) -> Self {
        let path = e.path.clone();
        Diagnostic::provider_bug("Unexpected Value Shape", e).at(path)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn errors_and_duplicates() {
        let mut diags = Diagnostics::new();
        diags.warning("Seat Shortage", "buy seats");
        assert!(!diags.has_errors());
        diags.attribute_error(AttributePath::attr("group_id"), "Invalid Group ID", "use a GUID");
        diags.attribute_error(AttributePath::attr("group_id"), "Invalid Group ID", "use a GUID");
        assert!(diags.has_errors());
        assert_eq!(diags.iter().count(), 2);
        assert_eq!(diags.check::<u8, _>(Err("boom"), "Failed").map(|_| ()), None);
        assert_eq!(diags.iter().last().unwrap().detail, "boom");
    }
}
