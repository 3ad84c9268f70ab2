//! The timer tokio lends the open loop's pacer (a timerfd in its reactor):
//! there is one on Linux, and it never wakes before the time it was given,
//! whether armed once or again and again (the pacer re-arms it for every
//! wake-up), for a time already past too; and it does wake.

#![cfg(target_os = "linux")]

use std::time::{Duration, Instant};

use fetch_core::Runtime;
use fetch_tokio::TokioRuntime;

#[test]
fn the_pacer_timer_wakes_at_or_after_its_time_each_time_it_is_armed() {
    let rt = TokioRuntime::new(2).expect("a tokio runtime");
    let mut timer = rt
        .pacer_timer()
        .expect("tokio lends the pacer a timerfd on Linux");
    rt.block_on(async {
        let start = Instant::now();
        // Past, now, and ahead by less than tokio's own 1 ms tick and more.
        for offset_us in [0, 1, 250, 300, 2_000, 5_000, 0, 700] {
            let at = Instant::now() + Duration::from_micros(offset_us);
            within_a_while(timer.sleep_until(at)).await;
            let woke = Instant::now();
            assert!(woke >= at, "woke {:?} early", at - woke);
        }
        within_a_while(timer.sleep_until(start)).await;
    });
}

/// `sleep`, failing the test if it has not ended within 10 s.
async fn within_a_while(sleep: impl Future<Output = ()>) {
    tokio::time::timeout(Duration::from_secs(10), sleep)
        .await
        .expect("the pacer timer never woke");
}
