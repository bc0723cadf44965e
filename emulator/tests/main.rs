//! The emulator over HTTP: every endpoint's success and error cases against Graph's
//! documented shapes, the licensing semantics (nested groups, SKUs Graph extends, a SKU
//! held directly and from groups), throttling, faults (lost responses and cut connections
//! included), the continuity log, the admin API (tenants built in a test included), and
//! the directory queries of a plan on a group of 100,000 members.
//! One emulator per test, on a free loopback port.

mod support;

mod admin_and_binary;
mod admin_objects;
mod batching;
mod continuity;
mod direct_and_inherited;
mod graph_reads;
mod large_groups;
mod licensing;
mod lost_responses;
mod nested_groups;
mod queries;
mod realism;
mod selects;
mod token;
