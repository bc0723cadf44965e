//! What a handler receives and returns: the request with its body read (`Incoming`), the
//! response before it is written (`Outgoing`), the authenticated caller (`Caller`), and
//! Graph's error body. Handlers depend on these types rather than on the pipeline that
//! calls them.

use axum::http::{HeaderMap, Method};
use serde_json::{Value as Json, json};

use crate::state::Rejection;

/// A request, after its body was read.
#[derive(Clone, Debug)]
pub(crate) struct Incoming {
    pub method: Method,
    pub path: String,
    pub query: Vec<(String, String)>,
    pub raw_query: Option<String>,
    pub headers: HeaderMap,
    pub body: Vec<u8>,
}

impl Incoming {
    pub fn query(&self, name: &str) -> Option<&str> {
        self.query
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }
}

/// A response before it is written.
#[derive(Debug)]
pub(crate) struct Outgoing {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: Option<Json>,
    /// A `text/plain` body instead (a `$count` segment's number).
    pub text: Option<String>,
    /// Cut the connection before the status line (`status` is then 0).
    pub reset: bool,
    /// The write was applied and answered with this status, but the client was sent this
    /// response instead (a lost response).
    pub lost: Option<u16>,
}

impl Outgoing {
    pub fn json(status: u16, body: Json) -> Self {
        Self {
            status,
            headers: Vec::new(),
            body: Some(body),
            text: None,
            reset: false,
            lost: None,
        }
    }

    /// A `text/plain` answer.
    pub fn text(status: u16, text: String) -> Self {
        Self {
            status,
            headers: Vec::new(),
            body: None,
            text: Some(text),
            reset: false,
            lost: None,
        }
    }

    /// A cut connection: nothing is answered, not even a status line, so `status` is 0.
    pub fn reset() -> Self {
        Self {
            status: 0,
            headers: Vec::new(),
            body: None,
            text: None,
            reset: true,
            lost: None,
        }
    }

    pub fn header(mut self, name: &str, value: impl Into<String>) -> Self {
        self.headers.push((name.to_owned(), value.into()));
        self
    }
}

/// Graph's error body, with the request ids in `innerError`.
pub(crate) fn graph_error(
    status: u16,
    code: &str,
    message: &str,
    request_id: &str,
    client_request_id: &str,
) -> Outgoing {
    Outgoing::json(
        status,
        json!({"error": {"code": code, "message": message, "innerError": {
            "date": crate::state::now_rfc3339().trim_end_matches('Z'),
            "request-id": request_id,
            "client-request-id": client_request_id,
        }}}),
    )
}

/// What the route knows about the caller.
pub(crate) struct Caller {
    pub application: String,
    pub roles: Vec<String>,
    pub request_id: String,
    pub client_request_id: String,
}

impl Caller {
    pub fn error(&self, status: u16, code: &str, message: &str) -> Outgoing {
        graph_error(status, code, message, &self.request_id, &self.client_request_id)
    }

    pub fn rejection(&self, rejection: Rejection) -> Outgoing {
        self.error(rejection.status, rejection.code, &rejection.message)
    }

    /// 403 unless the caller holds one of `any_of`.
    pub fn require(&self, any_of: &[&str]) -> Result<(), Outgoing> {
        if self.roles.iter().any(|r| any_of.contains(&r.as_str())) {
            Ok(())
        } else {
            Err(self.error(
                403,
                "Authorization_RequestDenied",
                "Insufficient privileges to complete the operation.",
            ))
        }
    }
}

/// `a=1&b=2`, percent-decoded: query strings and form bodies.
pub(crate) fn parse_query(query: &str) -> Vec<(String, String)> {
    serde_urlencoded::from_str(query).unwrap_or_default()
}
