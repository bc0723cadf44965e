//! The `terraform-provider-entra` binary: Terraform starts it; people run it only with
//! `--debug` (reattach) or `--version`.

use std::process::ExitCode;

/// One thread: the provider waits on Terraform and Graph, it does not compute, and a
/// process that Terraform starts several times per command should be small and quick to
/// start (no worker threads, no per-thread allocator arenas).
#[tokio::main(flavor = "current_thread")]
async fn main() -> ExitCode {
    let mut debug = false;
    for argument in std::env::args().skip(1) {
        match argument.as_str() {
            "--debug" => debug = true,
            "--version" | "-v" => {
                println!("terraform-provider-entra {}", terraform_provider_entra::VERSION);
                return ExitCode::SUCCESS;
            }
            "--help" | "-h" => {
                println!(
                    "terraform-provider-entra {}: a Terraform provider; Terraform starts it.\n\n\
                     Options:\n  --debug    serve for TF_REATTACH_PROVIDERS (plaintext), stop with Ctrl-C\n  --version  print the version",
                    terraform_provider_entra::VERSION
                );
                return ExitCode::SUCCESS;
            }
            other => {
                eprintln!("unknown argument {other:?}; see --help");
                return ExitCode::from(2);
            }
        }
    }
    terraform_provider_entra::tfplugin::logging::init();
    let served = terraform_provider_entra::serve(debug).await;
    log_resource_usage();
    match served {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("{e}");
            ExitCode::FAILURE
        }
    }
}

/// One line, at exit, with this process's CPU time and peak memory (from `/proc/self`), so
/// that benchmarks can tell the provider's cost apart from Terraform's.
fn log_resource_usage() {
    let ticks_per_second = 100.0; // USER_HZ on Linux
    let stat = std::fs::read_to_string("/proc/self/stat").unwrap_or_default();
    // Fields after the command name, which is in parentheses and may contain spaces.
    let fields: Vec<&str> = stat
        .rsplit_once(')')
        .map(|(_, rest)| rest.split_whitespace().collect())
        .unwrap_or_default();
    let ticks = |index: usize| fields.get(index).and_then(|v| v.parse::<f64>().ok()).unwrap_or(0.0);
    let (user_ms, system_ms) = (
        ticks(11) / ticks_per_second * 1000.0,
        ticks(12) / ticks_per_second * 1000.0,
    );
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    let peak_kib = status
        .lines()
        .find(|l| l.starts_with("VmHWM:"))
        .and_then(|l| l.split_whitespace().nth(1))
        .unwrap_or("0");
    tracing::info!(
        cpu_user_ms = user_ms as u64,
        cpu_system_ms = system_ms as u64,
        peak_rss_kib = peak_kib,
        "Provider process exiting"
    );
}
