//! The backup file format (docs/backup-format.md): a framed plaintext stream, encrypted as
//! one age file.
//!
//! Plaintext: `MAGIC` (8 bytes) + format version (u16 BE), then frames
//! `kind (1 byte) | length (u32 BE) | payload`. The first frame is the header (`H`, JSON),
//! then rows (`R`) of a full backup or change records (`C`), then the trailer (`T`, JSON)
//! holding the frame counts and the SHA-256 of every plaintext byte before it. Nothing may
//! follow the trailer. age authenticates every 64 KiB chunk and marks the last one, so a
//! cut or altered ciphertext fails to decrypt; the trailer catches anything else.

use std::collections::BTreeMap;
use std::io::{self, Read, Write};

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::error::{Error, Result};
use crate::store::ChangeRecord;
use crate::store::codec;

/// First bytes of every plaintext stream.
pub const MAGIC: &[u8; 8] = b"TRYGGBAK";
/// Version of the framing this build writes and reads.
pub const FORMAT_VERSION: u16 = 1;
/// Largest frame accepted when reading (a blob is at most 50 MiB plus its key).
pub const MAX_FRAME: u32 = 64 * 1024 * 1024;

const FRAME_HEADER: u8 = b'H';
const FRAME_ROW: u8 = b'R';
const FRAME_CHANGE: u8 = b'C';
const FRAME_TRAILER: u8 = b'T';

/// What a backup file holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, PartialOrd, Ord)]
#[serde(rename_all = "lowercase")]
pub enum Kind {
    /// Every replicated row at `seq_to` (a consistent snapshot).
    Full,
    /// Change-log records `seq_from..=seq_to`, taken by the daily schedule or on request.
    Incremental,
    /// Change-log records `seq_from..=seq_to`, shipped by the interval schedule or at shutdown.
    Segment,
}

impl Kind {
    /// `full`, `incremental` or `segment` (file names, manifest).
    pub fn as_str(self) -> &'static str {
        match self {
            Kind::Full => "full",
            Kind::Incremental => "incremental",
            Kind::Segment => "segment",
        }
    }
    /// Parses [`Kind::as_str`].
    pub fn parse(s: &str) -> Option<Kind> {
        match s {
            "full" => Some(Kind::Full),
            "incremental" => Some(Kind::Incremental),
            "segment" => Some(Kind::Segment),
            _ => None,
        }
    }
}

/// The header frame (JSON).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Header {
    /// [`FORMAT_VERSION`].
    pub format: u16,
    pub kind: Kind,
    /// Chain id (`YYYYMMDDTHHMMSSmmmZ` of the full backup that starts the chain).
    pub chain: String,
    /// Position in the chain, 1 for the full backup.
    pub index: u32,
    /// First change-log sequence number held (0 for a full backup).
    pub seq_from: u64,
    /// Newest sequence number reflected by this file.
    pub seq_to: u64,
    /// Commit time (Unix ms) of record `seq_to`.
    pub seq_to_ts_ms: i64,
    /// When the file was written, Unix ms.
    pub created_ms: i64,
    /// Rows per table id in the store at `seq_to`.
    pub counts: BTreeMap<u8, u64>,
    /// Writer, e.g. `trygg 0.1.0`.
    pub writer: String,
}

/// The trailer frame (JSON).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Trailer {
    /// Row frames written.
    pub rows: u64,
    /// Change frames written.
    pub changes: u64,
    /// Hex SHA-256 of every plaintext byte before the trailer frame.
    pub sha256: String,
}

/// A write sink that hashes and counts what passes through it.
pub struct HashingWriter<W: Write> {
    inner: W,
    hash: Sha256,
    bytes: u64,
}

impl<W: Write> HashingWriter<W> {
    /// Wraps `inner`.
    pub fn new(inner: W) -> Self {
        HashingWriter {
            inner,
            hash: Sha256::new(),
            bytes: 0,
        }
    }
    /// The inner writer, the hex SHA-256 and the byte count.
    pub fn finish(self) -> (W, String, u64) {
        (self.inner, hex::encode(self.hash.finalize()), self.bytes)
    }
}

impl<W: Write> Write for HashingWriter<W> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        let n = self.inner.write(buf)?;
        self.hash.update(&buf[..n]);
        self.bytes += n as u64;
        Ok(n)
    }
    fn flush(&mut self) -> io::Result<()> {
        self.inner.flush()
    }
}

/// Writes the plaintext frames of one backup file into `W` (the age stream).
pub struct FrameWriter<W: Write> {
    out: HashingWriter<W>,
    rows: u64,
    changes: u64,
}

impl<W: Write> FrameWriter<W> {
    /// Writes the magic, the version and the header frame.
    pub fn start(out: W, header: &Header) -> Result<Self> {
        let mut w = FrameWriter {
            out: HashingWriter::new(out),
            rows: 0,
            changes: 0,
        };
        w.out.write_all(MAGIC)?;
        w.out.write_all(&FORMAT_VERSION.to_be_bytes())?;
        let h = serde_json::to_vec(header)?;
        w.frame(FRAME_HEADER, &[&h])?;
        Ok(w)
    }

    fn frame(&mut self, kind: u8, parts: &[&[u8]]) -> Result<()> {
        let len: usize = parts.iter().map(|p| p.len()).sum();
        let len = u32::try_from(len)
            .ok()
            .filter(|l| *l <= MAX_FRAME)
            .ok_or_else(|| Error::internal(format!("backup frame of {len} bytes is too large")))?;
        self.out.write_all(&[kind])?;
        self.out.write_all(&len.to_be_bytes())?;
        for p in parts {
            self.out.write_all(p)?;
        }
        Ok(())
    }

    /// A row of a full backup: `table (1) | key length (u32 BE) | key | value`.
    pub fn row(&mut self, table: u8, key: &[u8], value: &[u8]) -> Result<()> {
        let klen = u32::try_from(key.len()).map_err(|_| Error::internal("key too long"))?;
        self.frame(FRAME_ROW, &[&[table], &klen.to_be_bytes(), key, value])?;
        self.rows += 1;
        Ok(())
    }

    /// A change-log record (the store's own encoding, [`codec::encode`]).
    pub fn change(&mut self, rec: &ChangeRecord) -> Result<()> {
        let bytes = codec::encode_fixed(rec)?;
        self.frame(FRAME_CHANGE, &[&bytes])?;
        self.changes += 1;
        Ok(())
    }

    /// Writes the trailer and returns the inner writer and the trailer.
    pub fn finish(self) -> Result<(W, Trailer)> {
        let FrameWriter { out, rows, changes } = self;
        let (mut inner, sha256, _) = out.finish();
        let trailer = Trailer {
            rows,
            changes,
            sha256,
        };
        let t = serde_json::to_vec(&trailer)?;
        let len = u32::try_from(t.len()).map_err(|_| Error::internal("trailer too long"))?;
        inner.write_all(&[FRAME_TRAILER])?;
        inner.write_all(&len.to_be_bytes())?;
        inner.write_all(&t)?;
        Ok((inner, trailer))
    }
}

/// One item read from a backup file.
#[derive(Debug)]
pub enum Item {
    /// A row of a full backup.
    Row {
        table: u8,
        key: Vec<u8>,
        value: Vec<u8>,
    },
    /// A change-log record.
    Change(ChangeRecord),
}

/// Reads and checks the frames of one decrypted backup file. Errors are `Invalid` with a
/// message saying what is wrong (the caller adds the file name).
pub struct FrameReader<R: Read> {
    input: R,
    hash: Sha256,
    rows: u64,
    changes: u64,
    header: Header,
    done: bool,
}

fn read_exact_or<R: Read>(r: &mut R, buf: &mut [u8], what: &str) -> Result<()> {
    r.read_exact(buf).map_err(|e| io_to_error(e, what))
}

/// Maps a read error (age reports failed authentication as `InvalidData`) to a message.
pub fn io_to_error(e: io::Error, what: &str) -> Error {
    match e.kind() {
        io::ErrorKind::UnexpectedEof => Error::invalid(format!(
            "the file ends early (truncated) while reading {what}"
        )),
        io::ErrorKind::InvalidData => Error::invalid(format!(
            "decryption failed while reading {what}: the file is truncated or corrupted"
        )),
        _ => Error::invalid(format!("cannot read {what}: {e}")),
    }
}

impl<R: Read> FrameReader<R> {
    /// Reads the magic, the version and the header frame.
    pub fn open(mut input: R) -> Result<Self> {
        let mut hash = Sha256::new();
        let mut magic = [0u8; 10];
        read_exact_or(&mut input, &mut magic, "the file header")?;
        if &magic[..8] != MAGIC {
            return Err(Error::invalid("not a trygg backup (bad magic)"));
        }
        let version = u16::from_be_bytes([magic[8], magic[9]]);
        if version != FORMAT_VERSION {
            return Err(Error::invalid(format!(
                "backup format version {version} is not supported by this trygg (reads {FORMAT_VERSION})"
            )));
        }
        hash.update(magic);
        let mut r = FrameReader {
            input,
            hash,
            rows: 0,
            changes: 0,
            header: Header {
                format: 0,
                kind: Kind::Full,
                chain: String::new(),
                index: 0,
                seq_from: 0,
                seq_to: 0,
                seq_to_ts_ms: 0,
                created_ms: 0,
                counts: BTreeMap::new(),
                writer: String::new(),
            },
            done: false,
        };
        let (kind, body) = r.raw_frame()?;
        if kind != FRAME_HEADER {
            return Err(Error::invalid("the first frame is not a header"));
        }
        r.header = serde_json::from_slice(&body)
            .map_err(|e| Error::invalid(format!("bad header frame: {e}")))?;
        Ok(r)
    }

    /// The header.
    pub fn header(&self) -> &Header {
        &self.header
    }

    fn raw_frame(&mut self) -> Result<(u8, Vec<u8>)> {
        let mut fh = [0u8; 5];
        read_exact_or(&mut self.input, &mut fh, "a frame")?;
        let len = u32::from_be_bytes([fh[1], fh[2], fh[3], fh[4]]);
        if len > MAX_FRAME {
            return Err(Error::invalid(format!("frame of {len} bytes is too large")));
        }
        let mut body = vec![0u8; len as usize];
        read_exact_or(&mut self.input, &mut body, "a frame")?;
        if fh[0] != FRAME_TRAILER {
            self.hash.update(fh);
            self.hash.update(&body);
        }
        Ok((fh[0], body))
    }

    /// The next row or record; `None` after a valid trailer (checked against the counts and
    /// the hash, and that nothing follows it).
    pub fn next_item(&mut self) -> Result<Option<Item>> {
        if self.done {
            return Ok(None);
        }
        let (kind, body) = self.raw_frame()?;
        match kind {
            FRAME_ROW => {
                if body.len() < 5 {
                    return Err(Error::invalid("row frame too short"));
                }
                let klen = u32::from_be_bytes([body[1], body[2], body[3], body[4]]) as usize;
                if body.len() < 5 + klen {
                    return Err(Error::invalid("row frame key overruns the frame"));
                }
                self.rows += 1;
                Ok(Some(Item::Row {
                    table: body[0],
                    key: body[5..5 + klen].to_vec(),
                    value: body[5 + klen..].to_vec(),
                }))
            }
            FRAME_CHANGE => {
                let rec: ChangeRecord = codec::decode(&body)
                    .map_err(|_| Error::invalid("a change frame does not decode"))?;
                self.changes += 1;
                Ok(Some(Item::Change(rec)))
            }
            FRAME_TRAILER => {
                let t: Trailer = serde_json::from_slice(&body)
                    .map_err(|e| Error::invalid(format!("bad trailer frame: {e}")))?;
                let sha = hex::encode(std::mem::take(&mut self.hash).finalize());
                if t.rows != self.rows || t.changes != self.changes {
                    return Err(Error::invalid(format!(
                        "trailer counts ({} rows, {} changes) differ from the frames read ({} rows, {} changes)",
                        t.rows, t.changes, self.rows, self.changes
                    )));
                }
                if t.sha256 != sha {
                    return Err(Error::invalid("trailer hash does not match the frames"));
                }
                let mut extra = [0u8; 1];
                match self.input.read(&mut extra) {
                    Ok(0) => {}
                    Ok(_) => return Err(Error::invalid("data follows the trailer")),
                    Err(e) => return Err(io_to_error(e, "the end of the file")),
                }
                self.done = true;
                Ok(None)
            }
            FRAME_HEADER => Err(Error::invalid("a second header frame")),
            other => Err(Error::invalid(format!("unknown frame kind {other}"))),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::Op;

    fn header() -> Header {
        Header {
            format: FORMAT_VERSION,
            kind: Kind::Segment,
            chain: "20260101T000000000Z".into(),
            index: 2,
            seq_from: 5,
            seq_to: 6,
            seq_to_ts_ms: 9,
            created_ms: 10,
            counts: BTreeMap::from([(3, 1)]),
            writer: "test".into(),
        }
    }

    fn sample() -> Vec<u8> {
        let mut w = FrameWriter::start(Vec::new(), &header()).unwrap();
        w.row(3, b"k", b"value").unwrap();
        for seq in 5..=6 {
            w.change(&ChangeRecord {
                seq,
                ts_ms: 1,
                ops: vec![Op {
                    table: 3,
                    key: b"a".to_vec(),
                    value: Some(b"b".to_vec()),
                }],
            })
            .unwrap();
        }
        w.finish().unwrap().0
    }

    fn read_all(bytes: &[u8]) -> Result<usize> {
        let mut r = FrameReader::open(bytes)?;
        let mut n = 0;
        while r.next_item()?.is_some() {
            n += 1;
        }
        Ok(n)
    }

    #[test]
    fn frames_round_trip() {
        let bytes = sample();
        let r = FrameReader::open(bytes.as_slice()).unwrap();
        assert_eq!(r.header(), &header());
        assert_eq!(read_all(&bytes).unwrap(), 3);
    }

    #[test]
    fn every_truncation_and_every_flipped_byte_is_detected() {
        let bytes = sample();
        for cut in 0..bytes.len() {
            assert!(
                read_all(&bytes[..cut]).is_err(),
                "cut at {cut} not detected"
            );
        }
        for i in 0..bytes.len() {
            let mut b = bytes.clone();
            b[i] ^= 0x01;
            assert!(read_all(&b).is_err(), "flip at {i} not detected");
        }
        let mut longer = bytes.clone();
        longer.push(0);
        assert!(read_all(&longer).is_err());
    }
}
