//! `entra-graph-emulator`: serves the emulated Graph until Ctrl-C or SIGTERM.
//!
//! ```text
//! entra-graph-emulator --listen 127.0.0.1:0 --tenant emulator/fixtures/contoso.json
//! entra-graph-emulator generate --groups 10000 --users 100000 --out big.json
//! entra-graph-emulator generate --users 100000 --group-sizes 100000,1000,10 --out big.json
//! ```
//! The first stdout line is `listening on http://127.0.0.1:PORT`.

use std::process::ExitCode;

use entra_graph_emulator::{Emulator, Generate, Options, Realism, TenantFile, generate};

const USAGE: &str = "usage:
  entra-graph-emulator [--listen ADDR] [--tenant FILE] [--threads N] [realism flags]
  entra-graph-emulator generate [--groups N] [--users N] [--group-sizes N,N,...] --out FILE

serve:
  --listen ADDR                         default 127.0.0.1:0 (any free port)
  --tenant FILE                         the tenant to serve; default: the built-in Contoso
                                        tenant (emulator/fixtures/contoso.json)
  --threads N                           worker threads (default 1)

At start it prints `listening on URL`, then the environment variables that point the
provider at it, and a few of the tenant's groups.

generate (defaults: 1000 groups, 10000 users):
  --group-sizes N,N,...                 exact member counts of the first groups, e.g.
                                        100000,1000,10; the other groups (up to --groups;
                                        without --groups, none) get about users*3/groups

realism flags (all default to off):
  --latency-ms N --jitter-ms N          added to every Graph response
  --processing-delay-ms N               group licence processing: queued → in progress → complete
  --read-after-write-ms N               a group's previous licences stay visible this long
  --throttle-rate N --throttle-burst N  token bucket per application and tenant (resource units/s)
  --error-rate F                        share of Graph requests answered 500/503/504 (0..1)
  --reset-rate F                        share of Graph requests whose connection is cut
  --lose-response-rate F                share of successful writes applied, then answered 500
  --token-lifetime-s N                  access token lifetime (default 3599)";

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    match run(&args) {
        Ok(()) => ExitCode::SUCCESS,
        Err(message) => {
            eprintln!("{message}\n\n{USAGE}");
            ExitCode::from(2)
        }
    }
}

fn run(args: &[String]) -> Result<(), String> {
    let mut flags = Flags { args, position: 0 };
    if args.first().map(String::as_str) == Some("generate") {
        flags.position = 1;
        let (mut groups, mut users, mut sizes, mut out) = (None, 10_000usize, Vec::new(), None);
        while let Some(flag) = flags.next_flag() {
            match flag.as_str() {
                "--groups" => groups = Some(flags.number(&flag)?),
                "--users" => users = flags.number(&flag)?,
                "--group-sizes" => {
                    let list = flags.value(&flag)?;
                    sizes = list
                        .split(',')
                        .map(|n| n.trim().replace('_', "").parse::<usize>())
                        .collect::<Result<_, _>>()
                        .map_err(|_| format!("--group-sizes {list}: not a list of numbers"))?;
                }
                "--out" => out = Some(flags.value(&flag)?),
                other => return Err(format!("unknown flag {other}")),
            }
        }
        let out = out.ok_or("generate needs --out FILE")?;
        let groups = groups.unwrap_or(if sizes.is_empty() { 1_000 } else { sizes.len() });
        let tenant = generate(&Generate {
            groups,
            users,
            group_sizes: sizes,
        })?;
        let json = serde_json::to_vec(&tenant).map_err(|e| e.to_string())?;
        std::fs::write(&out, json).map_err(|e| format!("cannot write {out}: {e}"))?;
        println!("wrote {out}: {} groups, {users} users", tenant.groups.len());
        return Ok(());
    }

    let mut listen = "127.0.0.1:0".to_owned();
    let mut tenant_path = None;
    let mut threads = 0usize;
    let mut realism = Realism::default();
    while let Some(flag) = flags.next_flag() {
        match flag.as_str() {
            "--listen" => listen = flags.value(&flag)?,
            "--tenant" => tenant_path = Some(flags.value(&flag)?),
            "--threads" => threads = flags.number(&flag)?,
            "--latency-ms" => realism.latency_ms = flags.number(&flag)?,
            "--jitter-ms" => realism.jitter_ms = flags.number(&flag)?,
            "--processing-delay-ms" => realism.processing_delay_ms = flags.number(&flag)?,
            "--read-after-write-ms" => realism.read_after_write_ms = flags.number(&flag)?,
            "--throttle-rate" => {
                realism.throttle.get_or_insert_with(Default::default).rate_per_second = flags.number(&flag)?
            }
            "--throttle-burst" => realism.throttle.get_or_insert_with(Default::default).burst = flags.number(&flag)?,
            "--error-rate" => realism.error_rate = flags.number(&flag)?,
            "--reset-rate" => realism.reset_rate = flags.number(&flag)?,
            "--lose-response-rate" => realism.lose_response_rate = flags.number(&flag)?,
            "--token-lifetime-s" => realism.token_lifetime_s = flags.number(&flag)?,
            "--help" | "-h" => {
                println!("{USAGE}");
                return Ok(());
            }
            other => return Err(format!("unknown flag {other}")),
        }
    }
    let tenant = match tenant_path {
        Some(path) => TenantFile::load(&path)?,
        None => TenantFile::contoso(),
    };
    let how_to_use = HowToUse::of(&tenant);
    let listen = listen.parse().map_err(|e| format!("--listen {listen}: {e}"))?;
    let mut runtime = if threads == 1 {
        tokio::runtime::Builder::new_current_thread()
    } else {
        let mut builder = tokio::runtime::Builder::new_multi_thread();
        if threads > 1 {
            builder.worker_threads(threads);
        }
        builder
    };
    let runtime = runtime.enable_all().build().map_err(|e| e.to_string())?;
    runtime.block_on(async move {
        // Signal handlers come first: a caller may send SIGTERM as soon as it reads the line.
        let mut terminate =
            tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()).map_err(|e| e.to_string())?;
        let emulator = Emulator::start(Options {
            listen,
            tenant,
            realism,
        })
        .await
        .map_err(|e| format!("cannot start: {e}"))?;
        println!("listening on {}", emulator.base_url());
        println!("{}", how_to_use.text(&emulator));
        tokio::select! {
            _ = tokio::signal::ctrl_c() => {}
            _ = terminate.recv() => {}
        }
        emulator.shutdown().await;
        Ok(())
    })
}

/// What a person needs to point the provider at the emulator, printed at start.
struct HowToUse {
    tenant_id: String,
    application: Option<(String, String)>,
    groups: Vec<(String, String, usize)>,
}

impl HowToUse {
    fn of(tenant: &TenantFile) -> Self {
        Self {
            tenant_id: tenant.tenant_id.clone(),
            // The tenant's test application and its (fixture) secret.
            application: tenant
                .applications
                .iter()
                .find_map(|app| Some((app.app_id.clone(), app.secrets.first()?.clone()))),
            groups: tenant
                .groups
                .iter()
                .take(6)
                .map(|g| (g.display_name.clone(), g.id.clone(), g.members.len()))
                .collect(),
        }
    }

    fn text(&self, emulator: &Emulator) -> String {
        let mut text = String::from("\nTo point the provider at this emulator, paste into a shell:\n  export");
        text.push_str(&format!(
            " ENTRA_GRAPH_ENDPOINT={} ENTRA_AUTHORITY_ENDPOINT={} ARM_TENANT_ID={}",
            emulator.graph_url(),
            emulator.base_url(),
            self.tenant_id
        ));
        if let Some((client_id, secret)) = &self.application {
            text.push_str(&format!(" ARM_CLIENT_ID={client_id} ARM_CLIENT_SECRET={secret}"));
        }
        text.push_str(" ARM_USE_CLI=false\n\nGroups (name, object ID, direct user members):\n");
        for (name, id, members) in &self.groups {
            text.push_str(&format!("  {name:<28} {id}  {members}\n"));
        }
        text.push_str("\nStop with Ctrl-C.");
        text
    }
}

struct Flags<'a> {
    args: &'a [String],
    position: usize,
}

impl Flags<'_> {
    fn next_flag(&mut self) -> Option<String> {
        let flag = self.args.get(self.position)?.clone();
        self.position += 1;
        Some(flag)
    }

    fn value(&mut self, flag: &str) -> Result<String, String> {
        let value = self
            .args
            .get(self.position)
            .cloned()
            .ok_or_else(|| format!("{flag} needs a value"))?;
        self.position += 1;
        Ok(value)
    }

    fn number<T: std::str::FromStr>(&mut self, flag: &str) -> Result<T, String> {
        let value = self.value(flag)?;
        value.parse().map_err(|_| format!("{flag} {value}: not a number"))
    }
}
