//! Line charts as inline SVG, written as text: a call report needs a handful of lines over
//! time, which a plotting crate would add thousands of lines of dependency for. Pure.

use std::fmt::Write;

/// Chart size in SVG user units (the page scales it to its column).
pub const WIDTH: f64 = 600.0;
pub const HEIGHT: f64 = 244.0;
const LEFT: f64 = 56.0;
const RIGHT: f64 = 12.0;
/// Room for the title and, under it, the legend.
const TOP: f64 = 44.0;
const BOTTOM: f64 = 34.0;
/// The width of the line drawn last, and how much wider each line under it is.
const LINE_WIDTH: f64 = 2.5;
const LINE_CASING: f64 = 1.5;

/// One line of a chart: (seconds into the call, value) points, drawn in `color`.
#[derive(Debug, Clone, PartialEq)]
pub struct Series {
    pub name: String,
    /// A CSS colour (`#1f77b4`).
    pub color: &'static str,
    pub points: Vec<(f64, f64)>,
}

/// One chart: a title, the unit of its y axis and its lines over one time axis.
#[derive(Debug, Clone, PartialEq)]
pub struct Chart {
    pub title: String,
    pub unit: &'static str,
    pub series: Vec<Series>,
}

impl Chart {
    /// Whether any line has a point (charts of nothing measured are left out of the page).
    pub fn has_data(&self) -> bool {
        self.series.iter().any(|s| !s.points.is_empty())
    }
}

/// A round upper bound for an axis: 1, 2, 2.5 or 5 times a power of ten, at least `max`.
pub fn nice_ceiling(max: f64) -> f64 {
    if !(max.is_finite() && max > 0.0) {
        return 1.0;
    }
    let power = 10f64.powf(max.log10().floor());
    [1.0, 2.0, 2.5, 5.0, 10.0]
        .into_iter()
        .map(|m| m * power)
        .find(|bound| *bound >= max * (1.0 - 1e-9))
        .unwrap_or(10.0 * power)
}

/// A number for an axis label: no needless decimals.
fn tick_label(value: f64) -> String {
    if value == value.round() {
        format!("{value:.0}")
    } else if (value * 10.0) == (value * 10.0).round() {
        format!("{value:.1}")
    } else {
        format!("{value:.2}")
    }
}

/// Escapes text for SVG/HTML content and attributes.
pub fn escape(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

/// The chart as one `<svg>` element, time from 0 to `x_max` seconds.
pub fn line_chart(chart: &Chart, x_max: f64) -> String {
    let x_max = if x_max > 0.0 { x_max } else { 1.0 };
    let y_data = chart
        .series
        .iter()
        .flat_map(|s| s.points.iter().map(|p| p.1))
        .filter(|v| v.is_finite())
        .fold(0.0, f64::max);
    let y_max = nice_ceiling(y_data);
    let (plot_w, plot_h) = (WIDTH - LEFT - RIGHT, HEIGHT - TOP - BOTTOM);
    let x = |t: f64| LEFT + t.clamp(0.0, x_max) / x_max * plot_w;
    let y = |v: f64| TOP + plot_h - v.clamp(0.0, y_max) / y_max * plot_h;

    let mut svg = String::new();
    let _ = write!(
        svg,
        r#"<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {WIDTH} {HEIGHT}" role="img" aria-label="{title}">"#,
        title = escape(&chart.title)
    );
    let _ = write!(
        svg,
        r##"<text x="{LEFT}" y="18" class="title">{} ({})</text>"##,
        escape(&chart.title),
        escape(chart.unit)
    );
    // Horizontal grid and y labels on round values: quarters of 2, 20, …; fifths of the rest.
    let mantissa = y_max / 10f64.powf(y_max.log10().floor());
    let steps = if (mantissa - 2.0).abs() < 1e-9 { 4 } else { 5 };
    for step in 0..=steps {
        let value = y_max * step as f64 / steps as f64;
        let gy = y(value);
        let _ = write!(
            svg,
            r##"<line x1="{LEFT}" y1="{gy:.1}" x2="{x2:.1}" y2="{gy:.1}" class="grid"/><text x="{lx:.1}" y="{ty:.1}" class="tick" text-anchor="end">{label}</text>"##,
            x2 = WIDTH - RIGHT,
            lx = LEFT - 6.0,
            ty = gy + 4.0,
            label = tick_label(value)
        );
    }
    // Time labels: about six, on whole seconds.
    let x_step = nice_ceiling(x_max / 6.0);
    let mut t = 0.0;
    while t <= x_max + 1e-9 {
        let _ = write!(
            svg,
            r##"<text x="{tx:.1}" y="{ty:.1}" class="tick" text-anchor="middle">{label}</text>"##,
            tx = x(t),
            ty = HEIGHT - BOTTOM + 16.0,
            label = tick_label(t)
        );
        t += x_step;
    }
    let _ = write!(
        svg,
        r##"<text x="{tx:.1}" y="{ty:.1}" class="tick" text-anchor="end">s</text>"##,
        tx = WIDTH - RIGHT,
        ty = HEIGHT - 4.0
    );
    let _ = write!(
        svg,
        r##"<rect x="{LEFT}" y="{TOP}" width="{plot_w}" height="{plot_h}" class="frame"/>"##
    );
    if !chart.has_data() {
        let _ = write!(
            svg,
            r##"<text x="{cx:.1}" y="{cy:.1}" class="tick" text-anchor="middle">not measured</text>"##,
            cx = LEFT + plot_w / 2.0,
            cy = TOP + plot_h / 2.0
        );
    }
    for (i, series) in chart.series.iter().enumerate() {
        // Each line is drawn wider than the ones drawn over it: both directions often carry
        // the same values (a symmetric call), and the later line would hide the earlier.
        let under = (chart.series.len() - 1 - i) as f64;
        let stroke_width = LINE_WIDTH + LINE_CASING * under;
        let points: Vec<String> = series
            .points
            .iter()
            .filter(|(t, v)| t.is_finite() && v.is_finite())
            .map(|&(t, v)| format!("{:.1},{:.1}", x(t), y(v)))
            .collect();
        match points.len() {
            0 => {}
            1 => {
                let _ = write!(
                    svg,
                    r##"<circle cx="{}" cy="{}" r="3" fill="{}"><title>{}</title></circle>"##,
                    points[0].split(',').next().unwrap_or("0"),
                    points[0].split(',').nth(1).unwrap_or("0"),
                    series.color,
                    escape(&series.name)
                );
            }
            _ => {
                let _ = write!(
                    svg,
                    r##"<polyline fill="none" stroke="{}" stroke-width="{stroke_width:.1}" stroke-linejoin="round" points="{}"><title>{}</title></polyline>"##,
                    series.color,
                    points.join(" "),
                    escape(&series.name)
                );
            }
        }
    }
    // Legend on its own line under the title, right-aligned.
    let mut lx = WIDTH - RIGHT;
    for series in chart.series.iter().rev() {
        let width = 7.0 * series.name.chars().count() as f64 + 22.0;
        lx -= width;
        let _ = write!(
            svg,
            r##"<rect x="{lx:.1}" y="28" width="12" height="4" fill="{c}"/><text x="{tx:.1}" y="34" class="legend">{name}</text>"##,
            c = series.color,
            tx = lx + 16.0,
            name = escape(&series.name)
        );
    }
    svg.push_str("</svg>");
    svg
}

#[cfg(test)]
mod tests {
    use super::*;

    fn chart(points: Vec<(f64, f64)>) -> Chart {
        Chart {
            title: "Video <bitrate>".into(),
            unit: "kbit/s",
            series: vec![Series {
                name: "B → A".into(),
                color: "#1f77b4",
                points,
            }],
        }
    }

    #[test]
    fn axes_end_on_round_numbers() {
        assert_eq!(nice_ceiling(1990.0), 2000.0);
        assert_eq!(nice_ceiling(2001.0), 2500.0);
        assert_eq!(nice_ceiling(0.3), 0.5);
        assert_eq!(nice_ceiling(25.0), 25.0);
        assert_eq!(nice_ceiling(0.0), 1.0);
        assert_eq!(nice_ceiling(f64::NAN), 1.0);
    }

    #[test]
    fn a_series_becomes_a_polyline_in_its_colour_within_the_plot() {
        let svg = line_chart(
            &chart(vec![(0.0, 0.0), (5.0, 1000.0), (10.0, 2000.0)]),
            10.0,
        );
        assert!(svg.starts_with("<svg") && svg.ends_with("</svg>"));
        assert!(svg.contains(r##"stroke="#1f77b4""##), "{svg}");
        // First point at the plot's bottom-left, last at its top-right (y axis up to 2000).
        let points = format!(
            "{LEFT:.1},{:.1} {:.1},{:.1} {:.1},{TOP:.1}",
            HEIGHT - BOTTOM,
            LEFT + (WIDTH - LEFT - RIGHT) / 2.0,
            TOP + (HEIGHT - TOP - BOTTOM) / 2.0,
            WIDTH - RIGHT
        );
        assert!(svg.contains(&points), "{points} not in {svg}");
        assert!(svg.contains(">2000<"), "the top tick");
        assert!(svg.contains(">500<"), "quarters of 2000");
        let fifths = line_chart(&chart(vec![(0.0, 0.0), (1.0, 2.3)]), 1.0);
        assert!(
            fifths.contains(">0.5<") && fifths.contains(">2.5<"),
            "{fifths}"
        );
        assert!(
            svg.contains("Video &lt;bitrate&gt; (kbit/s)"),
            "escaped title"
        );
        assert!(svg.contains("B → A"), "legend");
    }

    #[test]
    fn lines_drawn_first_are_wider_so_equal_lines_all_show() {
        let mut two = chart(vec![(0.0, 1.0), (1.0, 2.0)]);
        let mut second = two.series[0].clone();
        second.color = "#2ca02c";
        two.series.push(second);
        let svg = line_chart(&two, 1.0);
        let first = svg.find(r##"stroke="#1f77b4" stroke-width="4.0""##);
        let last = svg.find(r##"stroke="#2ca02c" stroke-width="2.5""##);
        assert!(first.is_some() && last.is_some(), "{svg}");
        assert!(
            first < last,
            "the wider one is drawn first, under the other"
        );
    }

    #[test]
    fn nothing_measured_says_so_and_draws_no_line() {
        let svg = line_chart(&chart(Vec::new()), 10.0);
        assert!(svg.contains("not measured"));
        assert!(!svg.contains("<polyline"));
        let one = line_chart(&chart(vec![(3.0, 1.0)]), 10.0);
        assert!(one.contains("<circle"), "a single point is still seen");
    }
}
