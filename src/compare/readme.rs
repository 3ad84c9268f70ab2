//! The README's results: one row per combination and the short answers a
//! reader came for, drawn from a committed run's results.json and written
//! between [`BEGIN`] and [`END`], so no figure in the README is pasted by
//! hand (a test draws the block again and fails when the two differ).
//!
//! Every figure is the median of the run's rounds with its range. An answer
//! names the best combination and the runner-up; the gap between them is
//! told as beyond noise only when their ranges do not overlap, else as `≈`.
//! A run its own checks flagged, or with errors, feeds no answer.
//!
//! # Layout
//! - [`block`]: the block's text for a [`Results`].
//! - [`Answer`] and [`answers`]: the questions, each with its best two.
//! - [`replace_block`]: a README with its block replaced.

use std::fmt::Write as _;

use super::render::Results;
use super::run::{Round, Run, Scenario, Spread, Status, Tool};
use super::tables::{sustainable_rate, target};

/// The line the block starts after.
pub const BEGIN: &str = "<!-- results:headline -->";
/// The line the block ends before.
pub const END: &str = "<!-- /results:headline -->";

/// Requests in flight of the block's closed-loop columns.
const IN_FLIGHT: usize = 1000;

/// The open-loop share of the saturation rate the latency answer is read at.
const HALF_LOAD: f64 = 0.5;

/// A figure of one run over its rounds: `value` of each round (the run's
/// own when it kept none).
fn spread(r: &Run, value: impl Fn(&Round) -> Option<f64>) -> Option<Spread> {
    let values: Vec<f64> = if r.rounds.is_empty() {
        value(&Round::of(r)).into_iter().collect()
    } else {
        r.rounds.iter().filter_map(value).collect()
    };
    Spread::of(&values)
}

/// `68,117 (64,210–71,004)` with `digits` decimals; without the range for
/// one round.
fn told(s: &Spread, digits: usize) -> String {
    let one = |v: f64| grouped(v, digits);
    if s.n > 1 {
        format!("{} ({}–{})", one(s.median), one(s.min), one(s.max))
    } else {
        one(s.median)
    }
}

/// `v` with `digits` decimals and its thousands grouped by commas.
fn grouped(v: f64, digits: usize) -> String {
    let text = format!("{v:.digits$}");
    let (int, frac) = text.split_once('.').unwrap_or((&text, ""));
    let (sign, int) = int.strip_prefix('-').map_or(("", int), |i| ("-", i));
    let mut out = String::new();
    for (i, c) in int.chars().enumerate() {
        if i > 0 && (int.len() - i) % 3 == 0 {
            out.push(',');
        }
        out.push(c);
    }
    if frac.is_empty() {
        format!("{sign}{out}")
    } else {
        format!("{sign}{out}.{frac}")
    }
}

/// A run that can feed the block: measured, every request accounted for,
/// no error, and nothing its own checks flag.
fn sound(r: &Run) -> bool {
    r.status == Status::Measured
        && r.problem().is_none()
        && r.error_count() == 0
        && r.checks().is_empty()
}

/// What a question measures, and which way is better.
struct Question {
    /// The question, as the table asks it.
    text: &'static str,
    /// The run of a combination that answers it.
    pick: fn(&Run) -> bool,
    /// The figure, over rounds.
    figure: fn(&Run) -> Option<Spread>,
    /// Its unit, after the figure.
    unit: &'static str,
    /// Decimals.
    digits: usize,
    /// More is better (else less is).
    more: bool,
}

/// The questions, in the order the block asks them.
fn questions() -> Vec<Question> {
    vec![
        Question {
            text: "most requests/sec on kept connections (1,000 in flight)",
            pick: |r| r.is_plain() && r.concurrency == IN_FLIGHT,
            figure: |r| spread(r, |x| Some(x.requests_per_sec)),
            unit: "/s",
            digits: 0,
            more: true,
        },
        Question {
            text: "least client CPU per request (1,000 in flight)",
            pick: |r| r.is_plain() && r.concurrency == IN_FLIGHT,
            figure: |r| spread(r, Round::cpu_per_10k),
            unit: " CPU s per 10k",
            digits: 3,
            more: false,
        },
        Question {
            text: "least memory per request in flight (10,000 waiting on /delay/1000)",
            pick: |r| r.scenario == Scenario::Memory,
            figure: |r| {
                let c = r.concurrency.max(1) as f64;
                spread(r, |x| Some(x.peak_rss_kb as f64 / c))
            },
            unit: " KiB",
            digits: 1,
            more: false,
        },
        Question {
            text: "most requests/sec over https (kept connections)",
            pick: |r| r.scenario == Scenario::Https,
            figure: |r| spread(r, |x| Some(x.requests_per_sec)),
            unit: "/s",
            digits: 0,
            more: true,
        },
        Question {
            text: "most requests/sec over HTTP/2 (TLS)",
            pick: |r| r.scenario == Scenario::H2,
            figure: |r| spread(r, |x| Some(x.requests_per_sec)),
            unit: "/s",
            digits: 0,
            more: true,
        },
        Question {
            text: "lowest p99 at half the saturation rate (open loop, from the due time)",
            pick: |r| {
                r.scenario == Scenario::Rate
                    && r.fraction.is_some_and(|f| (f - HALF_LOAD).abs() < 1e-9)
            },
            figure: |r| spread(r, |x| x.p99_ms),
            unit: " ms",
            digits: 2,
            more: false,
        },
    ]
}

/// One question's answer: the best combination and the runner-up, each
/// with its figure.
#[derive(Debug, Clone)]
pub struct Answer {
    /// The question.
    pub question: &'static str,
    /// The best, its figure as told.
    pub best: Option<(String, Spread)>,
    /// The runner-up.
    pub runner_up: Option<(String, Spread)>,
    /// Whether the two ranges do not overlap (the order holds beyond the
    /// noise the rounds measured); `false` with one round.
    pub beyond_noise: bool,
}

/// Each question's best two combinations among the sound runs.
pub fn answers(runs: &[Run]) -> Vec<(Answer, &'static str, usize)> {
    questions()
        .into_iter()
        .map(|q| {
            let mut scored: Vec<(String, Spread)> = runs
                .iter()
                .filter(|r| !r.reference && sound(r) && (q.pick)(r))
                .filter_map(|r| Some((r.tool.to_string(), (q.figure)(r)?)))
                .collect();
            scored.sort_by(|a, b| {
                let order = a.1.median.total_cmp(&b.1.median);
                if q.more { order.reverse() } else { order }
            });
            let mut top = scored.into_iter();
            let (best, runner_up) = (top.next(), top.next());
            let beyond_noise = match (&best, &runner_up) {
                (Some((_, a)), Some((_, b))) => {
                    a.n > 1 && b.n > 1 && (a.max < b.min || b.max < a.min)
                }
                _ => false,
            };
            (
                Answer {
                    question: q.text,
                    best,
                    runner_up,
                    beyond_noise,
                },
                q.unit,
                q.digits,
            )
        })
        .collect()
}

/// The block for `results`, whose page is at `page` (a link relative to
/// the README).
pub fn block(results: &Results, page: &str) -> String {
    let runs = &results.runs;
    let rounds = results.plan.repeat.max(1);
    let mut out = String::new();
    let env = &results.environment.stamp;
    let _ = writeln!(
        out,
        "Run [`{}`]({page}): commit `{}`{}, {}, {} cores ({}), {}. Each figure is the median of \
         {rounds} round{} with its range (min–max); rows a run's own checks flagged are marked \
         and answer nothing.\n",
        results.run_id,
        &env.commit.chars().take(7).collect::<String>(),
        if env.dirty {
            " with uncommitted changes"
        } else {
            ""
        },
        results.machine.date,
        results.machine.cores,
        results.environment.placement.note,
        env.rustc,
        if rounds == 1 { "" } else { "s" },
    );
    out.push_str(
        "| combination | requests/sec (1,000 in flight) | p99 ms | client CPU s per 10k | peak RSS MB | https requests/sec | h2 requests/sec | sustainable rate |\n\
         |---|---|---|---|---|---|---|---|\n",
    );
    let mut combos: Vec<Tool> = Vec::new();
    for r in runs.iter().filter(|r| !r.reference) {
        if !combos.contains(&r.tool) {
            combos.push(r.tool);
        }
    }
    for tool in combos {
        let find = |pick: &dyn Fn(&Run) -> bool| runs.iter().find(|r| r.tool == tool && pick(r));
        let cell = |r: Option<&Run>, value: &dyn Fn(&Round) -> Option<f64>, digits: usize| match r {
            None => "-".to_owned(),
            Some(r) if r.status != Status::Measured => match &r.status {
                Status::NotSupported(_) => "not supported".to_owned(),
                _ => "failed".to_owned(),
            },
            Some(r) => {
                let text = spread(r, value).map_or_else(|| "-".to_owned(), |s| told(&s, digits));
                if sound(r) {
                    text
                } else {
                    format!("{text} (flagged)")
                }
            }
        };
        let plain = find(&|r| r.is_plain() && r.concurrency == IN_FLIGHT);
        let https = find(&|r| r.scenario == Scenario::Https);
        let h2 = find(&|r| r.scenario == Scenario::H2);
        let _ = writeln!(
            out,
            "| {tool} | {} | {} | {} | {} | {} | {} | {} |",
            cell(plain, &|x| Some(x.requests_per_sec), 0),
            cell(plain, &|x| x.p99_ms, 1),
            cell(plain, &Round::cpu_per_10k, 3),
            cell(plain, &|x| Some(x.peak_rss_kb as f64 / 1024.0), 1),
            cell(https, &|x| Some(x.requests_per_sec), 0),
            cell(h2, &|x| Some(x.requests_per_sec), 0),
            // One figure, no range: each round offers its own shares of
            // its own saturation rate, so the rounds' steps differ.
            sustainable_rate(runs, tool).map_or_else(|| "none".to_owned(), |r| format!("{r:.0}/s")),
        );
    }
    out.push_str(
        &format!(
            "\nSustainable rate: the highest open-loop rate offered whose p99 from the due time stayed \
             under {} ms with no error and 99% of it sent (one figure: each round offers its own steps).\n",
            target::SUSTAINABLE_P99_MS
        ),
    );
    out.push('\n');
    out.push_str(&answers_table(runs, rounds));
    out
}

/// The answers as a table: each question, its best two and whether the gap
/// between them is beyond noise (`rounds`: how many rounds the run had).
pub fn answers_table(runs: &[Run], rounds: usize) -> String {
    let mut out = String::from("| question | best | runner-up | the gap |\n|---|---|---|---|\n");
    for (answer, unit, digits) in answers(runs) {
        let named = |x: &Option<(String, Spread)>| {
            x.as_ref().map_or_else(
                || "-".to_owned(),
                |(tool, s)| format!("{tool}: {}{unit}", told(s, digits)),
            )
        };
        let gap = match (&answer.best, &answer.runner_up) {
            (Some(_), Some(_)) if answer.beyond_noise => "beyond noise",
            (Some(_), Some(_)) if rounds == 1 => "one round: not told",
            (Some(_), Some(_)) => "≈ (ranges overlap)",
            _ => "-",
        };
        let _ = writeln!(
            out,
            "| {} | {} | {} | {gap} |",
            answer.question,
            named(&answer.best),
            named(&answer.runner_up),
        );
    }
    out
}

/// `readme` with the text between its [`BEGIN`] and [`END`] lines replaced
/// by `block`; an error when it has no such pair.
pub fn replace_block(readme: &str, block: &str) -> anyhow::Result<String> {
    let start = readme
        .find(BEGIN)
        .ok_or_else(|| anyhow::anyhow!("the README has no {BEGIN} line"))?;
    let body = start + BEGIN.len();
    let end = readme[body..]
        .find(END)
        .map(|i| body + i)
        .ok_or_else(|| anyhow::anyhow!("the README has no {END} line after {BEGIN}"))?;
    Ok(format!("{}\n{block}{}", &readme[..body], &readme[end..]))
}

/// The block as it stands in `readme`, between its markers.
pub fn current_block(readme: &str) -> Option<&str> {
    let body = readme.find(BEGIN)? + BEGIN.len();
    let end = body + readme[body..].find(END)?;
    readme.get(body..end)?.strip_prefix('\n')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn thousands_are_grouped() {
        assert_eq!(grouped(68117.4, 0), "68,117");
        assert_eq!(grouped(1234567.891, 2), "1,234,567.89");
        assert_eq!(grouped(999.0, 0), "999");
        assert_eq!(grouped(0.153, 3), "0.153");
    }

    #[test]
    fn the_block_is_replaced_between_its_markers_only() {
        let readme = format!("# x\n\n{BEGIN}\nold\n{END}\n\nrest\n");
        let new = replace_block(&readme, "new\n").unwrap();
        assert_eq!(new, format!("# x\n\n{BEGIN}\nnew\n{END}\n\nrest\n"));
        assert_eq!(current_block(&new), Some("new\n"));
        assert!(replace_block("# no markers", "x").is_err());
    }

    #[test]
    fn a_gap_is_beyond_noise_only_when_the_ranges_do_not_overlap() {
        let run = |tool: &str, rps: [f64; 3]| {
            let mut r = Run::sample(tool, IN_FLIGHT, rps[1]);
            r.rounds = rps
                .iter()
                .map(|&v| Round {
                    requests_per_sec: v,
                    ..Round::of(&r)
                })
                .collect();
            r
        };
        let apart = [
            run("tokio+hyper", [90.0, 100.0, 110.0]),
            run("smol+hyper", [60.0, 70.0, 80.0]),
        ];
        let first = &answers(&apart)[0].0;
        assert_eq!(first.best.as_ref().unwrap().0, "tokio+hyper");
        assert!(first.beyond_noise);
        let close = [
            run("tokio+hyper", [90.0, 100.0, 110.0]),
            run("smol+hyper", [85.0, 95.0, 105.0]),
        ];
        assert!(!answers(&close)[0].0.beyond_noise);
        // A flagged run answers nothing.
        let mut flagged = run("tokio+hyper", [200.0, 200.0, 200.0]);
        flagged.peak_in_flight = Some(10);
        let with_flag = [flagged, run("smol+hyper", [60.0, 70.0, 80.0])];
        let first = &answers(&with_flag)[0].0;
        assert_eq!(first.best.as_ref().unwrap().0, "smol+hyper");
        assert!(first.runner_up.is_none());
    }
}
