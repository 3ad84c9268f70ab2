//! Which of `cargo bench`'s points criterion will run, and how, known
//! before they are set up.
//!
//! criterion applies its filter (`cargo bench --bench throughput --
//! FILTER`) when a point is handed to it, and keeps the filter and its mode
//! (measure, `--test`, `--list`) to itself. The throughput bench does real
//! work before that (a runtime, a pool opened and warmed, for the bare loop
//! its connections), so without knowing them a run of one point prepared
//! every other point too, and `--list` prepared all of them: minutes instead
//! of seconds. [`BenchFilter`] reads the same command line the same way.
//!
//! # Layout
//! - [`BenchFilter`]: the filter and the mode, read from the bench's
//!   arguments; whether it takes a point.
//! - [`Mode`]: what criterion does with the points it takes.

/// The points criterion will run and how: its `FILTER` argument (a
/// regular expression matched against `group/function/parameter`, or with
/// `--exact` the whole id; with `--ignored`, none) and its mode, read from
/// the bench's command line as criterion reads them. criterion keeps both
/// to itself, and the work before a point (a runtime, a pool opened and
/// warmed, for the bare loop its connections) happens outside criterion,
/// so this says which points to prepare, and how far. A point it wrongly
/// left out would be missing from the run, so a filter it cannot read
/// selects everything.
#[derive(Debug)]
pub struct BenchFilter {
    points: Points,
    mode: Mode,
}

/// Which points a filter takes.
#[derive(Debug)]
enum Points {
    /// No filter: every point.
    All,
    /// `--ignored`: none (no point here is marked ignored).
    Nothing,
    /// `--exact`: the point with this id.
    Exact(String),
    /// The points whose id the expression matches anywhere.
    Matching(regex::Regex),
}

/// What criterion does with each point it takes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    /// Measures it (`cargo bench`, `--bench`; also `--profile-time`): the
    /// point is set up and warmed first.
    Measure,
    /// Runs it once, unmeasured (`--test`, or `cargo test --benches`,
    /// which passes no `--bench`): set up, not warmed.
    Test,
    /// Only names it (`--list`): nothing is set up.
    List,
}

impl BenchFilter {
    /// criterion's options that take a value (criterion 0.8), whose value
    /// is not the filter.
    const TAKES_VALUE: [&str; 19] = [
        "-c",
        "--color",
        "-s",
        "--save-baseline",
        "-b",
        "--baseline",
        "--baseline-lenient",
        "--format",
        "--profile-time",
        "--load-baseline",
        "--sample-size",
        "--warm-up-time",
        "--measurement-time",
        "--nresamples",
        "--noise-threshold",
        "--confidence-level",
        "--significance-level",
        "--plotting-backend",
        "--output-format",
    ];

    /// The filter that `args` (the bench's arguments, after its own name)
    /// give.
    pub fn from_args(args: impl IntoIterator<Item = String>) -> Self {
        let (mut filter, mut exact, mut ignored) = (None, false, false);
        let (mut bench, mut test, mut list) = (false, false, false);
        let mut args = args.into_iter();
        while let Some(arg) = args.next() {
            match arg.as_str() {
                "--exact" => exact = true,
                "--ignored" => ignored = true,
                "--bench" => bench = true,
                "--test" => test = true,
                "--list" => list = true,
                option if Self::TAKES_VALUE.contains(&option) => {
                    args.next();
                }
                option if option.starts_with('-') => {}
                _ if filter.is_none() => filter = Some(arg),
                _ => {}
            }
        }
        let points = match filter {
            _ if ignored => Points::Nothing,
            None => Points::All,
            Some(filter) if exact => Points::Exact(filter),
            // criterion stops on a filter that is not a regular
            // expression, with its own message.
            Some(filter) => regex::Regex::new(&filter).map_or(Points::All, Points::Matching),
        };
        // criterion's order: `--list` first, then `--test` or no
        // `--bench` (`cargo test --benches`) runs each point once.
        let mode = if list {
            Mode::List
        } else if test || !bench {
            Mode::Test
        } else {
            Mode::Measure
        };
        BenchFilter { points, mode }
    }

    /// What criterion does with the points it takes.
    pub fn mode(&self) -> Mode {
        self.mode
    }

    /// Whether criterion runs the point `scenario/function/in_flight`.
    pub fn includes(&self, scenario: &str, function: &str, in_flight: usize) -> bool {
        let id = format!("{scenario}/{function}/{in_flight}");
        match &self.points {
            Points::All => true,
            Points::Nothing => false,
            Points::Exact(exact) => id == *exact,
            Points::Matching(regex) => regex.is_match(&id),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::{BenchFilter, Mode};

    fn filter(args: &[&str]) -> BenchFilter {
        BenchFilter::from_args(args.iter().map(|a| (*a).to_owned()))
    }

    #[test]
    fn no_filter_takes_every_point() {
        let all = filter(&["--bench"]);
        assert!(all.includes("get_user", "tokio+hyper", 100));
        assert!(all.includes("post_json", "smol+surf", 1_000));
    }

    #[test]
    fn a_filter_is_a_regular_expression_over_the_whole_id() {
        let one = filter(&["--bench", "get_user/tokio\\+hyper/100$"]);
        assert!(one.includes("get_user", "tokio+hyper", 100));
        assert!(!one.includes("get_user", "tokio+hyper", 1_000));
        assert!(!one.includes("get_user", "tokio+reqwest", 100));
        assert!(!one.includes("fetch_title", "tokio+hyper", 100));
        // Anywhere in the id, as criterion matches it.
        let hyper = filter(&["hyper"]);
        assert!(hyper.includes("fetch_title", "smol+hyper", 10_000));
        assert!(hyper.includes("get_user", "bare-tokio-hyper", 100));
        assert!(!hyper.includes("get_user", "tokio+reqwest", 100));
    }

    #[test]
    fn an_options_value_is_not_the_filter() {
        let f = filter(&[
            "--save-baseline",
            "main",
            "-s",
            "x",
            "--sample-size",
            "10",
            "smol",
        ]);
        assert!(f.includes("get_user", "smol+hyper", 100));
        assert!(!f.includes("get_user", "tokio+hyper", 100));
        // `main` is the baseline's name, not a filter: every point.
        assert!(filter(&["--baseline", "main"]).includes("get_user", "smol+hyper", 100));
    }

    #[test]
    fn exact_and_ignored_are_criterions() {
        let exact = filter(&["--exact", "get_user/tokio+hyper/100"]);
        assert!(exact.includes("get_user", "tokio+hyper", 100));
        assert!(!exact.includes("get_user", "tokio+hyper", 1_000));
        assert!(!filter(&["--ignored"]).includes("get_user", "tokio+hyper", 100));
    }

    #[test]
    fn the_mode_is_read_as_criterion_reads_it() {
        assert_eq!(filter(&["--bench"]).mode(), Mode::Measure);
        assert_eq!(filter(&["--bench", "smol"]).mode(), Mode::Measure);
        assert_eq!(filter(&["--bench", "--test"]).mode(), Mode::Test);
        // `cargo test --benches` passes no `--bench`.
        assert_eq!(filter(&[]).mode(), Mode::Test);
        let list = filter(&["--bench", "--list", "--format", "terse", "tokio"]);
        assert_eq!(list.mode(), Mode::List);
        assert!(list.includes("get_user", "tokio+hyper", 100));
        assert!(!list.includes("get_user", "smol+hyper", 100));
        assert_eq!(filter(&["--bench", "--test", "--list"]).mode(), Mode::List);
    }

    #[test]
    fn a_filter_that_is_no_expression_takes_everything() {
        // criterion itself stops on it, with its own message.
        assert!(filter(&["get_user/(tokio"]).includes("get_user", "smol+hyper", 100));
    }
}
