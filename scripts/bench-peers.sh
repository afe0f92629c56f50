#!/usr/bin/env bash
# The peer comparison of issue 19, in one sitting: Prikke's PostgreSQL
# burst, River v0.51.2 and Graphile Worker 0.18.0, each delivering N jobs
# due at one instant as HTTP requests to ONE receiver process (`prikke
# bench-receiver`), alternating, ROUNDS rounds. Prints every run's JSON
# line, then the median per system and Prikke's ratio to the best peer.
# See bench/README.md.
#
#   scripts/bench-peers.sh [ROUNDS] [JOBS]        (defaults 5, 50000)
#   DATABASE_URL=postgres://… scripts/bench-peers.sh
#
# Each system works in a schema of its own and drops it at the end.
set -euo pipefail

ROUNDS=${1:-${ROUNDS:-5}}
JOBS=${2:-${JOBS:-50000}}
DATABASE_URL=${DATABASE_URL:-${PRIKKE_DATABASE_URL:-postgres://postgres@127.0.0.1:5432/postgres?sslmode=disable}}
export DATABASE_URL

root=$(cd "$(dirname "$0")/.." && pwd)
work=$(mktemp -d "${TMPDIR:-/tmp}/prikke-bench-peers.XXXXXX")
recv_pid=
cleanup() {
	if [ -n "$recv_pid" ]; then kill "$recv_pid" 2>/dev/null || true; wait "$recv_pid" 2>/dev/null || true; fi
	rm -rf "$work"
}
trap cleanup EXIT

echo "building prikke and the River harness" >&2
(cd "$root" && go build -o "$work/prikke" ./cmd/prikke)
(cd "$root/bench" && go build -o "$work/river" ./river)
if [ ! -d "$root/bench/graphile/node_modules/graphile-worker" ]; then
	echo "npm ci for the Graphile Worker harness" >&2
	(cd "$root/bench/graphile" && npm ci --no-audit --no-fund >&2)
fi

# One receiver for every run (each run resets it first).
"$work/prikke" bench-receiver --addr 127.0.0.1:0 >"$work/receiver.url" 2>"$work/receiver.err" &
recv_pid=$!
for _ in $(seq 100); do
	[ -s "$work/receiver.url" ] && break
	sleep 0.1
done
recv=$(head -n1 "$work/receiver.url")
[ -n "$recv" ] || { cat "$work/receiver.err" >&2; echo "the receiver did not start" >&2; exit 1; }
echo "receiver $recv (pid $recv_pid); $ROUNDS rounds of $JOBS jobs each" >&2

run() { # system command… : prints the JSON line and keeps it
	local sys=$1
	shift
	local line
	if ! line=$("$@" | tail -n1); then
		echo "$sys: failed" >&2
		return 1
	fi
	echo "$line"
	echo "$line" >>"$work/$sys.jsonl"
}

for r in $(seq "$ROUNDS"); do
	echo "round $r/$ROUNDS" >&2
	run prikke env PRIKKE_DATABASE_URL="$DATABASE_URL" "$work/prikke" bench --mode burst --jobs "$JOBS" --receiver "$recv"
	run river "$work/river" --jobs "$JOBS" --receiver "$recv" --database-url "$DATABASE_URL"
	run graphile node "$root/bench/graphile/bench.js" --jobs "$JOBS" --receiver "$recv" --database-url "$DATABASE_URL"
done

# Medians per system, and Prikke over the best peer (per_second).
python3 - "$work" <<'EOF'
import json, statistics, sys, os
work = sys.argv[1]
def median(xs):
    xs = [x for x in xs if x is not None]
    return round(statistics.median(xs), 3) if xs else None
cpu_key = {"prikke": "prikke_cpu_us_per_delivery", "river": "cpu_us_per_job", "graphile": "cpu_us_per_job"}
med = {}
for sys_ in ("prikke", "river", "graphile"):
    path = os.path.join(work, sys_ + ".jsonl")
    if not os.path.exists(path):
        continue
    runs = [json.loads(l) for l in open(path) if l.strip()]
    m = {"system": sys_, "runs": len(runs)}
    for k in ("per_second", "seconds_to_last_result", "lateness_p50_ms", "lateness_p99_ms", "peak_rss_mb", "receiver_cpu_us_per_delivery"):
        m[k] = median([r.get(k) for r in runs])
    m["cpu_us_per_delivery"] = median([r.get(cpu_key[sys_]) for r in runs])
    m["lost_total"] = sum(r.get("lost", 0) for r in runs)
    m["duplicates_total"] = sum(r.get("duplicates", 0) for r in runs)
    med[sys_] = m
    print(json.dumps({"median": m}))
peers = [med[s]["per_second"] for s in ("river", "graphile") if s in med and med[s]["per_second"]]
if "prikke" in med and peers:
    best = max(peers)
    print(json.dumps({"prikke_per_second": med["prikke"]["per_second"], "best_peer_per_second": best,
                      "ratio_prikke_to_best_peer": round(med["prikke"]["per_second"] / best, 2)}))
EOF
