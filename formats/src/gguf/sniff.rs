//! Recognising what a file is from its first bytes: GGUF, a Git LFS pointer,
//! or something else (an HTML error page, a safetensors or GGML file), so the
//! error can say what to do.

use super::GGUF_MAGIC;
use super::error::GgufError;
use std::fs::File;
use std::io::Read;
use std::path::Path;

/// The start of a Git LFS pointer file.
const LFS_PREFIX: &[u8] = b"version https://git-lfs.github.com/spec";

/// Recognises Git LFS pointers and other non-GGUF files by their first bytes.
pub(super) fn check_prefix(path: &Path, file: &mut File, size: u64) -> Result<(), GgufError> {
    let mut head = [0u8; 64];
    let n = usize::try_from(size.min(head.len() as u64)).unwrap_or(head.len());
    let head = &mut head[..n];
    file.read_exact(head).map_err(|source| GgufError::Io {
        path: path.to_path_buf(),
        source,
    })?;
    if head.starts_with(LFS_PREFIX) {
        return Err(GgufError::LfsPointer {
            path: path.to_path_buf(),
        });
    }
    if head.len() < 4 {
        if GGUF_MAGIC.starts_with(head) {
            return Err(GgufError::Truncated {
                path: path.to_path_buf(),
                what: "the GGUF magic".into(),
                offset: 0,
                file_size: size,
            });
        }
    } else if &head[..4] == GGUF_MAGIC {
        return Ok(());
    }
    Err(GgufError::BadMagic {
        path: path.to_path_buf(),
        found: head.iter().take(4).map(|&b| show_byte(b)).collect(),
        hint: magic_hint(head).to_string(),
    })
}

fn show_byte(b: u8) -> String {
    if b.is_ascii_graphic() || b == b' ' {
        char::from(b).to_string()
    } else {
        format!("\\x{b:02x}")
    }
}

fn magic_hint(head: &[u8]) -> &'static str {
    let trimmed = head.trim_ascii_start();
    if head.starts_with(b"lmgg") || head.starts_with(b"fmgg") || head.starts_with(b"tjgg") {
        "; it looks like a pre-GGUF (GGML/GGJT) model: convert it with a recent llama.cpp"
    } else if trimmed.starts_with(b"<") {
        "; it looks like an HTML/XML page, not a model (a failed download? check the URL)"
    } else if head.len() > 8 && head[8] == b'{' {
        "; it looks like a safetensors file: convert it with llama.cpp's `convert_hf_to_gguf.py`"
    } else if head.starts_with(b"PK\x03\x04") {
        "; it looks like a zip archive (a PyTorch checkpoint?): convert it to GGUF first"
    } else if trimmed.starts_with(b"{") {
        "; it looks like a JSON file, not a model"
    } else {
        "; is this the right file? edgebench needs a GGUF model (.gguf)"
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn magic_hints() {
        assert!(magic_hint(b"<!DOCTYPE html>").contains("HTML"));
        assert!(magic_hint(b"tjgg\x01\x00\x00\x00").contains("GGJT"));
        assert!(magic_hint(b"\x10\x00\x00\x00\x00\x00\x00\x00{\"a\"").contains("safetensors"));
        assert!(magic_hint(b"\x00\x01\x02\x03").contains("right file"));
    }
}
