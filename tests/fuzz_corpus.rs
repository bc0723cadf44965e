//! Replays the kept fuzz corpora, `fuzz/corpus/<target>/`, through the same entry points
//! the cargo-fuzz targets call (`terraform_provider_entra::fuzzing`), without a fuzzer:
//! an input that once made a target panic, or run away, fails here. Growing the corpora
//! is described in the README ("Fuzzing").

use std::path::{Path, PathBuf};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use terraform_provider_entra::fuzzing;

/// Longest one input may take (in a debug build, on a busy machine) before it counts as a
/// hang. The slowest kept input takes well under a second.
const BUDGET: Duration = Duration::from_secs(20);
/// Stack of a replay thread. The fuzzer runs optimized code on an 8 MiB main thread; debug
/// frames are several times larger, and a corpus holds inputs nested up to the decoders'
/// limits (msgpack: 1,024 levels), which the default 2 MiB thread stack cannot take here.
const STACK: usize = 32 << 20;

fn corpus(target: &str) -> Vec<PathBuf> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("fuzz/corpus").join(target);
    let entries = std::fs::read_dir(&dir).unwrap_or_else(|e| panic!("corpus {} is missing: {e}", dir.display()));
    let mut files: Vec<PathBuf> = entries
        .map(|entry| entry.expect("corpus entry").path())
        .filter(|path| path.is_file())
        .collect();
    files.sort();
    assert!(!files.is_empty(), "corpus {} is empty", dir.display());
    files
}

/// Runs every input of `target`'s corpus through `entry`, each on its own thread so that a
/// panic or a runaway input is reported with its file, and fails listing them all.
fn replay(target: &str, entry: fn(&[u8])) {
    let files = corpus(target);
    let started = Instant::now();
    let mut failures = Vec::new();
    for file in &files {
        let data = std::fs::read(file).unwrap_or_else(|e| panic!("{}: {e}", file.display()));
        let (done, finished) = mpsc::channel();
        let name = file.file_name().unwrap_or_default().to_string_lossy().into_owned();
        std::thread::Builder::new()
            .name(format!("{target}/{name}"))
            .stack_size(STACK)
            .spawn(move || {
                let outcome = std::panic::catch_unwind(|| entry(&data));
                let _ = done.send(outcome.is_ok());
            })
            .expect("spawn a replay thread");
        match finished.recv_timeout(BUDGET) {
            Ok(true) => {}
            Ok(false) => failures.push(format!("{}: panicked (message above)", file.display())),
            // The thread is left running; the test process ends with the test run.
            Err(_) => failures.push(format!("{}: still running after {BUDGET:?}", file.display())),
        }
    }
    println!(
        "fuzz corpus {target}: replayed {} inputs in {:.2?}, {} failed",
        files.len(),
        started.elapsed(),
        failures.len()
    );
    assert!(
        failures.is_empty(),
        "{target}: {} inputs fail:\n{}",
        failures.len(),
        failures.join("\n")
    );
}

#[test]
fn msgpack_value() {
    replay("msgpack_value", fuzzing::msgpack_value);
}

#[test]
fn json_value() {
    replay("json_value", fuzzing::json_value);
}

#[test]
fn dynamic_value() {
    replay("dynamic_value", fuzzing::dynamic_value);
}

#[test]
fn handshake_environment() {
    replay("handshake_environment", fuzzing::handshake_environment);
}

#[test]
fn graph_models() {
    replay("graph_models", fuzzing::graph_models);
}
