//! The archive check against zips written at test time with the zip crate.
//! One module per area; `support` writes and damages the archives.

mod damage;
mod limits;
mod progress;
mod rows;
mod support;
