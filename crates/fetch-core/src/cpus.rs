//! Which CPUs a process runs on: Linux CPU lists (`0-3,8,10-11`, as
//! `taskset -c` and `/proc/PID/status` write them), pinning, and reading
//! the affinity back.
//!
//! `load --cpus LIST` pins the whole process before anything reads how many
//! cores there are (so the default `--threads` is the set's size), a
//! thread-per-core runtime pins shard `i` to the set's `i`-th CPU, and the
//! report records the CPUs the process was really allowed ([`allowed`]),
//! not the flag. compare pins its server and its clients apart with the
//! same functions.
//!
//! # Layout
//!
//! - [`CpuList`]: a parsed list, shown back in the same notation; [`CpuListError`].
//! - [`pin_this_thread`], [`allowed`]: `sched_setaffinity` and `sched_getaffinity` (Linux;
//!   elsewhere an error that says so).
//! - [`pin_process`] and [`shard_cpu`]: the set `--cpus` gave this process, and a shard's CPU in it.

use std::fmt;
use std::sync::OnceLock;

/// CPU numbers, ascending and without repeats.
#[derive(Debug, Clone, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[serde(transparent)]
pub struct CpuList(Vec<usize>);

/// Why a CPU list could not be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CpuListError {
    /// Nothing in it.
    #[error("an empty CPU list (write CPUs as 0-3,8,10-11)")]
    Empty,
    /// A part that is not a number or a range of numbers.
    #[error("{0:?} is not a CPU number or a range such as 0-3")]
    NotANumber(String),
    /// A range that runs backwards.
    #[error("the range {0:?} runs backwards")]
    Backwards(String),
    /// A CPU number past what the kernel can address.
    #[error("CPU {0} is past the last CPU number Linux can address ({MAX_CPU})")]
    TooHigh(usize),
}

/// The highest CPU number a list may hold (`CPU_SETSIZE` - 1 on Linux).
pub const MAX_CPU: usize = 1023;

impl CpuList {
    /// The list of `cpus` (sorted, repeats dropped).
    pub fn new(mut cpus: Vec<usize>) -> Self {
        cpus.sort_unstable();
        cpus.dedup();
        CpuList(cpus)
    }

    /// The CPUs, ascending.
    pub fn cpus(&self) -> &[usize] {
        &self.0
    }

    /// How many CPUs.
    pub fn len(&self) -> usize {
        self.0.len()
    }

    /// True for a list of none (only [`allowed`] on a system that cannot say).
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// The list split in two halves, the first for a server and the second
    /// for its clients (the first half gets the odd CPU out); `None` below
    /// two CPUs.
    pub fn halves(&self) -> Option<(CpuList, CpuList)> {
        if self.0.len() < 2 {
            return None;
        }
        let (server, clients) = self.0.split_at(self.0.len().div_ceil(2));
        Some((CpuList(server.to_vec()), CpuList(clients.to_vec())))
    }
}

impl std::str::FromStr for CpuList {
    type Err = CpuListError;

    fn from_str(text: &str) -> Result<Self, CpuListError> {
        let number = |part: &str| {
            let part = part.trim();
            let cpu: usize = part
                .parse()
                .map_err(|_| CpuListError::NotANumber(part.to_owned()))?;
            if cpu > MAX_CPU {
                return Err(CpuListError::TooHigh(cpu));
            }
            Ok(cpu)
        };
        let mut cpus = Vec::new();
        for part in text.split(',').map(str::trim).filter(|p| !p.is_empty()) {
            match part.split_once('-') {
                Some((first, last)) => {
                    let (first, last) = (number(first)?, number(last)?);
                    if last < first {
                        return Err(CpuListError::Backwards(part.to_owned()));
                    }
                    cpus.extend(first..=last);
                }
                None => cpus.push(number(part)?),
            }
        }
        if cpus.is_empty() {
            return Err(CpuListError::Empty);
        }
        Ok(CpuList::new(cpus))
    }
}

/// `0-3,8,10-11`: runs of consecutive CPUs as ranges, as Linux writes them.
impl fmt::Display for CpuList {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut first = true;
        let mut i = 0;
        while i < self.0.len() {
            let start = self.0[i];
            let mut end = start;
            while i + 1 < self.0.len() && self.0[i + 1] == end + 1 {
                i += 1;
                end = self.0[i];
            }
            if !first {
                f.write_str(",")?;
            }
            first = false;
            if end == start {
                write!(f, "{start}")?;
            } else {
                write!(f, "{start}-{end}")?;
            }
            i += 1;
        }
        Ok(())
    }
}

/// Pins the calling thread to `cpus`; threads it starts afterwards (and
/// processes it spawns) inherit the set. Call it on the main thread before
/// any other starts to pin the whole process.
#[cfg(target_os = "linux")]
pub fn pin_this_thread(cpus: &CpuList) -> std::io::Result<()> {
    use nix::sched::{CpuSet, sched_setaffinity};
    let mut set = CpuSet::new();
    for &cpu in cpus.cpus() {
        set.set(cpu).map_err(std::io::Error::from)?;
    }
    sched_setaffinity(nix::unistd::Pid::from_raw(0), &set).map_err(|errno| {
        std::io::Error::other(format!(
            "could not run on CPUs {cpus}: {errno} (is every one of them online and allowed to this process?)"
        ))
    })
}

/// Pinning needs Linux's `sched_setaffinity`.
#[cfg(not(target_os = "linux"))]
pub fn pin_this_thread(cpus: &CpuList) -> std::io::Result<()> {
    Err(std::io::Error::other(format!(
        "cannot pin to CPUs {cpus}: pinning is Linux-only here"
    )))
}

/// The CPUs the calling thread may run on, read back from the kernel.
#[cfg(target_os = "linux")]
pub fn allowed() -> std::io::Result<CpuList> {
    use nix::sched::{CpuSet, sched_getaffinity};
    let set = sched_getaffinity(nix::unistd::Pid::from_raw(0)).map_err(std::io::Error::from)?;
    Ok(CpuList::new(
        (0..CpuSet::count())
            .filter(|&cpu| set.is_set(cpu).unwrap_or(false))
            .collect(),
    ))
}

/// Reading the affinity needs Linux's `sched_getaffinity`.
#[cfg(not(target_os = "linux"))]
pub fn allowed() -> std::io::Result<CpuList> {
    Err(std::io::Error::other(
        "reading CPU affinity is Linux-only here",
    ))
}

/// The set `--cpus` pinned this process to, if it was.
static GIVEN: OnceLock<CpuList> = OnceLock::new();

/// Pins this process to `cpus` (see [`pin_this_thread`]: call it from the
/// main thread before any other thread starts) and remembers the set for
/// [`shard_cpu`].
pub fn pin_process(cpus: &CpuList) -> std::io::Result<()> {
    pin_this_thread(cpus)?;
    let _ = GIVEN.set(cpus.clone());
    Ok(())
}

/// The CPU of shard `index` of a thread-per-core run when the process was
/// pinned ([`pin_process`]): the set's `index`-th CPU (round the set again
/// when there are more shards than CPUs); `None` when it was not pinned.
pub fn shard_cpu(index: usize) -> Option<usize> {
    let set = GIVEN.get()?;
    set.cpus().get(index % set.len().max(1)).copied()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lists_read_as_linux_writes_them_and_print_back() {
        let list: CpuList = "0-3,8,10-11".parse().unwrap();
        assert_eq!(list.cpus(), &[0, 1, 2, 3, 8, 10, 11]);
        assert_eq!(list.to_string(), "0-3,8,10-11");
        let list: CpuList = " 5, 1 ,1,2 ".parse().unwrap();
        assert_eq!(list.to_string(), "1-2,5");
        assert_eq!("7".parse::<CpuList>().unwrap().to_string(), "7");
    }

    #[test]
    fn a_bad_list_says_what_is_wrong() {
        assert_eq!("".parse::<CpuList>(), Err(CpuListError::Empty));
        assert_eq!(" , ".parse::<CpuList>(), Err(CpuListError::Empty));
        assert_eq!(
            "0-x".parse::<CpuList>(),
            Err(CpuListError::NotANumber("x".to_owned()))
        );
        assert_eq!(
            "4-2".parse::<CpuList>(),
            Err(CpuListError::Backwards("4-2".to_owned()))
        );
        assert_eq!("5000".parse::<CpuList>(), Err(CpuListError::TooHigh(5000)));
    }

    #[test]
    fn halves_give_the_server_the_first_and_the_odd_one() {
        let (server, clients) = CpuList::new((0..8).collect()).halves().unwrap();
        assert_eq!(
            (server.to_string(), clients.to_string()),
            ("0-3".into(), "4-7".into())
        );
        let (server, clients) = CpuList::new(vec![0, 1, 2]).halves().unwrap();
        assert_eq!(
            (server.to_string(), clients.to_string()),
            ("0-1".into(), "2".into())
        );
        assert!(CpuList::new(vec![3]).halves().is_none());
    }

    #[cfg(target_os = "linux")]
    #[test]
    fn a_thread_pinned_to_one_cpu_reads_back_that_cpu() {
        let all = allowed().unwrap();
        assert!(!all.is_empty());
        let last = *all.cpus().last().unwrap();
        // On a thread of its own: the test harness's other threads keep theirs.
        let read = std::thread::spawn(move || {
            pin_this_thread(&CpuList::new(vec![last])).unwrap();
            (
                allowed().unwrap(),
                std::thread::available_parallelism().unwrap().get(),
            )
        })
        .join()
        .unwrap();
        assert_eq!(read.0.cpus(), &[last]);
        assert_eq!(read.1, 1, "available_parallelism follows the affinity");
    }
}
