#!/usr/bin/env bash
# The standard benchmark set: three runs of each, one JSON line per run.
# Override the PostgreSQL server with BENCH_PG_URL; run one set with
# BENCH_ONLY=pg-burst-50k (see the names below).
set -euo pipefail
cd "$(dirname "$0")/.."
pg=${BENCH_PG_URL:-postgres://postgres@127.0.0.1:5432/postgres?sslmode=disable}
runs=${BENCH_RUNS:-3}
go build -o bin/prikke ./cmd/prikke

bench() { # name, database url ("" = temporary SQLite), args...
  local name=$1 url=$2; shift 2
  if [ -n "${BENCH_ONLY:-}" ] && [ "$BENCH_ONLY" != "$name" ]; then return; fi
  for i in $(seq 1 "$runs"); do
    printf '%s run %d: ' "$name" "$i"
    PRIKKE_DATABASE_URL="$url" ./bin/prikke bench "$@"
  done
}

# The 2,000-job bursts first: each 50,000-job run writes about a gigabyte of
# PostgreSQL WAL, and the checkpoint it sets off runs on into whatever is
# measured next (measured: the 2,000-job p99 median rose from 91ms to 112ms
# after it).
bench pg-burst-2k      "$pg" --mode burst --jobs 2000
bench sqlite-burst-2k  ""    --mode burst --jobs 2000
bench pg-burst-50k     "$pg" --mode burst --jobs 50000
bench sqlite-burst-50k ""    --mode burst --jobs 50000
bench pg-cron-10k      "$pg" --mode cron --jobs 10000
bench sqlite-idle-10k  ""    --mode idle --jobs 10000 --idle-for 30s
bench pg-idle-10k      "$pg" --mode idle --jobs 10000 --idle-for 30s
# Cron monitors: pings accepted per second through the real handler and
# group commit, then deadline lateness with 10,000 monitors.
bench sqlite-pings     ""    --mode pings
bench pg-pings         "$pg" --mode pings
# Flow control: a key at 20/s (burst 1, parallelism 5) with 1,000 queued
# requests, beside 2,000 to a key without limits falling due 5s into its
# backlog; the same 2,000 alone first, as the lateness baseline.
bench sqlite-flow      ""    --mode flow
bench pg-flow          "$pg" --mode flow
# Workflows: 1,000 runs of a 4-step workflow with a join (a; b and c need a;
# d needs both), started at once; the step-to-step hand-off at the sink.
bench sqlite-workflow  ""    --mode workflow --runs 1000
bench pg-workflow      "$pg" --mode workflow --runs 1000
