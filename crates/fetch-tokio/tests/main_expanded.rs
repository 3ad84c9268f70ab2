//! `#[tokio::main]` and its hand-written expansion (`fetch_tokio::expanded`,
//! which the lesson `main-task` prints) behave the same: the body runs on
//! the thread that called the function, never on a worker, and a task it
//! spawns runs on a worker.

use fetch_tokio::expanded::{Where, by_hand, expansion, with_the_attribute};

/// Runs `main` on a thread called `caller` and returns what it saw.
fn called_from_a_named_thread(main: fn() -> Where) -> Where {
    std::thread::Builder::new()
        .name("caller".to_owned())
        .spawn(main)
        .expect("could not start a thread")
        .join()
        .expect("the function panicked")
}

#[test]
fn the_attribute_runs_main_on_the_calling_thread_and_spawned_tasks_on_workers() {
    let seen = called_from_a_named_thread(with_the_attribute);
    assert_eq!(seen.main_future, "caller", "{seen:?}");
    // A worker, named by tokio ("tokio-rt-worker" in tokio 1.54).
    assert!(seen.spawned_task.starts_with("tokio-"), "{seen:?}");
}

#[test]
fn the_hand_written_expansion_does_the_same() {
    assert_eq!(
        called_from_a_named_thread(by_hand),
        called_from_a_named_thread(with_the_attribute)
    );
}

#[test]
fn the_printed_expansion_is_the_code_that_was_compiled() {
    let text = expansion();
    assert!(
        text.starts_with("/// What `#[tokio::main]` makes of"),
        "{text}"
    );
    assert!(text.contains("pub fn by_hand() -> Where {"), "{text}");
    assert!(text.contains(".block_on(body);"), "{text}");
    assert!(text.ends_with('}'), "{text}");
    assert!(!text.contains("expansion: end"), "{text}");
}
