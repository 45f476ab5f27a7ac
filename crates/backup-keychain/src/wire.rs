//! The SSH wire encoding (RFC 4251 §5) that OpenSSH and PuTTY key files are
//! made of: big-endian `u32` lengths before strings and integers.
//!
//! Lenient where OpenSSH is (an integer may carry extra leading zeros, as
//! PuTTY and older tools write them), strict about lengths, so that a cut
//! file is reported as cut and never read past its end.

use openssl::bn::BigNum;

use crate::error::KeyError;

/// Says, in plain words, that the key data is not what it should be.
pub(crate) fn damaged(reason: &str) -> KeyError {
    KeyError::Garbled(reason.into())
}

fn cut_short() -> KeyError {
    damaged("the key data is cut short")
}

/// A cursor over SSH-encoded bytes.
pub(crate) struct Wire<'a> {
    rest: &'a [u8],
}

impl<'a> Wire<'a> {
    pub(crate) fn new(bytes: &'a [u8]) -> Wire<'a> {
        Wire { rest: bytes }
    }

    /// The next `n` raw bytes.
    pub(crate) fn bytes(&mut self, n: usize) -> Result<&'a [u8], KeyError> {
        if n > self.rest.len() {
            return Err(cut_short());
        }
        let (head, tail) = self.rest.split_at(n);
        self.rest = tail;
        Ok(head)
    }

    pub(crate) fn u32(&mut self) -> Result<u32, KeyError> {
        let bytes = self.bytes(4)?;
        Ok(u32::from_be_bytes([bytes[0], bytes[1], bytes[2], bytes[3]]))
    }

    /// A length-prefixed byte string.
    pub(crate) fn string(&mut self) -> Result<&'a [u8], KeyError> {
        let len = self.u32()?;
        let len = usize::try_from(len).map_err(|_| cut_short())?;
        self.bytes(len)
    }

    /// A length-prefixed string that must be text (a key type, a curve).
    pub(crate) fn text(&mut self) -> Result<&'a str, KeyError> {
        std::str::from_utf8(self.string()?).map_err(|_| damaged("a name in the key is not text"))
    }

    /// A non-negative `mpint`; leading zero bytes are accepted, as OpenSSH does.
    pub(crate) fn mpint(&mut self) -> Result<BigNum, KeyError> {
        let bytes = self.string()?;
        if bytes.first().is_some_and(|b| b & 0x80 != 0) {
            return Err(damaged("a number in the key is negative"));
        }
        BigNum::from_slice(bytes).map_err(|_| damaged("a number in the key cannot be read"))
    }
}

/// Appends `bytes` as a length-prefixed string.
pub(crate) fn put_string(out: &mut Vec<u8>, bytes: &[u8]) -> Result<(), KeyError> {
    let len = u32::try_from(bytes.len()).map_err(|_| damaged("a part of the key is too long"))?;
    out.extend_from_slice(&len.to_be_bytes());
    out.extend_from_slice(bytes);
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_cut_string_is_reported_as_cut_not_read_past_the_end() {
        let mut wire = Wire::new(&[0, 0, 0, 9, b'a', b'b']);
        assert_eq!(
            wire.string().err(),
            Some(KeyError::Garbled("the key data is cut short".into())),
            "a length beyond the data must not be trusted"
        );
    }

    #[test]
    fn an_mpint_with_extra_leading_zeros_reads_as_the_same_number() {
        let mut wire = Wire::new(&[0, 0, 0, 3, 0, 0, 7, 0, 0, 0, 1, 7]);
        let padded = wire.mpint().expect("padded");
        let minimal = wire.mpint().expect("minimal");
        assert_eq!(
            padded, minimal,
            "OpenSSH reads both; short and padded private scalars must both load"
        );
        let mut negative = Wire::new(&[0, 0, 0, 1, 0x80]);
        assert!(negative.mpint().is_err(), "no key number is negative");
    }
}
