//! The SVG chart: requests/sec against requests in flight.

use std::path::Path;

use super::run::Run;

/// Draws requests/sec against requests in flight (log scale), one line per
/// tool; the reference tools dashed.
pub fn chart(runs: &[Run], title: &str, path: &Path) -> anyhow::Result<()> {
    use plotters::prelude::*;

    let runs: Vec<Run> = runs.iter().filter(|r| r.is_plain()).cloned().collect();

    let mut tools: Vec<&str> = Vec::new();
    for r in &runs {
        if !tools.contains(&r.tool.as_str()) {
            tools.push(&r.tool);
        }
    }
    let max_rps = runs.iter().map(|r| r.requests_per_sec).fold(1.0, f64::max) * 1.1;
    let min_c = runs.iter().map(|r| r.concurrency).min().unwrap_or(1).max(1) as f64;
    let max_c = runs
        .iter()
        .map(|r| r.concurrency)
        .max()
        .unwrap_or(10)
        .max(2) as f64;

    let root = SVGBackend::new(path, (960, 600)).into_drawing_area();
    root.fill(&WHITE)?;
    let mut chart = ChartBuilder::on(&root)
        .caption(title, ("sans-serif", 20))
        .margin(20)
        .x_label_area_size(45)
        .y_label_area_size(70)
        .build_cartesian_2d((min_c * 0.8..max_c * 1.25).log_scale(), 0.0..max_rps)?;
    chart
        .configure_mesh()
        .x_desc("requests in flight")
        .y_desc("requests per second")
        .x_label_formatter(&|x| format!("{x:.0}"))
        .y_label_formatter(&|y| format!("{:.0}k", y / 1000.0))
        .draw()?;
    for (i, tool) in tools.iter().enumerate() {
        let mut points: Vec<(f64, f64)> = runs
            .iter()
            .filter(|r| r.tool == *tool)
            .map(|r| (r.concurrency as f64, r.requests_per_sec))
            .collect();
        points.sort_by(|a, b| a.0.total_cmp(&b.0));
        let reference = runs.iter().any(|r| r.tool == *tool && r.reference);
        let color = Palette99::pick(i).to_rgba();
        let style = ShapeStyle::from(&color).stroke_width(if reference { 1 } else { 2 });
        if reference {
            chart
                .draw_series(DashedLineSeries::new(points.clone(), 6, 4, style))?
                .label(format!("{tool} (reference)"))
                .legend(move |(x, y)| PathElement::new(vec![(x, y), (x + 20, y)], color));
        } else {
            chart
                .draw_series(LineSeries::new(points.clone(), style))?
                .label(tool.to_string())
                .legend(move |(x, y)| PathElement::new(vec![(x, y), (x + 20, y)], color));
        }
        chart.draw_series(points.iter().map(|&p| Circle::new(p, 3, color.filled())))?;
    }
    chart
        .configure_series_labels()
        .position(SeriesLabelPosition::UpperRight)
        .background_style(WHITE.mix(0.8))
        .border_style(BLACK)
        .draw()?;
    root.present()?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run(tool: &str, reference: bool, c: usize, rps: f64) -> Run {
        Run::sample(tool, reference, c, rps)
    }

    #[test]
    fn chart_renders_an_svg() {
        let runs = [
            run("wrk", true, 100, 100_000.0),
            run("wrk", true, 1000, 90_000.0),
            run("tokio+hyper", false, 100, 50_000.0),
            run("tokio+hyper", false, 1000, 60_000.0),
        ];
        let dir = std::env::temp_dir().join(format!("compare-chart-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("t.svg");
        chart(&runs, "test", &path).unwrap();
        let svg = std::fs::read_to_string(&path).unwrap();
        assert!(svg.starts_with("<svg"), "{}", &svg[..100.min(svg.len())]);
        assert!(svg.contains("tokio+hyper") && svg.contains("wrk (reference)"));
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
