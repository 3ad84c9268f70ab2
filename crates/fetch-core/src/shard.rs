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
//! - [`Sharding`], [`ShardPlan`]: how a run is spread, and what one shard is given.
//! - [`Shards`]: the shards' threads, each with its runtime and client, started once; runs.
//! - [`run_sharded`]: start, one run, stop.
//! - `shares`: splitting a number as evenly as it goes.

use std::sync::Arc;
use std::sync::mpsc;

use crate::load::{Crew, LoadState, Outcome, Pacer, Runner, histogram_shards};
use crate::{
    ClientConfig, FetchError, LoadPlan, LocalHttpClient, LocalRuntime, Progress, Report, RunConfig,
    ShardSplit, Tally,
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

/// How a sharded run is spread: over how many shards (at most; never more
/// than the requests in flight or the connections), and how many
/// connections they have in all.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Sharding {
    /// Shards, one OS thread each: `--threads`.
    pub shards: usize,
    /// Connections of all shards together: `--connections`.
    pub connections: usize,
}

/// A started shard's names, for the run's configuration.
#[derive(Debug, Clone)]
struct ShardInfo {
    runtime: &'static str,
    driver: &'static str,
    client: &'static str,
    config: ClientConfig,
    gated: bool,
}

/// A run handed to every shard.
struct Job {
    state: Arc<LoadState>,
    /// Says the shard's workers exist.
    spawned: mpsc::Sender<()>,
    /// Brings back the shard's outcome.
    done: mpsc::Sender<Outcome>,
}

/// Shards started and waiting for runs: `threads` OS threads, each with
/// its own runtime and client, built once, so a benchmark's runs reuse
/// them (and their connections) as it reuses a Send runtime's.
///
/// Dropping it ends the threads.
pub struct Shards {
    jobs: Vec<mpsc::Sender<Job>>,
    threads: Vec<std::thread::JoinHandle<()>>,
    info: ShardInfo,
    split: ShardSplit,
    connections: usize,
}

impl std::fmt::Debug for Shards {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Shards")
            .field("split", &self.split)
            .finish()
    }
}

impl Shards {
    /// Starts the shards for runs of `in_flight` requests in flight:
    /// `sharding.shards` of them at most, and at most `in_flight` and
    /// `sharding.connections`, so each has at least one of both.
    ///
    /// `make` builds one shard's runtime and client from its [`ShardPlan`],
    /// on the shard's own thread (a thread-per-core runtime's sockets
    /// belong to the thread that made them). A shard that cannot be built
    /// is an error here, and the others are stopped.
    pub fn start<R, C, M>(sharding: Sharding, in_flight: usize, make: M) -> Result<Self, FetchError>
    where
        R: LocalRuntime,
        C: LocalHttpClient,
        M: Fn(ShardPlan) -> Result<(R, C), FetchError> + Send + Sync + 'static,
    {
        let Sharding {
            shards: threads,
            connections,
        } = sharding;
        let count = threads.min(in_flight).min(connections).max(1);
        let in_flight = shares(in_flight.max(1), count);
        let pools = shares(connections.max(1), count);
        let make = Arc::new(make);
        let (built_tx, built_rx) = mpsc::channel::<Result<ShardInfo, FetchError>>();
        let mut jobs = Vec::with_capacity(count);
        let mut handles = Vec::with_capacity(count);
        let mut first_worker = 0;
        for index in 0..count {
            let shard = ShardPlan {
                index,
                count,
                in_flight: in_flight[index],
                connections: pools[index],
            };
            let (job_tx, job_rx) = mpsc::channel::<Job>();
            let (make, built) = (make.clone(), built_tx.clone());
            let first = first_worker;
            first_worker += shard.in_flight;
            let handle = std::thread::Builder::new()
                .name(format!("shard-{index}"))
                .spawn(move || shard_thread(shard, first, &*make, built, job_rx))
                .map_err(|e| FetchError::setup("a shard's thread", e))?;
            jobs.push(job_tx);
            handles.push(handle);
        }
        drop(built_tx);
        let mut info: Option<ShardInfo> = None;
        let mut failed = None;
        for built in built_rx.iter().take(count) {
            match built {
                Ok(shard) => {
                    let gated = shard.gated || info.as_ref().is_some_and(|i| i.gated);
                    info = Some(ShardInfo {
                        gated,
                        ..info.unwrap_or(shard)
                    });
                }
                Err(e) => failed = Some(e),
            }
        }
        let shards = info.map(|info| Shards {
            jobs,
            threads: handles,
            split: ShardSplit {
                count,
                driver: info.driver.to_owned(),
                in_flight,
                connections: pools,
            },
            info,
            connections,
        });
        match (shards, failed) {
            (Some(shards), None) => Ok(shards),
            // Dropping the shards that started ends their threads.
            (_, Some(e)) => Err(e),
            (None, None) => Err(FetchError::setup(
                "the sharded run",
                "no shard started (a shard's thread ended before building its runtime)",
            )),
        }
    }

    /// How the work is split.
    pub fn split(&self) -> &ShardSplit {
        &self.split
    }

    /// Runs `plan` (its requests in flight must be those the shards were
    /// started for) and reports every request's outcome. Blocks until the
    /// run is over; call it from a plain thread.
    pub fn run(&self, plan: LoadPlan, progress: Arc<Progress>) -> Report {
        let count = self.jobs.len();
        let state = Arc::new(LoadState::new(plan, progress, histogram_shards(count)));
        let (spawned_tx, spawned_rx) = mpsc::channel();
        let (done_tx, done_rx) = mpsc::channel();
        let mut sent = 0;
        for jobs in &self.jobs {
            let job = Job {
                state: state.clone(),
                spawned: spawned_tx.clone(),
                done: done_tx.clone(),
            };
            if jobs.send(job).is_ok() {
                sent += 1;
            }
        }
        drop((spawned_tx, done_tx));
        // Every shard has spawned its workers (a shard that died sends
        // nothing, and its sender's drop ends the wait): open the start
        // line, so the clock starts with all of them ready.
        for () in spawned_rx.iter().take(sent) {}
        state.open();
        let mut total = Tally::default();
        let mut panic = (sent < count).then(|| "a shard's thread had ended".to_owned());
        let mut opened = Some(0u64);
        let mut reported = 0;
        for outcome in done_rx.iter().take(sent) {
            reported += 1;
            total.merge(outcome.tally);
            panic = panic.or(outcome.panic);
            opened = opened.zip(outcome.opened).map(|(a, b)| a + b);
        }
        if reported < count {
            // A shard that panicked mid-run: its requests count as
            // panicked in the report (its claims with no outcome).
            panic = panic.or_else(|| Some("a shard panicked".to_owned()));
            opened = None;
        }
        let mut config = RunConfig::of(
            state.plan(),
            Runner {
                runtime: self.info.runtime,
                threads: count,
                thread_per_task: false,
                client: self.info.client,
                client_config: &self.info.config,
                gated: self.info.gated,
            },
        );
        config.connections = self.connections;
        config.shards = Some(self.split.clone());
        state.report(total, config, panic, opened)
    }
}

impl Drop for Shards {
    fn drop(&mut self) {
        // Closing the job channels ends each shard's loop.
        self.jobs.clear();
        for handle in self.threads.drain(..) {
            let _ = handle.join();
        }
    }
}

/// Runs `plan` spread as `sharding` says, and reports every request's
/// outcome: [`Shards::start`], one [`Shards::run`], and the shards stopped.
pub fn run_sharded<R, C, M>(
    sharding: Sharding,
    make: M,
    plan: LoadPlan,
    progress: Arc<Progress>,
) -> Result<Report, FetchError>
where
    R: LocalRuntime,
    C: LocalHttpClient,
    M: Fn(ShardPlan) -> Result<(R, C), FetchError> + Send + Sync + 'static,
{
    let shards = Shards::start(sharding, plan.concurrency, make)?;
    Ok(shards.run(plan, progress))
}

/// One shard's thread: build the runtime and client, say so, then run
/// each job that comes: spawn this shard's workers (numbered from
/// `first`), say so, and run them.
fn shard_thread<R, C, M>(
    shard: ShardPlan,
    first: usize,
    make: &M,
    built: mpsc::Sender<Result<ShardInfo, FetchError>>,
    jobs: mpsc::Receiver<Job>,
) where
    R: LocalRuntime,
    C: LocalHttpClient,
    M: Fn(ShardPlan) -> Result<(R, C), FetchError>,
{
    // Thread-per-core: with the process pinned to a set (`--cpus`), shard
    // i runs on the set's i-th CPU, before its runtime is built.
    let pinned = crate::cpus::shard_cpu(shard.index).map_or(Ok(()), |cpu| {
        crate::cpus::pin_this_thread(&crate::CpuList::new(vec![cpu]))
            .map_err(|e| FetchError::setup(format!("shard {}'s CPU", shard.index), e))
    });
    let (rt, client) = match pinned.and_then(|()| make(shard)) {
        Ok(made) => made,
        Err(e) => {
            let _ = built.send(Err(e));
            return;
        }
    };
    let crew = Crew::new(Arc::new(client), shard.in_flight);
    let _ = built.send(Ok(ShardInfo {
        runtime: rt.name(),
        driver: rt.driver(),
        client: crew.client.name(),
        config: crew.client.config().clone(),
        gated: crew.gate.is_some(),
    }));
    drop(built);
    for Job {
        state,
        spawned,
        done,
    } in jobs
    {
        let count = crew.count_connections();
        let outcome = rt.block_on(async {
            let tasks: Vec<_> = (0..crew.workers)
                .map(|i| rt.spawn_local(crew.worker(&rt, &state, first + i)))
                .collect();
            let pacer = if shard.index == 0 {
                Pacer::start(&state)
            } else {
                None
            };
            // Said, then let go: the caller waits for this message or for
            // every sender to be gone (a shard that panicked sends none).
            let _ = spawned.send(());
            drop(spawned);
            crew.gather(count, tasks, pacer).await
        });
        let _ = done.send(outcome);
    }
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
