//! Builds the release artefacts the Terraform Registry (and a filesystem mirror) expects:
//! `terraform-provider-entra_<version>_<os>_<arch>.zip` holding
//! `terraform-provider-entra_v<version>`, the `…_manifest.json`, and `…_SHA256SUMS`.
//!
//!     cargo build --release && cargo run --release --bin package -- --out dist
//!
//! Options: `--binary PATH` (default: the release binary next to this one), `--out DIR`
//! (default `dist`). The zip is written here (stored entries, Unix executable bit), so no
//! `zip` tool is needed.

use std::path::PathBuf;
use std::process::ExitCode;

const NAME: &str = "terraform-provider-entra";

fn main() -> ExitCode {
    let mut binary = std::env::current_exe()
        .ok()
        .and_then(|p| p.parent().map(|d| d.join(NAME)));
    let mut out = PathBuf::from("dist");
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        match (arg.as_str(), args.next()) {
            ("--binary", Some(path)) => binary = Some(PathBuf::from(path)),
            ("--out", Some(dir)) => out = PathBuf::from(dir),
            _ => {
                eprintln!("usage: package [--binary PATH] [--out DIR]");
                return ExitCode::from(2);
            }
        }
    }
    let Some(binary) = binary else {
        eprintln!("package: cannot locate the provider binary; pass --binary");
        return ExitCode::FAILURE;
    };
    match package(&binary, &out) {
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

fn package(binary: &std::path::Path, out: &std::path::Path) -> std::io::Result<Vec<PathBuf>> {
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
    let executable =
        std::fs::read(binary).map_err(|e| std::io::Error::new(e.kind(), format!("{}: {e}", binary.display())))?;
    std::fs::create_dir_all(out)?;
    let zip_name = format!("{NAME}_{version}_{platform}.zip");
    let manifest_name = format!("{NAME}_{version}_manifest.json");
    let zip = stored_zip(&format!("{NAME}_v{version}"), &executable);
    let manifest = "{\n  \"version\": 1,\n  \"metadata\": {\n    \"protocol_versions\": [\"6.0\"]\n  }\n}\n";
    std::fs::write(out.join(&zip_name), &zip)?;
    std::fs::write(out.join(&manifest_name), manifest)?;
    let sha = |data: &[u8]| {
        aws_lc_rs::digest::digest(&aws_lc_rs::digest::SHA256, data)
            .as_ref()
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect::<String>()
    };
    let sums = format!(
        "{}  {manifest_name}\n{}  {zip_name}\n",
        sha(manifest.as_bytes()),
        sha(&zip)
    );
    let sums_name = format!("{NAME}_{version}_SHA256SUMS");
    std::fs::write(out.join(&sums_name), sums)?;
    Ok(vec![out.join(zip_name), out.join(manifest_name), out.join(sums_name)])
}

/// A zip archive with one stored (uncompressed) file, marked executable for Unix.
fn stored_zip(name: &str, data: &[u8]) -> Vec<u8> {
    let crc = crc32(data);
    let size = u32::try_from(data.len()).expect("the provider binary is under 4 GiB");
    let name_len = u16::try_from(name.len()).expect("short name");
    let mut zip = Vec::with_capacity(data.len() + 200);
    // Local file header.
    zip.extend_from_slice(&0x0403_4b50u32.to_le_bytes());
    zip.extend_from_slice(&20u16.to_le_bytes()); // version needed
    zip.extend_from_slice(&0u16.to_le_bytes()); // flags
    zip.extend_from_slice(&0u16.to_le_bytes()); // stored
    zip.extend_from_slice(&0u16.to_le_bytes()); // time
    zip.extend_from_slice(&0x21u16.to_le_bytes()); // date: 1980-01-01
    zip.extend_from_slice(&crc.to_le_bytes());
    zip.extend_from_slice(&size.to_le_bytes());
    zip.extend_from_slice(&size.to_le_bytes());
    zip.extend_from_slice(&name_len.to_le_bytes());
    zip.extend_from_slice(&0u16.to_le_bytes());
    zip.extend_from_slice(name.as_bytes());
    zip.extend_from_slice(data);
    let central_offset = u32::try_from(zip.len()).expect("under 4 GiB");
    // Central directory entry.
    zip.extend_from_slice(&0x0201_4b50u32.to_le_bytes());
    zip.extend_from_slice(&((3u16 << 8) | 20).to_le_bytes()); // made by: Unix
    zip.extend_from_slice(&20u16.to_le_bytes());
    zip.extend_from_slice(&0u16.to_le_bytes());
    zip.extend_from_slice(&0u16.to_le_bytes());
    zip.extend_from_slice(&0u16.to_le_bytes());
    zip.extend_from_slice(&0x21u16.to_le_bytes());
    zip.extend_from_slice(&crc.to_le_bytes());
    zip.extend_from_slice(&size.to_le_bytes());
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn crc32_matches_the_standard_check_value() {
        assert_eq!(crc32(b"123456789"), 0xCBF4_3926);
    }
}
