//! Builds the release assets the Terraform Registry expects, and a filesystem mirror that
//! `terraform init` installs from:
//!
//! ```text
//! DIR/terraform-provider-entra_<version>_<os>_<arch>.zip    the stripped binary, deflated
//! DIR/terraform-provider-entra_<version>_manifest.json      protocol version 6
//! DIR/terraform-provider-entra_<version>_SHA256SUMS         both files above
//! DIR/terraform-provider-entra_<version>_SHA256SUMS.sig     with --gpg-key: a detached signature
//! DIR/mirror/registry.terraform.io/entra/entra/…zip         a packed filesystem_mirror
//! ```
//!
//!     cargo build --release --locked --workspace --bins && target/release/package --out dist
//!
//! Options: `--binary PATH` (default: the provider binary next to this one), `--out DIR`
//! (default `dist`), `--gpg-key ID` (sign `SHA256SUMS` with `gpg`; without `gpg` installed
//! the signature is skipped with a message). The binary is stripped of its symbols with
//! `strip` (binutils; `STRIP` names another) on a copy, so the build in `target/` keeps them
//! for backtraces and profilers; without `strip` the unstripped binary is packaged, with a
//! message. The zip and its DEFLATE compression are written here, so no `zip` tool is
//! needed.

use std::path::{Path, PathBuf};
use std::process::{Command, ExitCode};

const NAME: &str = "terraform-provider-entra";

const USAGE: &str = "usage: package [--binary PATH] [--out DIR] [--gpg-key ID]";

fn main() -> ExitCode {
    let mut options = Options {
        binary: std::env::current_exe()
            .ok()
            .and_then(|p| p.parent().map(|d| d.join(NAME))),
        out: PathBuf::from("dist"),
        gpg_key: None,
    };
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        match (arg.as_str(), args.next()) {
            ("--binary", Some(path)) => options.binary = Some(PathBuf::from(path)),
            ("--out", Some(dir)) => options.out = PathBuf::from(dir),
            ("--gpg-key", Some(id)) => options.gpg_key = Some(id),
            ("--help" | "-h", _) => {
                println!("{USAGE}");
                return ExitCode::SUCCESS;
            }
            _ => {
                eprintln!("{USAGE}");
                return ExitCode::from(2);
            }
        }
    }
    match package(&options) {
        Ok(files) => {
            for file in files {
                println!("{}", file.display());
            }
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("package: {e}");
            ExitCode::FAILURE
        }
    }
}

struct Options {
    binary: Option<PathBuf>,
    out: PathBuf,
    gpg_key: Option<String>,
}

fn error(message: String) -> std::io::Error {
    std::io::Error::other(message)
}

fn package(options: &Options) -> std::io::Result<Vec<PathBuf>> {
    let binary = options
        .binary
        .as_deref()
        .ok_or_else(|| error("cannot locate the provider binary; pass --binary".into()))?;
    let out = options.out.as_path();
    let version = terraform_provider_entra::VERSION;
    let platform = format!(
        "{}_{}",
        std::env::consts::OS,
        match std::env::consts::ARCH {
            "x86_64" => "amd64",
            "aarch64" => "arm64",
            other => other,
        }
    );
    let original = std::fs::read(binary).map_err(|e| error(format!("{}: {e}", binary.display())))?;
    std::fs::create_dir_all(out)?;
    let executable = stripped(&original, out)?;
    let zip_name = format!("{NAME}_{version}_{platform}.zip");
    let manifest_name = format!("{NAME}_{version}_manifest.json");
    let sums_name = format!("{NAME}_{version}_SHA256SUMS");
    let zip = deflated_zip(&format!("{NAME}_v{version}"), &executable);
    let manifest = "{\n  \"version\": 1,\n  \"metadata\": {\n    \"protocol_versions\": [\"6.0\"]\n  }\n}\n";
    eprintln!(
        "package: {zip_name}: binary {} → zip {}",
        megabytes(executable.len()),
        megabytes(zip.len())
    );
    std::fs::write(out.join(&zip_name), &zip)?;
    std::fs::write(out.join(&manifest_name), manifest)?;
    let sums = format!(
        "{}  {manifest_name}\n{}  {zip_name}\n",
        sha256(manifest.as_bytes()),
        sha256(&zip)
    );
    std::fs::write(out.join(&sums_name), sums)?;
    let mut written = vec![out.join(&zip_name), out.join(&manifest_name), out.join(&sums_name)];
    if let Some(key) = &options.gpg_key {
        written.extend(sign(out, &sums_name, key)?);
    }
    // A packed filesystem_mirror: <mirror>/<hostname>/<namespace>/<type>/<zip>.
    let mirror = out.join("mirror").join(terraform_provider_entra::PROVIDER_ADDRESS);
    std::fs::create_dir_all(&mirror)?;
    std::fs::write(mirror.join(&zip_name), &zip)?;
    written.push(mirror.join(&zip_name));
    eprintln!(
        "package: install with `provider_installation {{ filesystem_mirror {{ path = \"{}\" }} }}` and `terraform init`",
        absolute(&out.join("mirror")).display()
    );
    Ok(written)
}

fn megabytes(bytes: usize) -> String {
    format!("{:.1} MB", bytes as f64 / 1e6)
}

fn absolute(path: &Path) -> PathBuf {
    std::path::absolute(path).unwrap_or_else(|_| path.to_owned())
}

fn sha256(data: &[u8]) -> String {
    aws_lc_rs::digest::digest(&aws_lc_rs::digest::SHA256, data)
        .as_ref()
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// The binary without its symbol tables, stripped on a copy in `scratch`; the original
/// when `strip` is missing or fails (with a message saying so).
fn stripped(original: &[u8], scratch: &Path) -> std::io::Result<Vec<u8>> {
    let tool = std::env::var_os("STRIP").unwrap_or_else(|| "strip".into());
    let copy = scratch.join(format!(".{NAME}.stripping"));
    std::fs::write(&copy, original)?;
    let outcome = Command::new(&tool).arg(&copy).output();
    let result = match outcome {
        Ok(output) if output.status.success() => std::fs::read(&copy),
        Ok(output) => {
            eprintln!(
                "package: warning: {} failed ({}), so the binary is packaged unstripped: {}",
                tool.to_string_lossy(),
                output.status,
                String::from_utf8_lossy(&output.stderr).trim()
            );
            Ok(original.to_vec())
        }
        Err(e) => {
            eprintln!(
                "package: warning: cannot run {} ({e}), so the binary is packaged unstripped; install binutils (or set STRIP) for a smaller release",
                tool.to_string_lossy()
            );
            Ok(original.to_vec())
        }
    };
    let _ = std::fs::remove_file(&copy);
    result
}

/// `SHA256SUMS.sig`: a binary detached signature by `key`, as the registry expects.
/// Skipped, with a message, when `gpg` is not installed.
fn sign(out: &Path, sums_name: &str, key: &str) -> std::io::Result<Option<PathBuf>> {
    let signature = format!("{sums_name}.sig");
    let result = Command::new("gpg")
        .args([
            "--batch",
            "--yes",
            "--local-user",
            key,
            "--output",
            &signature,
            "--detach-sign",
            sums_name,
        ])
        .current_dir(out)
        .output();
    match result {
        Ok(output) if output.status.success() => Ok(Some(out.join(signature))),
        Ok(output) => Err(error(format!(
            "gpg could not sign {sums_name} with key {key:?} ({}): {}",
            output.status,
            String::from_utf8_lossy(&output.stderr).trim()
        ))),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            eprintln!(
                "package: gpg is not installed, so {signature} was NOT written and this release is unsigned; install GnuPG and run again with --gpg-key {key}"
            );
            Ok(None)
        }
        Err(e) => Err(error(format!("cannot run gpg: {e}"))),
    }
}

/// A zip archive with one deflated file, marked executable for Unix.
fn deflated_zip(name: &str, data: &[u8]) -> Vec<u8> {
    let crc = crc32(data);
    let compressed = deflate::compress(data);
    let size = u32::try_from(data.len()).expect("the provider binary is under 4 GiB");
    let compressed_size = u32::try_from(compressed.len()).expect("under 4 GiB");
    let name_len = u16::try_from(name.len()).expect("short name");
    let mut zip = Vec::with_capacity(compressed.len() + 200);
    // Local file header.
    zip.extend_from_slice(&0x0403_4b50u32.to_le_bytes());
    zip.extend_from_slice(&20u16.to_le_bytes()); // version needed: 2.0 (deflate)
    zip.extend_from_slice(&0u16.to_le_bytes()); // flags
    zip.extend_from_slice(&8u16.to_le_bytes()); // deflated
    zip.extend_from_slice(&0u16.to_le_bytes()); // time
    zip.extend_from_slice(&0x21u16.to_le_bytes()); // date: 1980-01-01
    zip.extend_from_slice(&crc.to_le_bytes());
    zip.extend_from_slice(&compressed_size.to_le_bytes());
    zip.extend_from_slice(&size.to_le_bytes());
    zip.extend_from_slice(&name_len.to_le_bytes());
    zip.extend_from_slice(&0u16.to_le_bytes());
    zip.extend_from_slice(name.as_bytes());
    zip.extend_from_slice(&compressed);
    let central_offset = u32::try_from(zip.len()).expect("under 4 GiB");
    // Central directory entry.
    zip.extend_from_slice(&0x0201_4b50u32.to_le_bytes());
    zip.extend_from_slice(&((3u16 << 8) | 20).to_le_bytes()); // made by: Unix
    zip.extend_from_slice(&20u16.to_le_bytes());
    zip.extend_from_slice(&0u16.to_le_bytes());
    zip.extend_from_slice(&8u16.to_le_bytes());
    zip.extend_from_slice(&0u16.to_le_bytes());
    zip.extend_from_slice(&0x21u16.to_le_bytes());
    zip.extend_from_slice(&crc.to_le_bytes());
    zip.extend_from_slice(&compressed_size.to_le_bytes());
    zip.extend_from_slice(&size.to_le_bytes());
    zip.extend_from_slice(&name_len.to_le_bytes());
    zip.extend_from_slice(&0u16.to_le_bytes()); // extra
    zip.extend_from_slice(&0u16.to_le_bytes()); // comment
    zip.extend_from_slice(&0u16.to_le_bytes()); // disk
    zip.extend_from_slice(&0u16.to_le_bytes()); // internal attributes
    zip.extend_from_slice(&((0o100_755u32) << 16).to_le_bytes()); // -rwxr-xr-x
    zip.extend_from_slice(&0u32.to_le_bytes()); // local header offset
    zip.extend_from_slice(name.as_bytes());
    let central_size = u32::try_from(zip.len()).expect("under 4 GiB") - central_offset;
    // End of central directory.
    zip.extend_from_slice(&0x0605_4b50u32.to_le_bytes());
    zip.extend_from_slice(&0u16.to_le_bytes());
    zip.extend_from_slice(&0u16.to_le_bytes());
    zip.extend_from_slice(&1u16.to_le_bytes());
    zip.extend_from_slice(&1u16.to_le_bytes());
    zip.extend_from_slice(&central_size.to_le_bytes());
    zip.extend_from_slice(&central_offset.to_le_bytes());
    zip.extend_from_slice(&0u16.to_le_bytes());
    zip
}

fn crc32(data: &[u8]) -> u32 {
    let mut table = [0u32; 256];
    for (i, entry) in table.iter_mut().enumerate() {
        let mut c = i as u32;
        for _ in 0..8 {
            c = if c & 1 == 1 { 0xEDB8_8320 ^ (c >> 1) } else { c >> 1 };
        }
        *entry = c;
    }
    !data.iter().fold(!0u32, |crc, &b| {
        table[((crc ^ u32::from(b)) & 0xff) as usize] ^ (crc >> 8)
    })
}

/// DEFLATE (RFC 1951): greedy LZ77 over a 32 KiB window with hash chains, then one block
/// with dynamic Huffman codes per 64 Ki symbols. Within a few percent of `gzip -6` on
/// executables, and fast enough in a debug build for the tests.
mod deflate {
    const WINDOW: usize = 1 << 15;
    const HASH_BITS: u32 = 15;
    const MIN_MATCH: usize = 3;
    const MAX_MATCH: usize = 258;
    /// Candidates examined per position, and a match long enough to stop looking.
    const MAX_CHAIN: usize = 16;
    const NICE_MATCH: usize = 64;
    const SYMBOLS_PER_BLOCK: usize = 1 << 16;
    const NONE: u32 = u32::MAX;

    const LENGTH_BASE: [u16; 29] = [
        3, 4, 5, 6, 7, 8, 9, 10, 11, 13, 15, 17, 19, 23, 27, 31, 35, 43, 51, 59, 67, 83, 99, 115, 131, 163, 195, 227,
        258,
    ];
    const LENGTH_EXTRA: [u8; 29] = [
        0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 2, 2, 2, 2, 3, 3, 3, 3, 4, 4, 4, 4, 5, 5, 5, 5, 0,
    ];
    const DISTANCE_BASE: [u16; 30] = [
        1, 2, 3, 4, 5, 7, 9, 13, 17, 25, 33, 49, 65, 97, 129, 193, 257, 385, 513, 769, 1025, 1537, 2049, 3073, 4097,
        6145, 8193, 12289, 16385, 24577,
    ];
    const DISTANCE_EXTRA: [u8; 30] = [
        0, 0, 0, 0, 1, 1, 2, 2, 3, 3, 4, 4, 5, 5, 6, 6, 7, 7, 8, 8, 9, 9, 10, 10, 11, 11, 12, 12, 13, 13,
    ];
    /// The order in which code-length code lengths are sent.
    const CODE_LENGTH_ORDER: [usize; 19] = [16, 17, 18, 0, 8, 7, 9, 6, 10, 5, 11, 4, 12, 3, 13, 2, 14, 1, 15];

    /// A literal byte (`distance == 0`) or a back-reference.
    #[derive(Clone, Copy)]
    struct Token {
        value: u16,
        distance: u16,
    }

    pub fn compress(data: &[u8]) -> Vec<u8> {
        let tokens = lz77(data);
        let mut out = BitWriter::default();
        let mut blocks = tokens.chunks(SYMBOLS_PER_BLOCK).peekable();
        if blocks.peek().is_none() {
            write_block(&mut out, &[], true);
        }
        while let Some(block) = blocks.next() {
            write_block(&mut out, block, blocks.peek().is_none());
        }
        out.finish()
    }

    fn hash(data: &[u8], at: usize) -> usize {
        let v = u32::from(data[at]) | u32::from(data[at + 1]) << 8 | u32::from(data[at + 2]) << 16;
        (v.wrapping_mul(0x9E37_79B1) >> (32 - HASH_BITS)) as usize
    }

    fn match_length(data: &[u8], a: usize, b: usize, limit: usize) -> usize {
        let mut n = 0;
        while n + 8 <= limit {
            let x = u64::from_le_bytes(data[a + n..a + n + 8].try_into().expect("8 bytes"));
            let y = u64::from_le_bytes(data[b + n..b + n + 8].try_into().expect("8 bytes"));
            if x != y {
                return n + ((x ^ y).trailing_zeros() / 8) as usize;
            }
            n += 8;
        }
        while n < limit && data[a + n] == data[b + n] {
            n += 1;
        }
        n
    }

    fn lz77(data: &[u8]) -> Vec<Token> {
        let mut head = vec![NONE; 1 << HASH_BITS];
        let mut prev = vec![NONE; WINDOW];
        let mut tokens = Vec::with_capacity(data.len() / 3);
        let insert = |head: &mut Vec<u32>, prev: &mut Vec<u32>, at: usize| {
            let h = hash(data, at);
            prev[at % WINDOW] = head[h];
            head[h] = at as u32;
        };
        let mut i = 0;
        while i < data.len() {
            if i + MIN_MATCH > data.len() {
                tokens.push(Token {
                    value: u16::from(data[i]),
                    distance: 0,
                });
                i += 1;
                continue;
            }
            let limit = MAX_MATCH.min(data.len() - i);
            let (mut best_length, mut best_distance) = (0, 0);
            let mut candidate = head[hash(data, i)];
            let mut chain = MAX_CHAIN;
            while candidate != NONE && chain > 0 {
                let at = candidate as usize;
                let distance = i - at;
                if distance > WINDOW {
                    break;
                }
                if data[at + best_length.min(limit - 1)] == data[i + best_length.min(limit - 1)] {
                    let length = match_length(data, at, i, limit);
                    if length > best_length {
                        (best_length, best_distance) = (length, distance);
                        if length >= NICE_MATCH.min(limit) {
                            break;
                        }
                    }
                }
                candidate = prev[at % WINDOW];
                chain -= 1;
            }
            insert(&mut head, &mut prev, i);
            if best_length >= MIN_MATCH {
                tokens.push(Token {
                    value: best_length as u16,
                    distance: best_distance as u16,
                });
                for at in i + 1..(i + best_length).min(data.len() - MIN_MATCH + 1) {
                    insert(&mut head, &mut prev, at);
                }
                i += best_length;
            } else {
                tokens.push(Token {
                    value: u16::from(data[i]),
                    distance: 0,
                });
                i += 1;
            }
        }
        tokens
    }

    fn length_code(length: u16) -> usize {
        LENGTH_BASE.partition_point(|&base| base <= length) - 1
    }

    fn distance_code(distance: u16) -> usize {
        DISTANCE_BASE.partition_point(|&base| base <= distance) - 1
    }

    /// Huffman code lengths for `frequencies`, none longer than `limit`. Frequencies are
    /// halved until the tree fits (they end all equal, whose tree is balanced).
    fn code_lengths(frequencies: &[u32], limit: u8) -> Vec<u8> {
        let mut frequencies = frequencies.to_vec();
        loop {
            let lengths = huffman_lengths(&frequencies);
            if lengths.iter().all(|&l| l <= limit) {
                return lengths;
            }
            for f in frequencies.iter_mut().filter(|f| **f > 0) {
                *f = f.div_ceil(2);
            }
        }
    }

    fn huffman_lengths(frequencies: &[u32]) -> Vec<u8> {
        use std::cmp::Reverse;
        use std::collections::BinaryHeap;
        let mut lengths = vec![0u8; frequencies.len()];
        let used: Vec<usize> = (0..frequencies.len()).filter(|&s| frequencies[s] > 0).collect();
        if used.len() == 1 {
            lengths[used[0]] = 1;
            return lengths;
        }
        // Nodes: leaves first, then internal nodes; `parent` links each to its parent.
        let mut parent: Vec<usize> = vec![usize::MAX; used.len()];
        let mut heap: BinaryHeap<Reverse<(u64, usize)>> = used
            .iter()
            .enumerate()
            .map(|(node, &symbol)| Reverse((u64::from(frequencies[symbol]), node)))
            .collect();
        while heap.len() > 1 {
            let Reverse((a_weight, a)) = heap.pop().expect("two nodes");
            let Reverse((b_weight, b)) = heap.pop().expect("two nodes");
            let node = parent.len();
            parent.push(usize::MAX);
            parent[a] = node;
            parent[b] = node;
            heap.push(Reverse((a_weight + b_weight, node)));
        }
        for (leaf, &symbol) in used.iter().enumerate() {
            let mut depth = 0u32;
            let mut node = leaf;
            while parent[node] != usize::MAX {
                node = parent[node];
                depth += 1;
            }
            lengths[symbol] = u8::try_from(depth).unwrap_or(u8::MAX);
        }
        lengths
    }

    /// Canonical codes for `lengths`, bit-reversed for LSB-first output.
    fn codes(lengths: &[u8]) -> Vec<u16> {
        let mut count = [0u16; 16];
        for &l in lengths.iter().filter(|&&l| l > 0) {
            count[l as usize] += 1;
        }
        let mut next = [0u16; 16];
        let mut code = 0u16;
        for bits in 1..16 {
            code = (code + count[bits - 1]) << 1;
            next[bits] = code;
        }
        lengths
            .iter()
            .map(|&l| {
                if l == 0 {
                    return 0;
                }
                let code = next[l as usize];
                next[l as usize] += 1;
                code.reverse_bits() >> (16 - l)
            })
            .collect()
    }

    /// At least two used symbols, so that every code is complete.
    fn at_least_two(frequencies: &mut [u32]) {
        for symbol in 0..2 {
            if frequencies.iter().filter(|&&f| f > 0).count() >= 2 {
                break;
            }
            if frequencies[symbol] == 0 {
                frequencies[symbol] = 1;
            }
        }
    }

    fn write_block(out: &mut BitWriter, tokens: &[Token], last: bool) {
        let mut literal_frequencies = [0u32; 286];
        let mut distance_frequencies = [0u32; 30];
        for token in tokens {
            if token.distance == 0 {
                literal_frequencies[token.value as usize] += 1;
            } else {
                literal_frequencies[257 + length_code(token.value)] += 1;
                distance_frequencies[distance_code(token.distance)] += 1;
            }
        }
        literal_frequencies[256] += 1;
        at_least_two(&mut literal_frequencies);
        at_least_two(&mut distance_frequencies);
        let literal_lengths = code_lengths(&literal_frequencies, 15);
        let distance_lengths = code_lengths(&distance_frequencies, 15);
        let literals = literal_lengths
            .iter()
            .rposition(|&l| l > 0)
            .map_or(257, |p| (p + 1).max(257));
        let distances = distance_lengths.iter().rposition(|&l| l > 0).map_or(1, |p| p + 1);

        // The code lengths of both trees, run-length encoded: (symbol, extra value, extra bits).
        let all: Vec<u8> = literal_lengths[..literals]
            .iter()
            .chain(&distance_lengths[..distances])
            .copied()
            .collect();
        let mut runs: Vec<(u8, u8, u8)> = Vec::new();
        let mut i = 0;
        while i < all.len() {
            let length = all[i];
            let mut run = 1;
            while i + run < all.len() && all[i + run] == length {
                run += 1;
            }
            let mut left = run;
            if length == 0 {
                while left >= 11 {
                    let n = left.min(138);
                    runs.push((18, (n - 11) as u8, 7));
                    left -= n;
                }
                if left >= 3 {
                    runs.push((17, (left - 3) as u8, 3));
                    left = 0;
                }
            } else {
                runs.push((length, 0, 0));
                left -= 1;
                while left >= 3 {
                    let n = left.min(6);
                    runs.push((16, (n - 3) as u8, 2));
                    left -= n;
                }
            }
            for _ in 0..left {
                runs.push((length, 0, 0));
            }
            i += run;
        }
        let mut length_frequencies = [0u32; 19];
        for &(symbol, _, _) in &runs {
            length_frequencies[symbol as usize] += 1;
        }
        at_least_two(&mut length_frequencies);
        let length_lengths = code_lengths(&length_frequencies, 7);
        let length_codes = codes(&length_lengths);
        let code_length_count = CODE_LENGTH_ORDER
            .iter()
            .rposition(|&s| length_lengths[s] > 0)
            .map_or(4, |p| (p + 1).max(4));

        out.bits(u32::from(last), 1);
        out.bits(2, 2); // dynamic Huffman codes
        out.bits((literals - 257) as u32, 5);
        out.bits((distances - 1) as u32, 5);
        out.bits((code_length_count - 4) as u32, 4);
        for &symbol in &CODE_LENGTH_ORDER[..code_length_count] {
            out.bits(u32::from(length_lengths[symbol]), 3);
        }
        for &(symbol, extra, extra_bits) in &runs {
            let s = symbol as usize;
            out.bits(u32::from(length_codes[s]), length_lengths[s]);
            out.bits(u32::from(extra), extra_bits);
        }

        let literal_codes = codes(&literal_lengths);
        let distance_codes = codes(&distance_lengths);
        for token in tokens {
            if token.distance == 0 {
                let s = token.value as usize;
                out.bits(u32::from(literal_codes[s]), literal_lengths[s]);
            } else {
                let l = length_code(token.value);
                out.bits(u32::from(literal_codes[257 + l]), literal_lengths[257 + l]);
                out.bits(u32::from(token.value - LENGTH_BASE[l]), LENGTH_EXTRA[l]);
                let d = distance_code(token.distance);
                out.bits(u32::from(distance_codes[d]), distance_lengths[d]);
                out.bits(u32::from(token.distance - DISTANCE_BASE[d]), DISTANCE_EXTRA[d]);
            }
        }
        out.bits(u32::from(literal_codes[256]), literal_lengths[256]);
    }

    #[derive(Default)]
    struct BitWriter {
        bytes: Vec<u8>,
        buffer: u64,
        count: u32,
    }

    impl BitWriter {
        fn bits(&mut self, value: u32, count: u8) {
            self.buffer |= u64::from(value) << self.count;
            self.count += u32::from(count);
            while self.count >= 8 {
                self.bytes.push(self.buffer as u8);
                self.buffer >>= 8;
                self.count -= 8;
            }
        }

        fn finish(mut self) -> Vec<u8> {
            if self.count > 0 {
                self.bytes.push(self.buffer as u8);
            }
            self.bytes
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn crc32_matches_the_standard_check_value() {
        assert_eq!(crc32(b"123456789"), 0xCBF4_3926);
    }

    /// A small inflater (RFC 1951) to check the compressor without another crate.
    fn inflate(input: &[u8]) -> Vec<u8> {
        struct Bits<'a> {
            input: &'a [u8],
            position: usize,
        }
        impl Bits<'_> {
            fn bit(&mut self) -> u32 {
                let bit = (self.input[self.position / 8] >> (self.position % 8)) & 1;
                self.position += 1;
                u32::from(bit)
            }
            fn bits(&mut self, n: u8) -> u32 {
                (0..n).fold(0, |v, i| v | self.bit() << i)
            }
            /// Decodes one symbol of a canonical code.
            fn symbol(&mut self, code: &Code) -> usize {
                let (mut value, mut first, mut index) = (0usize, 0usize, 0usize);
                for len in 1..16 {
                    value |= self.bit() as usize;
                    let count = code.count[len];
                    if value < first + count {
                        return code.symbols[index + value - first];
                    }
                    index += count;
                    first = (first + count) << 1;
                    value <<= 1;
                }
                panic!("bad code");
            }
        }
        /// Symbols by code length, then by value: a canonical code's decoding table.
        struct Code {
            count: [usize; 16],
            symbols: Vec<usize>,
        }
        impl Code {
            fn new(lengths: &[u8]) -> Self {
                let mut count = [0; 16];
                lengths.iter().for_each(|&l| count[l as usize] += 1);
                count[0] = 0;
                let mut symbols: Vec<usize> = (0..lengths.len()).filter(|&s| lengths[s] > 0).collect();
                symbols.sort_by_key(|&s| lengths[s]);
                Self { count, symbols }
            }
        }
        const LB: [usize; 29] = [
            3, 4, 5, 6, 7, 8, 9, 10, 11, 13, 15, 17, 19, 23, 27, 31, 35, 43, 51, 59, 67, 83, 99, 115, 131, 163, 195,
            227, 258,
        ];
        const LE: [u8; 29] = [
            0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 2, 2, 2, 2, 3, 3, 3, 3, 4, 4, 4, 4, 5, 5, 5, 5, 0,
        ];
        const DB: [usize; 30] = [
            1, 2, 3, 4, 5, 7, 9, 13, 17, 25, 33, 49, 65, 97, 129, 193, 257, 385, 513, 769, 1025, 1537, 2049, 3073,
            4097, 6145, 8193, 12289, 16385, 24577,
        ];
        const DE: [u8; 30] = [
            0, 0, 0, 0, 1, 1, 2, 2, 3, 3, 4, 4, 5, 5, 6, 6, 7, 7, 8, 8, 9, 9, 10, 10, 11, 11, 12, 12, 13, 13,
        ];
        const ORDER: [usize; 19] = [16, 17, 18, 0, 8, 7, 9, 6, 10, 5, 11, 4, 12, 3, 13, 2, 14, 1, 15];
        let mut bits = Bits { input, position: 0 };
        let mut out = Vec::new();
        loop {
            let last = bits.bit();
            assert_eq!(bits.bits(2), 2, "dynamic blocks only");
            let literals = bits.bits(5) as usize + 257;
            let distances = bits.bits(5) as usize + 1;
            let count = bits.bits(4) as usize + 4;
            let mut length_lengths = [0u8; 19];
            for &s in &ORDER[..count] {
                length_lengths[s] = bits.bits(3) as u8;
            }
            let length_code = Code::new(&length_lengths);
            let mut lengths = Vec::new();
            while lengths.len() < literals + distances {
                match bits.symbol(&length_code) {
                    s @ 0..=15 => lengths.push(s as u8),
                    16 => {
                        let previous = *lengths.last().unwrap();
                        let n = 3 + bits.bits(2);
                        lengths.extend((0..n).map(|_| previous));
                    }
                    17 => lengths.extend((0..3 + bits.bits(3)).map(|_| 0)),
                    _ => lengths.extend((0..11 + bits.bits(7)).map(|_| 0)),
                }
            }
            let literal_code = Code::new(&lengths[..literals]);
            let distance_code = Code::new(&lengths[literals..]);
            loop {
                match bits.symbol(&literal_code) {
                    s @ 0..=255 => out.push(s as u8),
                    256 => break,
                    s => {
                        let l = s - 257;
                        let length = LB[l] + bits.bits(LE[l]) as usize;
                        let d = bits.symbol(&distance_code);
                        let distance = DB[d] + bits.bits(DE[d]) as usize;
                        for _ in 0..length {
                            out.push(out[out.len() - distance]);
                        }
                    }
                }
            }
            if last == 1 {
                return out;
            }
        }
    }

    fn sample(len: usize) -> Vec<u8> {
        // Repetitive text, runs, and pseudo-random bytes, like an executable's sections.
        let mut data = Vec::with_capacity(len);
        let mut state = 0x2545_F491_4F6C_DD1Du64;
        while data.len() < len {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            match state % 4 {
                0 => data.extend_from_slice(b"terraform-provider-entra group licence "),
                1 => data.extend(std::iter::repeat_n((state >> 8) as u8, (state >> 16) as usize % 300)),
                _ => data.extend((0..(state >> 24) as usize % 64).map(|i| (state >> (i % 56)) as u8)),
            }
        }
        data.truncate(len);
        data
    }

    #[test]
    fn deflate_round_trips_and_compresses() {
        for data in [
            Vec::new(),
            b"a".to_vec(),
            b"aaaaaaaaaaaaaaaaaaaaaaaa".to_vec(),
            sample(300_000),
        ] {
            let compressed = deflate::compress(&data);
            assert_eq!(inflate(&compressed), data, "round trip of {} bytes", data.len());
        }
        let data = sample(300_000);
        let compressed = deflate::compress(&data);
        assert!(
            compressed.len() < data.len() / 2,
            "{} of {}",
            compressed.len(),
            data.len()
        );
    }

    #[test]
    fn the_zip_names_its_entry_deflated_and_executable() {
        let zip = deflated_zip("terraform-provider-entra_v1.0.0", &sample(10_000));
        assert_eq!(&zip[..4], b"PK\x03\x04");
        assert_eq!(u16::from_le_bytes([zip[8], zip[9]]), 8, "method: deflate");
        let central = zip.len() - 22 - (46 + "terraform-provider-entra_v1.0.0".len());
        let attributes = u32::from_le_bytes(zip[central + 38..central + 42].try_into().unwrap());
        assert_eq!(attributes >> 16, 0o100_755);
    }
}
