//! Download progress on the terminal: a bar on a terminal, a plain line
//! every two seconds otherwise, nothing with `--json`.

use std::io::IsTerminal;
use std::sync::Arc;
use std::time::Duration;

use backup_workflows::{Phase, ProgressSink, ProgressThrottle};

use crate::render;

pub fn sink(quiet: bool) -> ProgressSink {
    if quiet {
        return Arc::new(|_, _| {});
    }
    if std::io::stderr().is_terminal() {
        let bar = indicatif::ProgressBar::new(0);
        bar.set_style(
            indicatif::ProgressStyle::with_template(
                "{bar:40} {percent:>3}% {bytes}/{total_bytes} {bytes_per_sec} ETA {eta}",
            )
            .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar()),
        );
        return Arc::new(move |phase, p| {
            bar.set_length(p.total);
            bar.set_position(p.done);
            if phase == Phase::Verifying {
                bar.finish_and_clear();
            }
        });
    }
    let throttle = ProgressThrottle::new(Duration::from_secs(2));
    Arc::new(move |phase, p| {
        if phase == Phase::Connecting || !throttle.due(&p) {
            return;
        }
        let percent = if p.total == 0 {
            100.0
        } else {
            p.done as f64 * 100.0 / p.total as f64
        };
        eprintln!(
            "{:5.1}%  {} of {}  {}/s",
            percent,
            render::size(Some(p.done)),
            render::size(Some(p.total)),
            render::size(Some(p.rate as u64))
        );
    })
}
