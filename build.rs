//! Compiles the plugin protocol from `proto/` with the protoc binary shipped inside the
//! `protoc-bin-vendored` crate, so a fresh machine needs no system `protoc`.
//!
//! The client side is generated too: the protocol tests in `tests/` and the benchmarks
//! drive the provider the way Terraform does, and a build script cannot see `cfg(test)`.
//! Default stubs answer `Unimplemented` for the RPCs we do not serve (state stores,
//! ephemeral resources, functions), which Terraform only calls when a provider declares them.

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut config = prost_build::Config::new();
    config.protoc_executable(protoc_bin_vendored::protoc_bin_path()?);
    let includes = [std::path::PathBuf::from("proto"), protoc_bin_vendored::include_path()?];
    tonic_prost_build::configure()
        .build_server(true)
        .build_client(true)
        .generate_default_stubs(true)
        .compile_with_config(
            config,
            &["proto/tfplugin6.proto", "proto/go_plugin.proto"].map(std::path::PathBuf::from),
            &includes,
        )?;
    println!("cargo:rerun-if-changed=proto");
    Ok(())
}
