//! Graph errors, split by where the failure happened. The product turns them into
//! diagnostics (`crate::diagnostics`); each endpoint names the permission it needs.
//!
//! - [`GraphError::Transport`]: no response (connection, TLS, timeout);
//! - [`GraphError::Api`]: Graph answered with its error body (status, code, message,
//!   request-id);
//! - [`GraphError::Undecodable`]: a response we could not read (the body is kept);
//! - [`GraphError::Auth`]: no token could be obtained;
//! - [`GraphError::Cancelled`]: Terraform asked the provider to stop.

use std::fmt;

/// A failed Graph call.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum GraphError {
    /// No response arrived.
    Transport {
        /// What was being done, e.g. `GET /groups/{id}`.
        operation: String,
        /// The underlying error.
        message: String,
    },
    /// Graph answered with an error.
    Api {
        /// What was being done.
        operation: String,
        /// HTTP status.
        status: u16,
        /// Graph error code, e.g. `Request_BadRequest`.
        code: String,
        /// Graph's message.
        message: String,
        /// Graph's request-id, for support cases.
        request_id: Option<String>,
        /// The application permission the call needs (set by the endpoint).
        permission: Option<&'static str>,
    },
    /// A response that could not be decoded.
    Undecodable {
        /// What was being done.
        operation: String,
        /// HTTP status.
        status: u16,
        /// Why decoding failed.
        message: String,
        /// The body as received (truncated).
        body: String,
        /// Graph's request-id.
        request_id: Option<String>,
    },
    /// Authentication failed before Graph could be called.
    Auth {
        /// What the identity platform or the credential source said.
        message: String,
    },
    /// StopProvider cancelled the call.
    Cancelled,
}

impl GraphError {
    /// The HTTP status, when Graph answered.
    pub fn status(&self) -> Option<u16> {
        match self {
            GraphError::Api { status, .. } | GraphError::Undecodable { status, .. } => Some(*status),
            _ => None,
        }
    }

    /// True for a 404: the object does not exist.
    pub fn is_not_found(&self) -> bool {
        self.status() == Some(404)
    }

    /// The request-id, when Graph answered.
    pub fn request_id(&self) -> Option<&str> {
        match self {
            GraphError::Api { request_id, .. } | GraphError::Undecodable { request_id, .. } => request_id.as_deref(),
            _ => None,
        }
    }

    /// The same error, naming the least privileged application permission the call
    /// needs; endpoints attach it, so a refusal can say what to grant.
    #[must_use]
    pub fn needing(mut self, needed: &'static str) -> Self {
        if let GraphError::Api { permission, .. } = &mut self {
            *permission = Some(needed);
        }
        self
    }

    /// The permission the failed call needs, when its endpoint named one.
    pub fn permission(&self) -> Option<&'static str> {
        match self {
            GraphError::Api { permission, .. } => *permission,
            _ => None,
        }
    }
}

impl fmt::Display for GraphError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            GraphError::Transport { operation, message } => write!(f, "{operation}: {message}"),
            GraphError::Api {
                operation,
                status,
                code,
                message,
                request_id,
                ..
            } => {
                write!(f, "{operation}: HTTP {status} {code}: {message}")?;
                if let Some(id) = request_id {
                    write!(f, " (request-id {id})")?;
                }
                Ok(())
            }
            GraphError::Undecodable {
                operation,
                status,
                message,
                ..
            } => write!(f, "{operation}: HTTP {status}: {message}"),
            GraphError::Auth { message } => f.write_str(message),
            GraphError::Cancelled => f.write_str("cancelled"),
        }
    }
}

impl std::error::Error for GraphError {}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn endpoints_name_the_permission_on_api_errors_only() {
        let api = GraphError::Api {
            operation: "POST /groups/g/assignLicense".into(),
            status: 403,
            code: "Authorization_RequestDenied".into(),
            message: "Insufficient privileges to complete the operation.".into(),
            request_id: Some("req-1".into()),
            permission: None,
        };
        let named = api.needing("LicenseAssignment.ReadWrite.All");
        assert_eq!(named.permission(), Some("LicenseAssignment.ReadWrite.All"));
        assert_eq!((named.status(), named.request_id()), (Some(403), Some("req-1")));
        assert!(!named.is_not_found());
        assert_eq!(GraphError::Cancelled.needing("Group.Read.All").permission(), None);
    }
}
