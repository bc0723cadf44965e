//! The Graph routes under `/v1.0`: groups (with their members, nested groups included, and
//! the `microsoft.graph.user` / `microsoft.graph.group` casts), users and subscribed SKUs.
//! `$batch` is recognised here but run by the pipeline, since its items go through the
//! whole pipeline.
//!
//! Reads honour `$select` over every property Graph v1.0 declares (`properties`); without
//! it they return Graph's default set, so licensing properties (`assignedLicenses`,
//! `licenseProcessingState`, `licenseAssignmentStates`, `usageLocation`) appear only when
//! selected, as Graph documents. Collections page with `$top` (at most 999) and
//! `@odata.nextLink`, building only the objects of the page they answer, so that reading a
//! group of 100,000 members costs memory for one page, not for the group; `$count` (the
//! query option and the path segment) counts without building any object.

use std::collections::HashSet;
use std::sync::Arc;
use std::time::Duration;

use axum::http::Method;
use serde_json::{Map, Value as Json, json};

use crate::continuity::Cause;
use crate::properties::{
    GROUP, GROUP_DEFAULT, GROUP_NEVER_RETURNED, LICENSE_DETAILS, SKU, USER, USER_DEFAULT, group_property, user_property,
};
use crate::query::{self, Cursor, Filter, is_guid, segments};
use crate::request::{Caller, Incoming, Outgoing};
use crate::shared::Shared;
use crate::state::{self, LicenseChange, not_found};
use crate::tenant::AssignedLicense;

const READ_GROUPS: &[&str] = &[
    "Group.Read.All",
    "Group.ReadWrite.All",
    "GroupMember.Read.All",
    "Directory.Read.All",
    "Directory.ReadWrite.All",
    "LicenseAssignment.Read.All",
    "LicenseAssignment.ReadWrite.All",
];
const READ_MEMBERS: &[&str] = &[
    "GroupMember.Read.All",
    "Group.Read.All",
    "Group.ReadWrite.All",
    "Directory.Read.All",
    "Directory.ReadWrite.All",
];
const READ_USERS: &[&str] = &[
    "User.Read.All",
    "User.ReadWrite.All",
    "Directory.Read.All",
    "Directory.ReadWrite.All",
    "LicenseAssignment.Read.All",
    "LicenseAssignment.ReadWrite.All",
];
const READ_SKUS: &[&str] = &[
    "LicenseAssignment.Read.All",
    "LicenseAssignment.ReadWrite.All",
    "Organization.Read.All",
    "Organization.ReadWrite.All",
    "Directory.Read.All",
    "Directory.ReadWrite.All",
];
const ASSIGN_GROUP: &[&str] = &[
    "LicenseAssignment.ReadWrite.All",
    "Group.ReadWrite.All",
    "Directory.ReadWrite.All",
];
const ASSIGN_USER: &[&str] = &[
    "LicenseAssignment.ReadWrite.All",
    "User.ReadWrite.All",
    "Directory.ReadWrite.All",
];
const REPROCESS_USER: &[&str] = &[
    "User.ReadWrite.All",
    "Directory.ReadWrite.All",
    "LicenseAssignment.ReadWrite.All",
];

/// `POST /v1.0/$batch`, which the pipeline runs itself: its items go through the whole
/// pipeline, not just a route.
pub(crate) fn is_batch(request: &Incoming) -> bool {
    request.method == Method::POST && segments(request) == ["$batch"]
}

/// Routes one Graph request (any but `$batch`, see `is_batch`).
pub(crate) fn route(shared: &Arc<Shared>, request: &Incoming, caller: &Caller) -> Outgoing {
    let segments = segments(request);
    let segments: Vec<&str> = segments.iter().map(String::as_str).collect();
    let result = match (&request.method, segments.as_slice()) {
        (&Method::GET, ["subscribedSkus"]) => list_skus(shared, request, caller),
        (&Method::GET, ["subscribedSkus", id]) => get_sku(shared, request, caller, id),
        (&Method::GET, ["groups"]) => list_groups(shared, request, caller, Answer::Page),
        (&Method::GET, ["groups", "$count"]) => list_groups(shared, request, caller, Answer::Count),
        (&Method::GET, ["groups", id]) => get_group(shared, request, caller, id),
        (&Method::POST, ["groups", id, "assignLicense"]) => assign_group(shared, request, caller, id),
        (&Method::GET, ["groups", id, "members", rest @ ..]) => match rest {
            [] => members(shared, request, caller, id, Members::All, Answer::Page),
            ["$count"] => members(shared, request, caller, id, Members::All, Answer::Count),
            ["microsoft.graph.user"] => members(shared, request, caller, id, Members::Users, Answer::Page),
            ["microsoft.graph.user", "$count"] => members(shared, request, caller, id, Members::Users, Answer::Count),
            ["microsoft.graph.group"] => members(shared, request, caller, id, Members::Groups, Answer::Page),
            ["microsoft.graph.group", "$count"] => members(shared, request, caller, id, Members::Groups, Answer::Count),
            [.., last] => Err(caller.error(
                400,
                "BadRequest",
                &format!("Resource not found for the segment '{last}'."),
            )),
        },
        (&Method::GET, ["groups", id, "membersWithLicenseErrors"]) => {
            members(shared, request, caller, id, Members::WithLicenseErrors, Answer::Page)
        }
        (&Method::GET, ["users"]) => list_users(shared, request, caller, Answer::Page),
        (&Method::GET, ["users", "$count"]) => list_users(shared, request, caller, Answer::Count),
        (&Method::GET, ["users", id]) => get_user(shared, request, caller, id),
        (&Method::POST, ["users", id, "assignLicense"]) => assign_user(shared, request, caller, id),
        (&Method::POST, ["users", id, "reprocessLicenseAssignment"]) => reprocess_user(shared, request, caller, id),
        (&Method::GET, ["users", id, "licenseDetails"]) => license_details(shared, request, caller, id),
        (_, [.., last]) => Err(caller.error(
            400,
            "BadRequest",
            &format!("Resource not found for the segment '{last}'."),
        )),
        _ => Err(caller.error(400, "BadRequest", "Invalid request.")),
    };
    result.unwrap_or_else(|error| error)
}

type Route = Result<Outgoing, Outgoing>;

/// The names in `$select`, if there is one.
fn asked(request: &Incoming) -> Option<Vec<&str>> {
    request
        .query("$select")
        .map(|list| list.split(',').map(str::trim).filter(|s| !s.is_empty()).collect())
}

/// The 400 Graph answers for a name the type does not have.
fn unknown_property(caller: &Caller, name: &str, type_name: &str) -> Outgoing {
    caller.error(
        400,
        "Request_BadRequest",
        &format!("Could not find a property named '{name}' on type 'microsoft.graph.{type_name}'."),
    )
}

/// The properties a read returns: those `$select` names (any case, in Graph's spelling),
/// else `defaults`. A name the type does not declare is a 400, as Graph answers.
fn properties(
    request: &Incoming,
    caller: &Caller,
    defaults: &'static [&'static str],
    known: &'static [&'static str],
    type_name: &str,
) -> Result<Vec<&'static str>, Outgoing> {
    match asked(request) {
        None => Ok(defaults.to_vec()),
        Some(names) => names
            .into_iter()
            .map(|name| {
                known
                    .iter()
                    .find(|k| k.eq_ignore_ascii_case(name))
                    .copied()
                    .ok_or_else(|| unknown_property(caller, name, type_name))
            })
            .collect(),
    }
}

/// An object of `names`, each valued by `value`.
fn build(names: &[&str], value: impl Fn(&str) -> Json) -> Json {
    Json::Object(
        names
            .iter()
            .map(|name| ((*name).to_owned(), value(name)))
            .collect::<Map<_, _>>(),
    )
}

pub(crate) fn user_object(directory: &state::Directory, user: &state::User, names: &[&str]) -> Json {
    build(names, |name| user_property(directory, user, name))
}

pub(crate) fn group_object(directory: &state::Directory, group: &state::Group, names: &[&str]) -> Json {
    let returned: Vec<&str> = names
        .iter()
        .copied()
        .filter(|n| !GROUP_NEVER_RETURNED.contains(n))
        .collect();
    build(&returned, |name| group_property(directory, group, name))
}

/// An object of `names`, valued from an entity already in Graph's shape.
fn pick(entity: &Json, names: &[&str]) -> Json {
    build(names, |name| entity.get(name).cloned().unwrap_or(Json::Null))
}

fn with_context(mut value: Json, shared: &Shared, context: &str) -> Json {
    if let Json::Object(map) = &mut value {
        map.insert(
            "@odata.context".into(),
            json!(format!("{}/v1.0/$metadata#{context}", shared.base_url)),
        );
    }
    value
}

/// What a collection read answers: a page of objects, or (the `$count` path segment) only
/// their number, as `text/plain`.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Answer {
    Page,
    Count,
}

/// A read of a directory collection, checked against the rules of advanced queries.
struct Read {
    /// `$count=true`: `@odata.count` on the first page.
    count: bool,
    /// The `$filter`, if any.
    filter: Option<Filter>,
    /// The page size (`$top`, default 100).
    top: usize,
    /// Where the page resumes (`$skiptoken`).
    resume: Option<Cursor>,
}

/// Query options Graph has on directory collections that the emulator does not model:
/// refused, never silently ignored, so that a client relying on one finds out.
const NOT_ANSWERED: &[&str] = &["$orderby", "$search", "$expand", "$skip"];

/// Checks a read of a directory collection against the rules of advanced queries
/// (<https://learn.microsoft.com/graph/aad-advanced-queries>): `$count`, as a query option or
/// as a path segment, needs `ConsistencyLevel: eventual`, else Graph's 400 "$count is not
/// currently supported." (Graph documents it for the segment and silently ignores
/// `$count=true`; the emulator refuses both, so that a client never trusts a count it did
/// not get). A `$filter` must be one of the forms `accepted` names, else 400
/// `Request_UnsupportedQuery`; on a `relationship` (members) every `$filter` is an
/// advanced query and also needs the header and `$count`. `$top` is 1 to 999, and
/// `$skiptoken` one the emulator wrote. `NOT_ANSWERED` options are refused.
fn read_query(
    request: &Incoming,
    caller: &Caller,
    answer: Answer,
    relationship: bool,
    accepted: impl Fn(&Filter) -> bool,
) -> Result<Read, Outgoing> {
    if let Some((name, _)) = request
        .query
        .iter()
        .find(|(k, _)| NOT_ANSWERED.iter().any(|n| n.eq_ignore_ascii_case(k)))
    {
        return Err(caller.error(
            400,
            "Request_UnsupportedQuery",
            &format!("The emulator does not answer {name} on this collection."),
        ));
    }
    let eventual = query::eventual(request);
    let count = query::count_option(request);
    let counting = count || answer == Answer::Count;
    if counting && !eventual {
        return Err(caller.error(400, "Request_BadRequest", "$count is not currently supported."));
    }
    let filter = match request.query("$filter").map(str::trim) {
        None => None,
        Some(text) => {
            let unsupported = || {
                caller.error(
                    400,
                    "Request_UnsupportedQuery",
                    &format!("Unsupported or invalid query filter clause specified: {text}."),
                )
            };
            let filter = Filter::parse(text).filter(&accepted).ok_or_else(unsupported)?;
            if relationship && !(eventual && counting) {
                return Err(unsupported());
            }
            Some(filter)
        }
    };
    let (top, resume) = match answer {
        Answer::Count => (0, None),
        Answer::Page => (query::page_size(request, caller, 100)?, query::cursor(request, caller)?),
    };
    Ok(Read {
        count,
        filter,
        top,
        resume,
    })
}

/// The SKU a filter asks for, as the tenant spells it: `Some(None)` for a SKU the tenant
/// does not have (nothing holds it), `None` without a licence filter.
fn held_sku<'a>(directory: &'a state::Directory, filter: Option<&Filter>) -> Option<Option<&'a str>> {
    match filter {
        Some(Filter::Holding(sku)) => Some(directory.sku(sku).map(|s| s.sku_id.as_str())),
        _ => None,
    }
}

/// The users a licence filter lets through: all (`None`, no filter), none (an unknown
/// SKU), or the SKU's holders (effective licences, direct and inherited), a set: a user is
/// checked without being read.
fn holders_of<'a>(directory: &'a state::Directory, sku: Option<Option<&str>>) -> Option<Option<&'a HashSet<String>>> {
    sku.map(|sku| sku.and_then(|sku| directory.holders.get(sku)))
}

/// Whether the user `id` passes [`holders_of`]'s filter.
fn passes(holders: Option<Option<&HashSet<String>>>, id: &str) -> bool {
    holders.is_none_or(|set| set.is_some_and(|set| set.contains(id)))
}

/// Whether a group's own licences pass a licence filter.
fn group_holds(directory: &state::Directory, group: &state::Group, sku: Option<Option<&str>>) -> bool {
    match sku {
        None => true,
        Some(None) => false,
        Some(Some(sku)) => directory
            .visible_group_licenses(group)
            .iter()
            .any(|l| l.sku_id.eq_ignore_ascii_case(sku)),
    }
}

/// One page of a collection, filled in the collection's order: at most `top` objects,
/// each built only when it is on the page, and whether another match follows.
struct Pager {
    top: usize,
    value: Vec<Json>,
    last: Option<Cursor>,
    more: bool,
}

impl Pager {
    fn new(top: usize) -> Self {
        Self {
            top,
            value: Vec::new(),
            last: None,
            more: false,
        }
    }

    /// Offers the next matching item, at `position` in the collection: false once the page
    /// is full and this item starts the next one, when the caller stops.
    fn offer(&mut self, position: usize, id: &str, object: impl FnOnce() -> Json) -> bool {
        if self.value.len() >= self.top {
            self.more = true;
            return false;
        }
        self.value.push(object());
        self.last = Some(Cursor {
            position: position + 1,
            last: id.to_owned(),
        });
        true
    }

    /// The answer: `@odata.count` (given only for a first page: Graph returns it "only in
    /// the first page", <https://learn.microsoft.com/graph/paging>), `value`, and
    /// `@odata.nextLink` with the request's own query, `$top` and an opaque `$skiptoken`.
    fn answer(self, shared: &Shared, request: &Incoming, context: &str, count: Option<usize>) -> Outgoing {
        let mut body = json!({"@odata.context": format!("{}/v1.0/$metadata#{context}", shared.base_url)});
        if let Some(count) = count {
            body["@odata.count"] = json!(count);
        }
        body["value"] = Json::Array(self.value);
        if let (true, Some(cursor)) = (self.more, self.last) {
            let mut query: Vec<(String, String)> = request
                .query
                .iter()
                .filter(|(k, _)| !k.eq_ignore_ascii_case("$skiptoken") && !k.eq_ignore_ascii_case("$top"))
                .cloned()
                .collect();
            query.push(("$top".into(), self.top.to_string()));
            query.push(("$skiptoken".into(), cursor.encode()));
            let encoded = serde_urlencoded::to_string(&query).unwrap_or_default();
            body["@odata.nextLink"] = json!(format!("{}{}?{encoded}", shared.base_url, request.path));
        }
        Outgoing::json(200, body)
    }
}

/// The `$count` path segment's answer: the number, as `text/plain`.
fn count_answer(count: usize) -> Outgoing {
    Outgoing::text(200, count.to_string())
}

fn list_skus(shared: &Shared, request: &Incoming, caller: &Caller) -> Route {
    caller.require(READ_SKUS)?;
    if request.query("$filter").is_some() {
        return Err(caller.error(
            400,
            "Request_UnsupportedQuery",
            "The subscribedSkus collection does not support $filter.",
        ));
    }
    let names = properties(request, caller, SKU, SKU, "subscribedSku")?;
    let directory = shared.directory.lock().expect("directory");
    let items: Vec<Json> = directory
        .skus
        .iter()
        .map(|s| pick(&directory.sku_json(s), &names))
        .collect();
    Ok(Outgoing::json(
        200,
        json!({"@odata.context": format!("{}/v1.0/$metadata#subscribedSkus", shared.base_url), "value": items}),
    ))
}

fn get_sku(shared: &Shared, request: &Incoming, caller: &Caller, id: &str) -> Route {
    caller.require(READ_SKUS)?;
    let directory = shared.directory.lock().expect("directory");
    let sku_id = id.rsplit('_').next().unwrap_or(id);
    let sku = directory
        .sku(sku_id)
        .filter(|_| id.contains('_'))
        .ok_or_else(|| caller.rejection(not_found(id)))?;
    let names = properties(request, caller, SKU, SKU, "subscribedSku")?;
    let value = pick(&directory.sku_json(sku), &names);
    Ok(Outgoing::json(
        200,
        with_context(value, shared, "subscribedSkus/$entity"),
    ))
}

/// `GET /groups` and `/groups/$count`. `$filter`: `displayName eq '…'` and
/// `assignedLicenses/any(x:x/skuId eq …)` (default queries: the group resource documents
/// `$filter` (`eq`) on both), and `hasMembersWithLicenseErrors eq true`, which is refused
/// with `ConsistencyLevel: eventual`, as documented.
fn list_groups(shared: &Shared, request: &Incoming, caller: &Caller, answer: Answer) -> Route {
    caller.require(READ_GROUPS)?;
    let read = read_query(request, caller, answer, false, |_| true)?;
    if read.filter == Some(Filter::MembersWithLicenseErrors) && query::eventual(request) {
        return Err(caller.error(400, "Request_UnsupportedQuery", "Unsupported or invalid query filter clause specified for property 'hasMembersWithLicenseErrors' of resource 'Group'."));
    }
    let names = match answer {
        Answer::Page => properties(request, caller, GROUP_DEFAULT, GROUP, "group")?,
        Answer::Count => Vec::new(),
    };
    let directory = shared.directory.lock().expect("directory");
    let sku = held_sku(&directory, read.filter.as_ref());
    let matches = |g: &state::Group| match &read.filter {
        None | Some(Filter::Holding(_)) => group_holds(&directory, g, sku),
        Some(Filter::DisplayName(name)) => g.file.display_name == *name,
        Some(Filter::MembersWithLicenseErrors) => g
            .file
            .members
            .iter()
            .any(|m| directory.users.get(m).is_some_and(|u| u.in_error_from(&g.file.id))),
    };
    // Creation order: `group_order` only grows, so positions in it are stable.
    let order = &directory.group_order;
    let count = || match read.filter {
        None => directory.groups.len(),
        Some(_) => directory.groups.values().filter(|g| matches(g)).count(),
    };
    if answer == Answer::Count {
        return Ok(count_answer(count()));
    }
    let start = read
        .resume
        .as_ref()
        .map_or(0, |c| c.resume(order.len(), |i| order.get(i).map(String::as_str)));
    let mut pager = Pager::new(read.top);
    for (position, id) in order.iter().enumerate().skip(start) {
        let Some(group) = directory.groups.get(id).filter(|g| matches(g)) else {
            continue;
        };
        if !pager.offer(position, id, || group_object(&directory, group, &names)) {
            break;
        }
    }
    let count = (read.count && read.resume.is_none()).then(count);
    Ok(pager.answer(shared, request, "groups", count))
}

/// `GET /users` and `/users/$count`, in object-ID order. `$filter`:
/// `assignedLicenses/any(x:x/skuId eq …)` on the effective licences (direct and
/// inherited), a default query on users (the user `$filter` table of
/// <https://learn.microsoft.com/graph/aad-advanced-queries> marks `eq` on `assignedLicenses`
/// "default"; <https://learn.microsoft.com/graph/filter-query-parameter> shows it without
/// the header).
fn list_users(shared: &Shared, request: &Incoming, caller: &Caller, answer: Answer) -> Route {
    caller.require(READ_USERS)?;
    let read = read_query(request, caller, answer, false, |f| matches!(f, Filter::Holding(_)))?;
    let names = match answer {
        Answer::Page => properties(request, caller, USER_DEFAULT, USER, "user")?,
        Answer::Count => Vec::new(),
    };
    let directory = shared.directory.lock().expect("directory");
    let holders = holders_of(&directory, held_sku(&directory, read.filter.as_ref()));
    let count = || match holders {
        None => directory.users.len(),
        Some(set) => set.map_or(0, HashSet::len),
    };
    if answer == Answer::Count {
        return Ok(count_answer(count()));
    }
    // Users are kept by ID: a page resumes after the last ID it returned, whatever changed.
    let after = read.resume.as_ref().map(|c| c.last.as_str());
    let users = directory.users.range::<str, _>((
        after.map_or(std::ops::Bound::Unbounded, std::ops::Bound::Excluded),
        std::ops::Bound::Unbounded,
    ));
    let mut pager = Pager::new(read.top);
    for (position, (id, user)) in users.enumerate() {
        if passes(holders, id) && !pager.offer(position, id, || user_object(&directory, user, &names)) {
            break;
        }
    }
    let count = (read.count && read.resume.is_none()).then(count);
    Ok(pager.answer(shared, request, "users", count))
}

fn get_group(shared: &Shared, request: &Incoming, caller: &Caller, id: &str) -> Route {
    caller.require(READ_GROUPS)?;
    let directory = shared.directory.lock().expect("directory");
    let group = directory
        .group_id(id)
        .and_then(|id| directory.groups.get(&id))
        .ok_or_else(|| caller.rejection(not_found(id)))?;
    let names = properties(request, caller, GROUP_DEFAULT, GROUP, "group")?;
    let value = group_object(&directory, group, &names);
    Ok(Outgoing::json(200, with_context(value, shared, "groups/$entity")))
}

/// Which members a members read lists.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Members {
    /// `…/members`: users and nested groups, each with its `@odata.type`.
    All,
    /// `…/members/microsoft.graph.user`: the users only.
    Users,
    /// `…/members/microsoft.graph.group`: the nested groups only.
    Groups,
    /// `…/membersWithLicenseErrors`: users whose licences from this group are in error.
    WithLicenseErrors,
}

/// `$select` on a collection of directory objects (users and groups): each name must exist
/// on one of the types, and each object shows the names its type has.
fn directory_object_properties(
    request: &Incoming,
    caller: &Caller,
) -> Result<(Vec<&'static str>, Vec<&'static str>), Outgoing> {
    let Some(names) = asked(request) else {
        return Ok((USER_DEFAULT.to_vec(), GROUP_DEFAULT.to_vec()));
    };
    let (mut users, mut groups) = (Vec::new(), Vec::new());
    for name in names {
        let on_user = USER.iter().find(|k| k.eq_ignore_ascii_case(name)).copied();
        let on_group = GROUP.iter().find(|k| k.eq_ignore_ascii_case(name)).copied();
        if on_user.is_none() && on_group.is_none() {
            return Err(unknown_property(caller, name, "directoryObject"));
        }
        users.extend(on_user);
        groups.extend(on_group);
    }
    Ok((users, groups))
}

/// A members read: `…/members`, its casts, `membersWithLicenseErrors`, or their `$count`.
/// Advanced queries (<https://learn.microsoft.com/graph/aad-advanced-queries>; the
/// `ConsistencyLevel` header of <https://learn.microsoft.com/graph/api/group-list-members>):
/// `$count` and `$filter=assignedLicenses/any(x:x/skuId eq {skuId})`, which keeps members
/// holding the SKU (users: their effective licences; groups: their own); see `read_query`.
///
/// The group's member list is never copied: a page walks it from where the previous page
/// ended and builds only the objects it returns, and a count without a filter is the
/// length of the list.
fn members(shared: &Shared, request: &Incoming, caller: &Caller, id: &str, which: Members, answer: Answer) -> Route {
    caller.require(READ_MEMBERS)?;
    let read = read_query(request, caller, answer, true, |f| matches!(f, Filter::Holding(_)))?;
    let directory = shared.directory.lock().expect("directory");
    let group_id = directory.group_id(id).ok_or_else(|| caller.rejection(not_found(id)))?;
    let group = &directory.groups[&group_id];
    let (user_names, group_names) = match (answer, which) {
        (Answer::Count, _) => (Vec::new(), Vec::new()),
        (_, Members::All) => directory_object_properties(request, caller)?,
        (_, Members::Users | Members::WithLicenseErrors) => {
            (properties(request, caller, USER_DEFAULT, USER, "user")?, Vec::new())
        }
        (_, Members::Groups) => (Vec::new(), properties(request, caller, GROUP_DEFAULT, GROUP, "group")?),
    };
    let typed = |mut value: Json, type_name: &str| {
        if which != Members::Users && which != Members::Groups {
            value["@odata.type"] = json!(format!("#microsoft.graph.{type_name}"));
        }
        value
    };
    let users: &[String] = match which {
        Members::Groups => &[],
        _ => &group.file.members,
    };
    let groups: &[String] = match which {
        Members::All | Members::Groups => &group.file.group_members,
        _ => &[],
    };
    let sku = held_sku(&directory, read.filter.as_ref());
    let holders = holders_of(&directory, sku);
    let user_at = |id: &String| {
        if !passes(holders, id) {
            return None;
        }
        directory
            .users
            .get(id)
            .filter(|u| which != Members::WithLicenseErrors || u.in_error_from(&group_id))
    };
    let group_at = |id: &String| directory.groups.get(id).filter(|g| group_holds(&directory, g, sku));
    let count = || {
        let users = match holders {
            None if which != Members::WithLicenseErrors => users.len(),
            // Fewer holders than members: which holders are members, by their memberships.
            Some(Some(set)) if which != Members::WithLicenseErrors && set.len() < users.len() => set
                .iter()
                .filter(|u| directory.memberships.get(*u).is_some_and(|p| p.contains(&group.order)))
                .count(),
            _ => users.iter().filter(|m| user_at(m).is_some()).count(),
        };
        users + groups.iter().filter(|g| group_at(g).is_some()).count()
    };
    if answer == Answer::Count {
        return Ok(count_answer(count()));
    }
    // Users first, then nested groups, as one sequence of positions.
    let len = users.len() + groups.len();
    let id_at = |i: usize| match i.checked_sub(users.len()) {
        None => users.get(i).map(String::as_str),
        Some(g) => groups.get(g).map(String::as_str),
    };
    let start = read.resume.as_ref().map_or(0, |c| c.resume(len, id_at));
    // A first page with `$count=true`: once every match is on the page, nothing follows.
    let count = (read.count && read.resume.is_none()).then(count);
    let mut pager = Pager::new(read.top);
    for position in start..len {
        if count.is_some_and(|count| pager.value.len() >= count) {
            break;
        }
        let more = if position < users.len() {
            let id = &users[position];
            match user_at(id) {
                Some(u) => pager.offer(position, id, || typed(user_object(&directory, u, &user_names), "user")),
                None => true,
            }
        } else {
            let id = &groups[position - users.len()];
            match group_at(id) {
                Some(g) => pager.offer(position, id, || {
                    typed(group_object(&directory, g, &group_names), "group")
                }),
                None => true,
            }
        };
        if !more {
            break;
        }
    }
    let context = match which {
        Members::Users => "users",
        Members::Groups => "groups",
        Members::All | Members::WithLicenseErrors => "directoryObjects",
    };
    Ok(pager.answer(shared, request, context, count))
}

fn get_user(shared: &Shared, request: &Incoming, caller: &Caller, id: &str) -> Route {
    caller.require(READ_USERS)?;
    let directory = shared.directory.lock().expect("directory");
    let user = directory
        .user_id(id)
        .and_then(|id| directory.users.get(&id))
        .ok_or_else(|| caller.rejection(not_found(id)))?;
    let names = properties(request, caller, USER_DEFAULT, USER, "user")?;
    let value = user_object(&directory, user, &names);
    Ok(Outgoing::json(200, with_context(value, shared, "users/$entity")))
}

fn license_details(shared: &Shared, request: &Incoming, caller: &Caller, id: &str) -> Route {
    caller.require(READ_USERS)?;
    let names = properties(request, caller, LICENSE_DETAILS, LICENSE_DETAILS, "licenseDetails")?;
    let directory = shared.directory.lock().expect("directory");
    let user = directory
        .user_id(id)
        .and_then(|id| directory.users.get(&id))
        .ok_or_else(|| caller.rejection(not_found(id)))?;
    let value: Vec<Json> = user
        .effective
        .iter()
        .filter_map(|(sku_id, disabled)| {
            let sku = directory.sku(sku_id)?;
            let details = json!({
                "id": format!("{}_{}", user.file.id, sku.sku_id),
                "skuId": sku.sku_id,
                "skuPartNumber": sku.sku_part_number,
                "servicePlans": sku.service_plans.iter().map(|p| json!({
                    "servicePlanId": p.service_plan_id,
                    "servicePlanName": p.service_plan_name,
                    "provisioningStatus": if disabled.contains(&p.service_plan_id) { "Disabled" } else { "Success" },
                    "appliesTo": p.applies_to,
                })).collect::<Vec<_>>(),
            });
            Some(pick(&details, &names))
        })
        .collect();
    Ok(Outgoing::json(
        200,
        json!({"@odata.context": format!("{}/v1.0/$metadata#users('{id}')/licenseDetails", shared.base_url), "value": value}),
    ))
}

const NOT_A_GUID: &str =
    "Cannot convert a primitive value to the expected type 'Edm.Guid'. See the inner exception for more details";

/// Parses an assignLicense body as Graph does: both parameters required, exact property
/// names, GUIDs checked.
fn parse_license_change(body: &[u8], caller: &Caller) -> Result<LicenseChange, Outgoing> {
    let bad = |message: &str| caller.error(400, "Request_BadRequest", message);
    let json: Json = serde_json::from_slice(body)
        .map_err(|_| caller.error(400, "BadRequest", "Unable to read JSON request payload. Please ensure Content-Type header is set and payload is of valid JSON format."))?;
    let object = json
        .as_object()
        .ok_or_else(|| bad("The request payload must be a JSON object."))?;
    if let Some(unknown) = object.keys().find(|k| *k != "addLicenses" && *k != "removeLicenses") {
        return Err(bad(&format!(
            "The parameter '{unknown}' in the request payload is not a valid parameter for the operation 'assignLicense'."
        )));
    }
    let missing: Vec<&str> = ["addLicenses", "removeLicenses"]
        .into_iter()
        .filter(|k| !object.contains_key(*k))
        .collect();
    if !missing.is_empty() {
        return Err(bad(&format!(
            "One or more parameters of the operation 'assignLicense' are missing from the request payload. The missing parameters are: {}.",
            missing.join(", ")
        )));
    }
    let guid = |value: &Json| {
        value
            .as_str()
            .filter(|s| is_guid(s))
            .map(str::to_owned)
            .ok_or_else(|| bad(NOT_A_GUID))
    };
    let add = object["addLicenses"]
        .as_array()
        .ok_or_else(|| bad("The value for parameter 'addLicenses' must be a collection."))?;
    let mut change = LicenseChange::default();
    for item in add {
        let item = item
            .as_object()
            .ok_or_else(|| bad("An element of 'addLicenses' must be an assignedLicense object."))?;
        if let Some(unknown) = item.keys().find(|k| *k != "skuId" && *k != "disabledPlans") {
            return Err(bad(&format!(
                "Property '{unknown}' does not exist on type 'microsoft.graph.assignedLicense'. Make sure to only use property names that are defined by the type."
            )));
        }
        let sku_id = guid(item.get("skuId").unwrap_or(&Json::Null))?;
        let disabled_plans = match item.get("disabledPlans") {
            None => Vec::new(),
            Some(Json::Array(plans)) => plans.iter().map(guid).collect::<Result<_, _>>()?,
            Some(_) => {
                return Err(bad(
                    "The property 'disabledPlans' must be a collection of Edm.Guid and cannot be null.",
                ));
            }
        };
        change.add.push(AssignedLicense { sku_id, disabled_plans });
    }
    let remove = object["removeLicenses"]
        .as_array()
        .ok_or_else(|| bad("The value for parameter 'removeLicenses' must be a collection."))?;
    change.remove = remove.iter().map(guid).collect::<Result<_, _>>()?;
    Ok(change)
}

fn assign_group(shared: &Arc<Shared>, request: &Incoming, caller: &Caller, id: &str) -> Route {
    caller.require(ASSIGN_GROUP)?;
    let change = parse_license_change(&request.body, caller)?;
    let realism = shared.realism();
    let mut directory = shared.directory.lock().expect("directory");
    let group_id = directory.group_id(id).ok_or_else(|| caller.rejection(not_found(id)))?;
    if realism.strict_remove {
        let current = &directory.groups[&group_id].file.assigned_licenses;
        if change
            .remove
            .iter()
            .any(|r| !current.iter().any(|l| l.sku_id.eq_ignore_ascii_case(r)))
        {
            return Err(caller.error(
                400,
                "Request_BadRequest",
                "Group does not have a corresponding license.",
            ));
        }
    }
    let generation = directory
        .change_group_licenses(&group_id, &change, Duration::from_millis(realism.read_after_write_ms))
        .map_err(|r| caller.rejection(r))?;
    let cause = Cause::graph(&caller.request_id, request.method.as_str(), &request.path);
    if realism.processing_delay_ms == 0 {
        directory.process_group(&group_id, &cause);
    } else {
        let delay = Duration::from_millis(realism.processing_delay_ms);
        let shared = Arc::clone(shared);
        let group_id = group_id.clone();
        tokio::spawn(async move {
            tokio::time::sleep(delay).await;
            {
                let mut directory = shared.directory.lock().expect("directory");
                match directory.groups.get_mut(&group_id) {
                    Some(g) if g.generation == generation => g.processing_state = state::IN_PROGRESS,
                    _ => return,
                }
            }
            tokio::time::sleep(delay).await;
            let mut directory = shared.directory.lock().expect("directory");
            if directory
                .groups
                .get(&group_id)
                .is_some_and(|g| g.generation == generation)
            {
                directory.process_group(&group_id, &cause);
            }
        });
    }
    let body = group_object(&directory, &directory.groups[&group_id], GROUP_DEFAULT);
    let location = format!(
        "{}/v2/{}/directoryObjects/{group_id}/Microsoft.DirectoryServices.Group",
        shared.base_url, directory.tenant_id
    );
    Ok(Outgoing::json(202, with_context(body, shared, "groups/$entity")).header("location", location))
}

fn assign_user(shared: &Shared, request: &Incoming, caller: &Caller, id: &str) -> Route {
    caller.require(ASSIGN_USER)?;
    let change = parse_license_change(&request.body, caller)?;
    let mut directory = shared.directory.lock().expect("directory");
    let user_id = directory.user_id(id).ok_or_else(|| caller.rejection(not_found(id)))?;
    let cause = Cause::graph(&caller.request_id, request.method.as_str(), &request.path);
    directory
        .change_user_licenses(&user_id, &change, &cause)
        .map_err(|r| caller.rejection(r))?;
    let value = user_object(
        &directory,
        &directory.users[&user_id],
        &["id", "displayName", "userPrincipalName", "assignedLicenses"],
    );
    Ok(Outgoing::json(200, with_context(value, shared, "users/$entity")))
}

fn reprocess_user(shared: &Shared, request: &Incoming, caller: &Caller, id: &str) -> Route {
    caller.require(REPROCESS_USER)?;
    let mut directory = shared.directory.lock().expect("directory");
    let user_id = directory.user_id(id).ok_or_else(|| caller.rejection(not_found(id)))?;
    let cause = Cause::graph(&caller.request_id, request.method.as_str(), &request.path);
    directory.evaluate_user(&user_id, &cause);
    let value = user_object(&directory, &directory.users[&user_id], USER_DEFAULT);
    Ok(Outgoing::json(200, with_context(value, shared, "users/$entity")))
}
