#!/usr/bin/env python3
"""Faults (issue 12): a fault storm on many assignments, and Ctrl-C at every moment of an apply.

    python3 bench/faults.py                # storm on 100, then 1,000 assignments; SIGINT at each moment
    python3 bench/faults.py --quick        # storm on 100 assignments only; SIGINT at each moment
    python3 bench/faults.py --storm-only   # (or --sigint-only) one half
    python3 bench/faults.py --no-build     # use target/release as it is
    python3 bench/faults.py --out FILE     # also write the markdown section to FILE
    python3 bench/run.py --faults          # the same, from run.py, into the dated scale-and-faults report

Builds with run.py's one release build command (unless --no-build) and drives Terraform
against the local Graph emulator on 127.0.0.1, with run.py's dev_overrides CLI config and
the environment tests/support.rs uses (ARM_TENANT_ID, ARM_CLIENT_ID, ARM_CLIENT_SECRET,
ENTRA_GRAPH_ENDPOINT, ENTRA_AUTHORITY_ENDPOINT, TF_CLI_CONFIG_FILE of our own).

Storm: `terraform apply` of N assignments while the emulator answers 20% of Graph requests
500/503/504, resets 2% of connections, throttles (token bucket, mixed `Retry-After`:
integer, fractional, absent), starts with a burst of 5 429s (`Retry-After: 1.5`), and
loses 5% of the answers to applied writes (a 500 or a cut connection, swapped every 5 s).
Reported: failed resources (must be 0), tainted resources (0, from `terraform show
-json`), tenant equals state (each group's `assignedLicenses` in the emulator against the
resource's `effective_licenses` and `graph_disabled_plan_ids`, and no licence on a group
outside the configuration), the next plan under the same storm and once more without
faults (`-detailed-exitcode` 0), the continuity log (no member lost a plan), the run time.

SIGINT: an apply of 3 assignments with `processingDelayMs` 2000 and 300 ms of latency, so
every request and the processing wait are windows. An uninterrupted calibration run gives
each group's sequence of Graph requests; each moment is then "when the k-th request of a
group shows in the request log, wait d": during the plan, with the last request before
the write in flight (before the write), with `assignLicense` in flight (during the write), at its 202 (right
after), 1 s and 3 s into the processing wait (queued, in progress), and while the member
errors are read; and twice with the emulator losing the answer to the applied write (a
500, then a cut connection: `loseResponseAfterWrite`), SIGINT while the provider waits to
resend. SIGINT goes to Terraform's process group, as Ctrl-C does. Reported: time from the
signal to Terraform's exit (goal <= 2 s), provider processes left (any process running our
provider binary), tainted resources, then `terraform plan` (it must show exactly the
remaining work, i.e. a create for each resource not in state and nothing for those in
state, and never a delete or replace), the apply of that plan (no `removeLicenses` of a
SKU the interrupted apply added), the continuity log, and a last plan that must be empty.

Every loop here is bounded in count and time; processes are ended only by their own id or
process group.
"""

import json
import os
import re
import signal
import subprocess
import sys
import threading
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import run as bench  # noqa: E402  (bench/run.py: build, Emulator, Workspace, tally)

PARALLELISM = bench.PARALLELISM
AAD_PREMIUM = "078d2b04-f1bd-4111-bbd4-b4b1b354cef4"
STORM = {"latencyMs": 10, "jitterMs": 10, "processingDelayMs": 100, "errorRate": 0.2, "errorStatuses": [500, 503, 504],
         "resetRate": 0.02, "throttle": {"ratePerSecond": 25, "burst": 50, "retryAfter": "mixed"},
         "storm": 5, "stormRetryAfterS": 1.5, "loseResponseRate": 0.05, "lostResponseStatus": 500, "lostResponseReset": False}
QUIET = {"latencyMs": 0, "jitterMs": 0, "errorRate": 0.0, "resetRate": 0.0, "throttle": None, "storm": 0,
         "loseResponseRate": 0.0, "loseResponseAfterWrite": 0, "failNext": 0}
SIGINT_LATENCY_MS, SIGINT_PROCESSING_MS, SIGINT_RESOURCES = 300, 2000, 3
STORM_TIMEOUT_S, RUN_TIMEOUT_S, EXIT_WAIT_S = 1800, 300, 60


# ---------------------------------------------------------------------------------------
# Terraform runs
# ---------------------------------------------------------------------------------------

def terraform(ws, *args, timeout=RUN_TIMEOUT_S, flags=True):
    """Runs terraform in its own process group; kills that group after `timeout`."""
    # Flags before positional arguments (a plan file): Terraform stops reading flags at the first.
    cmd = ["terraform", args[0], *(["-no-color", "-input=false"] if flags else []), *args[1:]]
    if os.path.exists(ws.log):
        os.remove(ws.log)
    started = time.perf_counter()
    p = subprocess.Popen(cmd, cwd=ws.dir, env=ws.env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                         start_new_session=True)
    try:
        out, _ = p.communicate(timeout=timeout)
        code = p.returncode
    except subprocess.TimeoutExpired:
        os.killpg(p.pid, signal.SIGKILL)
        out, _ = p.communicate()
        code = "timeout"
    cpu_ms, peak, _ = bench.provider_usage(ws.log)
    return {"code": code, "out": out, "wall": time.perf_counter() - started, "peak_mib": peak / 1024, "cpu_ms": cpu_ms}


def show_state(ws):
    r = terraform(ws, "show", "-json", flags=False)
    if r["code"] != 0:
        raise RuntimeError(f"terraform show -json exited {r['code']}: {r['out'][-2000:]}")
    data = json.loads(r["out"])
    return (data.get("values") or {}).get("root_module", {}).get("resources", [])


def plan_changes(ws):
    """`terraform plan -out` then `show -json`: {address: actions} of every resource, and the exit code."""
    r = terraform(ws, "plan", "-detailed-exitcode", f"-parallelism={PARALLELISM}", "-out=next.tfplan")
    if r["code"] not in (0, 2):
        return r, None
    shown = terraform(ws, "show", "-json", "next.tfplan", flags=False)
    data = json.loads(shown["out"])
    return r, {c["address"]: c["change"]["actions"] for c in data.get("resource_changes", [])}


def errors_of(out):
    """Error summaries and the resource addresses they name."""
    summaries = re.findall(r"^Error: (.*)$", out, re.M)
    addresses = sorted(set(re.findall(r"^\s+with (entra_group_license_assignment\.\S+?),?$", out, re.M)))
    return summaries, addresses


def warnings_of(out):
    return [w for w in re.findall(r"^Warning: (.*)$", out, re.M) if "development overrides" not in w]


def provider_processes():
    """PIDs of processes running our provider binary (the private snapshot run.py made)."""
    binary = os.path.realpath(bench.provider_binary())
    found = []
    for pid in os.listdir("/proc"):
        if pid.isdigit():
            try:
                if os.readlink(f"/proc/{pid}/exe") == binary:
                    found.append(int(pid))
            except OSError:
                pass
    return found


# ---------------------------------------------------------------------------------------
# Tenant against state
# ---------------------------------------------------------------------------------------

def group_id(index):
    return "10000000-0000-4000-8000-%012x" % index


def tenant_vs_state(emulator, resources, configured):
    """Differences between the emulator's groups and the state's effective licences."""
    groups = {g["id"].lower(): g for g in emulator.state()["groups"]}
    held = {}
    for r in resources:
        if r.get("type") != "entra_group_license_assignment":
            continue
        v = r["values"]
        graph_extra = v.get("graph_disabled_plan_ids") or {}
        held[v["group_id"].lower()] = {
            e["sku_id"].lower(): sorted({p.lower() for p in e["disabled_plan_ids"]} | {p.lower() for p in graph_extra.get(k, [])})
            for k, e in (v.get("effective_licenses") or {}).items()}
    differences = []
    for gid, group in groups.items():
        actual = {l["skuId"].lower(): sorted(p.lower() for p in l.get("disabledPlans", [])) for l in group.get("assignedLicenses", [])}
        expected = held.get(gid, {})
        if actual != expected:
            differences.append({"group": gid, "tenant": actual, "state": expected, "configured": gid in configured})
    return differences


def continuity_losses(emulator):
    c = emulator.continuity()
    return len(c.get("losses", [])) + c.get("dropped", 0), c.get("losses", [])[:5]


def cut_before_route(record):
    """A connection the emulator cut before the route ran (`resetRate`): logged with status 0,
    `connectionReset: true` and `applied: false`; nothing was applied."""
    return bool(record.get("connectionReset")) and record.get("applied") is False


def applied_write(record):
    return bool(record.get("applied"))


def status_by_route(records):
    """{route: {status: count}} for top-level Graph requests and `$batch` items alike."""
    table = {}
    for r in records:
        if "/oauth2/" in r["path"]:
            continue
        key = bench.route(r["method"], r["path"])
        row = table.setdefault(key, {})
        row[r["status"]] = row.get(r["status"], 0) + 1
    return table


def status_counts(records):
    counts = {}
    for r in records:
        if "/oauth2/" in r["path"]:
            continue
        counts[r["status"]] = counts.get(r["status"], 0) + 1
    return dict(sorted(counts.items()))


# ---------------------------------------------------------------------------------------
# Storm
# ---------------------------------------------------------------------------------------

class Ticker:
    """Every 5 s while an apply runs: swaps the lost-response kind (500 / cut connection).
    Bounded: stops when told, or after `limit` ticks. (It does not re-arm the 429 burst: a
    burst longer than the provider's 10 attempts, met by a call that is made once and
    awaited by every resource, fails them one after another; see the report.)"""

    def __init__(self, emulator, limit=400):
        self.emulator, self.limit, self.stop_event = emulator, limit, threading.Event()
        self.thread = threading.Thread(target=self.loop, daemon=True)
        self.thread.start()

    def loop(self):
        for tick in range(self.limit):
            if self.stop_event.wait(5):
                return
            try:
                self.emulator.faults({"lostResponseReset": tick % 2 == 0})
            except OSError:
                return

    def stop(self):
        self.stop_event.set()
        self.thread.join(timeout=10)


def storm(tenant, n):
    emulator = bench.Emulator(tenant)
    try:
        emulator.faults(STORM)
        ws = bench.Workspace(emulator)
        ws.write(bench.assignments_config(n))
        ticker = Ticker(emulator)
        try:
            applied = terraform(ws, "apply", "-auto-approve", f"-parallelism={PARALLELISM}", timeout=STORM_TIMEOUT_S)
        finally:
            ticker.stop()
        records = emulator.requests()
        summaries, failed = errors_of(applied["out"])
        resources = show_state(ws)
        tainted = [f"{r['type']}.{r['name']}[{r.get('index')}]" for r in resources if r.get("tainted")]
        configured = {group_id(i) for i in range(n)}
        differences = tenant_vs_state(emulator, resources, configured)
        losses, first_losses = continuity_losses(emulator)
        counts = bench.tally(records)
        writes = [r for r in records if r.get("applied") is not None]
        cut = [r for r in writes if cut_before_route(r)]
        # assignLicense applied more than once for a group (a retry after a lost answer is
        # expected to do this, harmlessly), and any body that removes a licence.
        applied_by_group, lost_by_group = {}, {}
        for r in writes:
            g = group_of(r)
            if applied_write(r):
                applied_by_group.setdefault(g, []).append(r)
            if r.get("lostResponse"):
                lost_by_group[g] = lost_by_group.get(g, 0) + 1
        repeated = {g: len(rs) for g, rs in applied_by_group.items() if len(rs) > 1}
        unexplained = {g: k for g, k in repeated.items() if k - 1 > lost_by_group.get(g, 0)}
        removing = [r["body"] for r in writes if (r.get("body") or {}).get("removeLicenses")]
        result = {
            "n": n, "knobs": STORM, "wall": applied["wall"], "code": applied["code"], "errors": len(summaries),
            "error_summaries": sorted(set(summaries))[:10], "failed": failed, "in_state": len(resources), "tainted": tainted,
            "differences": differences[:10], "difference_count": len(differences), "losses": losses, "first_losses": first_losses,
            "graph_requests": counts["graph_requests"], "units": counts["units"], "statuses": status_counts(records),
            "lost_responses": sum(1 for r in records if r.get("lostResponse")),
            "writes": len(writes), "writes_applied": sum(1 for r in writes if applied_write(r)), "writes_cut": len(cut),
            "warnings": len(warnings_of(applied["out"])), "warning_summaries": sorted(set(warnings_of(applied["out"])))[:10],
            "peak_mib": applied["peak_mib"],
            "repeated_groups": len(repeated), "repeated_writes": sum(k - 1 for k in repeated.values()),
            "repeated_unexplained": unexplained, "removing_bodies": removing[:5],
            "status_by_route": status_by_route(records),
        }
        # The next plan, under the same storm (a pipeline's next run meets it too), then without faults.
        emulator.faults({k: v for k, v in STORM.items() if k != "storm"})
        plan_storm = terraform(ws, "plan", "-detailed-exitcode", f"-parallelism={PARALLELISM}", timeout=STORM_TIMEOUT_S)
        emulator.faults(QUIET)
        plan_quiet = terraform(ws, "plan", "-detailed-exitcode", f"-parallelism={PARALLELISM}")
        result["plan_storm"] = {"code": plan_storm["code"], "wall": plan_storm["wall"], "errors": errors_of(plan_storm["out"])[0][:5],
                                "changes": re.findall(r"^  # (\S+) (?:will|must) be .*$", plan_storm["out"], re.M)[:10]}
        result["plan_quiet"] = {"code": plan_quiet["code"], "wall": plan_quiet["wall"], "errors": errors_of(plan_quiet["out"])[0][:5],
                                "changes": re.findall(r"^  # (\S+) (?:will|must) be .*$", plan_quiet["out"], re.M)[:10]}
        if applied["code"] != 0:
            result["output_tail"] = applied["out"][-3000:]
        print(f"storm {n}: exit {applied['code']}, {len(failed)} failed, {len(tainted)} tainted, {len(differences)} differences, "
              f"{losses} losses, next plan {plan_storm['code']} / {plan_quiet['code']}, {applied['wall']:.1f} s", flush=True)
        return result
    finally:
        emulator.stop()


# ---------------------------------------------------------------------------------------
# SIGINT
# ---------------------------------------------------------------------------------------

def group_of(record):
    """The group a Graph request is about (from its path, or a `$batch` body's URLs)."""
    text = record["path"]
    if bench.is_batch(record) and record.get("body"):
        text += json.dumps(record["body"])
    found = re.search(r"10000000-0000-4000-8000-[0-9a-f]{12}", text)
    return found.group(0) if found else None


def kind_of(record):
    key = bench.route(record["method"], record["path"])
    return "$batch" if bench.is_batch(record) else key


class Watcher:
    """Polls the request log every 20 ms (bounded by a deadline) and stamps each record with
    the time it was first seen, relative to `started`."""

    def __init__(self, emulator, started):
        self.emulator, self.started, self.seen = emulator, started, []

    def poll(self):
        records = self.emulator.requests()
        now = time.perf_counter() - self.started
        for r in records[len(self.seen):]:
            self.seen.append((now, r))
        return self.seen

    def sequences(self):
        """Each group's requests as sent, in order: [(time, kind, record)] (a `$batch` once:
        its items, which carry the envelope's client-request-id, are left out)."""
        envelopes = {r.get("clientRequestId") for _, r in self.seen if bench.is_batch(r)}
        by_group = {}
        for t, r in self.seen:
            g = group_of(r)
            item = not bench.is_batch(r) and r.get("clientRequestId") in envelopes
            if g and "/oauth2/" not in r["path"] and not item:
                by_group.setdefault(g, []).append((t, kind_of(r), r))
        return by_group


def start_apply(ws):
    if os.path.exists(ws.log):
        os.remove(ws.log)
    p = subprocess.Popen(["terraform", "apply", "-auto-approve", f"-parallelism={PARALLELISM}", "-no-color", "-input=false"],
                         cwd=ws.dir, env=ws.env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                         start_new_session=True)
    output = []
    reader = threading.Thread(target=lambda: output.extend(p.stdout), daemon=True)
    reader.start()
    return p, output, reader


def calibrate(emulator, tenant_dir):
    """An uninterrupted apply: each group's request sequence and when each request showed."""
    emulator.reset()
    ws = bench.Workspace(emulator)
    ws.write(sigint_config())
    started = time.perf_counter()
    p, output, reader = start_apply(ws)
    watcher = Watcher(emulator, started)
    deadline = started + RUN_TIMEOUT_S
    while p.poll() is None and time.perf_counter() < deadline:
        watcher.poll()
        time.sleep(0.02)
    if p.poll() is None:
        os.killpg(p.pid, signal.SIGKILL)
    p.wait()
    reader.join(timeout=10)
    watcher.poll()
    if p.returncode != 0:
        raise RuntimeError("calibration apply failed:\n" + "".join(output)[-3000:])
    sequences = watcher.sequences()
    first = sorted(sequences)[0]
    return [(round(t, 2), kind) for t, kind, _ in sequences[first]], time.perf_counter() - started


def moments(sequence):
    """(name, anchor kind, its ordinal among that kind, delay s) from a group's calibrated sequence."""
    kinds = [k for _, k in sequence]
    post = next(i for i, k in enumerate(kinds) if k.endswith("/assignLicense"))
    errors = next((i for i, k in enumerate(kinds) if k.endswith("/membersWithLicenseErrors")), None)

    def anchor(i):
        return kinds[i], kinds[:i + 1].count(kinds[i])

    latency = SIGINT_LATENCY_MS / 1000
    # Before the write: the request before the one that precedes `assignLicense` has shown,
    # so that one is in flight; during the write: the one before it has shown.
    found = [("during the plan walk (its member counts in flight)", *anchor(0), latency / 2),
             (f"before the write (`{kinds[post - 1]}` of the apply walk in flight)", *anchor(post - 2), latency / 2),
             ("during the write (`assignLicense` in flight)", *anchor(post - 1), latency / 2),
             ("right after the write (its 202 logged)", *anchor(post), 0.0),
             ("processing wait, 1 s in (queued)", *anchor(post), 1.0),
             ("processing wait, 3 s in (in progress)", *anchor(post), 3.0)]
    if errors is not None:
        found.append(("reading member errors (after processing)", *anchor(errors - 1), latency / 2))
    # Graph applied the write but its answer never arrived (a 500, or a cut connection):
    # Ctrl-C while the provider waits to send it again.
    post_kind = kinds[post]
    found.append(("write applied, its answer lost (500); during the retry", post_kind, 1, 0.1,
                  {"loseResponseAfterWrite": SIGINT_RESOURCES, "lostResponseReset": False}))
    found.append(("write applied, its connection cut; during the retry", post_kind, 1, 0.1,
                  {"loseResponseAfterWrite": SIGINT_RESOURCES, "lostResponseReset": True}))
    return found


def sigint_config():
    text = 'terraform {\n  required_providers {\n    entra = { source = "entra/entra" }\n  }\n}\nprovider "entra" {}\n'
    text += ('resource "entra_group_license_assignment" "g" {\n  count    = %d\n'
             '  group_id = format("10000000-0000-4000-8000-%%012x", count.index)\n'
             '  licenses = {\n    "AAD_PREMIUM" = { disabled_plans = ["MFA_PREMIUM"] }\n  }\n}\n') % SIGINT_RESOURCES
    return text


def interrupt_at(emulator, name, kind, ordinal, delay, knobs=None):
    emulator.reset()
    if knobs:
        emulator.faults(knobs)
    ws = bench.Workspace(emulator)
    ws.write(sigint_config())
    started = time.perf_counter()
    p, output, reader = start_apply(ws)
    watcher = Watcher(emulator, started)
    deadline = started + RUN_TIMEOUT_S
    fired_at = None
    while p.poll() is None and time.perf_counter() < deadline:
        seen = watcher.sequences()
        hit = [t for seq in seen.values() for t in [x[0] for x in seq if x[1] == kind][ordinal - 1:ordinal]]
        if hit:
            wait = min(hit) + delay - (time.perf_counter() - started)
            if wait > 0:
                time.sleep(wait)
            if p.poll() is None:
                os.killpg(p.pid, signal.SIGINT)
                fired_at = time.perf_counter()
            break
        time.sleep(0.02)
        watcher.poll()
    exit_s = None
    if fired_at is not None:
        try:
            p.wait(timeout=EXIT_WAIT_S)
            exit_s = time.perf_counter() - fired_at
        except subprocess.TimeoutExpired:
            pass
    left_now = provider_processes()
    if p.poll() is None:
        os.killpg(p.pid, signal.SIGKILL)
    p.wait()
    reader.join(timeout=10)
    time.sleep(1)
    left_later = provider_processes()
    watcher.poll()
    if knobs:
        emulator.faults({"loseResponseAfterWrite": 0, "lostResponseReset": False})
    out = "".join(output)
    records = emulator.requests()
    posts = [r for r in records if r["path"].split("?")[0].endswith("/assignLicense")]
    resources = show_state(ws)
    in_state = sorted(r["values"]["group_id"] for r in resources if r.get("type") == "entra_group_license_assignment")
    tainted = [r["values"]["group_id"] for r in resources if r.get("tainted")]
    configured = {group_id(i) for i in range(SIGINT_RESOURCES)}
    differences = tenant_vs_state(emulator, resources, configured)
    written_not_in_state = sorted(d["group"] for d in differences if d["tenant"] and not d["state"])
    losses_after_interrupt, _ = continuity_losses(emulator)
    # The next plan: exactly the remaining work.
    plan, changes = plan_changes(ws)
    expected = {f"entra_group_license_assignment.g[{i}]": (["no-op"] if group_id(i) in in_state else ["create"])
                for i in range(SIGINT_RESOURCES)}
    exact = changes == expected
    removals = sorted(a for a, acts in (changes or {}).items() if "delete" in acts)
    # Apply that plan: no removeLicenses, no loss; then nothing left to do.
    emulator.clear()
    follow = terraform(ws, "apply", "next.tfplan") if plan["code"] == 2 else {"code": 0, "out": "", "wall": 0}
    removes = [r for r in emulator.requests() + posts
               if r["path"].split("?")[0].endswith("/assignLicense") and (r.get("body") or {}).get("removeLicenses")]
    losses, first_losses = continuity_losses(emulator)
    final = terraform(ws, "plan", "-detailed-exitcode", f"-parallelism={PARALLELISM}")
    result = {
        "moment": name, "anchor": f"{kind} #{ordinal} + {delay:.2f} s", "signal_at": (fired_at - started) if fired_at else None,
        "exit_s": exit_s, "code": p.returncode, "left_at_exit": left_now, "left_after_1s": left_later,
        "posts_applied": sum(1 for r in posts if applied_write(r)), "posts": len(posts),
        "posts_lost": sum(1 for r in posts if r.get("lostResponse")),
        "in_state": len(in_state), "tainted": tainted, "written_not_in_state": written_not_in_state,
        "differences": len(differences), "losses_after_interrupt": losses_after_interrupt,
        "plan_code": plan["code"], "plan_changes": changes, "plan_exact": exact, "removals": removals,
        "follow_code": follow["code"], "remove_licenses": len(removes), "losses": losses, "first_losses": first_losses,
        "final_plan_code": final["code"], "errors": sorted(set(errors_of(out)[0]))[:5], "warnings": sorted(set(warnings_of(out)))[:5],
        "interrupted_output_tail": out[-1500:],
    }
    if plan["code"] not in (0, 2):
        result["plan_output"] = plan["out"][-2000:]
    if follow["code"] != 0:
        result["follow_output"] = follow["out"][-2000:]
    print(f"SIGINT {name}: signal at {result['signal_at'] or 0:.2f} s, exit after {exit_s if exit_s is not None else float('nan'):.2f} s "
          f"(code {p.returncode}), providers left {left_now}/{left_later}, {len(in_state)} in state, {len(tainted)} tainted, "
          f"plan {plan['code']} {changes}, exact {exact}, removeLicenses {len(removes)}, losses {losses}, final plan {final['code']}",
          flush=True)
    return result


def sigint(tenant):
    extra = ["--latency-ms", str(SIGINT_LATENCY_MS), "--processing-delay-ms", str(SIGINT_PROCESSING_MS)]
    emulator = bench.Emulator(tenant, extra=extra)
    try:
        sequence, calibration_wall = calibrate(emulator, None)
        print(f"calibration ({calibration_wall:.1f} s): {sequence}", flush=True)
        results = [interrupt_at(emulator, *m) for m in moments(sequence)]
        return {"sequence": sequence, "calibration_wall": calibration_wall, "results": results}
    finally:
        emulator.stop()


# ---------------------------------------------------------------------------------------
# Together
# ---------------------------------------------------------------------------------------

def run_all(quick=False, storms=True, interrupts=True):
    """Runs the scenarios with the binaries run.py built (call bench.build() first)."""
    tenant = os.path.join(bench.TOOLS, "faults-tenant.json")
    bench.run([bench.emulator_binary(), "generate", "--groups", "1000", "--users", "3000", "--out", tenant])
    result = {"storms": [], "sigint": None}
    if storms:
        for n in ([100] if quick else [100, 1000]):
            result["storms"].append(storm(tenant, n))
    if interrupts:
        small = os.path.join(bench.TOOLS, "sigint-tenant.json")
        bench.run([bench.emulator_binary(), "generate", "--groups", "10", "--users", "100", "--out", small])
        result["sigint"] = sigint(small)
    return result


def yes(ok):
    return "yes" if ok else "**no**"


def report_lines(result):
    lines = []
    if result["storms"]:
        knobs = json.dumps(STORM)
        lines += ["## Fault storm (issue 12)", "",
                  f"`terraform apply -auto-approve -parallelism={PARALLELISM}` of N assignments (`AAD_PREMIUM` with `MFA_PREMIUM` disabled, one "
                  "group each, generated tenant of 1,000 groups and 3,000 users) while the emulator runs with "
                  f"`{knobs}`; the lost-response kind swapped every 5 s between a 500 "
                  "and a cut connection (`lostResponseReset`). Then `terraform plan -detailed-exitcode` under the same storm, and once more without faults.", "",
                  "| N | run time | exit | failed resources | tainted | in state | tenant = state | continuity losses | next plan (storm) | next plan (quiet) | Graph requests (resource units) | answers by status (`$batch` items included) | `assignLicense` sent / applied / answer lost / cut before applied | groups written twice (all after a lost answer) | warnings |",
                  "|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|"]
        for s in result["storms"]:
            statuses = ", ".join(f"{k}: {v}" for k, v in s["statuses"].items())
            diff = "yes" if s["difference_count"] == 0 else f"**no: {s['difference_count']} groups differ**"
            lines.append(f"| {s['n']:,} | {s['wall']:.1f} s | {s['code']} | {len(s['failed'])} | {len(s['tainted'])} | {s['in_state']} | {diff} | "
                         f"{s['losses']} | {s['plan_storm']['code']} | {s['plan_quiet']['code']} | {s['graph_requests']} ({s['units']} RU) | {statuses} | "
                         f"{s['writes']} / {s['writes_applied']} / {s['lost_responses']} / {s['writes_cut']} | "
                         f"{s['repeated_groups']} ({'yes' if not s['repeated_unexplained'] else '**no**: ' + str(s['repeated_unexplained'])}) | {s['warnings']} |")
        lines += ["", "Answers by endpoint (`$batch` items included; the 200s include connections cut before the route, which the "
                      "emulator logs as 200):", ""]
        for s in result["storms"]:
            rows = "; ".join(f"{k}: " + ", ".join(f"{st} {c}" for st, c in sorted(v.items())) for k, v in sorted(s["status_by_route"].items()))
            lines.append(f"- N = {s['n']:,}: {rows}")
        lines += ["", "Goals: 0 failed, 0 tainted, tenant equals state, the next plan empty, no member lost a plan (and no "
                      "`assignLicense` body with `removeLicenses`):", ""]
        for s in result["storms"]:
            ok = (not s["failed"] and s["errors"] == 0 and not s["tainted"] and s["difference_count"] == 0 and s["losses"] == 0
                  and not s["removing_bodies"]
                  and s["plan_storm"]["code"] == 0 and s["plan_quiet"]["code"] == 0 and s["code"] == 0)
            lines.append(f"- {s['n']:,} assignments: **{'met' if ok else 'missed'}**" + (
                "" if ok else f" (errors: {s['error_summaries']}; failed: {s['failed'][:10]}; differences: {s['differences'][:3]}; "
                              f"next plan under storm: {s['plan_storm']}; quiet: {s['plan_quiet']})"))
            if s["warning_summaries"]:
                lines.append(f"  - warnings seen: {'; '.join(s['warning_summaries'])}")
        lines.append("")
    if result["sigint"]:
        si = result["sigint"]
        lines += ["## SIGINT during an apply (issue 12)", "",
                  f"`terraform apply` of {SIGINT_RESOURCES} assignments (generated tenant of 10 groups, 100 users) with "
                  f"`--latency-ms {SIGINT_LATENCY_MS} --processing-delay-ms {SIGINT_PROCESSING_MS}`. SIGINT to Terraform's process group "
                  "(as Ctrl-C sends it) when the anchor request of any group shows in the request log, plus the delay. "
                  f"Calibration run (uninterrupted, {si['calibration_wall']:.1f} s), one group's requests and when they showed: "
                  + ", ".join(f"{t:.2f} s {k}" for t, k in si["sequence"]) + ".", "",
                  "Then `terraform plan` (must be exactly the remaining work: create for each resource not in state, no-op for "
                  "those in state, no delete/replace), apply of that plan (no `removeLicenses`), continuity log, a last plan "
                  "(must be 0).", "",
                  "| moment | anchor | signal at | exit after | exit code | providers left | `assignLicense` applied / sent (answer lost) | in state | tainted | written, not in state | next plan | exactly the remaining work | removals planned | `removeLicenses` sent | continuity losses | last plan |",
                  "|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|"]
        for r in si["results"]:
            exit_s = f"{r['exit_s']:.2f} s" if r["exit_s"] is not None else "**did not exit**"
            if r["exit_s"] is not None and r["exit_s"] > 2:
                exit_s = f"**{exit_s}**"
            left = "none" if not r["left_at_exit"] and not r["left_after_1s"] else f"**{len(r['left_at_exit'])} at exit, {len(r['left_after_1s'])} 1 s later**"
            counts = {}
            for actions in (r["plan_changes"] or {}).values():
                counts["+".join(actions)] = counts.get("+".join(actions), 0) + 1
            plan = f"{r['plan_code']}: " + ", ".join(f"{v} {k}" for k, v in sorted(counts.items()))
            signal_at = f"{r['signal_at']:.2f} s" if r["signal_at"] is not None else "(apply ended first)"
            lines.append(f"| {r['moment']} | {r['anchor']} | {signal_at} | {exit_s} | {r['code']} | {left} | {r['posts_applied']} / {r['posts']} ({r['posts_lost']}) | "
                         f"{r['in_state']} | {len(r['tainted'])} | {len(r['written_not_in_state'])} | {plan} | {yes(r['plan_exact'])} | "
                         f"{len(r['removals'])} | {r['remove_licenses']} | {r['losses']} | {r['final_plan_code']} |")
        ok = all(r["exit_s"] is not None and r["exit_s"] <= 2 and not r["left_at_exit"] and not r["left_after_1s"] and r["plan_exact"]
                 and not r["removals"] and r["remove_licenses"] == 0 and r["losses"] == 0 and not r["tainted"] and r["final_plan_code"] == 0
                 for r in si["results"])
        lines += ["", f"Goal (Terraform exits within 2 s, no provider left, next plan exactly the remaining work with no removal, no "
                      f"loss): **{'met' if ok else 'missed'}** at every moment measured." if ok else
                  f"Goal (Terraform exits within 2 s, no provider left, next plan exactly the remaining work with no removal, no loss): **missed** (see the rows in bold / \"no\").", ""]
        lines += ["What Terraform printed after the signal (errors and warnings, deduplicated):", ""]
        for r in si["results"]:
            lines.append(f"- {r['moment']}: errors {r['errors'] or 'none'}; warnings {r['warnings'] or 'none'}")
        lines.append("")
    return lines


def main():
    bench.build()
    quick = "--quick" in sys.argv
    result = run_all(quick=quick, storms="--sigint-only" not in sys.argv, interrupts="--storm-only" not in sys.argv)
    lines = report_lines(result)
    print("\n".join(lines))
    raw = os.path.join(bench.TOOLS, "faults-last.json")
    with open(raw, "w") as f:
        json.dump(result, f, indent=1, default=str)
    if "--out" in sys.argv:
        path = sys.argv[sys.argv.index("--out") + 1]
        with open(path, "w") as f:
            f.write("\n".join(lines) + "\n")
        print(f"written to {path}")
    print(f"raw figures: {raw}")


if __name__ == "__main__":
    main()
