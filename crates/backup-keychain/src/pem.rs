//! PEM private keys — PKCS#1, SEC1 and PKCS#8, plain or protected by a
//! passphrase — read by OpenSSL, as OpenSSH itself reads them.
//!
//! OpenSSL's reader is handed a clean copy of the block (no byte-order mark,
//! no notes around it, standard line width), and the block is checked first
//! for being whole, so that a damaged file is called damaged and only an
//! intact encrypted one that will not open is called a wrong passphrase.

use openssl::pkey::PKey;

use crate::armor::{self, Armor};
use crate::error::KeyError;
use crate::keypair::{Keypair, Parsed};
use crate::wire::damaged;

/// Reads the first block labelled `label` (one ending in `PRIVATE KEY`).
pub(crate) fn read(text: &str, label: &str, passphrase: Option<&str>) -> Result<Parsed, KeyError> {
    let Armor { headers, body } = armor::block(text, label)?;
    let legacy_encrypted = headers
        .iter()
        .any(|h| h.starts_with("Proc-Type:") && h.contains("ENCRYPTED"));
    let encrypted = legacy_encrypted || label == "ENCRYPTED PRIVATE KEY";
    if legacy_encrypted {
        // Encrypted bytes in whole cipher blocks; anything else was cut.
        if !body.len().is_multiple_of(8) {
            return Err(damaged("the key data is cut short"));
        }
    } else {
        check_der(&body)?;
    }
    let pass = match (encrypted, passphrase) {
        (true, None) => return Err(KeyError::NeedsPassphrase),
        (true, Some(pass)) => pass,
        (false, _) => "",
    };
    let mut clean = zeroize::Zeroizing::new(format!("-----BEGIN {label}-----\n"));
    for header in &headers {
        clean.push_str(header);
        clean.push('\n');
    }
    if !headers.is_empty() {
        clean.push('\n');
    }
    clean.push_str(&armor::wrap(&body));
    clean.push_str(&format!("-----END {label}-----\n"));
    let key =
        PKey::private_key_from_pem_passphrase(clean.as_bytes(), pass.as_bytes()).map_err(|_| {
            if encrypted {
                KeyError::WrongPassphrase
            } else {
                damaged("the data inside it is not a valid private key")
            }
        })?;
    let format = match label {
        "RSA PRIVATE KEY" => "PEM (PKCS#1)",
        "EC PRIVATE KEY" => "PEM (SEC1)",
        "PRIVATE KEY" | "ENCRYPTED PRIVATE KEY" => "PEM (PKCS#8)",
        _ => "PEM",
    };
    Ok(Parsed {
        keypair: Keypair::new(key)?,
        format,
        encrypted,
    })
}

/// Checks that `der` is one whole DER `SEQUENCE` (every PEM key is one):
/// a cut file shows here, before it could pass for a wrong passphrase.
fn check_der(der: &[u8]) -> Result<(), KeyError> {
    let not_a_key = || damaged("the data inside it is not a private key");
    let (&tag, rest) = der.split_first().ok_or_else(not_a_key)?;
    let (&first, rest) = rest.split_first().ok_or_else(not_a_key)?;
    if tag != 0x30 {
        return Err(not_a_key());
    }
    let (len, rest) = if first < 0x80 {
        (usize::from(first), rest)
    } else {
        let count = usize::from(first & 0x7f);
        if count == 0 || count > 4 || count > rest.len() {
            return Err(not_a_key());
        }
        let (digits, rest) = rest.split_at(count);
        let len = digits
            .iter()
            .fold(0usize, |acc, &d| (acc << 8) | usize::from(d));
        (len, rest)
    };
    if len > rest.len() {
        return Err(damaged("the key data is cut short"));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_cut_der_sequence_is_told_from_one_that_is_whole() {
        assert!(check_der(&[0x30, 0x03, 1, 2, 3]).is_ok());
        assert_eq!(
            check_der(&[0x30, 0x82, 0x01, 0x00, 1, 2]).err(),
            Some(KeyError::Garbled("the key data is cut short".into())),
            "a cut encrypted key must not be reported as a wrong passphrase"
        );
        assert!(check_der(b"hello").is_err(), "not DER at all");
    }
}
