//! PNG charts: data in, bytes out. Two charts share one frame (title, legend, rounds
//! along the bottom, a value axis on each side) and one way of drawing lines and marks:
//! the rounds chart (people matched and the meeting rate) and the evaluation chart (the
//! meeting rate, the good-fit rate and survey means).
//!
//! plotters places the shapes; the text is drawn here with ab_glyph and the embedded
//! DejaVu Sans (see `assets/fonts/`), so no system font library is needed, and glyphs
//! keep their side bearings (plotters 0.3.7's own ab_glyph text drops them, which
//! spaces letters unevenly).

use anyhow::Context as _;
use plotters::coord::Shift;
use plotters::prelude::*;

use crate::domain::stats::{EvaluationPoint, RoundPoint};

/// Sized for Discord's attachment preview, which shows images up to about this size.
pub const WIDTH: u32 = 800;
pub const HEIGHT: u32 = 400;

static FONT: &[u8] = include_bytes!("../assets/fonts/DejaVuSans.ttf");

// One colour means one thing in both charts: orange is the meeting rate in each.
const PEOPLE_COLOUR: RGBColor = RGBColor(76, 120, 168);
const RATE_COLOUR: RGBColor = RGBColor(228, 108, 10);
/// The good-fit line's colour; public, with [`HEADER_HEIGHT`], so that a test of what the
/// bot sent can tell whether the picture has a fit point.
pub const FIT_COLOUR: RGBColor = RGBColor(0, 140, 100);
const SURVEY_COLOUR: RGBColor = RGBColor(128, 64, 160);
const GRID_COLOUR: RGBColor = RGBColor(222, 222, 222);
const AXIS_COLOUR: RGBColor = RGBColor(110, 110, 110);
const TEXT_COLOUR: RGBColor = RGBColor(35, 35, 35);

const TITLE_PX: f32 = 26.0;
/// A title too long for the width shrinks, down to this size.
const SMALLEST_TITLE_PX: f32 = 18.0;
const LEGEND_PX: f32 = 19.0;
const TICK_PX: f32 = 18.0;
const AXIS_NAME_PX: f32 = 19.0;

/// The header (title and legend) above the plot: pixel rows from this one down are the
/// plot's and the axes'.
pub const HEADER_HEIGHT: u32 = 80;
const LEGEND_Y: i32 = 60;
/// The space left of the title and legend, and at least right of them.
const SIDE: i32 = 22;
/// Between the plot and the canvas's edges, around the axes' tick labels and names.
const PLOT_LEFT: i32 = 12 + 66;
const PLOT_RIGHT: i32 = WIDTH as i32 - 12 - 74;
const PLOT_TOP: i32 = HEADER_HEIGHT as i32 + 8;
const PLOT_BOTTOM: i32 = HEIGHT as i32 - 6 - 50;

/// Past this many rounds a line loses its dots.
const DOTS_UP_TO: usize = 40;

/// A bar per round for the people matched (left axis), and a line for the meeting rate
/// (right axis, 0-100%), under a title and a legend: `WIDTH` x `HEIGHT` pixels of PNG.
/// A round without a meeting rate (no chats) breaks the line.
pub fn rounds_chart(title: &str, points: &[RoundPoint]) -> anyhow::Result<Vec<u8>> {
    let (canvas, _) = paint_rounds(title, points)?;
    canvas.png()
}

/// The evaluation over time: lines for the meeting rate and the good-fit rate (left axis,
/// 0-100%), and each round's survey mean as a marked point (right axis, on the 1-5
/// scale), under a title and a legend: `WIDTH` x `HEIGHT` pixels of PNG. A round without
/// a meeting rate breaks its line, and one without a survey mean has no point. A round
/// without a fit rate has no mark either, but the fit line runs on past it: its answers,
/// too few to show, are in the next point's (see `domain::stats::fit_blocks`).
pub fn evaluation_chart(title: &str, points: &[EvaluationPoint]) -> anyhow::Result<Vec<u8>> {
    let (canvas, _) = paint_evaluation(title, points)?;
    canvas.png()
}

fn paint_rounds(title: &str, points: &[RoundPoint]) -> anyhow::Result<(Canvas, Vec<Label>)> {
    let people_axis = Axis::nice(points.iter().map(|p| p.people).max().unwrap_or(0));
    let frame = Frame {
        title,
        keys: vec![
            Key::new("People matched (bars, left axis)", PEOPLE_COLOUR, Mark::Bar),
            Key::new(
                "Meeting rate (line, right axis)",
                RATE_COLOUR,
                Mark::Line(Dot::Circle),
            ),
        ],
        rounds: points.iter().map(|p| p.number).collect(),
        left: ValueAxis {
            name: "People matched",
            top: f64::from(people_axis.top),
            ticks: people_axis
                .ticks()
                .map(|n| (f64::from(n), people_tick(n)))
                .collect(),
        },
        right: ValueAxis::percent("Meeting rate"),
    };
    paint(&frame, |plot, root| {
        let gap = bar_gap(points.len(), plot.right - plot.left);
        for p in points {
            let n = f64::from(p.number);
            let (from, to) = (plot.x(n - 0.5) + gap, plot.x(n + 0.5) - gap);
            let top = plot.y(Side::Left, f64::from(p.people));
            root.draw(&Rectangle::new(
                [(from, top), (to, plot.bottom)],
                PEOPLE_COLOUR.filled(),
            ))?;
        }
        let rates: Vec<(u32, Option<f64>)> = points
            .iter()
            .map(|p| (p.number, p.meeting_rate.map(|r| r * 100.0)))
            .collect();
        draw_line(
            root,
            plot,
            Side::Right,
            &rates,
            (RATE_COLOUR, Dot::Circle),
            Gaps::Break,
        )
    })
}

fn paint_evaluation(
    title: &str,
    points: &[EvaluationPoint],
) -> anyhow::Result<(Canvas, Vec<Label>)> {
    let frame = Frame {
        title,
        keys: vec![
            Key::new("Meeting rate (%)", RATE_COLOUR, Mark::Line(Dot::Circle)),
            Key::new("Good fit (%)", FIT_COLOUR, Mark::Line(Dot::Square)),
            Key::new(
                "Survey mean (1–5, right axis)",
                SURVEY_COLOUR,
                Mark::Point(Dot::Diamond),
            ),
        ],
        rounds: points.iter().map(|p| p.number).collect(),
        left: ValueAxis::percent("Meeting rate, good fit"),
        // 0 to 5 so that its marks 1 to 5 sit on the percent grid (20% = 1).
        right: ValueAxis {
            name: "Survey mean",
            top: 5.0,
            ticks: (1..=5).map(|n| (f64::from(n), n.to_string())).collect(),
        },
    };
    let series = |value: fn(&EvaluationPoint) -> Option<f64>| -> Vec<(u32, Option<f64>)> {
        points.iter().map(|p| (p.number, value(p))).collect()
    };
    paint(&frame, |plot, root| {
        let meeting = series(|p| p.meeting_rate.map(|r| r * 100.0));
        draw_line(
            root,
            plot,
            Side::Left,
            &meeting,
            (RATE_COLOUR, Dot::Circle),
            Gaps::Break,
        )?;
        let fit = series(|p| p.fit_rate.map(|r| r * 100.0));
        draw_line(
            root,
            plot,
            Side::Left,
            &fit,
            (FIT_COLOUR, Dot::Square),
            Gaps::Join,
        )?;
        for (number, mean) in series(|p| p.survey_mean) {
            if let Some(mean) = mean {
                let at = (plot.x(f64::from(number)), plot.y(Side::Right, mean));
                draw_dot(root, at, Dot::Diamond, 9, SURVEY_COLOUR)?;
            }
        }
        Ok(())
    })
}

type Root<'a> = DrawingArea<BitMapBackend<'a>, Shift>;

/// What both charts share: a title, a legend, rounds along the bottom, and a value axis
/// on each side, with the grid of the left one.
struct Frame<'a> {
    title: &'a str,
    keys: Vec<Key>,
    /// The rounds' numbers, in order.
    rounds: Vec<u32>,
    left: ValueAxis,
    right: ValueAxis,
}

/// A vertical axis from 0 to `top`, with its tick labels.
struct ValueAxis {
    name: &'static str,
    top: f64,
    ticks: Vec<(f64, String)>,
}

impl ValueAxis {
    fn percent(name: &'static str) -> ValueAxis {
        ValueAxis {
            name,
            top: 100.0,
            ticks: (0..=100)
                .step_by(20)
                .map(|p| (f64::from(p), format!("{p}%")))
                .collect(),
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Side {
    Left,
    Right,
}

/// A legend entry: a swatch drawn like its series, and its name.
struct Key {
    name: &'static str,
    colour: RGBColor,
    mark: Mark,
}

impl Key {
    fn new(name: &'static str, colour: RGBColor, mark: Mark) -> Key {
        Key { name, colour, mark }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Mark {
    Bar,
    /// A line with this dot on each value.
    Line(Dot),
    /// Points alone.
    Point(Dot),
}

/// The shape on a value: each series its own, so the series differ by more than colour.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Dot {
    Circle,
    Square,
    Diamond,
}

/// Where the plot lies in pixels, and what its edges stand for.
struct Plot {
    left: i32,
    right: i32,
    top: i32,
    bottom: i32,
    /// The rounds at the left and right edges: each round owns the unit around its
    /// number, so one round is as wide as the plot.
    first: f64,
    last: f64,
    left_top: f64,
    right_top: f64,
}

impl Plot {
    fn new(frame: &Frame<'_>) -> Plot {
        let first = frame.rounds.first().map_or(1.0, |n| f64::from(*n)) - 0.5;
        let last = frame.rounds.last().map_or(1.0, |n| f64::from(*n)) + 0.5;
        Plot {
            left: PLOT_LEFT,
            right: PLOT_RIGHT,
            top: PLOT_TOP,
            bottom: PLOT_BOTTOM,
            first,
            last,
            left_top: frame.left.top,
            right_top: frame.right.top,
        }
    }

    /// The pixel column of a round (or a point between rounds).
    fn x(&self, round: f64) -> i32 {
        let share = (round - self.first) / (self.last - self.first);
        self.left + (f64::from(self.right - self.left) * share + 1e-3).floor() as i32
    }

    /// The pixel row of a value on one side's axis.
    fn y(&self, side: Side, value: f64) -> i32 {
        let top = match side {
            Side::Left => self.left_top,
            Side::Right => self.right_top,
        };
        let share = if top > 0.0 { value / top } else { 0.0 };
        self.bottom - (f64::from(self.bottom - self.top) * share + 1e-3).floor() as i32
    }

    fn middle(&self) -> (i32, i32) {
        ((self.left + self.right) / 2, (self.top + self.bottom) / 2)
    }
}

/// Draws the frame, the series (with `series`, over the grid and under the axes), then
/// the text: the chart's pixels, and the labels drawn on them.
fn paint(
    frame: &Frame<'_>,
    series: impl FnOnce(&Plot, &Root<'_>) -> anyhow::Result<()>,
) -> anyhow::Result<(Canvas, Vec<Label>)> {
    let font = font()?;
    let mut canvas = Canvas::new(WIDTH, HEIGHT);
    let plot = Plot::new(frame);
    let labels = {
        let root =
            BitMapBackend::with_buffer(&mut canvas.pixels, (WIDTH, HEIGHT)).into_drawing_area();
        root.fill(&WHITE)?;
        let mut labels = draw_header(&root, &font, frame)?;
        labels.extend(draw_grid_and_ticks(&root, &plot, frame)?);
        series(&plot, &root)?;
        // The axes on top of the bars.
        for (from, to) in [
            ((plot.left, plot.top), (plot.left, plot.bottom)),
            ((plot.right, plot.top), (plot.right, plot.bottom)),
            ((plot.left, plot.bottom), (plot.right, plot.bottom)),
        ] {
            root.draw(&PathElement::new(
                vec![from, to],
                AXIS_COLOUR.stroke_width(1),
            ))?;
        }
        root.present()?;
        labels
    };
    for label in &labels {
        canvas.text(&font, label);
    }
    Ok((canvas, labels))
}

fn font() -> anyhow::Result<ab_glyph::FontRef<'static>> {
    ab_glyph::FontRef::try_from_slice(FONT).context("the embedded chart font is unreadable")
}

/// The title and the legend: a swatch and a name for each series, in one row.
fn draw_header(
    root: &Root<'_>,
    font: &ab_glyph::FontRef<'_>,
    frame: &Frame<'_>,
) -> anyhow::Result<Vec<Label>> {
    let room = WIDTH as f32 - 2.0 * SIDE as f32;
    let title_px = fitted_px(font, frame.title, TITLE_PX, SMALLEST_TITLE_PX, room);
    let mut labels = vec![Label::new(
        frame.title,
        title_px,
        (SIDE, 10),
        Anchor::TopLeft,
    )];
    let names: f32 = frame
        .keys
        .iter()
        .map(|k| text_width(font, LEGEND_PX, k.name))
        .sum();
    let swatches = 36 * frame.keys.len() as i32;
    let spare = room as i32 - swatches - names.ceil() as i32;
    let gap = (spare / (frame.keys.len() as i32 - 1).max(1)).clamp(12, 40);
    let mut x = SIDE;
    for key in &frame.keys {
        let y = LEGEND_Y;
        match key.mark {
            Mark::Bar => {
                root.draw(&Rectangle::new(
                    [(x, y - 8), (x + 28, y + 8)],
                    key.colour.filled(),
                ))?;
            }
            Mark::Line(dot) => {
                root.draw(&PathElement::new(
                    vec![(x, y), (x + 28, y)],
                    key.colour.stroke_width(3),
                ))?;
                draw_dot(root, (x + 14, y), dot, 5, key.colour)?;
            }
            Mark::Point(dot) => draw_dot(root, (x + 14, y), dot, 9, key.colour)?,
        }
        labels.push(Label::new(
            key.name,
            LEGEND_PX,
            (x + 36, y),
            Anchor::MiddleLeft,
        ));
        x += 36 + text_width(font, LEGEND_PX, key.name).ceil() as i32 + gap;
    }
    Ok(labels)
}

/// The grid of the left axis, the tick labels of both, the round numbers (thinned out
/// past 12 rounds) and the axes' names.
fn draw_grid_and_ticks(
    root: &Root<'_>,
    plot: &Plot,
    frame: &Frame<'_>,
) -> anyhow::Result<Vec<Label>> {
    let mut labels = Vec::new();
    for (value, text) in &frame.left.ticks {
        let y = plot.y(Side::Left, *value);
        root.draw(&PathElement::new(
            vec![(plot.left, y), (plot.right, y)],
            GRID_COLOUR.stroke_width(1),
        ))?;
        labels.push(Label::new(
            text,
            TICK_PX,
            (plot.left - 8, y),
            Anchor::MiddleRight,
        ));
    }
    for (value, text) in &frame.right.ticks {
        labels.push(Label::new(
            text,
            TICK_PX,
            (plot.right + 8, plot.y(Side::Right, *value)),
            Anchor::MiddleLeft,
        ));
    }
    let every = round_label_step(frame.rounds.len());
    for &number in frame
        .rounds
        .iter()
        .filter(|n| *n % every == 0 || frame.rounds.len() == 1)
    {
        let x = plot.x(f64::from(number));
        root.draw(&PathElement::new(
            vec![(x, plot.bottom), (x, plot.bottom + 5)],
            AXIS_COLOUR.stroke_width(1),
        ))?;
        labels.push(Label::new(
            &number.to_string(),
            TICK_PX,
            (x, plot.bottom + 8),
            Anchor::TopCenter,
        ));
    }
    let (centre, middle) = plot.middle();
    labels.push(Label::new(
        "Round",
        AXIS_NAME_PX,
        (centre, HEIGHT as i32 - 4),
        Anchor::BottomCenter,
    ));
    labels.push(
        Label::new(
            frame.left.name,
            AXIS_NAME_PX,
            (8, middle),
            Anchor::TopCenter,
        )
        .turned(Turn::Up),
    );
    labels.push(
        Label::new(
            frame.right.name,
            AXIS_NAME_PX,
            (WIDTH as i32 - 8, middle),
            Anchor::TopCenter,
        )
        .turned(Turn::Down),
    );
    Ok(labels)
}

/// What a line does at a round without a value.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Gaps {
    /// Stops, and starts again at the next value: nothing to show there.
    Break,
    /// Runs on to the next value without a mark: that round is counted in the next one.
    Join,
}

/// A line through the rounds' values, broken or joined where a round has none. A white
/// halo keeps it and its dots visible where it crosses bars or another line.
fn draw_line(
    root: &Root<'_>,
    plot: &Plot,
    side: Side,
    values: &[(u32, Option<f64>)],
    (colour, dot): (RGBColor, Dot),
    gaps: Gaps,
) -> anyhow::Result<()> {
    // Past `DOTS_UP_TO` rounds, with or without values, a line loses its dots.
    let rounds = values.len();
    let with_values: Vec<(u32, Option<f64>)>;
    let values = match gaps {
        Gaps::Break => values,
        Gaps::Join => {
            with_values = values
                .iter()
                .filter(|(_, v)| v.is_some())
                .copied()
                .collect();
            &with_values[..]
        }
    };
    for run in values.split(|(_, value)| value.is_none()) {
        let line: Vec<(i32, i32)> = run
            .iter()
            .filter_map(|(n, value)| Some((plot.x(f64::from(*n)), plot.y(side, (*value)?))))
            .collect();
        let dots = rounds <= DOTS_UP_TO || line.len() == 1;
        let width = if dots { 3 } else { 2 };
        root.draw(&PathElement::new(
            line.clone(),
            WHITE.stroke_width(width + 3),
        ))?;
        if dots {
            for at in &line {
                draw_dot(root, *at, dot, 7, WHITE)?;
            }
        }
        root.draw(&PathElement::new(line.clone(), colour.stroke_width(width)))?;
        if dots {
            for at in line {
                draw_dot(root, at, dot, 5, colour)?;
            }
        }
    }
    Ok(())
}

/// A filled dot of `radius` pixels at `at`. A diamond, which marks points without a
/// line, gets a white halo first so that it stands out where it crosses a line.
fn draw_dot(
    root: &Root<'_>,
    (x, y): (i32, i32),
    dot: Dot,
    radius: i32,
    colour: RGBColor,
) -> anyhow::Result<()> {
    let shape = |r: i32, colour: RGBColor| -> anyhow::Result<()> {
        match dot {
            Dot::Circle => root.draw(&Circle::new((x, y), r, colour.filled()))?,
            // A square as heavy as a circle of the same radius looks.
            Dot::Square => {
                let r = r * 4 / 5;
                root.draw(&Rectangle::new(
                    [(x - r, y - r), (x + r, y + r)],
                    colour.filled(),
                ))?
            }
            Dot::Diamond => root.draw(&Polygon::new(
                vec![(x, y - r), (x + r, y), (x, y + r), (x - r, y)],
                colour.filled(),
            ))?,
        }
        Ok(())
    };
    if dot == Dot::Diamond && colour != WHITE {
        shape(radius + 3, WHITE)?;
    }
    shape(radius, colour)
}

/// The largest size from `largest` down to `smallest` at which `text` fits in `room`
/// pixels (`smallest` if none does).
fn fitted_px(
    font: &ab_glyph::FontRef<'_>,
    text: &str,
    largest: f32,
    smallest: f32,
    room: f32,
) -> f32 {
    let mut px = largest;
    while px > smallest && text_width(font, px, text) > room {
        px -= 1.0;
    }
    px.max(smallest)
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

/// "800", "4k", "2.5k": thousands are shortened so that the ticks keep clear of the
/// axis's name.
fn people_tick(n: u32) -> String {
    match (n / 1000, n % 1000) {
        (0, _) => n.to_string(),
        (thousands, 0) => format!("{thousands}k"),
        (thousands, rest) => format!("{thousands}.{}k", rest / 100),
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
fn bar_gap(bars: usize, plot_width: i32) -> i32 {
    if bars == 0 || bars > 60 {
        return 0;
    }
    let slot = plot_width.max(0) as f64 / bars as f64;
    let bar = (slot * 0.7).min(120.0);
    ((slot - bar) / 2.0).floor() as i32
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
        for (x, y, alpha) in label.pixels(&mask) {
            self.blend(x, y, TEXT_COLOUR, alpha);
        }
    }
}

impl Label {
    /// Where each pixel of the label's rendered text goes, with its coverage.
    fn pixels<'m>(&self, mask: &'m Mask) -> impl Iterator<Item = (i64, i64, f32)> + 'm {
        let (w, h) = (mask.width as i64, mask.height as i64);
        // The upright box's top-left corner, relative to the anchor point.
        let (dx, dy) = match self.anchor {
            Anchor::TopLeft => (0, 0),
            Anchor::TopCenter => (-w / 2, 0),
            Anchor::MiddleLeft => (0, -h / 2),
            Anchor::MiddleRight => (-w, -h / 2),
            Anchor::BottomCenter => (-w / 2, -h),
        };
        let (ax, ay) = (i64::from(self.at.0), i64::from(self.at.1));
        let turn = self.turn;
        (0..h).flat_map(move |my| {
            (0..w).map(move |mx| {
                let alpha = mask.coverage[(my * w + mx) as usize];
                let (ux, uy) = (dx + mx, dy + my);
                // Turning by a quarter maps the upright offset (ux, uy) about the anchor.
                let (x, y) = match turn {
                    Turn::None => (ax + ux, ay + uy),
                    Turn::Up => (ax + uy, ay - ux),
                    Turn::Down => (ax - uy, ay + ux),
                };
                (x, y, alpha)
            })
        })
    }
}

impl Canvas {
    fn png(&self) -> anyhow::Result<Vec<u8>> {
        encode_png(&self.pixels, self.width, self.height)
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

    /// Rounds with every kind of gap: no chats (round 3, 10...), no fit point (every 5th,
    /// its answers pooled into the next), a survey every 4th round.
    fn evaluation(n: u32) -> Vec<EvaluationPoint> {
        (1..=n)
            .map(|number| EvaluationPoint {
                number,
                meeting_rate: (number % 7 != 3).then(|| f64::from(number % 4) / 4.0),
                fit_rate: (number % 5 != 0).then(|| 0.6 + f64::from(number % 3) / 10.0),
                survey_mean: (number % 4 == 0).then(|| 3.0 + f64::from(number % 3) / 2.0),
            })
            .collect()
    }

    fn count_colour(pixels: &[u8], c: RGBColor) -> usize {
        pixels
            .chunks_exact(3)
            .filter(|p| p == &[c.0, c.1, c.2])
            .count()
    }

    /// Where `c` is drawn below the header: the smallest box holding all its pixels.
    fn extent(pixels: &[u8], c: RGBColor, columns: std::ops::Range<i32>) -> Option<[i32; 4]> {
        let mut found: Option<[i32; 4]> = None;
        for (i, p) in pixels.chunks_exact(3).enumerate() {
            let (x, y) = ((i % WIDTH as usize) as i32, (i / WIDTH as usize) as i32);
            if p != [c.0, c.1, c.2] || y < HEADER_HEIGHT as i32 || !columns.contains(&x) {
                continue;
            }
            let b = found.get_or_insert([x, y, x, y]);
            *b = [b[0].min(x), b[1].min(y), b[2].max(x), b[3].max(y)];
        }
        found
    }

    /// A label's ink: the smallest box holding its pixels of more than half coverage,
    /// as `[left, top, right, bottom]`, inclusive.
    fn ink(label: &Label) -> [i64; 4] {
        let mask = render(&font().unwrap(), label.px, &label.text);
        let mut b = [i64::MAX, i64::MAX, i64::MIN, i64::MIN];
        for (x, y, _) in label.pixels(&mask).filter(|(_, _, a)| *a > 0.5) {
            b = [b[0].min(x), b[1].min(y), b[2].max(x), b[3].max(y)];
        }
        b
    }

    /// Every label inside the canvas, and no two touching: what makes the chart
    /// readable at Discord's preview size.
    #[track_caller]
    fn assert_legible(labels: &[Label], case: &str) {
        let inks: Vec<[i64; 4]> = labels.iter().map(ink).collect();
        for (label, b) in labels.iter().zip(&inks) {
            assert!(
                b[0] >= 0 && b[1] >= 0 && b[2] < i64::from(WIDTH) && b[3] < i64::from(HEIGHT),
                "{case}: {:?} leaves the canvas: {b:?}",
                label.text
            );
        }
        for i in 0..inks.len() {
            for j in i + 1..inks.len() {
                let (a, b) = (inks[i], inks[j]);
                let apart =
                    a[2] + 2 <= b[0] || b[2] + 2 <= a[0] || a[3] + 2 <= b[1] || b[3] + 2 <= a[1];
                assert!(
                    apart,
                    "{case}: {:?} and {:?} touch: {a:?} {b:?}",
                    labels[i].text, labels[j].text
                );
            }
        }
    }

    /// The round numbers written under the plot.
    fn round_labels(labels: &[Label]) -> Vec<String> {
        labels
            .iter()
            .filter(|l| l.anchor == Anchor::TopCenter && l.turn == Turn::None)
            .map(|l| l.text.clone())
            .collect()
    }

    /// The longest titles `/hallway-admin stats` writes.
    const LONG_TITLES: [&str; 2] = [
        "The last 520 rounds (rounds 1–520): people matched and meeting rate",
        "The last 520 rounds (rounds 1–520): meeting rate, good fit and survey mean",
    ];

    #[test]
    fn both_charts_are_pngs_of_the_announced_size() {
        for n in [1, 2, 8, 52, 520] {
            for bytes in [
                rounds_chart("Rounds", &points(n)).unwrap(),
                evaluation_chart("Evaluation", &evaluation(n)).unwrap(),
            ] {
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
    }

    #[test]
    fn the_bars_and_the_line_use_their_legend_colours() {
        let (_, pixels) = decode(&rounds_chart("Rounds", &points(6)).unwrap());
        assert!(count_colour(&pixels, PEOPLE_COLOUR) > 5_000);
        assert!(count_colour(&pixels, RATE_COLOUR) > 300);
    }

    #[test]
    fn the_evaluation_lines_and_points_use_their_legend_colours() {
        let (_, pixels) = decode(&evaluation_chart("Evaluation", &evaluation(12)).unwrap());
        for (colour, least) in [(RATE_COLOUR, 300), (FIT_COLOUR, 300), (SURVEY_COLOUR, 150)] {
            let n = count_colour(&pixels, colour);
            assert!(n > least, "{colour:?}: {n} pixels");
            // In the plot, not only in the legend.
            assert!(
                extent(&pixels, colour, 0..WIDTH as i32).is_some(),
                "{colour:?}"
            );
        }
        assert_eq!(count_colour(&pixels, PEOPLE_COLOUR), 0, "no bars here");
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
        assert!(evaluation_chart("Evaluation", &[]).is_ok());
        let nothing = [EvaluationPoint {
            number: 1,
            meeting_rate: None,
            fit_rate: None,
            survey_mean: None,
        }];
        let (canvas, labels) = paint_evaluation("Evaluation", &nothing).unwrap();
        assert_legible(&labels, "a round without values");
        // Nothing in the plot but the frame: the series' colours are in the legend only.
        for colour in [RATE_COLOUR, FIT_COLOUR, SURVEY_COLOUR] {
            assert_eq!(extent(&canvas.pixels, colour, 0..WIDTH as i32), None);
        }
    }

    #[test]
    fn every_label_stays_inside_the_canvas_and_apart_from_the_others() {
        for n in [0, 1, 2, 8, 12, 13, 40, 41, 52, 520] {
            for title in ["Rounds", LONG_TITLES[0], LONG_TITLES[1]] {
                let (_, labels) = paint_rounds(title, &points(n)).unwrap();
                assert_legible(&labels, &format!("rounds chart, {n} rounds, {title:?}"));
                let (_, labels) = paint_evaluation(title, &evaluation(n)).unwrap();
                assert_legible(&labels, &format!("evaluation chart, {n} rounds, {title:?}"));
            }
        }
        // A program of thousands: four-digit ticks beside the axis's name.
        let crowd: Vec<RoundPoint> = (1..=8)
            .map(|number| RoundPoint {
                number,
                people: 9_000 + number,
                chats: 4_500,
                meeting_rate: Some(0.5),
            })
            .collect();
        let (_, labels) = paint_rounds("Rounds", &crowd).unwrap();
        assert_legible(&labels, "9,000 people a round");
    }

    #[test]
    fn a_title_too_long_for_the_width_shrinks_to_fit() {
        let font = font().unwrap();
        let (_, labels) = paint_evaluation(LONG_TITLES[1], &evaluation(3)).unwrap();
        let title = &labels[0];
        assert_eq!(title.text, LONG_TITLES[1]);
        assert!(
            title.px < TITLE_PX && title.px >= SMALLEST_TITLE_PX,
            "{}",
            title.px
        );
        assert!(text_width(&font, title.px, &title.text) <= (WIDTH as i32 - 2 * SIDE) as f32);
        let (_, labels) = paint_evaluation("Rounds 1–3", &evaluation(3)).unwrap();
        assert_eq!(labels[0].px, TITLE_PX, "a short title keeps its size");
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
    fn thousands_of_people_are_ticked_in_k() {
        assert_eq!(
            [0, 50, 999, 1000, 2500, 10_000, 25_000].map(people_tick),
            ["0", "50", "999", "1k", "2.5k", "10k", "25k"]
        );
    }

    #[test]
    fn round_labels_thin_out_to_at_most_twelve() {
        assert_eq!(round_label_step(1), 1);
        assert_eq!(round_label_step(12), 1);
        assert_eq!(round_label_step(13), 2);
        assert_eq!(round_label_step(520), 50);
        for n in [1, 12, 13, 52, 520] {
            let (_, rounds) = paint_rounds("Rounds", &points(n)).unwrap();
            let (_, evaluation) = paint_evaluation("Evaluation", &evaluation(n)).unwrap();
            let (rounds, evaluation) = (round_labels(&rounds), round_labels(&evaluation));
            assert!(!rounds.is_empty() && rounds.len() <= 12, "{n}: {rounds:?}");
            assert_eq!(rounds, evaluation, "both charts number the rounds alike");
        }
    }

    #[test]
    fn the_survey_scale_sits_on_the_percent_grid() {
        let plot = Plot::new(&Frame {
            title: "",
            keys: Vec::new(),
            rounds: vec![1, 2],
            left: ValueAxis::percent("left"),
            right: ValueAxis {
                name: "right",
                top: 5.0,
                ticks: Vec::new(),
            },
        });
        for mean in 1..=5 {
            assert_eq!(
                plot.y(Side::Right, f64::from(mean)),
                plot.y(Side::Left, f64::from(mean * 20)),
                "{mean} is on the {}% grid line",
                mean * 20
            );
        }
    }

    #[test]
    fn a_survey_mean_is_marked_at_its_round_and_score() {
        let mut data = evaluation(6);
        for p in &mut data {
            p.survey_mean = None;
        }
        data[1].survey_mean = Some(4.0);
        let (canvas, _) = paint_evaluation("Evaluation", &data).unwrap();
        let frame_rounds: Vec<u32> = data.iter().map(|p| p.number).collect();
        let plot = Plot::new(&Frame {
            title: "",
            keys: Vec::new(),
            rounds: frame_rounds,
            left: ValueAxis::percent(""),
            right: ValueAxis {
                name: "",
                top: 5.0,
                ticks: Vec::new(),
            },
        });
        let [left, top, right, bottom] =
            extent(&canvas.pixels, SURVEY_COLOUR, 0..WIDTH as i32).expect("a marked point");
        let (x, y) = (plot.x(2.0), plot.y(Side::Right, 4.0));
        assert!(
            (left + right) / 2 - x <= 1 && x - (left + right) / 2 <= 1,
            "{left}..{right} vs {x}"
        );
        assert!(
            (top + bottom) / 2 - y <= 1 && y - (top + bottom) / 2 <= 1,
            "{top}..{bottom} vs {y}"
        );
        assert!(right - left >= 12, "big enough to see: {}", right - left);
    }

    #[test]
    fn a_round_without_a_meeting_rate_breaks_its_line() {
        // A meeting rate in rounds 1-2 and 4-6, none in round 3; no other series.
        let data: Vec<EvaluationPoint> = (1..=6)
            .map(|number| EvaluationPoint {
                number,
                meeting_rate: (number != 3).then_some(0.5),
                fit_rate: None,
                survey_mean: None,
            })
            .collect();
        let (canvas, _) = paint_evaluation("Evaluation", &data).unwrap();
        let plot = six_rounds();
        let (two, four) = (plot.x(2.0), plot.x(4.0));
        assert_eq!(
            extent(&canvas.pixels, RATE_COLOUR, two + 8..four - 8),
            None,
            "nothing drawn between round 2 and round 4"
        );
        assert!(extent(
            &canvas.pixels,
            RATE_COLOUR,
            plot.x(4.0) + 8..plot.x(5.0) - 8
        )
        .is_some());
        assert!(extent(&canvas.pixels, RATE_COLOUR, plot.x(1.0) + 8..two - 8).is_some());
    }

    /// The plot of a six-round chart.
    fn six_rounds() -> Plot {
        Plot::new(&Frame {
            title: "",
            keys: Vec::new(),
            rounds: (1..=6).collect(),
            left: ValueAxis::percent(""),
            right: ValueAxis::percent(""),
        })
    }

    #[test]
    fn the_fit_line_runs_on_past_a_round_without_a_fit_point_and_marks_only_its_points() {
        // A fit point in rounds 1-2 and 4-6: round 3's few answers are in round 4's.
        let data: Vec<EvaluationPoint> = (1..=6)
            .map(|number| EvaluationPoint {
                number,
                meeting_rate: None,
                fit_rate: (number != 3).then_some(0.5),
                survey_mean: None,
            })
            .collect();
        let (canvas, _) = paint_evaluation("Evaluation", &data).unwrap();
        let plot = six_rounds();
        let height = |round: f64| {
            let x = plot.x(round);
            extent(&canvas.pixels, FIT_COLOUR, x - 2..x + 3)
                .map(|[_, top, _, bottom]| bottom - top + 1)
        };
        let line = height(3.0).expect("the line passes round 3");
        assert!(
            line <= 4,
            "a flat line, no mark, at round 3: {line} pixels high"
        );
        for round in [1.0, 2.0, 4.0, 5.0, 6.0] {
            let mark = height(round).unwrap();
            assert!(mark >= 7, "a square at round {round}: {mark} pixels high");
        }
    }

    #[test]
    fn a_round_without_a_fit_point_and_none_after_it_draws_no_fit() {
        // The last round's one answer waits: the line ends at round 1's point.
        let data: Vec<EvaluationPoint> = (1..=2)
            .map(|number| EvaluationPoint {
                number,
                meeting_rate: Some(0.5),
                fit_rate: (number == 1).then_some(0.5),
                survey_mean: None,
            })
            .collect();
        let (canvas, _) = paint_evaluation("Evaluation", &data).unwrap();
        let plot = Plot::new(&Frame {
            title: "",
            keys: Vec::new(),
            rounds: vec![1, 2],
            left: ValueAxis::percent(""),
            right: ValueAxis::percent(""),
        });
        let [_, _, right, _] =
            extent(&canvas.pixels, FIT_COLOUR, 0..WIDTH as i32).expect("round 1's point");
        assert!(right <= plot.x(1.0) + 8, "nothing past round 1: {right}");
    }

    #[test]
    fn text_keeps_its_side_bearings() {
        let font = font().unwrap();
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

    /// Draws the README's pictures of both charts (docs/rounds-chart.png and
    /// docs/evaluation-chart.png) from a realistic program, through the same
    /// `Stats::series` and `Stats::evaluation_series` as the bot: twelve weekly rounds of
    /// 22 to 30 people, a survey at the halfway point and at the end, round 9's two fit
    /// answers pooled with round 10's, and the last round's fit checks mostly not
    /// answered yet (its one answer waits for more). Run by `bench/chart.sh`.
    #[test]
    #[ignore = "writes the README's pictures into docs/; run by bench/chart.sh"]
    fn draw_the_readme_pictures() {
        use crate::domain::stats::evaluation::{QuestionResult, Scores, SurveyResult};
        use crate::domain::stats::{RoundFit, RoundStats, Stats, Tally};
        use crate::domain::survey::{QuestionKind, SurveyOccasion};
        use chrono::TimeZone;

        let people = [22, 24, 24, 26, 25, 28, 27, 28, 30, 29, 30, 28];
        let meeting = [62, 71, 58, 75, 80, 67, 73, 78, 64, 82, 77, 69];
        // (answers, good fit) of the pairs that met for the first time.
        let fit = [
            (14, 11),
            (15, 12),
            (12, 10),
            (14, 10),
            (13, 11),
            (15, 12),
            (12, 9),
            (13, 11),
            (2, 2),
            (12, 10),
            (11, 10),
            (1, 1),
        ];
        let first = chrono::Utc.with_ymd_and_hms(2026, 9, 7, 9, 0, 0).unwrap();
        let rounds: Vec<RoundStats> = (1..=12u32)
            .map(|number| {
                let i = number as usize - 1;
                let chats = people[i] / 2;
                RoundStats {
                    number,
                    due_at: first + chrono::Duration::weeks(i64::from(number - 1)),
                    tally: Tally {
                        chats,
                        people: people[i],
                        met_chats: (chats * meeting[i] + 50) / 100,
                        ..Tally::default()
                    },
                }
            })
            .collect();
        let survey = |occasion, round: u32, scores: [(u32, u32); 3]| SurveyResult {
            occasion,
            started_at: rounds[round as usize - 1].due_at + chrono::Duration::days(3),
            closes_at: rounds[round as usize - 1].due_at + chrono::Duration::days(17),
            round: Some(round),
            invited: 26,
            answered: 20,
            declined: 2,
            questions: scores
                .iter()
                .zip(1..)
                .map(|(&(count, sum), position)| QuestionResult {
                    position,
                    kind: QuestionKind::Scale,
                    prompt: format!("question {position}"),
                    scores: Scores::new(count, sum),
                    texts: Vec::new(),
                })
                .collect(),
        };
        let surveys = vec![
            survey(SurveyOccasion::Halfway, 6, [(18, 70), (17, 62), (18, 73)]),
            survey(SurveyOccasion::End, 12, [(20, 86), (19, 79), (20, 84)]),
        ];
        let stats = Stats {
            members: Vec::new(),
            rounds,
            window_start: None,
            wins: Vec::new(),
            feedback: Vec::new(),
            fit_by_round: fit
                .iter()
                .zip(1..)
                .map(|(&(answers, good), number)| RoundFit {
                    number,
                    answers,
                    good,
                })
                .collect(),
            surveys,
        };
        let (rounds, evaluation) = (stats.series(), stats.evaluation_series());
        assert_eq!(
            evaluation[8].fit_rate, None,
            "round 9 is pooled with round 10"
        );
        assert_eq!(evaluation[11].fit_rate, None, "round 12's one answer waits");
        let docs = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("docs");
        for (name, png) in [
            (
                "rounds-chart.png",
                rounds_chart(
                    "Every round (rounds 1–12): people matched and meeting rate",
                    &rounds,
                ),
            ),
            (
                "evaluation-chart.png",
                evaluation_chart(
                    "Every round (rounds 1–12): meeting rate, good fit and survey mean",
                    &evaluation,
                ),
            ),
        ] {
            let path = docs.join(name);
            std::fs::write(&path, png.unwrap()).unwrap();
            println!("wrote {}", path.display());
        }
    }
}
