#!/usr/bin/env bash
# Benchmarks the matching engine through `hallway simulate` (release build) and prints
# markdown tables: the grid (n = 100 ... 100,000, three modes, with and without churn)
# and each numeric target of issue 3. Every run also measures a plain shuffle in the
# same process, so ratios are like for like.
#
# Usage: bench/matching.sh [--quick]
#   --quick   fewer seeds in the horizon sweep (every even n from 6 to 500 still runs)
# Env:     SEEDS (horizon sweep seeds per n, default 4; 1 with --quick)
#          OUT   (directory for the raw JSON lines, default target/bench)
#          SKIP_HORIZON=1 skips the horizon sweep (about 10 minutes with 4 seeds; the whole
#          script took 14 minutes on a quiet 2-core machine)
set -euo pipefail
cd "$(dirname "$0")/.."

SEEDS="${SEEDS:-4}"
if [[ "${1:-}" == "--quick" ]]; then SEEDS=1; fi
OUT="${OUT:-target/bench}"
mkdir -p "$OUT"

cargo build --release --quiet
BIN=target/release/hallway
echo "machine: $(nproc) cores, load average $(cut -d' ' -f1-3 /proc/loadavg), $(date -u +%Y-%m-%dT%H:%MZ)"
echo

sim() { "$BIN" simulate --json "$@"; }

# One markdown row per JSON line on stdin.
table() {
  python3 -c '
import json, sys
print("| case | n | mode | size | churn | seeds | repeats per seed | seeds with repeats | first repeat | shuffle repeats | ratio | max off-size seats | unmatched | violations | same-inst (min) | ms median | ms max | shuffle ms | RSS MB |")
print("|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|")
for line in sys.stdin:
    label, raw = line.rstrip("\n").split("\t", 1)
    d = json.loads(raw)
    b = d.get("baseline_repeats")
    per_seed = d["repeats"] / d["seeds"]
    ratio = "-" if b in (None, 0) else "%.3f" % (per_seed / b)
    viol = d["avoid_violations"] + d["capacity_violations"] + d["unavailable_matched"] + d["double_placements"]
    same = str(d["same_institution_pairs"]) + ("" if d["same_institution_min"] is None else " (%d)" % d["same_institution_min"])
    bms = d.get("baseline_ms_per_round_median")
    print("| %s | %d | %s | %d | %g | %d | %g | %d | %d | %s | %s | %d | %d | %d | %s | %.2f | %.2f | %s | %.1f |" % (
        label, d["members"], d["mode"], d["group_size"], d["churn"], d["seeds"], per_seed, d["seeds_with_repeats"], d["first_repeat_round"],
        "-" if b is None else b, ratio, d["max_trios_per_member"], d["unmatched_member_rounds"], viol, same,
        d["ms_per_round_median"], d["ms_per_round_max"], "-" if bms is None else "%.2f" % bms, d["peak_rss_mb"]))
'
}

run() { # label, then simulate flags
  local label="$1"; shift
  printf '%s\t%s\n' "$label" "$(sim "$@")"
}

echo "## Grid: 52 rounds, 20 institutions (half the members share one), cross-institution on"
{
  for n in 100 1000 10000 100000; do
    for mode in open mentor-mentee peer-circles; do
      for churn in 0 0.1; do
        run grid --members "$n" --rounds 52 --mode "$mode" --churn "$churn" --institutions 20
      done
    done
  done
} | tee "$OUT/grid.jsonl" | table
echo

echo "## Targets"
{
  run "open n=40, 45 rounds (min 120)" --members 40 --rounds 45 --seeds 5
  run "churn 0.1, n=100" --members 100 --churn 0.1 --seeds 5
  run "churn 0.1, n=1000" --members 1000 --churn 0.1
  run "mentor 1:3 cap 3, to horizon (25)" --members 100 --rounds 25 --mode mentor-mentee --capacity 3 --seeds 5
  run "mentor 25x75 cap 3, 52 rounds (min 2025)" --members 100 --mode mentor-mentee --capacity 3 --seeds 5
  run "mentor 1:1, to horizon (50)" --members 100 --rounds 50 --mode mentor-mentee --mentor-ratio 1:1 --capacity 1 --seeds 5
  run "circles of 3, n=100 (floor 146)" --members 100 --mode peer-circles --group-size 3 --seeds 5
  run "circles of 3, n=1000" --members 1000 --mode peer-circles --group-size 3
  run "circles of 4, n=1000" --members 1000 --mode peer-circles --group-size 4
  run "speed: open n=100000" --members 100000 --institutions 20
  run "soft: n=1000, half one institution" --members 1000 --institutions 20
  run "soft: n=100000, half one institution" --members 100000 --institutions 20 --no-baseline
} | tee "$OUT/targets.jsonl" | table
echo

if [[ -n "${SKIP_HORIZON:-}" ]]; then exit 0; fi
echo "## Horizon: every even n from 6 to 500, n-1 rounds, $SEEDS seed(s) each"
for n in $(seq 6 2 500); do
  sim --members "$n" --rounds $((n - 1)) --seeds "$SEEDS" --no-baseline
done > "$OUT/horizon.jsonl"
python3 -c '
import json, sys
runs = bad = 0; worst = []; slowest = (0, 0)
for line in open(sys.argv[1]):
    d = json.loads(line)
    runs += d["seeds"]; bad += d["seeds_with_repeats"]
    if d["seeds_with_repeats"]: worst.append((d["members"], d["seeds_with_repeats"], d["repeats"]))
    slowest = max(slowest, (d["ms_per_round_max"], d["members"]))
print("runs: %d, runs with any repeat: %d (%.2f%%), repeat-free: %.2f%%" % (runs, bad, 100.0 * bad / runs, 100.0 - 100.0 * bad / runs))
print("n with a repeat (n, seeds, repeats):", worst or "none")
print("slowest round: %.0f ms (n = %d)" % slowest)
' "$OUT/horizon.jsonl"
