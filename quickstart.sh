#!/usr/bin/env bash
# Quick start: build the provider and the emulator (one release build), package the provider
# as a release with a filesystem mirror, start the local Graph emulator, and run Terraform on
# examples/quickstart: init from the mirror, plan, apply, an administrator's out-of-band
# change seen with `plan -refresh-only`, the plan that repairs it, a final empty plan, and
# destroy. Needs Rust (cargo), a C compiler and terraform. Exits non-zero on any failure.
#
#   ./quickstart.sh           # the working folder is deleted at the end
#   ./quickstart.sh --keep    # or KEEP=1: keep it (configuration, state, lock file, logs)
#
# Colour only when stdout is a terminal (and NO_COLOR is unset); otherwise Terraform runs
# with -no-color, so logs hold no escape codes.
set -euo pipefail
cd "$(dirname "$0")"

keep=${KEEP:-0}
for arg in "$@"; do
  case $arg in
    --keep) keep=1 ;;
    -h | --help) sed -n '2,12p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "quickstart: unknown option $arg (try --help)" >&2; exit 2 ;;
  esac
done

terraform=${TERRAFORM:-terraform}
command -v "$terraform" >/dev/null || {
  echo "quickstart: terraform is not on PATH (or set TERRAFORM=/path/to/terraform)." >&2
  echo "Install it from https://developer.hashicorp.com/terraform/install (1.0 or newer)." >&2
  exit 1
}

if [ -t 1 ] && [ -z "${NO_COLOR:-}" ]; then
  bold=$'\033[1m' plain=$'\033[0m' color=()
else
  bold='' plain='' color=(-no-color)
fi
step() { printf '\n%s== %s%s\n' "$bold" "$*" "$plain"; }
tf() { "$terraform" "$1" ${color[@]+"${color[@]}"} -input=false "${@:2}"; }

root=$PWD
work=$(mktemp -d "${TMPDIR:-/tmp}/entra-quickstart.XXXXXX")
emulator_pid=""
cleanup() {
  if [ -n "$emulator_pid" ]; then
    kill "$emulator_pid" 2>/dev/null || true
    wait "$emulator_pid" 2>/dev/null || true
  fi
  if [ "$keep" = 1 ]; then
    echo "Kept the working folder: $work"
  else
    rm -rf "$work"
  fi
}
trap cleanup EXIT

step "Building the provider and the emulator: one release build (about 5 minutes on 2 cores the first time)"
cargo build --release --locked --workspace --bins

step "Packaging the provider as a registry release, with a filesystem mirror"
target/release/package --out "$work/dist"

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
export ARM_USE_CLI=false
export ENTRA_GRAPH_ENDPOINT="$base/v1.0"
export ENTRA_AUTHORITY_ENDPOINT="$base"
export CHECKPOINT_DISABLE=1
unset TF_CLI_ARGS TF_PLUGIN_CACHE_DIR
# Terraform installs entra/entra from the packaged mirror, as it would from a registry.
cat >"$work/cli.tfrc" <<TFRC
provider_installation {
  filesystem_mirror {
    path    = "$work/dist/mirror"
    include = ["registry.terraform.io/entra/entra"]
  }
  direct {
    exclude = ["registry.terraform.io/entra/entra"]
  }
}
TFRC
export TF_CLI_CONFIG_FILE="$work/cli.tfrc"
cp examples/quickstart/*.tf "$work/"
cd "$work"

step "terraform init: the provider installed from the mirror, and a lock file"
tf init
sed -n '/registry.terraform.io\/entra\/entra/,/^}/p' .terraform.lock.hcl

step "terraform plan: licences resolved and validated against the tenant, and a seat forecast"
tf plan

step "terraform apply: one assignLicense call; member licence errors reported"
tf apply -auto-approve

step "Out-of-band change: an administrator switches off MFA_PREMIUM of Entra ID P1 in the portal"
admin_post /_emulator/groups/1132b215-826f-42a9-8cfe-1643d19d17fd/licenses \
  '{"addLicenses":[{"skuId":"078d2b04-f1bd-4111-bbd4-b4b1b354cef4","disabledPlans":["8a256a2b-b617-496d-b51b-e76466e88db0"]}],"removeLicenses":[]}'

step "terraform plan -refresh-only: what the administrator changed (nothing is planned yet)"
set +e
tf plan -refresh-only -detailed-exitcode
code=$?
set -e
[ "$code" -eq 2 ] || { echo "quickstart: expected the refresh-only plan to show the change (exit code 2), got $code" >&2; exit 1; }

step "terraform plan: the repair, exactly (MFA_PREMIUM back on)"
set +e
tf plan -detailed-exitcode
code=$?
set -e
[ "$code" -eq 2 ] || { echo "quickstart: expected the plan to show the drift (exit code 2), got $code" >&2; exit 1; }

step "terraform apply: put it back"
tf apply -auto-approve

step "terraform plan: nothing to do"
tf plan -detailed-exitcode

step "terraform destroy: exactly the managed licences are removed"
tf destroy -auto-approve

cd "$root"
step "Quick start finished. What to try next"
cat <<NEXT
- Your own configurations against the emulator, with your terraform:
    examples/try-with-emulator.sh      (README.md, "Try the provider with your Terraform")
- The resources, data sources and the action, with examples: docs/ (start at docs/index.md).
- A real tenant: authentication per method and the Graph permissions in docs/index.md.
- Release assets for your own mirror or registry: target/release/package --out dist
- Keep this run's folder (configuration, state, lock file, emulator log): ./quickstart.sh --keep
NEXT
