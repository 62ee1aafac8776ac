//! Lock the vault when the screen locks or the machine is about to sleep,
//! where the desktop's buses tell us: logind's `PrepareForSleep` and the
//! session's `Lock` on the system bus, the freedesktop and GNOME screensavers'
//! `ActiveChanged` on the session bus. Without a bus (a bare X server, a
//! container) nothing is watched and the idle timer still applies.

use std::thread;

use zbus::blocking::{Connection, Proxy};

/// Call `on_lock(reason)` whenever one of the signals says the screen locked
/// or the machine is going to sleep. Each watcher runs in its own thread and
/// ends quietly if its bus or service is not there.
pub fn watch(on_lock: impl Fn(&'static str) + Send + Sync + Clone + 'static) {
    if let Ok(system) = Connection::system() {
        let cb = on_lock.clone();
        let conn = system.clone();
        thread::spawn(move || {
            let _ = watch_sleep(&conn, &cb);
        });
        let cb = on_lock.clone();
        thread::spawn(move || {
            let _ = watch_session_lock(&system, &cb);
        });
    }
    if let Ok(session) = Connection::session() {
        watch_screensavers(&session, on_lock);
    }
}

/// Watch the freedesktop and GNOME screensaver interfaces on `conn`.
pub fn watch_screensavers(
    conn: &Connection,
    on_lock: impl Fn(&'static str) + Send + Sync + Clone + 'static,
) {
    for (service, path, iface) in [
        (
            "org.freedesktop.ScreenSaver",
            "/org/freedesktop/ScreenSaver",
            "org.freedesktop.ScreenSaver",
        ),
        (
            "org.gnome.ScreenSaver",
            "/org/gnome/ScreenSaver",
            "org.gnome.ScreenSaver",
        ),
    ] {
        let conn = conn.clone();
        let cb = on_lock.clone();
        thread::spawn(move || {
            let _ = (|| -> zbus::Result<()> {
                let proxy = Proxy::new(&conn, service, path, iface)?;
                for msg in proxy.receive_signal("ActiveChanged")? {
                    if msg.body().deserialize::<bool>().unwrap_or(false) {
                        cb("screen locked");
                    }
                }
                Ok(())
            })();
        });
    }
}

fn watch_sleep(conn: &Connection, on_lock: &impl Fn(&'static str)) -> zbus::Result<()> {
    let proxy = Proxy::new(
        conn,
        "org.freedesktop.login1",
        "/org/freedesktop/login1",
        "org.freedesktop.login1.Manager",
    )?;
    for msg in proxy.receive_signal("PrepareForSleep")? {
        if msg.body().deserialize::<bool>().unwrap_or(false) {
            on_lock("going to sleep");
        }
    }
    Ok(())
}

fn watch_session_lock(conn: &Connection, on_lock: &impl Fn(&'static str)) -> zbus::Result<()> {
    let manager = Proxy::new(
        conn,
        "org.freedesktop.login1",
        "/org/freedesktop/login1",
        "org.freedesktop.login1.Manager",
    )?;
    let path: zbus::zvariant::OwnedObjectPath =
        manager.call("GetSessionByPID", &(std::process::id()))?;
    let session = Proxy::new(
        conn,
        "org.freedesktop.login1",
        path,
        "org.freedesktop.login1.Session",
    )?;
    for _ in session.receive_signal("Lock")? {
        on_lock("session locked");
    }
    Ok(())
}
