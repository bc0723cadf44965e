//! Graph errors, split by where the failure happened, and how each becomes an actionable
//! diagnostic.
//!
//! - [`GraphError::Transport`]: no response (connection, TLS, timeout);
//! - [`GraphError::Api`]: Graph answered with its error body (status, code, message,
//!   request-id);
//! - [`GraphError::Undecodable`]: a response we could not read (the body is kept);
//! - [`GraphError::Auth`]: no token could be obtained;
//! - [`GraphError::Cancelled`]: Terraform asked the provider to stop.

use std::fmt;

use crate::tfplugin::Diagnostic;

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

    /// A diagnostic that says what happened and what to do. `permission` is the least
    /// privileged application permission the call needs, named on a 403.
    pub fn to_diagnostic(&self, summary: &str, permission: &str) -> Diagnostic {
        let request = self
            .request_id()
            .map(|id| format!("\n\nGraph request-id: {id}"))
            .unwrap_or_default();
        let detail = match self {
            GraphError::Api {
                status: 403,
                operation,
                message,
                ..
            } => format!(
                "{operation} was refused: {message}\n\nGrant the provider's application the Microsoft Graph application permission {permission} (with admin consent), or run as an identity that has it.{request}"
            ),
            GraphError::Api {
                status: 401,
                operation,
                message,
                ..
            } => format!(
                "{operation} was refused because the access token was not accepted: {message}\n\nCheck the provider's tenant_id, client_id and credential settings (or ARM_* environment variables), and that the environment setting matches the tenant's cloud.{request}"
            ),
            GraphError::Api {
                status,
                operation,
                code,
                message,
                ..
            } => format!("{operation} failed with HTTP {status} {code}: {message}{request}"),
            GraphError::Undecodable {
                operation,
                status,
                message,
                body,
                ..
            } => {
                format!(
                    "{operation} returned HTTP {status} with a body the provider could not read ({message}):\n{body}{request}"
                )
            }
            GraphError::Transport { operation, message } => {
                format!(
                    "{operation} could not reach Microsoft Graph: {message}\n\nCheck network access to the Graph endpoint, or graph_endpoint."
                )
            }
            GraphError::Auth { message } => message.clone(),
            GraphError::Cancelled => {
                "The operation was cancelled because Terraform asked the provider to stop.".to_owned()
            }
        };
        Diagnostic::error(summary, detail)
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

    fn api(status: u16) -> GraphError {
        GraphError::Api {
            operation: "POST /groups/g/assignLicense".into(),
            status,
            code: "Authorization_RequestDenied".into(),
            message: "Insufficient privileges to complete the operation.".into(),
            request_id: Some("req-1".into()),
        }
    }

    #[test]
    fn forbidden_names_the_permission_and_request_id() {
        let d = api(403).to_diagnostic("Unable to Assign Licenses", "LicenseAssignment.ReadWrite.All");
        assert_eq!(d.summary, "Unable to Assign Licenses");
        assert!(d.detail.contains("LicenseAssignment.ReadWrite.All"), "{}", d.detail);
        assert!(d.detail.contains("Graph request-id: req-1"));
    }

    #[test]
    fn unauthorized_says_how_to_fix_auth() {
        let d = api(401).to_diagnostic("Unable to Read Group", "Group.Read.All");
        assert!(d.detail.contains("tenant_id, client_id"), "{}", d.detail);
        assert!(api(404).is_not_found() && !api(403).is_not_found());
        assert_eq!(api(403).status(), Some(403));
    }
}
