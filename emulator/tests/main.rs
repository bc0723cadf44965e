//! The emulator over HTTP: every endpoint's success and error cases against Graph's
//! documented shapes, the licensing semantics, throttling, faults and the admin API.
//! One emulator per test, on a free loopback port.

mod support;

mod admin_and_binary;
mod graph_reads;
mod licensing;
mod realism;
mod token;
