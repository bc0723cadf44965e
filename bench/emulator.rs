//! The emulator under load: `GET /v1.0/groups/{id}` on a generated tenant of 10,000
//! groups and 100,000 users, the emulator on one core (`--threads 1`, pinned with
//! `taskset` when available), 32 keep-alive connections from the other core.
//!
//!     cargo bench -p entra-graph-emulator --bench emulator
//!     cargo bench -p entra-graph-emulator --bench emulator -- 10   # seconds of load (default 5)
//!
//! Prints requests per second, latency percentiles and the emulator's resident memory.

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

const GROUPS: usize = 10_000;
const USERS: usize = 100_000;
const CONNECTIONS: usize = 32;

fn main() {
    let seconds: u64 = std::env::args().skip(1).find_map(|a| a.parse().ok()).unwrap_or(5);
    let binary = env!("CARGO_BIN_EXE_entra-graph-emulator");
    let dir = std::env::temp_dir().join(format!("emulator-bench-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("temp dir");
    let tenant = dir.join("tenant.json");
    let generated = Command::new(binary)
        .args([
            "generate",
            "--groups",
            &GROUPS.to_string(),
            "--users",
            &USERS.to_string(),
            "--out",
        ])
        .arg(&tenant)
        .stdout(Stdio::null())
        .status()
        .expect("generate");
    assert!(generated.success());

    let pinned = Command::new("taskset")
        .arg("--version")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok();
    let mut command = if pinned {
        let mut c = Command::new("taskset");
        c.args(["-c", "0", binary]);
        c
    } else {
        Command::new(binary)
    };
    let started = Instant::now();
    let mut emulator = command
        .args(["--listen", "127.0.0.1:0", "--threads", "1", "--tenant"])
        .arg(&tenant)
        .stdout(Stdio::piped())
        .spawn()
        .expect("emulator starts");
    let mut line = String::new();
    BufReader::new(emulator.stdout.take().expect("stdout"))
        .read_line(&mut line)
        .expect("announce line");
    let load_time = started.elapsed();
    let base = line.trim().trim_start_matches("listening on ").to_owned();
    let idle_rss = resident(emulator.id(), "VmRSS").unwrap_or(0);

    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()
        .expect("runtime");
    let (requests, mut latencies, errors) = runtime.block_on(load(&base, Duration::from_secs(seconds)));
    let peak_rss = resident(emulator.id(), "VmHWM").unwrap_or(0);
    let rss = resident(emulator.id(), "VmRSS").unwrap_or(0);
    emulator.kill().ok();
    emulator.wait().ok();
    std::fs::remove_dir_all(&dir).ok();

    latencies.sort_unstable();
    let pct = |q: f64| {
        latencies
            .get(((latencies.len().max(1) - 1) as f64 * q) as usize)
            .copied()
            .unwrap_or_default()
    };
    println!(
        "GET /v1.0/groups/{{id}}, tenant of {GROUPS} groups and {USERS} users, emulator on one core{}, {CONNECTIONS} connections, {seconds} s",
        if pinned { " (taskset -c 0)" } else { "" }
    );
    println!(
        "  {:.0} requests/s ({requests} requests, {errors} errors)",
        requests as f64 / seconds as f64
    );
    println!(
        "  latency p50 {:.2} ms, p99 {:.2} ms",
        pct(0.5).as_secs_f64() * 1e3,
        pct(0.99).as_secs_f64() * 1e3
    );
    println!(
        "  resident memory: {:.0} MiB after loading (load took {:.2} s), {:.0} MiB under load, peak {:.0} MiB",
        idle_rss as f64 / 1024.0,
        load_time.as_secs_f64(),
        rss as f64 / 1024.0,
        peak_rss as f64 / 1024.0
    );
}

/// Runs `CONNECTIONS` request loops for `duration`; every loop stops by itself.
async fn load(base: &str, duration: Duration) -> (u64, Vec<Duration>, u64) {
    // Needed when reqwest is built with the workspace's rustls backend.
    let _ = rustls::crypto::aws_lc_rs::default_provider().install_default();
    let http = reqwest::Client::builder()
        .pool_max_idle_per_host(CONNECTIONS)
        .build()
        .expect("client");
    let token: serde_json::Value = http
        .post(format!("{base}/48a80680-7326-48cd-9935-b556b81d3a4e/oauth2/v2.0/token"))
        .form(&[
            ("grant_type", "client_credentials"),
            ("client_id", "11111111-1111-4111-8111-111111111111"),
            ("client_secret", "ci-secret-value"),
            ("scope", "https://graph.microsoft.com/.default"),
        ])
        .send()
        .await
        .expect("token")
        .json()
        .await
        .expect("token json");
    let token = Arc::new(token["access_token"].as_str().expect("access token").to_owned());
    let stop = Arc::new(AtomicBool::new(false));
    let deadline = Instant::now() + duration;
    let workers: Vec<_> = (0..CONNECTIONS)
        .map(|worker| {
            let (http, token, stop, base) = (http.clone(), Arc::clone(&token), Arc::clone(&stop), base.to_owned());
            tokio::spawn(async move {
                let (mut count, mut errors, mut latencies) = (0u64, 0u64, Vec::new());
                let mut n = worker;
                while !stop.load(Ordering::Relaxed) && Instant::now() < deadline {
                    n = (n * 7919 + 13) % GROUPS;
                    let url = format!("{base}/v1.0/groups/10000000-0000-4000-8000-{n:012x}");
                    let sent = Instant::now();
                    match http.get(&url).bearer_auth(token.as_str()).send().await {
                        Ok(r) if r.status().is_success() => {
                            let _ = r.bytes().await;
                            count += 1;
                        }
                        _ => errors += 1,
                    }
                    latencies.push(sent.elapsed());
                }
                (count, latencies, errors)
            })
        })
        .collect();
    let mut total = (0u64, Vec::new(), 0u64);
    for worker in workers {
        let (count, latencies, errors) = worker.await.expect("worker");
        total.0 += count;
        total.1.extend(latencies);
        total.2 += errors;
    }
    stop.store(true, Ordering::Relaxed);
    total
}

/// A `/proc/PID/status` memory field, in KiB.
fn resident(pid: u32, field: &str) -> Option<u64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    status
        .lines()
        .find(|l| l.starts_with(field))?
        .split_whitespace()
        .nth(1)?
        .parse()
        .ok()
}
