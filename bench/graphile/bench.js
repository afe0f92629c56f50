// The Graphile Worker side of Prikke's peer comparison: N jobs due at one
// instant, each doing an HTTP GET (keep-alive) to the bench receiver
// (`prikke bench-receiver`), run by Graphile Worker 0.18.0 with
// concurrency 100, a local queue of 500 and batched completion, in a
// schema of its own (migrated, then dropped). Prints one JSON line like
// `prikke bench` does. See ../README.md.
//
//   node bench.js --receiver http://127.0.0.1:PORT [--jobs 50000]
"use strict";

const http = require("node:http");
const { parseArgs } = require("node:util");
const { randomBytes } = require("node:crypto");
const { run, makeWorkerUtils } = require("graphile-worker");
const { Pool } = require("pg");

const { values: opt } = parseArgs({
  options: {
    jobs: { type: "string", default: "50000" },
    receiver: { type: "string" },
    "database-url": {
      type: "string",
      default:
        process.env.DATABASE_URL ||
        "postgres://postgres@127.0.0.1:5432/postgres?sslmode=disable",
    },
    concurrency: { type: "string", default: "100" },
    "local-queue": { type: "string", default: "500" },
    // completeJobBatchDelay / failJobBatchDelay in ms (-1: no batching).
    "batch-delay": { type: "string", default: "0" },
    // PostgreSQL connections (Graphile's default, 10): with the local
    // queue the tasks never use the pool. Mind max_connections on a
    // shared server before raising it.
    "max-pool": { type: "string", default: "10" },
  },
});
const jobs = Number(opt.jobs);
const concurrency = Number(opt.concurrency);
const localQueue = Number(opt["local-queue"]);
const batchDelay = Number(opt["batch-delay"]);
if (!opt.receiver || !(jobs >= 1)) {
  console.error("graphile bench: --receiver URL and --jobs ≥ 1 are needed");
  process.exit(2);
}
const base = opt.receiver.replace(/\/+$/, "");
const agent = new http.Agent({ keepAlive: true, maxSockets: 2 * concurrency, maxFreeSockets: 2 * concurrency });

// get does one GET and resolves with the status, the body read and dropped.
function get(url) {
  return new Promise((resolve, reject) => {
    const req = http.get(url, { agent }, (res) => {
      res.on("data", () => {});
      res.on("end", () => resolve(res.statusCode));
      res.on("error", reject);
    });
    req.on("error", reject);
  });
}

// control calls the receiver's control API (cmd/prikke/bench_receiver.go).
function control(method, path) {
  return new Promise((resolve, reject) => {
    const req = http.request(`${base}/_receiver/${path}`, { method }, (res) => {
      const chunks = [];
      res.on("data", (c) => chunks.push(c));
      res.on("end", () =>
        res.statusCode === 200
          ? resolve(Buffer.concat(chunks).toString("utf8"))
          : reject(new Error(`${method} ${path}: ${res.statusCode}`)),
      );
      res.on("error", reject);
    });
    req.on("error", reject);
    req.end();
  });
}

function percentile(sorted, p) {
  if (sorted.length === 0) return 0;
  const i = Math.max(0, Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1));
  return Math.round(sorted[i] * 10) / 10;
}
const round1 = (f) => Math.round(f * 10) / 10;
const cpuMicros = () => {
  const u = process.cpuUsage();
  return u.user + u.system;
};

async function main() {
  const schema = "graphile_bench_" + randomBytes(5).toString("hex");
  const connectionString = opt["database-url"];
  const pool = new Pool({ connectionString, max: 2 });
  const preset = {
    worker: {
      connectionString,
      schema,
      concurrentJobs: concurrency,
      maxPoolSize: Number(opt["max-pool"]),
      localQueue: { size: localQueue },
      completeJobBatchDelay: batchDelay,
      failJobBatchDelay: batchDelay,
    },
  };
  const logFactory = () => (level, message) => {
    if (level === "error" || level === "warning") console.error(`graphile: ${level}: ${message}`);
  };
  const { Logger } = require("graphile-worker");
  const logger = new Logger(logFactory);

  let runner;
  let utils;
  try {
    utils = await makeWorkerUtils({ preset, logger });
    await utils.migrate();
    await control("POST", "reset");

    let finished = 0;
    let failed = 0;
    let lastDone = 0;
    let resolveAll;
    const allDone = new Promise((r) => (resolveAll = r));
    runner = await run({
      preset,
      logger,
      noHandleSignals: true,
      taskList: {
        bench_get: async (payload) => {
          const status = await get(payload.url);
          if (status !== 200) throw new Error(`GET: ${status}`);
        },
      },
    });
    runner.events.on("job:complete", ({ error }) => {
      if (error) failed++;
      else finished++;
      if (finished + failed >= jobs) resolveAll();
    });

    // The same set-up allowance as `prikke bench --mode burst`.
    const { rows } = await pool.query("SELECT extract(epoch from now()) * 1000 AS ms");
    const dbNow = Number(rows[0].ms);
    const setup = 3000 + jobs * 0.25;
    const due = (Math.floor((dbNow + setup) / 1000) + 1) * 1000;
    const runAt = new Date(due);

    const recvCPU0 = JSON.parse(await control("GET", "cpu")).cpu_us;
    const cpu0 = cpuMicros();
    for (let i = 0; i < jobs; i += 5000) {
      const specs = [];
      for (let j = i; j < Math.min(jobs, i + 5000); j++) {
        specs.push({ identifier: "bench_get", payload: { url: `${base}/ok?id=${j}` }, runAt, maxAttempts: 1 });
      }
      await utils.addJobs(specs);
    }
    if (Date.now() > due) console.error("graphile bench: adding took past the due instant");

    const deadline = due - Date.now() + 120000 + jobs;
    let timer;
    // Interrupted (SIGINT, SIGTERM), it stops waiting and still drops its
    // schema (the finally below): the runner does not handle signals.
    const interrupted = new Promise((_, reject) => {
      for (const sig of ["SIGINT", "SIGTERM"]) process.once(sig, () => reject(new Error(`interrupted (${sig})`)));
    });
    interrupted.catch(() => {}); // a signal after the wait is not an unhandled rejection
    await Promise.race([allDone, interrupted, new Promise((r) => (timer = setTimeout(r, deadline)))]);
    clearTimeout(timer);
    if (finished + failed < jobs) console.error("graphile bench: not every job finished before the deadline");
    // job:complete fires when a task ends; with batched completion the
    // row goes a moment later. The result is recorded when the job's row
    // is gone (Graphile deletes a completed job).
    for (;;) {
      const { rows } = await pool.query(`SELECT count(*)::int AS n FROM ${schema}._private_jobs`);
      if (rows[0].n <= failed || Date.now() > due + deadline) break;
      await new Promise((r) => setTimeout(r, 5));
    }
    lastDone = Date.now();
    const cpuUsed = cpuMicros() - cpu0;
    const recvCPU1 = JSON.parse(await control("GET", "cpu")).cpu_us;

    const seen = new Set();
    const late = [];
    let duplicates = 0;
    for (const line of (await control("GET", "requests")).split("\n")) {
      if (!line) continue;
      const r = JSON.parse(line);
      if (seen.has(r.query)) {
        duplicates++;
        continue;
      }
      seen.add(r.query);
      late.push(r.at_ns / 1e6 - due);
    }
    late.sort((a, b) => a - b);
    const el = (lastDone - due) / 1000;
    const res = {
      system: "graphile-worker",
      version: "0.18.0",
      schema,
      jobs,
      delivered: seen.size,
      duplicates,
      lost: jobs - Math.min(seen.size, finished),
      completed: finished,
      per_second: el > 0 ? round1(finished / el) : 0,
      seconds_to_last_result: Math.round(el * 1000) / 1000,
      per_second_from_first_delivery: late.length && el - late[0] / 1000 > 0 ? round1(finished / (el - late[0] / 1000)) : 0,
      first_arrival_ms: late.length ? round1(late[0]) : 0,
      lateness_p50_ms: percentile(late, 50),
      lateness_p99_ms: percentile(late, 99),
      lateness_max_ms: percentile(late, 100),
      peak_rss_mb: round1(process.resourceUsage().maxRSS / 1024),
      cpu_us_per_job: round1(cpuUsed / jobs),
      receiver_cpu_us_per_delivery: seen.size ? round1((recvCPU1 - recvCPU0) / seen.size) : 0,
      concurrency,
      local_queue: localQueue,
      complete_batch_delay_ms: batchDelay,
      max_pool: Number(opt["max-pool"]),
    };
    console.log(JSON.stringify(res));
  } finally {
    if (runner) await runner.stop().catch(() => {});
    if (utils) await utils.release().catch(() => {});
    await pool.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`).catch((e) => {
      console.error(`graphile bench: drop schema ${schema} by hand: ${e.message}`);
    });
    await pool.end();
    agent.destroy();
  }
}

main().catch((e) => {
  console.error("graphile bench:", e);
  process.exit(1);
});
