//! Finding a `-----BEGIN …-----` block the way OpenSSL does — anywhere in
//! the file, after notes such as the "Bag Attributes" that `openssl pkcs12`
//! writes — and reading its base64 whatever the line width (OpenSSH writes
//! 70 characters a line; PuTTYgen and OpenSSL 64) and line ending.

use base64::Engine;
use base64::alphabet;
use base64::engine::{DecodePaddingMode, GeneralPurpose, GeneralPurposeConfig};
use zeroize::Zeroizing;

use crate::error::KeyError;
use crate::wire::damaged;

/// Base64 as every writer of key files produces it: padded or not.
const LENIENT: GeneralPurpose = GeneralPurpose::new(
    &alphabet::STANDARD,
    GeneralPurposeConfig::new()
        .with_decode_padding_mode(DecodePaddingMode::Indifferent)
        .with_decode_allow_trailing_bits(true),
);

/// One armored block, decoded.
pub(crate) struct Armor<'a> {
    /// `Name: value` lines before the body (legacy encrypted PEM has them).
    pub(crate) headers: Vec<&'a str>,
    pub(crate) body: Zeroizing<Vec<u8>>,
}

/// The label of every `-----BEGIN LABEL-----` line, in order.
pub(crate) fn labels(text: &str) -> impl Iterator<Item = &str> {
    text.lines().filter_map(|line| {
        line.trim()
            .strip_prefix("-----BEGIN ")?
            .strip_suffix("-----")
    })
}

/// The first block labelled `label`, its base64 decoded.
pub(crate) fn block<'a>(text: &'a str, label: &str) -> Result<Armor<'a>, KeyError> {
    let begin = format!("-----BEGIN {label}-----");
    let end = format!("-----END {label}-----");
    let mut lines = text
        .lines()
        .map(str::trim)
        .skip_while(|line| *line != begin)
        .skip(1);
    let mut headers = Vec::new();
    let mut encoded = Zeroizing::new(String::new());
    let mut ended = false;
    for line in lines.by_ref() {
        if line == end {
            ended = true;
            break;
        }
        if line.contains(':') && encoded.is_empty() {
            headers.push(line);
        } else {
            encoded.extend(line.chars().filter(|c| !c.is_whitespace()));
        }
    }
    if !ended {
        return Err(damaged("the file is cut short: its END line is missing"));
    }
    let body = decode_lenient(encoded.as_bytes())
        .map_err(|_| damaged("the text between its BEGIN and END lines is not valid base64"))?;
    if body.is_empty() {
        return Err(damaged("there is nothing between its BEGIN and END lines"));
    }
    Ok(Armor {
        headers,
        body: Zeroizing::new(body),
    })
}

/// Decodes base64 with or without padding (whitespace already removed).
pub(crate) fn decode_lenient(encoded: &[u8]) -> Result<Vec<u8>, base64::DecodeError> {
    LENIENT.decode(encoded)
}

/// `bytes` as base64 in lines of 64 characters, the PEM standard.
pub(crate) fn wrap(bytes: &[u8]) -> Zeroizing<String> {
    let encoded = Zeroizing::new(base64::engine::general_purpose::STANDARD.encode(bytes));
    let mut out = Zeroizing::new(String::with_capacity(
        encoded.len() + encoded.len() / 64 + 1,
    ));
    for chunk in encoded.as_bytes().chunks(64) {
        out.extend(chunk.iter().map(|&b| char::from(b)));
        out.push('\n');
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn line_width_line_endings_and_notes_before_the_block_do_not_matter() {
        let text = "Bag Attributes\r\n    localKeyID: 01\r\n-----BEGIN X-----\r\naGVsbG8g\r\nd29y\r\nbGQ=\r\n-----END X-----\r\n";
        assert_eq!(labels(text).collect::<Vec<_>>(), ["X"]);
        let armor = block(text, "X").expect("read");
        assert_eq!(
            armor.body.as_slice(),
            b"hello world",
            "PuTTYgen, OpenSSL and Windows editors write such files"
        );
    }

    #[test]
    fn a_block_without_its_end_line_is_cut_short() {
        assert_eq!(
            block("-----BEGIN X-----\naGVsbG8=\n", "X").err(),
            Some(KeyError::Garbled(
                "the file is cut short: its END line is missing".into()
            ))
        );
    }
}
