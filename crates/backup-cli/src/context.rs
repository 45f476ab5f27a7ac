//! What every command needs: the application layer opened on the shared
//! data folder (the desktop app's), and whether a person is at the terminal.

use std::io::IsTerminal;
use std::path::PathBuf;

use backup_workflows::Desk;

use crate::fail::CliResult;

#[derive(Debug)]
pub struct Context {
    pub desk: Desk,
    /// A person can answer prompts (stdin and stderr are terminals).
    pub interactive: bool,
    pub json: bool,
}

impl Context {
    pub fn open(data_dir: Option<PathBuf>, json: bool) -> CliResult<Context> {
        Ok(Context {
            desk: Desk::open_for_user(data_dir)?,
            interactive: std::io::stdin().is_terminal() && std::io::stderr().is_terminal(),
            json,
        })
    }

    /// Runs `work`; Ctrl-C stops everything (running downloads are
    /// cancelled, their partial files stay for a resume; nothing new starts)
    /// and `work` then ends with "cancelled".
    pub async fn cancellable<T>(&self, work: impl Future<Output = T>) -> T {
        tokio::pin!(work);
        tokio::select! {
            done = &mut work => done,
            _ = tokio::signal::ctrl_c() => {
                self.desk.stop();
                work.await
            }
        }
    }
}
