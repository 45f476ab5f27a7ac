//! Checks an archive and prints what it holds and how long it took:
//! `cargo run --release -p backup-archive --example check -- FILE.zip`.

use std::time::Instant;

use backup_archive::{Limits, check};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let path = std::env::args_os().nth(1).ok_or("usage: check FILE.zip")?;
    let started = Instant::now();
    let outcome = check(path.as_ref(), &Limits::default(), &mut |_, _| {}, &|| false)?;
    let elapsed = started.elapsed();
    for entry in &outcome.entries {
        println!(
            "{:<40} object={:<20} rows={:<12} bytes={:<14} crc_ok={}",
            entry.entry,
            entry.object.as_deref().unwrap_or("-"),
            entry.rows.map_or("-".into(), |r| r.to_string()),
            entry.bytes,
            entry.crc_ok
        );
    }
    match &outcome.problem {
        None => println!("intact"),
        Some(problem) => println!("problem: {problem}"),
    }
    let size = std::fs::metadata(&path)?.len();
    println!(
        "checked {size} bytes in {:.2} s ({:.0} MiB/s)",
        elapsed.as_secs_f64(),
        size as f64 / (1 << 20) as f64 / elapsed.as_secs_f64()
    );
    Ok(())
}
