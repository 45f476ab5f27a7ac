//! News comes from the watcher only: listing announces nothing; a backup
//! that turns ready, and one about to expire undownloaded, are told once.

use backup_workflows::DeskEvent;

use crate::world::World;

#[test]
fn the_history_announces_nothing_and_the_watcher_tells_each_news_once() {
    let world = World::start();
    let id = world.set_up();
    let mut news = world.desk.subscribe();
    assert!(
        world.run(world.desk.watch()).is_empty(),
        "the first look is not news"
    );
    let backup = world.ready_backup(id);
    world.run(world.desk.history(id)).expect("history");
    assert!(news.try_recv().is_err(), "a query has no side effects");
    let ready = world.run(world.desk.watch());
    assert!(
        matches!(&ready[..], [DeskEvent::BackupReady { backup_id, .. }] if *backup_id == backup),
        "{ready:?}"
    );
    assert!(matches!(news.try_recv(), Ok(DeskEvent::BackupReady { .. })));
    assert!(world.run(world.desk.watch()).is_empty(), "told once");
    world.advance(9);
    let expiring = world.run(world.desk.watch());
    assert!(
        matches!(&expiring[..], [DeskEvent::ExpiringSoon { backup_id, .. }] if *backup_id == backup),
        "one day left of a 10-day window: {expiring:?}"
    );
    assert!(world.run(world.desk.watch()).is_empty(), "warned once");
}
