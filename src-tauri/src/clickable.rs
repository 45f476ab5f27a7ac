//! Notifications that open the window on their backup when clicked. The
//! notification plugin has no click action on Linux desktops, so there the
//! app speaks the freedesktop Notifications protocol itself (on the session
//! bus, with a default action) and waits, on a thread of its own, for the
//! click or the notification's end. Elsewhere the plugin shows it, and the
//! platform brings the app forward on a click.

#[cfg(target_os = "linux")]
pub use linux::{Watch, show, wait_for_click};

#[cfg(target_os = "linux")]
mod linux {
    use std::sync::{Arc, Mutex};
    use std::time::{Duration, Instant};

    use dbus::arg::PropMap;
    use dbus::blocking::Connection;
    use dbus::message::MatchRule;

    const SERVICE: &str = "org.freedesktop.Notifications";
    const PATH: &str = "/org/freedesktop/Notifications";

    /// Shows a notification whose click (its default action, `open`) can be
    /// waited for; returns its id. `Err` when no notification server answers.
    pub fn show(bus: &Connection, title: &str, body: &str, open: &str) -> Result<u32, dbus::Error> {
        let proxy = bus.with_proxy(SERVICE, PATH, Duration::from_secs(3));
        let actions = vec!["default", open];
        let hints = PropMap::new();
        let (id,): (u32,) = proxy.method_call(
            SERVICE,
            "Notify",
            (
                "Backup Desk",
                0u32,
                "backup-desk",
                title,
                body,
                actions,
                hints,
                -1i32,
            ),
        )?;
        Ok(id)
    }

    /// What became of the notifications: clicked and closed ids.
    #[derive(Debug, Default)]
    struct Seen {
        clicked: Vec<u32>,
        closed: Vec<u32>,
    }

    /// Listens for clicks and dismissals on `bus`. Made before the
    /// notification is shown: the bus delivers a signal only to those who
    /// asked for it when it was sent.
    #[derive(Debug, Clone)]
    pub struct Watch(Arc<Mutex<Seen>>);

    impl Watch {
        pub fn start(bus: &Connection) -> Result<Watch, dbus::Error> {
            let seen = Arc::new(Mutex::new(Seen::default()));
            let (on_action, on_close) = (seen.clone(), seen.clone());
            bus.add_match(
                MatchRule::new_signal(SERVICE, "ActionInvoked"),
                move |(n, _key): (u32, String), _, _| {
                    if let Ok(mut s) = on_action.lock() {
                        s.clicked.push(n);
                    }
                    true
                },
            )?;
            bus.add_match(
                MatchRule::new_signal(SERVICE, "NotificationClosed"),
                move |(n, _reason): (u32, u32), _, _| {
                    if let Ok(mut s) = on_close.lock() {
                        s.closed.push(n);
                    }
                    true
                },
            )?;
            Ok(Watch(seen))
        }
    }

    /// Whether notification `id` was clicked before it closed or `within`
    /// passed, as seen by `watch` on `bus`.
    pub fn wait_for_click(bus: &Connection, watch: &Watch, id: u32, within: Duration) -> bool {
        let deadline = Instant::now() + within;
        loop {
            {
                let Ok(s) = watch.0.lock() else { return false };
                if s.clicked.contains(&id) {
                    return true;
                }
                if s.closed.contains(&id) {
                    return false;
                }
            }
            if Instant::now() >= deadline || bus.process(Duration::from_millis(500)).is_err() {
                return false;
            }
        }
    }

    #[cfg(test)]
    mod tests {
        use std::io::{BufRead, BufReader};
        use std::process::{Child, Command, Stdio};
        use std::sync::atomic::{AtomicBool, Ordering};

        use dbus::channel::{Channel, MatchingReceiver, Sender};
        use dbus::message::Message;

        use super::*;

        struct Bus {
            daemon: Child,
            address: String,
        }

        impl Bus {
            fn start() -> Bus {
                let mut daemon = Command::new("dbus-daemon")
                    .args(["--session", "--nofork", "--print-address=1"])
                    .stdout(Stdio::piped())
                    .spawn()
                    .expect("dbus-daemon (Debian package dbus)");
                let mut address = String::new();
                BufReader::new(daemon.stdout.take().expect("stdout"))
                    .read_line(&mut address)
                    .expect("the bus address");
                Bus {
                    daemon,
                    address: address.trim().to_owned(),
                }
            }

            fn connect(&self) -> Connection {
                let mut channel = Channel::open_private(&self.address).expect("connect");
                channel.register().expect("hello");
                Connection::from(channel)
            }
        }

        impl Drop for Bus {
            fn drop(&mut self) {
                let _ = self.daemon.kill();
                let _ = self.daemon.wait();
            }
        }

        /// A notification server that answers Notify with id 7, then either
        /// reports a click on it or closes it.
        fn server(bus: &Bus, click: bool, stop: Arc<AtomicBool>) -> std::thread::JoinHandle<()> {
            let conn = bus.connect();
            conn.request_name(SERVICE, false, false, false)
                .expect("own the notification service");
            std::thread::spawn(move || {
                conn.start_receive(
                    MatchRule::new_method_call(),
                    Box::new(move |call: Message, conn: &Connection| {
                        let _ = conn.send(call.method_return().append1(7u32));
                        let signal = |member: &str| {
                            Message::new_signal(PATH, SERVICE, member).expect("a signal")
                        };
                        // Another notification's click first: it must not count.
                        let _ = conn.send(signal("ActionInvoked").append2(6u32, "default"));
                        let _ = match click {
                            true => conn.send(signal("ActionInvoked").append2(7u32, "default")),
                            false => conn.send(signal("NotificationClosed").append2(7u32, 2u32)),
                        };
                        true
                    }),
                );
                while !stop.load(Ordering::SeqCst) {
                    let _ = conn.process(Duration::from_millis(100));
                }
            })
        }

        #[test]
        fn a_click_on_the_notification_is_seen_and_a_dismissal_is_not_a_click() {
            let bus = Bus::start();
            for click in [true, false] {
                let stop = Arc::new(AtomicBool::new(false));
                let handle = server(&bus, click, stop.clone());
                let app = bus.connect();
                let watch = Watch::start(&app).expect("listen");
                let id = show(&app, "Backup ready", "bk_1 is ready", "Open").expect("shown");
                assert_eq!(id, 7, "the server's id is kept");
                let started = Instant::now();
                assert_eq!(
                    wait_for_click(&app, &watch, id, Duration::from_secs(10)),
                    click,
                    "only a click on this notification opens the window"
                );
                assert!(
                    started.elapsed() < Duration::from_secs(5),
                    "the answer comes with the signal, not at the timeout"
                );
                stop.store(true, Ordering::SeqCst);
                handle.join().expect("server");
            }
        }

        #[test]
        fn no_notification_server_is_an_error_not_a_hang() {
            let bus = Bus::start();
            let app = bus.connect();
            assert!(show(&app, "t", "b", "Open").is_err());
        }
    }
}
