//! The SVG charts: requests/sec against requests in flight
//! (`throughput.svg`), the open loop's p99 against the rate offered
//! (`latency.svg`), and requests/sec against threads (`scaling.svg`). Each
//! draws a line per tool, the reference tools dashed, each tool in the same
//! colour in every chart ([`colour`]), the legend beside the plot rather than
//! on it, and a title that names the run, its rounds and its scenario.

use std::path::Path;

use plotters::coord::CoordTranslate;
use plotters::prelude::*;

use super::run::{ReferenceTool, Run, Scenario, Status, Tool};

/// Colours far apart (Tableau 10, then four more distinct ones): one per
/// tool, in the order of [`tool_order`], so a tool keeps its colour from
/// chart to chart and run to run.
const COLOURS: [RGBColor; 14] = [
    RGBColor(31, 119, 180),
    RGBColor(255, 127, 14),
    RGBColor(44, 160, 44),
    RGBColor(214, 39, 40),
    RGBColor(148, 103, 189),
    RGBColor(140, 86, 75),
    RGBColor(227, 119, 194),
    RGBColor(127, 127, 127),
    RGBColor(188, 189, 34),
    RGBColor(23, 190, 207),
    RGBColor(0, 0, 0),
    RGBColor(0, 90, 50),
    RGBColor(120, 0, 60),
    RGBColor(0, 0, 140),
];

/// Every tool a chart can draw, in a fixed order: the reference tools, then
/// the registry's combinations.
fn tool_order() -> impl Iterator<Item = Tool> {
    ReferenceTool::ALL.into_iter().map(Tool::Reference).chain(
        fetch_registry::COMBINATIONS
            .iter()
            .copied()
            .map(Tool::Combination),
    )
}

/// `tool`'s colour, the same in every chart.
pub fn colour(tool: Tool) -> RGBColor {
    tool_order()
        .position(|t| t == tool)
        .and_then(|i| COLOURS.get(i).copied())
        .unwrap_or(RGBColor(90, 90, 90))
}

/// Width of the whole picture, and of the plot left of the legend.
const SIZE: (u32, u32) = (1100, 600);
const PLOT_WIDTH: u32 = 830;

/// One tool's line.
struct Line {
    tool: Tool,
    points: Vec<(f64, f64)>,
}

/// A line per tool (in order of first appearance) through `(x, y)` of
/// each of its runs, sorted by x.
fn lines<'a>(
    runs: impl Iterator<Item = &'a Run>,
    xy: impl Fn(&Run) -> Option<(f64, f64)>,
) -> Vec<Line> {
    let mut out: Vec<Line> = Vec::new();
    for r in runs {
        let Some(point) = xy(r) else { continue };
        match out.iter_mut().find(|l| l.tool == r.tool) {
            Some(line) => line.points.push(point),
            None => out.push(Line {
                tool: r.tool,
                points: vec![point],
            }),
        }
    }
    for line in &mut out {
        line.points.sort_by(|a, b| a.0.total_cmp(&b.0));
    }
    out
}

/// Draws `lines` on `chart`, and their legend in `legend` (an area beside
/// the plot, so no label covers a point).
fn draw<'a, 'b: 'a, CT: CoordTranslate<From = (f64, f64)>>(
    chart: &mut ChartContext<'a, SVGBackend<'b>, CT>,
    legend: &DrawingArea<SVGBackend<'b>, plotters::coord::Shift>,
    lines: &[Line],
) -> anyhow::Result<()> {
    for (i, line) in lines.iter().enumerate() {
        let color = colour(line.tool).to_rgba();
        let reference = line.tool.is_reference();
        let style = ShapeStyle::from(&color).stroke_width(if reference { 1 } else { 2 });
        let points = line.points.clone();
        if reference {
            chart.draw_series(DashedLineSeries::new(points.clone(), 6, 4, style))?;
        } else {
            chart.draw_series(LineSeries::new(points.clone(), style))?;
        }
        chart.draw_series(points.iter().map(|&p| Circle::new(p, 3, color.filled())))?;
        let y = 60 + 22 * i32::try_from(i).unwrap_or(0);
        // The swatch as the plot draws the tool: dashed for a reference, with
        // its point; 2 px wide either way, since a 1 px line beside text reads
        // paler than the same colour on the plot.
        let swatch = ShapeStyle::from(&color).stroke_width(2);
        let segments: &[(i32, i32)] = if reference {
            &[(5, 12), (22, 30)]
        } else {
            &[(5, 30)]
        };
        for &(from, to) in segments {
            legend.draw(&PathElement::new(vec![(from, y), (to, y)], swatch))?;
        }
        legend.draw(&Circle::new((17, y), 3, color.filled()))?;
        let label = if reference {
            format!("{} (reference)", line.tool)
        } else {
            line.tool.to_string()
        };
        legend.draw(&Text::new(label, (36, y - 7), ("sans-serif", 14)))?;
    }
    Ok(())
}

/// The picture split into the plot (left) and the legend's column (right).
fn areas(
    path: &Path,
) -> anyhow::Result<(
    DrawingArea<SVGBackend<'_>, plotters::coord::Shift>,
    DrawingArea<SVGBackend<'_>, plotters::coord::Shift>,
)> {
    let root = SVGBackend::new(path, SIZE).into_drawing_area();
    root.fill(&WHITE)?;
    Ok(root.split_horizontally(PLOT_WIDTH))
}

/// Every chart's frame on `plot`: its title, margin and axis label areas.
fn frame<'a, 'b>(
    plot: &'a DrawingArea<SVGBackend<'b>, plotters::coord::Shift>,
    title: &str,
) -> ChartBuilder<'a, 'b, SVGBackend<'b>> {
    let mut builder = ChartBuilder::on(plot);
    builder
        .caption(title, ("sans-serif", 16))
        .margin(20)
        .x_label_area_size(45)
        .y_label_area_size(70);
    builder
}

/// Draws requests/sec against requests in flight (log scale), one line per
/// tool; the reference tools dashed.
pub fn chart(runs: &[Run], title: &str, path: &Path) -> anyhow::Result<()> {
    let lines = lines(runs.iter().filter(|r| r.is_plain()), |r| {
        Some((r.concurrency as f64, r.requests_per_sec))
    });
    rate_chart(&lines, title, "requests in flight", path)
}

/// Draws `lines` of requests/sec (linear) against `x` (log scale, from
/// the smallest x drawn).
fn rate_chart(lines: &[Line], title: &str, x: &str, path: &Path) -> anyhow::Result<()> {
    let all = || lines.iter().flat_map(|l| l.points.iter());
    let max_rps = all().map(|p| p.1).fold(1.0, f64::max) * 1.1;
    let min_x = all()
        .map(|p| p.0)
        .fold(f64::INFINITY, f64::min)
        .clamp(1.0, 1e9);
    let max_x = all().map(|p| p.0).fold(2.0, f64::max);

    // The y axis starts near the lowest point, not at zero, so the lines
    // are told apart.
    let min_rps = all()
        .map(|p| p.1)
        .fold(f64::INFINITY, f64::min)
        .min(max_rps)
        * 0.85;
    let (plot, legend) = areas(path)?;
    let mut chart = frame(&plot, title)
        .build_cartesian_2d((min_x * 0.8..max_x * 1.25).log_scale(), min_rps..max_rps)?;
    chart
        .configure_mesh()
        .x_desc(x)
        .y_desc("requests per second")
        .x_label_formatter(&|x| format!("{x:.0}"))
        .y_label_formatter(&|y| format!("{:.0}k", y / 1000.0))
        .draw()?;
    draw(&mut chart, &legend, lines)?;
    plot.present()?;
    Ok(())
}

/// Draws the open loop's p99 from the due time (log scale) against the
/// rate offered, one line per tool; oha dashed.
pub fn latency_chart(runs: &[Run], title: &str, path: &Path) -> anyhow::Result<()> {
    let sweep = runs
        .iter()
        .filter(|r| r.scenario == Scenario::Rate && r.status == Status::Measured);
    let lines = lines(sweep, |r| Some((r.rate?, r.p99_ms?.max(0.001))));
    let all = || lines.iter().flat_map(|l| l.points.iter());
    let max_rate = all().map(|p| p.0).fold(1.0, f64::max) * 1.05;
    let min_ms = all()
        .map(|p| p.1)
        .fold(f64::INFINITY, f64::min)
        .clamp(0.01, 1e6);
    let max_ms = all().map(|p| p.1).fold(1.0, f64::max);

    let min_rate = all()
        .map(|p| p.0)
        .fold(f64::INFINITY, f64::min)
        .min(max_rate)
        * 0.9;
    let (plot, legend) = areas(path)?;
    let mut chart = frame(&plot, title)
        .build_cartesian_2d(min_rate..max_rate, (min_ms * 0.7..max_ms * 1.5).log_scale())?;
    chart
        .configure_mesh()
        .x_desc("requests per second offered")
        .y_desc("p99 ms from the due time")
        .x_label_formatter(&|x| format!("{:.0}k", x / 1000.0))
        .y_label_formatter(&|y| format!("{y}"))
        .draw()?;
    draw(&mut chart, &legend, &lines)?;
    plot.present()?;
    Ok(())
}

/// Draws requests/sec against threads (the `scaling` runs), one line per
/// tool; wrk and oha dashed.
pub fn scaling_chart(runs: &[Run], title: &str, path: &Path) -> anyhow::Result<()> {
    let scaled = runs
        .iter()
        .filter(|r| r.scenario == Scenario::Scaling && r.status == Status::Measured);
    let lines = lines(scaled, |r| Some((r.threads? as f64, r.requests_per_sec)));
    rate_chart(&lines, title, "threads (shards for compio)", path)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run(tool: &str, c: usize, rps: f64) -> Run {
        Run::sample(tool, c, rps)
    }

    type Drawer = fn(&[Run], &str, &Path) -> anyhow::Result<()>;

    /// The SVG `drawer` makes of `runs`, from a file of its own.
    fn drawn(drawer: Drawer, runs: &[Run], name: &str) -> String {
        let dir = std::env::temp_dir().join(format!("compare-{name}-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("chart.svg");
        drawer(runs, "test", &path).unwrap();
        let svg = std::fs::read_to_string(&path).unwrap();
        std::fs::remove_dir_all(&dir).unwrap();
        assert!(svg.starts_with("<svg"), "{}", &svg[..100.min(svg.len())]);
        svg
    }

    #[test]
    fn chart_renders_an_svg() {
        let runs = [
            run("wrk", 100, 100_000.0),
            run("wrk", 1000, 90_000.0),
            run("tokio+hyper", 100, 50_000.0),
            run("tokio+hyper", 1000, 60_000.0),
        ];
        let svg = drawn(chart, &runs, "chart");
        assert!(svg.contains("tokio+hyper") && svg.contains("wrk (reference)"));
    }

    #[test]
    fn scaling_chart_draws_the_scaling_runs_only() {
        let scaled = |tool: &str, threads: usize, rps: f64| {
            let mut r = run(tool, 1000, rps);
            r.scenario = Scenario::Scaling;
            r.threads = Some(threads);
            r
        };
        let runs = [
            run("oha", 1000, 100_000.0),
            scaled("wrk", 1, 60_000.0),
            scaled("wrk", 2, 100_000.0),
            scaled("compio+hyper", 1, 40_000.0),
            scaled("compio+hyper", 2, 70_000.0),
        ];
        let svg = drawn(scaling_chart, &runs, "scaling");
        assert!(svg.contains("compio+hyper") && svg.contains("wrk (reference)"));
        assert!(!svg.contains("oha"), "the plain oha run is not on it");
    }

    #[test]
    fn latency_chart_draws_the_sweep_only() {
        let swept = |tool: &str, rate: f64, p99: f64| {
            let mut r = run(tool, 100, rate);
            r.scenario = Scenario::Rate;
            r.rate = Some(rate);
            r.p99_ms = Some(p99);
            r
        };
        let runs = [
            run("wrk", 100, 100_000.0),
            swept("oha", 50_000.0, 0.8),
            swept("oha", 90_000.0, 3.0),
            swept("tokio+hyper", 50_000.0, 1.0),
            swept("tokio+hyper", 90_000.0, 250.0),
        ];
        let svg = drawn(latency_chart, &runs, "latency");
        assert!(svg.contains("tokio+hyper") && svg.contains("oha (reference)"));
        assert!(!svg.contains("wrk"), "the closed-loop wrk run is not on it");
    }
}
