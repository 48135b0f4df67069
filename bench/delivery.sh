#!/usr/bin/env bash
# Runs the delivery benchmarks (the ignored tests in tests/e2e/bench.rs and the 20,000-member
# deadline test in tests/e2e/deadline.rs) against the fake Discord, on a release build, and
# writes their figure lines into docs/delivery.md under "## Measured", with the commit and
# the date. Everything from that heading to the end of the file is replaced.
#
# Usage: bench/delivery.sh
# Env:     OUT (directory for the raw test output, default target/bench)
# About 4 minutes on a 2-core machine once the release build is up to date.
set -euo pipefail
cd "$(dirname "$0")/.."

OUT="${OUT:-target/bench}"
DOC=docs/delivery.md
mkdir -p "$OUT"
RAW="$OUT/delivery.txt"

cargo build --release --tests --quiet
machine="$(nproc) cores, load average $(cut -d' ' -f1-3 /proc/loadavg)"
started=$(date -u +%Y-%m-%dT%H:%MZ)
echo "machine: $machine, $started"

# One thread: the benchmarks time a bot each, and must not share the 2 cores with another.
# A failed test (a missed deadline, a known bug) is a result to record, not a reason to stop.
set +e
cargo test --release --test e2e -- --include-ignored --nocapture --test-threads 1 \
  bench_ at_20000_members a_round_started_right_after_start_up 2>&1 | tee "$RAW"
set -e

python3 - "$RAW" "$DOC" "$(git rev-parse --short HEAD)" "$started" "$machine" <<'PY'
import re, sys
raw, doc, rev, when, machine = sys.argv[1:]
out = open(raw).read()
# A figure line may follow "test name ... " on the same line: libtest prints that first.
figures = [m.group(1) for m in re.finditer(r"figures: (.*)", out)]
ran = re.findall(r"^test (\S+) \.\.\. ", out, re.M)
# libtest lists the failed tests, indented, after the last "failures:" heading.
tail = out.rsplit("\nfailures:\n", 1)
failed = set(re.findall(r"^    (\S+)$", tail[1], re.M)) if len(tail) == 2 else set()
results = [f"- `{name}`: {'**failed**' if name in failed else 'ok'}" for name in ran]
text = open(doc).read()
head = text.split("\n## Measured", 1)[0].rstrip("\n")
section = f"""

## Measured

`bench/delivery.sh` at commit `{rev}` on {when}, on this workplace's VM ({machine}),
release build, one test at a time. Each line is one benchmark's own figure line.

""" + "\n".join(f"- {f}" for f in figures) + """

Tests run:

""" + "\n".join(results) + "\n"
open(doc, "w").write(head + section)
PY
echo "wrote the figures into $DOC"
