//! The `terraform-provider-entra` binary: Terraform starts it; people run it only with
//! `--debug` (reattach) or `--version`.

use std::process::ExitCode;

#[tokio::main]
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
    match terraform_provider_entra::serve(debug).await {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("{e}");
            ExitCode::FAILURE
        }
    }
}
