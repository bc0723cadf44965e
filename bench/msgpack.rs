//! msgpack decode and encode of a planned `entra_group_license_assignment` state holding
//! 1,000 licences (the value a large plan moves through the protocol).
//!
//!     cargo bench --bench msgpack

use std::time::Instant;

use terraform_provider_entra::provider::EntraProvider;
use terraform_provider_entra::tfplugin::{Provider, Value, msgpack};

fn main() {
    let resource = EntraProvider
        .resources()
        .into_iter()
        .find(|r| r.type_name() == "entra_group_license_assignment")
        .expect("resource");
    let ty = resource.schema().implied_type();
    let licenses = Value::Map(
        (0..1000)
            .map(|i| {
                let plans = Value::Set(
                    (0..5)
                        .map(|p| Value::string(format!("00000000-0000-4000-8000-{:012x}", i * 10 + p)))
                        .collect(),
                );
                (
                    format!("SKU_{i:04}"),
                    Value::object([("disabled_plans", plans), ("enabled_plans", Value::Null)]),
                )
            })
            .collect(),
    );
    let effective = Value::Map(
        (0..1000)
            .map(|i| {
                let item = Value::object([
                    ("sku_id", Value::string(format!("10000000-0000-4000-8000-{i:012x}"))),
                    ("sku_part_number", Value::string(format!("SKU_{i:04}"))),
                    (
                        "disabled_plan_ids",
                        Value::Set(
                            (0..5)
                                .map(|p| Value::string(format!("00000000-0000-4000-8000-{:012x}", i * 10 + p)))
                                .collect(),
                        ),
                    ),
                ]);
                (format!("SKU_{i:04}"), item)
            })
            .collect(),
    );
    let value = Value::object([
        ("id", Value::unknown()),
        ("group_id", Value::string("1132b215-826f-42a9-8cfe-1643d19d17fd")),
        ("licenses", licenses),
        ("effective_licenses", effective),
        ("license_processing_state", Value::unknown()),
        ("members_with_license_errors", Value::unknown()),
        ("member_license_errors", Value::unknown()),
    ]);
    let bytes = msgpack::encode(&value, &ty).expect("encodes");
    let iterations = 200;
    let mut decode = Vec::with_capacity(iterations);
    let mut encode = Vec::with_capacity(iterations);
    for _ in 0..iterations {
        let started = Instant::now();
        let decoded = msgpack::decode(&bytes, &ty).expect("decodes");
        decode.push(started.elapsed());
        let started = Instant::now();
        let encoded = msgpack::encode(&decoded, &ty).expect("encodes");
        encode.push(started.elapsed());
        assert_eq!(encoded.len(), bytes.len());
    }
    decode.sort();
    encode.sort();
    let ms = |d: std::time::Duration| d.as_secs_f64() * 1000.0;
    println!(
        "msgpack, planned state with 1,000 licences ({} bytes), {iterations} runs",
        bytes.len()
    );
    println!(
        "  decode median {:.3} ms (p90 {:.3} ms)",
        ms(decode[iterations / 2]),
        ms(decode[iterations * 9 / 10])
    );
    println!(
        "  encode median {:.3} ms (p90 {:.3} ms)",
        ms(encode[iterations / 2]),
        ms(encode[iterations * 9 / 10])
    );
}
