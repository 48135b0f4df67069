#!/usr/bin/env bash
# The scale benchmark (issue 14): servers of 20 members each, every one's round due in
# the same hour, (a) on two hallway processes (shard ranges split in half) against one
# PostgreSQL, (b) on one process with SQLite. Measures the time until every round is
# matched and saved (rounds in state matched/delivered = servers) and the REST calls per
# second the fake Discord saw while delivering. Runs the ignored tests
# bench_scale_one_process_on_sqlite, bench_scale_two_processes_on_postgres and
# bench_scale_migrate_to_postgres (the time `hallway migrate-to` takes) in
# tests/e2e/bench.rs.
#
# Usage: bench/scale.sh [--quick] [--debug]
#   --quick   500 servers instead of 10,000 (a check that it runs: about 3 minutes)
#   --debug   a debug build instead of release (no release build to wait for)
# Env:  HALLWAY_TEST_POSTGRES_URL  a PostgreSQL server to create the benchmark database on
#                                  (e.g. postgres://postgres@127.0.0.1:5432/postgres);
#                                  without it the PostgreSQL case is skipped.
#       HALLWAY_BENCH_SERVERS      any other size.
#       OUT                        where the raw output and the table go (default bench/out)
# Writes the figures table, with the commit and date, to $OUT/scale.md, and into
# docs/scale.md between the lines <!-- scale-figures:begin --> and
# <!-- scale-figures:end --> when the file has them.
set -euo pipefail
cd "$(dirname "$0")/.."

servers="${HALLWAY_BENCH_SERVERS:-10000}"
profile=(--release)
for arg in "$@"; do
  case "$arg" in
    --quick) servers=500 ;;
    --debug) profile=() ;;
    *) echo "usage: bench/scale.sh [--quick] [--debug]" >&2; exit 2 ;;
  esac
done
OUT="${OUT:-bench/out}"
mkdir -p "$OUT"
RAW="$OUT/scale.txt"
TABLE="$OUT/scale.md"

cargo build "${profile[@]}" --tests --quiet
machine="$(nproc) cores, load average $(cut -d' ' -f1-3 /proc/loadavg)"
started=$(date -u +%Y-%m-%dT%H:%MZ)
echo "scale benchmark: $servers servers; $machine; $started"

# One at a time: each times its own bots, which must not share the cores with another.
# A failed run is a result to record, not a reason to stop.
set +e
HALLWAY_BENCH_SERVERS="$servers" cargo test "${profile[@]}" --test e2e -- --ignored --nocapture \
  --test-threads 1 bench_scale_ 2>&1 | tee "$RAW"
set -e

python3 - "$RAW" "$TABLE" "$(git rev-parse --short HEAD)" "$started" "$machine" "${profile[*]:-debug}" <<'PY'
import re, sys
raw, table, rev, when, machine, profile = sys.argv[1:]
out = open(raw).read()
rows = []
for m in re.finditer(r"figures: scale \| (.*)", out):
    backend, size, procs, timing, rest = [p.strip() for p in m.group(1).split("|")]
    first = re.search(r"first round saved ([\d.]+) s", timing).group(1)
    every = re.search(r"matched and saved ([\d.]+) s", timing).group(1)
    during = re.search(r"([\d.]+) REST calls/s while delivering \((\d+) calls\)", rest)
    after = re.search(r"([\d.]+)/s in the minute after", rest)
    rows.append(f"| {backend} | {size} | {procs} | {first} s | {every} s | {during.group(1)} ({during.group(2)} calls) | {after.group(1)} |")
for m in re.finditer(r"figures: migrate-to \| (.*)", out):
    size, took, copied = [p.strip() for p in m.group(1).split("|")]
    rows.append(f"\n`hallway migrate-to` of a SQLite database of {size} (no rounds yet) into PostgreSQL: {took}; {copied}")
skipped = re.findall(r"^skipped (\S+): (.*)$", out, re.M)
failed = []
tail = out.rsplit("\nfailures:\n", 1)
if len(tail) == 2:
    failed = re.findall(r"^    (\S+)$", tail[1], re.M)
lines = [
    f"`bench/scale.sh` at commit `{rev}` on {when}, {profile} build, on {machine}; "
    "fake Discord on loopback, no global rate limit in the fake (the bot paces itself).",
    "",
    "| backend | servers | processes (shards) | first round saved | every round matched and saved | REST calls/s while delivering | REST calls/s the minute after |",
    "|---|---|---|---|---|---|---|",
    *rows,
]
for name, why in skipped:
    lines.append(f"\n{name}: skipped ({why})")
for name in failed:
    lines.append(f"\n`{name}`: **failed** (see {raw})")
text = "\n".join(lines) + "\n"
open(table, "w").write(text)
print(text)
doc = "docs/scale.md"
try:
    body = open(doc).read()
except FileNotFoundError:
    sys.exit(0)
begin, end = "<!-- scale-figures:begin -->", "<!-- scale-figures:end -->"
if begin in body and end in body:
    head, rest = body.split(begin, 1)
    _, tail = rest.split(end, 1)
    open(doc, "w").write(f"{head}{begin}\n{text}{end}{tail}")
    print(f"updated {doc}")
PY
