//! Download progress on the terminal: a bar on a terminal, a plain line
//! every two seconds otherwise, nothing with `--json`. After the checksum,
//! the archive is read to its end: "Checking the archive…".

use std::io::IsTerminal;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use backup_workflows::{Phase, Progress, ProgressSink, ProgressThrottle};

use crate::render;

const CHECKING: &str = "Checking the archive…";

fn percent(p: &Progress) -> f64 {
    if p.total == 0 {
        100.0
    } else {
        p.done as f64 * 100.0 / p.total as f64
    }
}

pub fn sink(quiet: bool) -> ProgressSink {
    if quiet {
        return Arc::new(|_, _| {});
    }
    let checking = AtomicBool::new(false);
    if std::io::stderr().is_terminal() {
        let bar = indicatif::ProgressBar::new(0);
        bar.set_style(
            indicatif::ProgressStyle::with_template(
                "{bar:40} {percent:>3}% {bytes}/{total_bytes} {bytes_per_sec} ETA {eta}",
            )
            .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar()),
        );
        return Arc::new(move |phase, p| match phase {
            Phase::Checking => {
                if !checking.swap(true, Ordering::SeqCst) {
                    bar.finish_and_clear();
                    eprintln!("{CHECKING}");
                }
            }
            Phase::Verifying => bar.finish_and_clear(),
            Phase::Connecting | Phase::Downloading => {
                bar.set_length(p.total);
                bar.set_position(p.done);
            }
        });
    }
    let throttle = ProgressThrottle::new(Duration::from_secs(2));
    Arc::new(move |phase, p| match phase {
        Phase::Connecting => {}
        Phase::Checking => {
            if !checking.swap(true, Ordering::SeqCst) {
                eprintln!("{CHECKING}");
            } else if p.done < p.total && throttle.due(&p) {
                eprintln!("{CHECKING} {:.0}%", percent(&p));
            }
        }
        Phase::Downloading | Phase::Verifying => {
            if throttle.due(&p) {
                eprintln!(
                    "{:5.1}%  {} of {}  {}/s",
                    percent(&p),
                    render::size(Some(p.done)),
                    render::size(Some(p.total)),
                    render::size(Some(p.rate as u64))
                );
            }
        }
    })
}
