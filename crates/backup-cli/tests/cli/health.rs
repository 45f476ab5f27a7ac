//! `backup-desk health` for monitoring: green exits 0, red exits 9 (with the
//! JSON still whole on stdout), and no account is no failure.

use crate::world::World;

fn json(bytes: &[u8]) -> serde_json::Value {
    let text = String::from_utf8_lossy(bytes);
    serde_json::from_str(text.trim()).unwrap_or_else(|e| panic!("not JSON ({e}): {text}"))
}

#[test]
fn health_is_green_after_a_download_and_red_with_exit_9_once_the_copy_is_too_old() {
    let world = World::start();
    let none = world.expect(&["health"], None, 0);
    assert!(none.contains("No accounts yet"), "{none}");

    world.set_up();
    world.expect(&["backups", "request", "--yes"], None, 0);
    let id = world.complete_pending().remove(0);
    let dest = tempfile::tempdir().expect("dest");
    world.download_latest(dest.path(), 0);
    let copy = World::zips(dest.path()).remove(0);

    let green = world.run(&["--json", "health"], None);
    assert_eq!(green.status.code(), Some(0), "green exits 0");
    let green = json(&green.stdout);
    assert_eq!(green["worst"], "green");
    let account = &green["accounts"][0];
    assert_eq!(account["level"], "green", "{green}");
    assert_eq!(account["last_copy"]["backup_id"], id.as_str());
    assert_eq!(
        account["last_copy"]["path"].as_str(),
        Some(copy.display().to_string().as_str())
    );
    assert_eq!(account["automatic"], false);
    assert_eq!(
        account["request_allowed"], false,
        "the cooldown runs after a request"
    );
    let text = world.expect(&["health"], None, 0);
    assert!(
        text.starts_with("GREEN  Acme Ltda (acme)"),
        "the level in words, no colour codes in a pipe: {text}"
    );
    assert!(
        text.contains(&copy.display().to_string()) && text.contains("next request: 20"),
        "where the copy is and when the next request is allowed: {text}"
    );

    // Beyond the plan's cooldown (28 days) plus download window (10 days).
    world.advance(39);
    let red = world.run(&["--json", "health"], None);
    assert_eq!(red.status.code(), Some(9), "red exits 9");
    let red = json(&red.stdout);
    assert_eq!(red["worst"], "red");
    assert_eq!(red["accounts"][0]["level"], "red");
    assert_eq!(red["accounts"][0]["reasons"][0]["reason"], "copy_too_old");
    assert_eq!(red["accounts"][0]["request_allowed"], true);
    let text = world.expect(&["health"], None, 9);
    assert!(text.starts_with("RED    Acme Ltda (acme)"), "{text}");
    assert!(
        text.contains("why: the last verified copy is 39 days old, more than the 38 days"),
        "{text}"
    );
    assert!(text.contains("next request: now"), "{text}");
    assert!(
        text.contains("backup-desk: red: Acme Ltda (acme)"),
        "stderr names the red account: {text}"
    );
    let filtered = world.expect(&["--account", "acme", "health"], None, 9);
    assert!(filtered.contains("RED"), "{filtered}");
}
