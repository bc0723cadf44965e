#![no_main]
libfuzzer_sys::fuzz_target!(|data: &[u8]| terraform_provider_entra::fuzzing::handshake_environment(data));
