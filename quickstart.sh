#!/usr/bin/env bash
# Quick start: build the provider, start the local Graph emulator, and run Terraform on
# examples/quickstart: plan, apply, an out-of-band change and the drift it shows, a final
# empty plan, and destroy. Needs only Rust (cargo) and terraform. Exits non-zero on any
# failure.
set -euo pipefail
cd "$(dirname "$0")"

terraform=${TERRAFORM:-terraform}
command -v "$terraform" >/dev/null || { echo "quickstart: terraform is not on PATH (or set TERRAFORM)" >&2; exit 1; }

step() { printf '\n\033[1m== %s\033[0m\n' "$*"; }

step "Building the provider and the emulator (release)"
cargo build --release --locked -p terraform-provider-entra -p entra-graph-emulator --bins

work=$(mktemp -d)
emulator_pid=""
cleanup() {
  [ -n "$emulator_pid" ] && kill "$emulator_pid" 2>/dev/null && wait "$emulator_pid" 2>/dev/null
  rm -rf "$work"
}
trap cleanup EXIT

step "Starting the Graph emulator (Contoso tenant)"
target/release/entra-graph-emulator --listen 127.0.0.1:0 --tenant emulator/fixtures/contoso.json >"$work/emulator.log" 2>&1 &
emulator_pid=$!
for _ in $(seq 1 100); do
  grep -q '^listening on ' "$work/emulator.log" 2>/dev/null && break
  sleep 0.1
done
base=$(sed -n 's/^listening on //p' "$work/emulator.log" | head -n 1)
[ -n "$base" ] || { echo "quickstart: the emulator did not start" >&2; cat "$work/emulator.log" >&2; exit 1; }
port=${base##*:}
echo "Graph emulator at $base"

# An administrator's change in the portal, through the emulator's admin API (plain bash).
admin_post() {
  local path=$1 body=$2
  exec 3<>"/dev/tcp/127.0.0.1/$port"
  printf 'POST %s HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nContent-Length: %d\r\nConnection: close\r\n\r\n%s' \
    "$path" "${#body}" "$body" >&3
  head -n 1 <&3
  exec 3<&-
}

# The provider reads the same variables as in a pipeline; here they point at the emulator.
export ARM_TENANT_ID=48a80680-7326-48cd-9935-b556b81d3a4e
export ARM_CLIENT_ID=11111111-1111-4111-8111-111111111111
export ARM_CLIENT_SECRET=ci-secret-value
export ENTRA_GRAPH_ENDPOINT="$base/v1.0"
export ENTRA_AUTHORITY_ENDPOINT="$base"
export CHECKPOINT_DISABLE=1
unset TF_CLI_ARGS
cat >"$work/cli.tfrc" <<TFRC
provider_installation {
  dev_overrides {
    "registry.terraform.io/entra/entra" = "$PWD/target/release"
  }
  direct {}
}
TFRC
export TF_CLI_CONFIG_FILE="$work/cli.tfrc"
cp examples/quickstart/*.tf "$work/"
cd "$work"

step "terraform plan: licences resolved and validated against the tenant, and a seat forecast"
"$terraform" plan -no-color -input=false

step "terraform apply: one assignLicense call; member licence errors reported"
"$terraform" apply -auto-approve -no-color -input=false

step "Out-of-band change: an administrator also switches off MFA_PREMIUM of Entra ID P1"
admin_post /_emulator/groups/1132b215-826f-42a9-8cfe-1643d19d17fd/licenses \
  '{"addLicenses":[{"skuId":"078d2b04-f1bd-4111-bbd4-b4b1b354cef4","disabledPlans":["8a256a2b-b617-496d-b51b-e76466e88db0"]}],"removeLicenses":[]}'

step "terraform plan: the drift, exactly"
set +e
"$terraform" plan -detailed-exitcode -no-color -input=false
code=$?
set -e
[ "$code" -eq 2 ] || { echo "quickstart: expected the plan to show the drift (exit code 2), got $code" >&2; exit 1; }

step "terraform apply: put it back"
"$terraform" apply -auto-approve -no-color -input=false

step "terraform plan: nothing to do"
"$terraform" plan -detailed-exitcode -no-color -input=false

step "terraform destroy: exactly the managed licences are removed"
"$terraform" destroy -auto-approve -no-color -input=false

step "Quick start finished"
