//! Start-up cost of the provider as Terraform pays it: time from exec to the handshake
//! line, with `PLUGIN_CLIENT_CERT` set (AutoMTLS on), and resident memory right after.
//!
//! Terraform starts a provider process several times per command (schema, validate,
//! plan), so this cost is paid again and again. Run with:
//!
//!     cargo bench --bench handshake            # 50 runs
//!     cargo bench --bench handshake -- 200     # more runs
//!
//! The binary is the one cargo builds for benchmarks (the release profile).

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

const MAGIC_COOKIE: (&str, &str) = (
    "TF_PLUGIN_MAGIC_COOKIE",
    "d602bf8f470bc67ca7faa0386276bbdd4330efaf76d1a219cb4d6991ca9872b2",
);

fn main() {
    let runs: usize = std::env::args().skip(1).find_map(|a| a.parse().ok()).unwrap_or(50);
    let binary = env!("CARGO_BIN_EXE_terraform-provider-entra");
    let client_certificate = terraform_like_certificate_pem();

    let mut startup = Vec::with_capacity(runs);
    let mut rss_kib = Vec::with_capacity(runs);
    for _ in 0..runs {
        let started = Instant::now();
        let mut child = Command::new(binary)
            .env_clear()
            .env(MAGIC_COOKIE.0, MAGIC_COOKIE.1)
            .env("PLUGIN_PROTOCOL_VERSIONS", "5,6")
            .env("PLUGIN_MIN_PORT", "10000")
            .env("PLUGIN_MAX_PORT", "25000")
            .env("PLUGIN_CLIENT_CERT", &client_certificate)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect("provider starts");
        let mut line = String::new();
        BufReader::new(child.stdout.take().expect("stdout"))
            .read_line(&mut line)
            .expect("handshake line");
        startup.push(started.elapsed());
        assert!(
            line.starts_with("1|6|tcp|127.0.0.1:") && line.trim_end().len() > 100,
            "unexpected handshake {line:?}"
        );
        if let Some(kib) = resident_kib(child.id()) {
            rss_kib.push(kib);
        }
        child.kill().ok();
        child.wait().ok();
    }

    startup.sort();
    rss_kib.sort_unstable();
    let ms = |d: Duration| d.as_secs_f64() * 1000.0;
    let pick = |q: f64| startup[((startup.len() - 1) as f64 * q).round() as usize];
    println!("exec → handshake line, AutoMTLS on, {runs} runs ({binary})");
    println!(
        "  median {:.2} ms   p10 {:.2} ms   p90 {:.2} ms   min {:.2} ms   max {:.2} ms",
        ms(pick(0.5)),
        ms(pick(0.1)),
        ms(pick(0.9)),
        ms(startup[0]),
        ms(startup[startup.len() - 1])
    );
    if !rss_kib.is_empty() {
        println!(
            "  resident memory right after the handshake: median {:.1} MiB",
            rss_kib[rss_kib.len() / 2] as f64 / 1024.0
        );
    }
}

/// VmRSS of a process, in KiB (Linux).
fn resident_kib(pid: u32) -> Option<u64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    let line = status.lines().find(|l| l.starts_with("VmRSS:"))?;
    line.split_whitespace().nth(1)?.parse().ok()
}

/// A self-signed ECDSA P-521 CA certificate for localhost, as go-plugin makes for Terraform.
fn terraform_like_certificate_pem() -> String {
    let key = rcgen::KeyPair::generate_for(&rcgen::PKCS_ECDSA_P521_SHA512).expect("P-521 key");
    let mut params = rcgen::CertificateParams::new(vec!["localhost".to_owned()]).expect("params");
    params.is_ca = rcgen::IsCa::Ca(rcgen::BasicConstraints::Unconstrained);
    params.self_signed(&key).expect("certificate").pem()
}
