//! The sharded load run: a thread-per-core runtime on `--threads` OS
//! threads, each with its own runtime and its own client.
//!
//! A thread-per-core runtime never moves a task between threads, so one
//! runtime cannot spread a run over the cores as tokio's work stealing
//! does. [`run_sharded`] starts one OS thread per shard instead; each
//! builds its runtime and client ([`LocalRuntime`], [`LocalHttpClient`]),
//! and spawns its share of the workers, the same
//! [`worker`](crate::load) as [`run_load`](crate::run_load)'s. All shards
//! claim requests from one [`LoadState`], so the run has one counter, one
//! start line, one cancel switch, one schedule (an open loop's pacer runs
//! on shard 0) and one set of latency histograms; their tallies merge into
//! one [`Report`] as workers' do.
//!
//! Fairness: shards = threads; each shard gets its share of the requests
//! in flight and of the connections (its own pool, and its own gate when
//! it has more requests than connections), and the shares add up to
//! `-c` and `--connections`. [`ShardSplit`] in the report says how they
//! were split.
//!
//! # Layout
//!
//! - [`ShardPlan`]: what one shard is given.
//! - [`run_sharded`]: the run.
//! - `shares`: splitting a number as evenly as it goes.

use std::sync::Arc;
use std::sync::mpsc;

use crate::gate::Gate;
use crate::load::{LoadState, histogram_shards, pace, worker};
use crate::{
    ClientConfig, FetchError, JoinError, LoadPlan, LocalHttpClient, LocalRuntime, Progress, Report,
    RunConfig, ShardSplit, Tally,
};

/// What one shard of a sharded run is given.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ShardPlan {
    /// Its number, from 0.
    pub index: usize,
    /// How many shards the run has.
    pub count: usize,
    /// Requests in flight on this shard (its workers).
    pub in_flight: usize,
    /// Connections its client may open: build the client with this many.
    pub connections: usize,
}

/// What a shard says once its workers exist, or why it could not start.
type Ready = Result<ShardInfo, FetchError>;

/// A started shard's names, for the run's configuration.
struct ShardInfo {
    runtime: &'static str,
    driver: &'static str,
    client: &'static str,
    config: ClientConfig,
    gated: bool,
}

/// What a shard brings back when it ends.
#[derive(Default)]
struct ShardOutcome {
    tally: Tally,
    panic: Option<String>,
    opened: Option<u64>,
}

/// Runs `plan` on `threads` shards with `connections` connections in all,
/// and reports every request's outcome.
///
/// `make` builds one shard's runtime and client from its [`ShardPlan`]; it
/// is called on the shard's own thread (a thread-per-core runtime's
/// sockets belong to the thread that made them). The shards used are at
/// most `threads`, at most the requests in flight and at most the
/// connections, so each has at least one of both.
///
/// Call it from a plain thread, not from inside a runtime: it blocks until
/// the run is over. A shard that cannot be built stops the run before it
/// starts, and that error is returned.
pub fn run_sharded<R, C, M>(
    threads: usize,
    connections: usize,
    make: M,
    plan: LoadPlan,
    progress: Arc<Progress>,
) -> Result<Report, FetchError>
where
    R: LocalRuntime,
    C: LocalHttpClient,
    M: Fn(ShardPlan) -> Result<(R, C), FetchError> + Sync,
{
    let count = threads.min(plan.concurrency).min(connections).max(1);
    let in_flight = shares(plan.concurrency.max(1), count);
    let pools = shares(connections.max(1), count);
    let state = Arc::new(LoadState::new(plan, progress, histogram_shards(count)));
    let (ready_tx, ready_rx) = mpsc::channel::<Ready>();
    std::thread::scope(|scope| {
        let mut first_worker = 0;
        let handles: Vec<_> = (0..count)
            .map(|index| {
                let shard = ShardPlan {
                    index,
                    count,
                    in_flight: in_flight[index],
                    connections: pools[index],
                };
                let (state, ready, make) = (state.clone(), ready_tx.clone(), &make);
                let first = first_worker;
                first_worker += shard.in_flight;
                std::thread::Builder::new()
                    .name(format!("shard-{index}"))
                    .spawn_scoped(scope, move || run_shard(shard, first, make, state, ready))
            })
            .collect();
        drop(ready_tx);
        // Every shard has spawned its workers (or failed): open the start
        // line, so the clock starts with all of them ready.
        let mut info: Option<ShardInfo> = None;
        let mut gated = false;
        let mut failed = None;
        for ready in ready_rx.iter().take(count) {
            match ready {
                Ok(shard) => {
                    gated |= shard.gated;
                    info.get_or_insert(shard);
                }
                Err(e) => failed = Some(e),
            }
        }
        if failed.is_some() {
            // The shards that started end at their first claim.
            state.cancel().cancel();
        }
        state.open();
        let mut total = Tally::default();
        let mut panic = None;
        let mut opened = Some(0u64);
        for handle in handles {
            match handle.map_err(|e| e.to_string()).and_then(|h| {
                h.join()
                    .map_err(|p| JoinError::from_panic(p.as_ref()).to_string())
            }) {
                Ok(outcome) => {
                    total.merge(outcome.tally);
                    panic = panic.or(outcome.panic);
                    opened = opened.zip(outcome.opened).map(|(a, b)| a + b);
                }
                Err(e) => {
                    panic = Some(e);
                    opened = None;
                }
            }
        }
        if let Some(e) = failed {
            return Err(e);
        }
        let Some(info) = info else {
            return Err(FetchError::Setup {
                what: "the sharded run".to_owned(),
                source: "no shard started".into(),
            });
        };
        let mut config = RunConfig::of(
            state.plan(),
            (info.runtime, count, false),
            (info.client, &info.config),
            gated,
        );
        config.connections = connections;
        config.shards = Some(ShardSplit {
            count,
            driver: info.driver.to_owned(),
            in_flight,
            connections: pools,
        });
        Ok(state.report(total, config, panic, opened))
    })
}

/// One shard, on its own thread: build the runtime and client, spawn this
/// shard's workers (numbered from `first`), say so, and run them.
fn run_shard<R, C, M>(
    shard: ShardPlan,
    first: usize,
    make: &M,
    state: Arc<LoadState>,
    ready: mpsc::Sender<Ready>,
) -> ShardOutcome
where
    R: LocalRuntime,
    C: LocalHttpClient,
    M: Fn(ShardPlan) -> Result<(R, C), FetchError>,
{
    let (rt, client) = match make(shard) {
        Ok(built) => built,
        Err(e) => {
            let _ = ready.send(Err(e));
            return ShardOutcome::default();
        }
    };
    let client = Arc::new(client);
    let gate = client
        .config()
        .gate_places(shard.in_flight)
        .map(|places| Arc::new(Gate::new(places)));
    let opened_before = client.connections_opened();
    rt.block_on(async {
        let tasks: Vec<_> = (0..shard.in_flight)
            .map(|i| {
                rt.spawn_local(worker(
                    rt.clone(),
                    client.clone(),
                    state.clone(),
                    first + i,
                    gate.clone(),
                ))
            })
            .collect();
        let pacer = (shard.index == 0 && state.pacing().is_some())
            .then(|| rt.spawn_local(pace(rt.clone(), state.clone())));
        let _ = ready.send(Ok(ShardInfo {
            runtime: rt.name(),
            driver: rt.driver(),
            client: client.name(),
            config: client.config().clone(),
            gated: gate.is_some(),
        }));
        let mut outcome = ShardOutcome::default();
        for task in tasks {
            match task.await {
                Ok(tally) => outcome.tally.merge(tally),
                Err(e) => outcome.panic = Some(e.to_string()),
            }
        }
        if let Some(pacer) = pacer
            && let Err(e) = pacer.await
        {
            outcome.panic = Some(e.to_string());
        }
        outcome.opened = client
            .connections_opened()
            .zip(opened_before)
            .map(|(after, before)| after.saturating_sub(before));
        outcome
    })
}

/// `total` split into `parts` shares as even as whole numbers allow, the
/// larger ones first; they add up to `total`.
///
/// ```text
/// shares(10, 4) == [3, 3, 2, 2]
/// ```
fn shares(total: usize, parts: usize) -> Vec<usize> {
    let parts = parts.max(1);
    (0..parts)
        .map(|i| total / parts + usize::from(i < total % parts))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shares_add_up_and_differ_by_at_most_one() {
        assert_eq!(shares(10, 4), [3, 3, 2, 2]);
        assert_eq!(shares(4, 4), [1, 1, 1, 1]);
        assert_eq!(shares(10_000, 3), [3334, 3333, 3333]);
        for total in [1, 7, 100, 1001] {
            for parts in 1..=8 {
                let s = shares(total, parts);
                assert_eq!(s.iter().sum::<usize>(), total);
                let (min, max) = (s.iter().min(), s.iter().max());
                assert!(max.zip(min).is_some_and(|(a, b)| a - b <= 1), "{s:?}");
            }
        }
    }
}
