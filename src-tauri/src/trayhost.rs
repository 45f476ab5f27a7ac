//! Whether a tray icon can be seen. On Linux the icon is a StatusNotifierItem:
//! it shows only where a StatusNotifierWatcher runs on the session bus (KDE,
//! XFCE, Cinnamon, GNOME with the AppIndicator extension). Plain GNOME has
//! none, and the icon is built but invisible; hiding the window there would
//! leave the person with no way back, so closing quits instead. Asked at each
//! close, so a watcher started later (the extension switched on) counts.

#[cfg(target_os = "linux")]
const WATCHER: &str = "org.kde.StatusNotifierWatcher";

/// A tray icon would be visible on this desktop now.
pub fn tray_host_present() -> bool {
    #[cfg(target_os = "linux")]
    {
        match dbus::blocking::Connection::new_session() {
            Ok(bus) => has_watcher(&bus),
            Err(_) => false,
        }
    }
    #[cfg(not(target_os = "linux"))]
    {
        true
    }
}

#[cfg(target_os = "linux")]
fn has_watcher(bus: &dbus::blocking::Connection) -> bool {
    let proxy = bus.with_proxy(
        "org.freedesktop.DBus",
        "/org/freedesktop/DBus",
        std::time::Duration::from_millis(500),
    );
    proxy
        .method_call::<(bool,), _, _, _>("org.freedesktop.DBus", "NameHasOwner", (WATCHER,))
        .map(|(owned,)| owned)
        .unwrap_or(false)
}

#[cfg(all(test, target_os = "linux"))]
mod tests {
    use std::io::{BufRead, BufReader};
    use std::process::{Command, Stdio};
    use std::time::{Duration, Instant};

    use dbus::blocking::Connection;
    use dbus::channel::Channel;

    use super::{WATCHER, has_watcher};

    fn open(address: &str) -> Connection {
        let mut channel = Channel::open_private(address).expect("connect to the private bus");
        channel.register().expect("hello");
        Connection::from(channel)
    }

    #[test]
    fn a_tray_host_counts_only_while_a_status_notifier_watcher_runs() {
        let mut daemon = Command::new("dbus-daemon")
            .args(["--session", "--nofork", "--print-address=1"])
            .stdout(Stdio::piped())
            .spawn()
            .expect("dbus-daemon (Debian package dbus)");
        let mut address = String::new();
        BufReader::new(daemon.stdout.take().expect("stdout"))
            .read_line(&mut address)
            .expect("the bus address");
        let app = open(address.trim());
        assert!(
            !has_watcher(&app),
            "a bare session (plain GNOME) has no tray host"
        );

        let host = open(address.trim());
        host.request_name(WATCHER, false, false, false)
            .expect("own the watcher's name");
        assert!(has_watcher(&app), "a desktop with a tray host");

        drop(host);
        let deadline = Instant::now() + Duration::from_secs(5);
        while has_watcher(&app) {
            assert!(Instant::now() < deadline, "the host left, the tray is gone");
            std::thread::sleep(Duration::from_millis(50));
        }
        let _ = daemon.kill();
        let _ = daemon.wait();
    }
}
