//! PNG charts: data in, bytes out.
//!
//! plotters places the shapes; the text is drawn here with ab_glyph and the embedded
//! DejaVu Sans (see `assets/fonts/`), so no system font library is needed, and glyphs
//! keep their side bearings (plotters 0.3.7's own ab_glyph text drops them, which
//! spaces letters unevenly).

use anyhow::Context as _;
use plotters::prelude::*;

use crate::domain::stats::RoundPoint;

/// Sized for Discord's attachment preview, which shows images up to about this size.
pub const WIDTH: u32 = 800;
pub const HEIGHT: u32 = 400;

static FONT: &[u8] = include_bytes!("../assets/fonts/DejaVuSans.ttf");

const PEOPLE_COLOUR: RGBColor = RGBColor(76, 120, 168);
const RATE_COLOUR: RGBColor = RGBColor(228, 108, 10);
const GRID_COLOUR: RGBColor = RGBColor(222, 222, 222);
const AXIS_COLOUR: RGBColor = RGBColor(110, 110, 110);
const TEXT_COLOUR: RGBColor = RGBColor(35, 35, 35);

const TITLE_PX: f32 = 26.0;
const LEGEND_PX: f32 = 19.0;
const TICK_PX: f32 = 18.0;
const AXIS_NAME_PX: f32 = 19.0;

/// The header (title and legend) above the plot.
const HEADER_HEIGHT: u32 = 80;

/// Past this many rounds the line loses its dots.
const DOTS_UP_TO: usize = 40;

/// A bar per round for the people matched (left axis), and a line for the meeting rate
/// (right axis, 0-100%), under a title and a legend: `WIDTH` x `HEIGHT` pixels of PNG.
/// A round without a meeting rate (no chats) breaks the line.
pub fn rounds_chart(title: &str, points: &[RoundPoint]) -> anyhow::Result<Vec<u8>> {
    let font =
        ab_glyph::FontRef::try_from_slice(FONT).context("the embedded chart font is unreadable")?;
    let mut canvas = Canvas::new(WIDTH, HEIGHT);
    let labels = draw_shapes(&font, title, points, &mut canvas.pixels)?;
    for label in &labels {
        canvas.text(&font, label);
    }
    encode_png(&canvas.pixels, WIDTH, HEIGHT)
}

/// Draws everything but the text with plotters, and says where the text goes.
fn draw_shapes(
    font: &ab_glyph::FontRef<'_>,
    title: &str,
    points: &[RoundPoint],
    pixels: &mut [u8],
) -> anyhow::Result<Vec<Label>> {
    let root = BitMapBackend::with_buffer(pixels, (WIDTH, HEIGHT)).into_drawing_area();
    root.fill(&WHITE)?;
    let mut labels = vec![Label::new(title, TITLE_PX, (22, 10), Anchor::TopLeft)];

    // The legend: a swatch and a name for each series.
    let legend_y = 60;
    let people_name = "People matched (bars, left axis)";
    let rate_name = "Meeting rate (line, right axis)";
    let mut x = 22;
    root.draw(&Rectangle::new(
        [(x, legend_y - 8), (x + 28, legend_y + 8)],
        PEOPLE_COLOUR.filled(),
    ))?;
    labels.push(Label::new(
        people_name,
        LEGEND_PX,
        (x + 36, legend_y),
        Anchor::MiddleLeft,
    ));
    x += 36 + text_width(font, LEGEND_PX, people_name) as i32 + 40;
    root.draw(&PathElement::new(
        vec![(x, legend_y), (x + 28, legend_y)],
        RATE_COLOUR.stroke_width(3),
    ))?;
    root.draw(&Circle::new((x + 14, legend_y), 5, RATE_COLOUR.filled()))?;
    labels.push(Label::new(
        rate_name,
        LEGEND_PX,
        (x + 36, legend_y),
        Anchor::MiddleLeft,
    ));

    let (_, body) = root.split_vertically(HEADER_HEIGHT);
    // Each round owns the unit around its number, so one round is as wide as the plot.
    let first = points.first().map_or(1.0, |p| f64::from(p.number)) - 0.5;
    let last = points.last().map_or(1.0, |p| f64::from(p.number)) + 0.5;
    let most_people = points.iter().map(|p| p.people).max().unwrap_or(0);
    let people_axis = Axis::nice(most_people);

    let mut chart = ChartBuilder::on(&body)
        .margin_left(12)
        .margin_right(12)
        .margin_bottom(6)
        .margin_top(8)
        .x_label_area_size(50)
        .y_label_area_size(66)
        .right_y_label_area_size(74)
        .build_cartesian_2d(first..last, 0u32..people_axis.top)?
        .set_secondary_coord(first..last, 0f64..100f64);

    let (left, right) = (first, last);
    let (x_pixels, y_pixels) = chart.plotting_area().get_pixel_range();
    let (plot_left, plot_right, plot_bottom) = (x_pixels.start, x_pixels.end, y_pixels.end);

    // Grid lines and tick labels, the people on the left and the rate on the right.
    for value in people_axis.ticks() {
        chart.draw_series(std::iter::once(PathElement::new(
            vec![(left, value), (right, value)],
            GRID_COLOUR.stroke_width(1),
        )))?;
        let (_, y) = chart.backend_coord(&(left, value));
        labels.push(Label::new(
            &value.to_string(),
            TICK_PX,
            (plot_left - 8, y),
            Anchor::MiddleRight,
        ));
    }
    for percent in (0..=100).step_by(20) {
        let (_, y) = chart
            .borrow_secondary()
            .backend_coord(&(left, f64::from(percent)));
        labels.push(Label::new(
            &format!("{percent}%"),
            TICK_PX,
            (plot_right + 8, y),
            Anchor::MiddleLeft,
        ));
    }
    let every = round_label_step(points.len());
    for p in points
        .iter()
        .filter(|p| p.number % every == 0 || points.len() == 1)
    {
        let (x, _) = chart.backend_coord(&(f64::from(p.number), 0));
        root.draw(&PathElement::new(
            vec![(x, plot_bottom), (x, plot_bottom + 5)],
            AXIS_COLOUR.stroke_width(1),
        ))?;
        labels.push(Label::new(
            &p.number.to_string(),
            TICK_PX,
            (x, plot_bottom + 8),
            Anchor::TopCenter,
        ));
    }
    labels.push(Label::new(
        "Round",
        AXIS_NAME_PX,
        ((plot_left + plot_right) / 2, HEIGHT as i32 - 4),
        Anchor::BottomCenter,
    ));
    let middle = (y_pixels.start + y_pixels.end) / 2;
    labels.push(
        Label::new(
            "People matched",
            AXIS_NAME_PX,
            (14, middle),
            Anchor::TopCenter,
        )
        .turned(Turn::Up),
    );
    labels.push(
        Label::new(
            "Meeting rate",
            AXIS_NAME_PX,
            (WIDTH as i32 - 14, middle),
            Anchor::TopCenter,
        )
        .turned(Turn::Down),
    );

    let gap = bar_gap(points.len(), plot_right - plot_left);
    chart.draw_series(points.iter().map(|p| {
        let n = f64::from(p.number);
        let mut bar = Rectangle::new([(n - 0.5, 0), (n + 0.5, p.people)], PEOPLE_COLOUR.filled());
        bar.set_margin(0, 0, gap, gap);
        bar
    }))?;

    for run in points.split(|p| p.meeting_rate.is_none()) {
        let line: Vec<(f64, f64)> = run
            .iter()
            .filter_map(|p| Some((f64::from(p.number), p.meeting_rate? * 100.0)))
            .collect();
        // A white halo keeps the line and its dots visible where they cross the bars.
        let dots = points.len() <= DOTS_UP_TO || line.len() == 1;
        let width = if dots { 3 } else { 2 };
        chart.draw_secondary_series(std::iter::once(PathElement::new(
            line.clone(),
            WHITE.stroke_width(width + 3),
        )))?;
        if dots {
            chart.draw_secondary_series(
                line.iter()
                    .map(|coord| Circle::new(*coord, 7, WHITE.filled())),
            )?;
        }
        chart.draw_secondary_series(std::iter::once(PathElement::new(
            line.clone(),
            RATE_COLOUR.stroke_width(width),
        )))?;
        if dots {
            chart.draw_secondary_series(
                line.into_iter()
                    .map(|coord| Circle::new(coord, 5, RATE_COLOUR.filled())),
            )?;
        }
    }

    // The axes on top of the bars.
    for (from, to) in [
        ((plot_left, y_pixels.start), (plot_left, plot_bottom)),
        ((plot_right, y_pixels.start), (plot_right, plot_bottom)),
        ((plot_left, plot_bottom), (plot_right, plot_bottom)),
    ] {
        root.draw(&PathElement::new(
            vec![from, to],
            AXIS_COLOUR.stroke_width(1),
        ))?;
    }
    root.present()?;
    Ok(labels)
}

/// The people axis: a round top and up to six ticks at 1, 2 or 5 times a power of ten.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Axis {
    top: u32,
    step: u32,
}

impl Axis {
    fn nice(max: u32) -> Axis {
        // Headroom above the tallest bar.
        let wanted = (max + max / 10 + 1).max(4);
        let mut magnitude = 1u32;
        loop {
            for factor in [1, 2, 5] {
                let step = factor * magnitude;
                if wanted.div_ceil(step) <= 5 {
                    return Axis {
                        top: wanted.div_ceil(step) * step,
                        step,
                    };
                }
            }
            magnitude = magnitude.saturating_mul(10);
        }
    }

    fn ticks(self) -> impl Iterator<Item = u32> {
        (0..=self.top).step_by(self.step as usize)
    }
}

/// Label every round up to 12 rounds, then every 2nd, 5th, 10th... round.
fn round_label_step(rounds: usize) -> u32 {
    [1, 2, 5, 10, 20, 25, 50, 100]
        .into_iter()
        .find(|step| rounds.div_ceil(*step as usize) <= 12)
        .unwrap_or(100)
}

/// Pixels left empty on each side of a bar: bars take 70% of their slot, at most 120
/// pixels, and touch when there are too many rounds for gaps.
fn bar_gap(bars: usize, plot_width: i32) -> u32 {
    if bars == 0 || bars > 60 {
        return 0;
    }
    let slot = plot_width.max(0) as f64 / bars as f64;
    let bar = (slot * 0.7).min(120.0);
    ((slot - bar) / 2.0).floor() as u32
}

/// Where a label's anchor point sits on the text.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Anchor {
    TopLeft,
    TopCenter,
    MiddleLeft,
    MiddleRight,
    BottomCenter,
}

/// Text reading bottom to top (`Up`, the left axis) or top to bottom (`Down`, the right).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Turn {
    None,
    Up,
    Down,
}

#[derive(Debug, Clone)]
struct Label {
    text: String,
    px: f32,
    at: (i32, i32),
    anchor: Anchor,
    turn: Turn,
}

impl Label {
    fn new(text: &str, px: f32, at: (i32, i32), anchor: Anchor) -> Label {
        Label {
            text: text.to_string(),
            px,
            at,
            anchor,
            turn: Turn::None,
        }
    }

    /// Turned text: the anchor is placed as if the text were upright, then turned about
    /// the point `at`, so `TopCenter` puts the text's top edge against `at`.
    fn turned(mut self, turn: Turn) -> Label {
        self.turn = turn;
        self
    }
}

/// A line of text as coverage values (0 to 1), `width` x `height`, baseline at `ascent`.
struct Mask {
    width: usize,
    height: usize,
    coverage: Vec<f32>,
}

fn text_width(font: &ab_glyph::FontRef<'_>, px: f32, text: &str) -> f32 {
    use ab_glyph::{Font as _, ScaleFont as _};
    let scaled = font.as_scaled(px);
    let mut width = 0.0;
    let mut previous = None;
    for c in text.chars() {
        let id = scaled.glyph_id(c);
        if let Some(prev) = previous {
            width += scaled.kern(prev, id);
        }
        width += scaled.h_advance(id);
        previous = Some(id);
    }
    width
}

fn render(font: &ab_glyph::FontRef<'_>, px: f32, text: &str) -> Mask {
    use ab_glyph::{Font as _, ScaleFont as _};
    let scaled = font.as_scaled(px);
    let ascent = scaled.ascent();
    let height = (ascent - scaled.descent()).ceil().max(1.0) as usize;
    let width = text_width(font, px, text).ceil() as usize + 2;
    let mut coverage = vec![0f32; width * height];
    let mut x = 0.0;
    let mut previous = None;
    for c in text.chars() {
        let id = scaled.glyph_id(c);
        if let Some(prev) = previous {
            x += scaled.kern(prev, id);
        }
        let glyph = id.with_scale_and_position(px, ab_glyph::point(x, ascent));
        x += scaled.h_advance(id);
        previous = Some(id);
        let Some(outline) = font.outline_glyph(glyph) else {
            continue; // a space
        };
        let bounds = outline.px_bounds();
        outline.draw(|gx, gy, c| {
            let px = bounds.min.x as i64 + i64::from(gx);
            let py = bounds.min.y as i64 + i64::from(gy);
            if (0..width as i64).contains(&px) && (0..height as i64).contains(&py) {
                let cell = &mut coverage[py as usize * width + px as usize];
                *cell = (*cell + c).min(1.0);
            }
        });
    }
    Mask {
        width,
        height,
        coverage,
    }
}

/// RGB pixels, row by row.
struct Canvas {
    width: u32,
    height: u32,
    pixels: Vec<u8>,
}

impl Canvas {
    fn new(width: u32, height: u32) -> Canvas {
        Canvas {
            width,
            height,
            pixels: vec![255; width as usize * height as usize * 3],
        }
    }

    fn blend(&mut self, x: i64, y: i64, colour: RGBColor, alpha: f32) {
        if alpha <= 0.0
            || !(0..i64::from(self.width)).contains(&x)
            || !(0..i64::from(self.height)).contains(&y)
        {
            return;
        }
        let i = (y as usize * self.width as usize + x as usize) * 3;
        for (channel, value) in [colour.0, colour.1, colour.2].into_iter().enumerate() {
            let old = f32::from(self.pixels[i + channel]);
            self.pixels[i + channel] = (old + (f32::from(value) - old) * alpha).round() as u8;
        }
    }

    fn text(&mut self, font: &ab_glyph::FontRef<'_>, label: &Label) {
        let mask = render(font, label.px, &label.text);
        let (w, h) = (mask.width as i64, mask.height as i64);
        // The upright box's top-left corner, relative to the anchor point.
        let (dx, dy) = match label.anchor {
            Anchor::TopLeft => (0, 0),
            Anchor::TopCenter => (-w / 2, 0),
            Anchor::MiddleLeft => (0, -h / 2),
            Anchor::MiddleRight => (-w, -h / 2),
            Anchor::BottomCenter => (-w / 2, -h),
        };
        let (ax, ay) = (i64::from(label.at.0), i64::from(label.at.1));
        for my in 0..h {
            for mx in 0..w {
                let alpha = mask.coverage[(my * w + mx) as usize];
                let (ux, uy) = (dx + mx, dy + my);
                // Turning by a quarter maps the upright offset (ux, uy) about the anchor.
                let (x, y) = match label.turn {
                    Turn::None => (ax + ux, ay + uy),
                    Turn::Up => (ax + uy, ay - ux),
                    Turn::Down => (ax - uy, ay + ux),
                };
                self.blend(x, y, TEXT_COLOUR, alpha);
            }
        }
    }
}

fn encode_png(rgb: &[u8], width: u32, height: u32) -> anyhow::Result<Vec<u8>> {
    let mut out = Vec::new();
    let mut encoder = png::Encoder::new(&mut out, width, height);
    encoder.set_color(png::ColorType::Rgb);
    encoder.set_depth(png::BitDepth::Eight);
    let mut writer = encoder.write_header().context("cannot start the PNG")?;
    writer
        .write_image_data(rgb)
        .context("cannot encode the PNG")?;
    writer.finish().context("cannot finish the PNG")?;
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn decode(bytes: &[u8]) -> (png::OutputInfo, Vec<u8>) {
        let decoder = png::Decoder::new(std::io::Cursor::new(bytes));
        let mut reader = decoder.read_info().expect("a PNG header");
        let mut buf = vec![0; reader.output_buffer_size().expect("a sane size")];
        let info = reader.next_frame(&mut buf).expect("a PNG frame");
        buf.truncate(info.buffer_size());
        (info, buf)
    }

    fn points(n: u32) -> Vec<RoundPoint> {
        (1..=n)
            .map(|number| RoundPoint {
                number,
                people: 8 + number % 5,
                chats: 4,
                meeting_rate: (number % 7 != 3).then(|| f64::from(number % 4) / 4.0),
            })
            .collect()
    }

    fn count_colour(pixels: &[u8], c: RGBColor) -> usize {
        pixels
            .chunks_exact(3)
            .filter(|p| p == &[c.0, c.1, c.2])
            .count()
    }

    #[test]
    fn the_chart_is_a_png_of_the_announced_size() {
        for n in [1, 2, 8, 52, 520] {
            let bytes = rounds_chart("Rounds", &points(n)).unwrap();
            assert_eq!(&bytes[..8], b"\x89PNG\r\n\x1a\n");
            let (info, pixels) = decode(&bytes);
            assert_eq!((info.width, info.height), (WIDTH, HEIGHT), "{n} rounds");
            assert_eq!(info.color_type, png::ColorType::Rgb);
            assert!(
                count_colour(&pixels, TEXT_COLOUR) > 100,
                "text drawn, {n} rounds"
            );
        }
    }

    #[test]
    fn the_bars_and_the_line_use_their_legend_colours() {
        let (_, pixels) = decode(&rounds_chart("Rounds", &points(6)).unwrap());
        assert!(count_colour(&pixels, PEOPLE_COLOUR) > 5_000);
        assert!(count_colour(&pixels, RATE_COLOUR) > 300);
    }

    #[test]
    fn an_empty_or_all_zero_history_still_draws() {
        assert!(rounds_chart("Rounds", &[]).is_ok());
        let zero = [RoundPoint {
            number: 1,
            people: 0,
            chats: 0,
            meeting_rate: None,
        }];
        assert!(rounds_chart("Rounds", &zero).is_ok());
    }

    #[test]
    fn the_people_axis_ends_on_a_round_tick_above_the_tallest_bar() {
        assert_eq!(Axis::nice(0), Axis { top: 4, step: 1 });
        assert_eq!(Axis::nice(9), Axis { top: 10, step: 2 });
        assert_eq!(Axis::nice(21), Axis { top: 25, step: 5 });
        assert_eq!(Axis::nice(180), Axis { top: 200, step: 50 });
        for max in 0..3_000 {
            let axis = Axis::nice(max);
            assert!(axis.top > max || max == 0, "{max}: {axis:?}");
            assert_eq!(axis.top % axis.step, 0);
            assert!(axis.ticks().count() <= 6, "{max}: {axis:?}");
        }
    }

    #[test]
    fn round_labels_thin_out_to_at_most_twelve() {
        assert_eq!(round_label_step(1), 1);
        assert_eq!(round_label_step(12), 1);
        assert_eq!(round_label_step(13), 2);
        assert_eq!(round_label_step(520), 50);
    }

    #[test]
    fn text_keeps_its_side_bearings() {
        let font = ab_glyph::FontRef::try_from_slice(FONT).unwrap();
        // "ll" is two advances wide, not two glyph outlines pushed together.
        let one = text_width(&font, 20.0, "l");
        assert!((text_width(&font, 20.0, "ll") - 2.0 * one).abs() < 0.01);
        let mask = render(&font, 20.0, "ll");
        let columns_with_ink = (0..mask.width)
            .filter(|x| (0..mask.height).any(|y| mask.coverage[y * mask.width + x] > 0.5))
            .collect::<Vec<_>>();
        // Two separate strokes: some empty column lies between the first and the last ink.
        let (first, last) = (columns_with_ink[0], *columns_with_ink.last().unwrap());
        assert!(columns_with_ink.len() < last - first + 1);
    }
}
