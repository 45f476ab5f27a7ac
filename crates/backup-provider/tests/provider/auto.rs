//! The `--auto` mode moves requests through the lifecycle by itself, on the
//! provider's (movable) clock, and big archives can be padded for benchmarks.

use std::time::{Duration, Instant};

use crate::support::Provider;

#[test]
fn auto_mode_releases_and_completes_on_the_providers_clock() {
    let provider = Provider::start_serving_with(
        None,
        &[],
        &[
            "--auto",
            "--auto-release-after",
            "1h",
            "--auto-complete-after",
            "1h",
        ],
    );
    let owner = provider.tokens.owner.clone();
    let (_, backup) = provider.request(&owner);
    let path = format!(
        "/v1/accounts/acme/backups/{}",
        backup["id"].as_str().expect("id")
    );
    std::thread::sleep(Duration::from_millis(600));
    assert_eq!(
        provider.get(&path, &owner).1["status"],
        "awaiting_release",
        "nothing moves before the delay"
    );
    provider.advance("1h");
    wait_for_status(&provider, &path, "in_progress");
    provider.advance("1h");
    let ready = wait_for_status(&provider, &path, "ready");
    assert!(
        ready["sha256"].as_str().is_some_and(|s| s.len() == 64),
        "a ready backup publishes its checksum"
    );
}

fn wait_for_status(provider: &Provider, path: &str, want: &str) -> serde_json::Value {
    let deadline = Instant::now() + Duration::from_secs(15);
    loop {
        let (_, backup) = provider.get(path, &provider.tokens.owner);
        if backup["status"] == want {
            return backup;
        }
        assert!(
            Instant::now() < deadline,
            "auto mode never reached {want}: {backup}"
        );
        std::thread::sleep(Duration::from_millis(100));
    }
}

#[test]
fn complete_can_pad_an_archive_to_a_size_for_benchmarks() {
    let provider = Provider::start(None);
    let (_, backup) = provider.request(&provider.tokens.owner);
    let id = backup["id"].as_str().expect("id");
    provider.admin(&["backup", "release", id]);
    let shown = provider.admin(&["backup", "complete", id, "--pad-to", "6000000"]);
    let ready: serde_json::Value = serde_json::from_str(&shown).expect("json");
    let size = ready["size_bytes"].as_u64().expect("size");
    assert!(
        (6_000_000..6_100_000).contains(&size),
        "padded to about 6 MB, got {size}"
    );
    let file = provider
        .data
        .path()
        .join("archives")
        .join("acme")
        .join(ready["file_name"].as_str().expect("name"));
    let zip = zip::ZipArchive::new(std::fs::File::open(file).expect("archive"))
        .expect("still a valid zip");
    assert!(zip.len() >= 6);
}
