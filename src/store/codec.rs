//! Value encoding: one format-version byte, then the body. Long-lived data never relies on
//! redb's own `Value` encodings (they change between redb majors).
//!
//! - Format 2 (records, [`encode`]): MessagePack with field names (rmp-serde). It is
//!   self-describing, so a field added to a record type with `#[serde(default)]` reads old
//!   rows, and an older trygg skips fields it does not know. Records change shape as trygg
//!   grows; this is what lets them.
//! - Format 1 ([`encode_fixed`]): postcard, compact and positional. Only for shapes that are
//!   part of a versioned format and never change in place (the change log's records); and
//!   the format every row of a schema-1 store was written in (see `crate::upgrade`).

use serde::{Serialize, de::DeserializeOwned};

use crate::error::{Error, Result};

/// Positional postcard: fixed shapes only.
pub const FORMAT_V1: u8 = 1;
/// MessagePack with field names: records.
pub const FORMAT_V2: u8 = 2;

/// Encodes a record as `[FORMAT_V2] ++ msgpack_named(value)`.
pub fn encode<T: Serialize>(value: &T) -> Result<Vec<u8>> {
    let mut out = vec![FORMAT_V2];
    rmp_serde::encode::write_named(&mut out, value)
        .map_err(|e| Error::internal(format!("encode: {e}")))?;
    Ok(out)
}

/// Encodes a fixed-shape value as `[FORMAT_V1] ++ postcard(value)`.
pub fn encode_fixed<T: Serialize>(value: &T) -> Result<Vec<u8>> {
    let mut out = vec![FORMAT_V1];
    postcard::to_io(value, &mut out).map_err(|e| Error::internal(format!("encode: {e}")))?;
    Ok(out)
}

/// Decodes bytes written by [`encode`] or [`encode_fixed`]. Errors (kind Internal) on an
/// unknown format byte or a body that does not match `T`.
pub fn decode<T: DeserializeOwned>(bytes: &[u8]) -> Result<T> {
    match bytes.split_first() {
        Some((&FORMAT_V2, body)) => {
            rmp_serde::from_slice(body).map_err(|e| Error::internal(format!("decode: {e}")))
        }
        Some((&FORMAT_V1, body)) => {
            postcard::from_bytes(body).map_err(|e| Error::internal(format!("decode: {e}")))
        }
        Some((v, _)) => Err(Error::internal(format!("unknown value format {v}"))),
        None => Err(Error::internal("empty value")),
    }
}

/// Big-endian u64, so byte order equals numeric order in keys.
pub fn be(n: u64) -> [u8; 8] {
    n.to_be_bytes()
}

/// Concatenates two big-endian u64s into a 16-byte key.
pub fn be2(a: u64, b: u64) -> [u8; 16] {
    let mut k = [0u8; 16];
    k[..8].copy_from_slice(&a.to_be_bytes());
    k[8..].copy_from_slice(&b.to_be_bytes());
    k
}

/// Reads a big-endian u64 from the first 8 bytes of `bytes` (0 when too short).
pub fn read_be(bytes: &[u8]) -> u64 {
    bytes
        .get(..8)
        .and_then(|b| b.try_into().ok())
        .map(u64::from_be_bytes)
        .unwrap_or(0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codec_round_trips_and_rejects_unknown_format() {
        let v = (42u64, "åäö".to_string(), vec![1u8, 2]);
        let bytes = encode(&v).unwrap();
        assert_eq!(bytes[0], FORMAT_V2);
        let back: (u64, String, Vec<u8>) = decode(&bytes).unwrap();
        assert_eq!(back, v);
        let fixed = encode_fixed(&v).unwrap();
        assert_eq!(fixed[0], FORMAT_V1);
        assert_eq!(decode::<(u64, String, Vec<u8>)>(&fixed).unwrap(), v);
        let mut bad = bytes.clone();
        bad[0] = 99;
        assert!(decode::<(u64, String, Vec<u8>)>(&bad).is_err());
        assert!(decode::<u64>(&[]).is_err());
    }

    /// The reason for format 2: a record read by a newer type with an added defaulted
    /// field, and by an older type that lacks a field.
    #[test]
    fn records_evolve_by_field_name() {
        #[derive(serde::Serialize, serde::Deserialize, Debug, PartialEq)]
        struct Old {
            a: u64,
            b: String,
        }
        #[derive(serde::Serialize, serde::Deserialize, Debug, PartialEq)]
        struct New {
            a: u64,
            b: String,
            #[serde(default)]
            c: Option<String>,
            #[serde(default)]
            d: Vec<u32>,
        }
        let old = encode(&Old {
            a: 1,
            b: "x".into(),
        })
        .unwrap();
        let new: New = decode(&old).unwrap();
        assert_eq!(
            new,
            New {
                a: 1,
                b: "x".into(),
                c: None,
                d: vec![]
            }
        );
        let newer = encode(&New {
            a: 2,
            b: "y".into(),
            c: Some("z".into()),
            d: vec![3],
        })
        .unwrap();
        assert_eq!(
            decode::<Old>(&newer).unwrap(),
            Old {
                a: 2,
                b: "y".into()
            }
        );
    }

    #[test]
    fn be_keys_sort_numerically() {
        assert!(be(255) < be(256));
        assert!(be2(1, u64::MAX) < be2(2, 0));
        assert_eq!(read_be(&be(7)), 7);
    }
}
