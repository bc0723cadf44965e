#!/usr/bin/env bash
# "Try the provider with your Terraform": README.md quotes this script from step 1 on, and
# tests/e2e_try.rs runs it. It builds the provider and the local Graph emulator, starts the
# emulator with the Contoso test tenant, points your terraform (from PATH) at the build, and
# plans and applies examples/try/main.tf in ./try. The emulator keeps running afterwards, so
# you can carry on in your own shell (the last lines say how).
set -euo pipefail
cd "$(dirname "$0")/.."

# 1. One release build of both binaries (about 5 minutes on 2 cores the first time).
cargo build --release --locked --workspace --bins

# 2. Start the local Graph emulator (Contoso tenant, a free port) in the background.
mkdir -p try
[ -f try/emulator.pid ] && kill "$(cat try/emulator.pid)" 2>/dev/null || true
rm -f try/terraform.tfstate try/terraform.tfstate.backup
target/release/entra-graph-emulator --listen 127.0.0.1:0 >try/emulator.log 2>&1 &
echo $! >try/emulator.pid
for _ in $(seq 100); do grep -q '^listening on ' try/emulator.log && break; sleep 0.1; done
url=$(sed -n 's/^listening on //p' try/emulator.log)
[ -n "$url" ] || { echo "The emulator did not start:"; cat try/emulator.log; false; }
echo "Graph emulator at $url"

# 3. The provider's settings: the emulator's Graph and token endpoints, and its test
#    application (tenant, client ID and secret from emulator/fixtures/contoso.json).
cat >try/env.sh <<ENV
export ENTRA_GRAPH_ENDPOINT=$url/v1.0
export ENTRA_AUTHORITY_ENDPOINT=$url
export ARM_TENANT_ID=48a80680-7326-48cd-9935-b556b81d3a4e
export ARM_CLIENT_ID=11111111-1111-4111-8111-111111111111
export ARM_CLIENT_SECRET=ci-secret-value
export ARM_USE_CLI=false
export TF_CLI_CONFIG_FILE=$PWD/dev.tfrc
ENV
. try/env.sh

# 4. Terraform runs the build in target/release instead of downloading the provider (a
#    development override: no terraform init, and a warning that says so).
cat >dev.tfrc <<TFRC
provider_installation {
  dev_overrides {
    "registry.terraform.io/entra/entra" = "$PWD/target/release"
  }
  direct {}
}
TFRC

# 5. Plan and apply examples/try/main.tf: groups looked up by name, licences for Marketing.
cp examples/try/main.tf try/
terraform -chdir=try plan -input=false
terraform -chdir=try apply -input=false -auto-approve

echo
echo "The emulator is still running (PID $(cat try/emulator.pid)). Carry on in your shell:"
echo "  . try/env.sh && terraform -chdir=try plan     # edit try/main.tf, then plan and apply"
echo "Stop the emulator with: kill \$(cat try/emulator.pid)"
