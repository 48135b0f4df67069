#!/usr/bin/env bash
# Writes src/domain/matching/starters.rs: the starters of the planned year of circles of
# 3 (see docs/matching.md), one per roster size the plan covers, found by the same
# deterministic search the engine once ran at its first round, with a far larger budget.
# Runs the ignored test `starter_search::tests::write_starter_table` (release build),
# searching the sizes in parallel, and names the commit in the file's header ("+dirty"
# when the code under src/ differs from it, the table itself aside).
#
# Usage: bench/starters.sh
# Env:   STARTERS_THREADS (parallel searches, default 2)
#        STARTERS_SIZES   (e.g. "99-110": search only these, for trying a budget)
#        STARTERS_OUT     (file to write, default src/domain/matching/starters.rs)
set -euo pipefail
cd "$(dirname "$0")/.."

commit="$(git rev-parse --short HEAD)"
if ! git diff --quiet HEAD -- src ':!src/domain/matching/starters.rs'; then
    commit="$commit+dirty"
fi
started=$(date +%s)
STARTERS_COMMIT="$commit" cargo test --release --lib -- --ignored --exact \
    domain::matching::starter_search::tests::write_starter_table --nocapture
echo "starters written at $commit in $(( $(date +%s) - started )) s" >&2
