//! This package only holds the end-to-end test binary (`main.rs`); see `support/` for the harness.
