//! The contract's rule for identifiers (accounts, backups, people): the
//! provider enforces it on what it accepts, the app on what it receives
//! before an id may name anything local.

/// Whether `id` is a plausible identifier: 1–128 of `[A-Za-z0-9_-]`.
/// Anything else (dots, slashes, percent signs, a drive letter) can never
/// name a record or a folder.
pub fn is_valid_id(id: &str) -> bool {
    !id.is_empty()
        && id.len() <= 128
        && id
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn path_tricks_are_never_valid_ids() {
        for bad in [
            "",
            "..",
            "../etc",
            "/abs",
            "a/b",
            "a%2Fb",
            "a.b",
            "x y",
            "C:",
            "ação",
            &"a".repeat(129),
        ] {
            assert!(!is_valid_id(bad), "{bad:?} must be rejected");
        }
        assert!(
            is_valid_id("bk_0123abcd") && is_valid_id("acme-corp") && is_valid_id(&"a".repeat(128))
        );
    }
}
