//! The OData query options of directory reads, as Graph documents them for directory
//! objects (<https://learn.microsoft.com/graph/query-parameters>,
//! <https://learn.microsoft.com/graph/aad-advanced-queries>,
//! <https://learn.microsoft.com/graph/paging>): the path segments (percent-decoded, so that
//! `%24count` is `$count`), `$top` (1 to 999), `$skiptoken` (opaque, only ever read back
//! from an `@odata.nextLink`), `$count` (the query option and the path segment), the
//! `ConsistencyLevel: eventual` header of advanced queries, and the `$filter` forms the
//! emulator answers. Pure parsing: the routes decide which forms a collection accepts and
//! the throttling model reads `$top` for a request's cost.

use base64::Engine;

use crate::request::{Caller, Incoming, Outgoing};

/// The largest page a directory collection serves (users, groups, members): 999.
pub(crate) const MAX_TOP: usize = 999;

fn decode_segment(segment: &str) -> String {
    let hex = |b: u8| (b as char).to_digit(16);
    let bytes = segment.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let escaped = (bytes[i] == b'%' && i + 2 < bytes.len())
            .then(|| Some(hex(bytes[i + 1])? * 16 + hex(bytes[i + 2])?))
            .flatten();
        match escaped {
            Some(byte) => {
                out.push(byte as u8);
                i += 3;
            }
            None => {
                out.push(bytes[i]);
                i += 1;
            }
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// The path under `/v1.0/`, split into percent-decoded segments.
pub(crate) fn segments(request: &Incoming) -> Vec<String> {
    let path = request.path.trim_start_matches("/v1.0/").trim_end_matches('/');
    path.split('/').map(decode_segment).collect()
}

/// Whether the request carries `ConsistencyLevel: eventual`, the header of advanced queries.
pub(crate) fn eventual(request: &Incoming) -> bool {
    request
        .header("consistencylevel")
        .is_some_and(|v| v.eq_ignore_ascii_case("eventual"))
}

/// Whether the request asks for `$count=true`.
pub(crate) fn count_option(request: &Incoming) -> bool {
    request.query("$count").is_some_and(|c| c.eq_ignore_ascii_case("true"))
}

/// `$top` as a number, if it is one.
pub(crate) fn top_value(request: &Incoming) -> Option<usize> {
    request.query("$top").and_then(|t| t.trim().parse().ok())
}

/// The page size of a directory read: `$top` when it is an integer from 1 to 999, else the
/// 400 Graph answers (observed: `Request_UnsupportedQuery`, "Invalid page size specified:
/// '1000'. Must be between 1 and 999 inclusive."); `default` without `$top`.
pub(crate) fn page_size(request: &Incoming, caller: &Caller, default: usize) -> Result<usize, Outgoing> {
    let Some(text) = request.query("$top") else {
        return Ok(default);
    };
    match text.trim().parse::<usize>() {
        Ok(top) if (1..=MAX_TOP).contains(&top) => Ok(top),
        _ => Err(caller.error(
            400,
            "Request_UnsupportedQuery",
            &format!("Invalid page size specified: '{text}'. Must be between 1 and {MAX_TOP} inclusive."),
        )),
    }
}

/// Where a page resumes: the position after the last item of the previous page in the
/// collection's order, and that item's ID, so that a page still resumes after that item
/// when members were added or removed before it in the meantime.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Cursor {
    /// Position of the first item not yet returned.
    pub position: usize,
    /// ID of the last item returned.
    pub last: String,
}

impl Cursor {
    /// The opaque `$skiptoken` (base64url): clients must use `@odata.nextLink` as it is.
    pub fn encode(&self) -> String {
        base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(format!("emu1:{}:{}", self.position, self.last))
    }

    /// Reads back a token `encode` wrote; `None` for anything else.
    pub fn decode(token: &str) -> Option<Self> {
        let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD
            .decode(token.trim())
            .ok()?;
        let text = String::from_utf8(bytes).ok()?;
        let (position, last) = text.strip_prefix("emu1:")?.split_once(':')?;
        Some(Self {
            position: position.parse().ok()?,
            last: last.to_owned(),
        })
    }

    /// The first position to serve in a collection of `len` items whose IDs `id_at` gives:
    /// right after the last item returned, wherever it is now; if it is gone, where it was.
    pub fn resume<'a>(&self, len: usize, id_at: impl Fn(usize) -> Option<&'a str>) -> usize {
        if self.position > 0 && id_at(self.position - 1) == Some(self.last.as_str()) {
            return self.position.min(len);
        }
        match (0..len).find(|i| id_at(*i) == Some(self.last.as_str())) {
            Some(found) => found + 1,
            None => self.position.saturating_sub(1).min(len),
        }
    }
}

/// The `$skiptoken` of a request, if any: a token the emulator did not write is a 400.
pub(crate) fn cursor(request: &Incoming, caller: &Caller) -> Result<Option<Cursor>, Outgoing> {
    match request.query("$skiptoken") {
        None => Ok(None),
        Some(token) => Cursor::decode(token)
            .map(Some)
            .ok_or_else(|| caller.error(400, "Request_BadRequest", "The specified page token is not valid.")),
    }
}

/// The `$filter` forms the emulator answers.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum Filter {
    /// `assignedLicenses/any(x:x/skuId eq {skuId})`: objects holding the SKU.
    Holding(String),
    /// `displayName eq '…'` (the quotes doubled inside).
    DisplayName(String),
    /// `hasMembersWithLicenseErrors eq true`.
    MembersWithLicenseErrors,
}

impl Filter {
    /// Parses one of the forms; `None` for anything else.
    pub fn parse(filter: &str) -> Option<Self> {
        let filter = filter.trim();
        if let Some(sku) = license_filter(filter) {
            return Some(Self::Holding(sku));
        }
        if filter.starts_with("displayName eq '") && filter.ends_with('\'') && filter.len() > "displayName eq '".len() {
            let name = filter["displayName eq '".len()..filter.len() - 1].replace("''", "'");
            return Some(Self::DisplayName(name));
        }
        filter
            .replace(' ', "")
            .eq_ignore_ascii_case("hasMembersWithLicenseErrorseqtrue")
            .then_some(Self::MembersWithLicenseErrors)
    }
}

/// The SKU of `assignedLicenses/any(x:x/skuId eq {guid})`, any variable name and spacing.
fn license_filter(filter: &str) -> Option<String> {
    let inner = filter.strip_prefix("assignedLicenses/any(")?.strip_suffix(')')?;
    let (variable, condition) = inner.split_once(':')?;
    let sku = condition
        .trim()
        .strip_prefix(&format!("{}/skuId", variable.trim()))?
        .trim_start()
        .strip_prefix("eq ")?
        .trim();
    is_guid(sku).then(|| sku.to_owned())
}

/// Whether `text` is a GUID in its usual 8-4-4-4-12 form.
pub(crate) fn is_guid(text: &str) -> bool {
    let parts: Vec<&str> = text.split('-').collect();
    parts.len() == 5
        && parts
            .iter()
            .zip([8, 4, 4, 4, 12])
            .all(|(p, n)| p.len() == n && p.chars().all(|c| c.is_ascii_hexdigit()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn guids_and_percent_decoding() {
        assert!(is_guid("1132b215-826f-42a9-8cfe-1643d19d17fd"));
        assert!(!is_guid("u86tgb54-826f-42a9-8cfe-1643d19d17fd"));
        assert!(!is_guid("1132b215826f42a98cfe1643d19d17fd"));
        assert_eq!(decode_segment("adele%40contoso.example"), "adele@contoso.example");
        assert_eq!(decode_segment("%24count"), "$count");
        assert_eq!(decode_segment("%2"), "%2");
        assert_eq!(
            decode_segment("%\u{e9}x"),
            "%\u{e9}x",
            "a % before a multi-byte character is kept"
        );
    }

    #[test]
    fn filters_parse_only_the_supported_forms() {
        let sku = "6fd2c87f-b296-42f0-b197-1e91e994b900";
        assert_eq!(
            Filter::parse(&format!("assignedLicenses/any(s: s/skuId eq {sku})")),
            Some(Filter::Holding(sku.into()))
        );
        assert_eq!(
            Filter::parse("displayName eq 'Nobody''s'"),
            Some(Filter::DisplayName("Nobody's".into()))
        );
        assert_eq!(
            Filter::parse("hasMembersWithLicenseErrors eq true"),
            Some(Filter::MembersWithLicenseErrors)
        );
        for unsupported in [
            "assignedLicenses/any(x:x/skuId eq 'nope')",
            "assignedLicenses/any(x:y/skuId eq 6fd2c87f-b296-42f0-b197-1e91e994b900)",
            "startswith(displayName,'A')",
            "displayName eq '",
        ] {
            assert_eq!(Filter::parse(unsupported), None, "{unsupported}");
        }
    }

    #[test]
    fn cursors_round_trip_and_resume_after_the_last_item_wherever_it_moved() {
        let cursor = Cursor {
            position: 3,
            last: "c".into(),
        };
        assert_eq!(Cursor::decode(&cursor.encode()), Some(cursor.clone()));
        assert_eq!(Cursor::decode("3"), None, "offsets are not tokens");
        let ids = |list: &'static [&'static str]| move |i: usize| list.get(i).copied();
        assert_eq!(cursor.resume(5, ids(&["a", "b", "c", "d", "e"])), 3, "unchanged");
        assert_eq!(cursor.resume(4, ids(&["b", "c", "d", "e"])), 2, "one removed before");
        assert_eq!(
            cursor.resume(6, ids(&["z", "a", "b", "c", "d", "e"])),
            4,
            "one added before"
        );
        assert_eq!(cursor.resume(4, ids(&["a", "b", "d", "e"])), 2, "the last one removed");
        assert_eq!(cursor.resume(2, ids(&["a", "b"])), 2, "past the end");
    }
}
