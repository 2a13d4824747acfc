//! A position-tracking buffered reader over a GGUF file that knows how many
//! bytes are left, so every read and every claimed length is checked against
//! the end of the file before anything is allocated.

use super::error::GgufError;
use std::fs::File;
use std::io::{BufReader, ErrorKind, Read};
use std::path::PathBuf;

/// A position-tracking reader that knows how many bytes the file has left.
pub(super) struct Cursor {
    pub r: BufReader<File>,
    pub pos: u64,
    pub size: u64,
    pub path: PathBuf,
    /// Keys of metadata arrays whose elements are read and kept (in
    /// `kept`) rather than skipped.
    pub keep: &'static [&'static str],
    pub kept: std::collections::BTreeMap<String, super::GgufArray>,
}

impl Cursor {
    pub(super) fn remaining(&self) -> u64 {
        self.size.saturating_sub(self.pos)
    }

    pub(super) fn truncated(&self, what: String) -> GgufError {
        GgufError::Truncated {
            path: self.path.clone(),
            what,
            offset: self.pos,
            file_size: self.size,
        }
    }

    pub(super) fn io(&self, source: std::io::Error) -> GgufError {
        GgufError::Io {
            path: self.path.clone(),
            source,
        }
    }

    pub(super) fn fill(
        &mut self,
        buf: &mut [u8],
        what: impl FnOnce() -> String,
    ) -> Result<(), GgufError> {
        let n = buf.len() as u64;
        if n > self.remaining() {
            return Err(self.truncated(what()));
        }
        match self.r.read_exact(buf) {
            Ok(()) => {
                self.pos += n;
                Ok(())
            }
            // The file shrank while being read.
            Err(e) if e.kind() == ErrorKind::UnexpectedEof => Err(self.truncated(what())),
            Err(e) => Err(self.io(e)),
        }
    }

    pub(super) fn array<const N: usize>(
        &mut self,
        what: impl FnOnce() -> String,
    ) -> Result<[u8; N], GgufError> {
        let mut buf = [0u8; N];
        self.fill(&mut buf, what)?;
        Ok(buf)
    }

    pub(super) fn u32(&mut self, what: impl FnOnce() -> String) -> Result<u32, GgufError> {
        self.array(what).map(u32::from_le_bytes)
    }

    pub(super) fn u64(&mut self, what: impl FnOnce() -> String) -> Result<u64, GgufError> {
        self.array(what).map(u64::from_le_bytes)
    }

    pub(super) fn skip(&mut self, n: u64, what: impl FnOnce() -> String) -> Result<(), GgufError> {
        if n > self.remaining() {
            return Err(self.truncated(what()));
        }
        let Ok(delta) = i64::try_from(n) else {
            return Err(self.truncated(what()));
        };
        self.r.seek_relative(delta).map_err(|e| self.io(e))?;
        self.pos += n;
        Ok(())
    }

    /// Reads a string's length and checks it against the bytes left.
    pub(super) fn string_len(&mut self, what: &dyn Fn() -> String) -> Result<u64, GgufError> {
        let len = self.u64(|| format!("the length of {}", what()))?;
        if len > self.remaining() {
            return Err(GgufError::StringPastEof {
                path: self.path.clone(),
                what: what(),
                len,
                remaining: self.remaining(),
            });
        }
        Ok(len)
    }

    pub(super) fn string(&mut self, what: &dyn Fn() -> String) -> Result<Vec<u8>, GgufError> {
        let len = self.string_len(what)?;
        // `len` is at most the bytes left in the file, so this allocation is
        // bounded by the file size.
        let mut buf = vec![0u8; usize::try_from(len).map_err(|_| self.truncated(what()))?];
        self.fill(&mut buf, what)?;
        Ok(buf)
    }
}
