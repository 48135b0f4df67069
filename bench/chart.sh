#!/usr/bin/env bash
# Draws the README's chart pictures with the bot's own chart code (src/chart.rs), at the
# size the bot posts them (800x400, what Discord's attachment preview shows), from the
# sample program in the ignored test `chart::tests::draw_the_readme_pictures`:
# docs/rounds-chart.png and docs/evaluation-chart.png.
#
# Usage: bench/chart.sh
set -euo pipefail
cd "$(dirname "$0")/.."

cargo test --quiet --lib chart::tests::draw_the_readme_pictures -- --ignored --exact --nocapture
file docs/rounds-chart.png docs/evaluation-chart.png 2>/dev/null || ls -l docs/*-chart.png
