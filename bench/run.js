// Owns `npm run bench` (full) and `npm run bench -- --quick`: runs every benchmark, each in its
// own process, and writes bench/results/latest.json and BENCHMARKS.md (report.js); a quick run
// writes bench/results/quick.{json,md} and an --only run partial.{json,md} instead. A benchmark
// that fails is reported as not measured, with its error; the others still run.
//
//   npm run bench [-- --quick] [--seed N] [--only ingest,filter,...]

import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { runChild } from './lib/child.js';
import { codeFacts, collectMeta } from './lib/meta.js';
import { topFrames, topLines } from './lib/profile.js';
import { evaluateGoals, renderMarkdown } from './report.js';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const DEFAULT_SEED = 20261126;

const PLANS = {
  quick: { catchUpEvents: 1_000_000, ingestEvents: 600_000, repeats: 3, variantEvents: 150_000, variantRepeats: 1, scalingEvents: 120_000, scalingRepeats: 1, profileEvents: 400_000, filterEvents: 10_000, httpEvents: 200, filterRepeats: 3, freshnessSamples: 1000, freshnessWarmupSamples: 2000, freshnessTickSamples: 100, freshnessSparseSamples: 0, coldReadSamples: 100, flowSeeds: 5, flowSeconds: 40, flowTailSeeds: 20, servePoolRequests: 1000, serveFreshRequests: 40 },
  full: { catchUpEvents: 3_000_000, ingestEvents: 5_000_000, repeats: 5, variantEvents: 1_000_000, variantRepeats: 3, scalingEvents: 1_000_000, scalingRepeats: 3, profileEvents: 2_000_000, filterEvents: 100_000, httpEvents: 2000, filterRepeats: 5, freshnessSamples: 2000, freshnessWarmupSamples: 3000, freshnessTickSamples: 500, freshnessSparseSamples: 300, coldReadSamples: 300, flowSeeds: 200, flowSeconds: 70, flowTailSeeds: 10000, servePoolRequests: 5000, serveFreshRequests: 200 },
};

function parseArgs(argv) {
  const o = { quick: false, seed: DEFAULT_SEED, only: null };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === '--quick') o.quick = true;
    else if (a === '--seed') o.seed = Number(argv[++i]);
    else if (a.startsWith('--seed=')) o.seed = Number(a.slice(7));
    else if (a === '--only') o.only = argv[++i].split(',');
    else if (a === '--help' || a === '-h') {
      process.stdout.write('usage: npm run bench [-- --quick] [--seed N] [--only ingest,catchUp,workloads,scaling,profile,filter,freshness,rss,flow,serve]\n');
      process.exit(0);
    } else throw new Error(`unknown argument ${a}`);
  }
  if (!Number.isSafeInteger(o.seed) || o.seed < 0) throw new Error('--seed must be a non-negative integer');
  return o;
}

async function main() {
  const opts = parseArgs(process.argv.slice(2));
  const mode = opts.quick ? 'quick' : 'full';
  const plan = PLANS[mode];
  const started = Date.now();
  const log = (msg) => process.stderr.write(`[bench ${((Date.now() - started) / 1000).toFixed(0).padStart(4)} s] ${msg}\n`);
  log(`${mode} run, seed ${opts.seed}`);
  const results = { meta: { ...collectMeta(ROOT), mode, seed: opts.seed, plan }, errors: {} };
  const want = (k) => opts.only === null || opts.only.includes(k);
  const step = async (key, fn) => {
    if (!want(key)) return;
    // The previous benchmark's file writes are flushed first, so that their write-back does not
    // run during this one's timed part.
    try {
      execFileSync('sync');
    } catch {
      // no sync(1): measured as it is
    }
    const t0 = Date.now();
    log(`${key} ...`);
    try {
      results[key] = await fn();
      log(`${key} done in ${((Date.now() - t0) / 1000).toFixed(1)} s`);
    } catch (e) {
      results.errors[key] = String(e && e.message ? e.message : e);
      log(`${key} FAILED: ${results.errors[key]}`);
    }
  };

  await step('build', async () => {
    // The daemon benchmarks run the real binary (dist/); make sure it is current.
    execFileSync(process.execPath, [join(ROOT, 'node_modules/typescript/bin/tsc'), '-b'], { cwd: ROOT, stdio: 'inherit' });
    return { tsc: 'ok' };
  });
  const ingestFile = join(ROOT, 'bench/ingest.js');
  await step('ingest', () => runChild(ingestFile, 'ingestVariant', { variant: 'standard', events: plan.ingestEvents, seed: opts.seed, repeats: plan.repeats }));
  await step('catchUp', () => runChild(join(ROOT, 'bench/daemon.js'), 'catchUp', { events: plan.catchUpEvents, seed: opts.seed }));
  await step('workloads', async () => {
    const out = {};
    for (const variant of ['uniform', 'resources10k', 'single']) {
      out[variant] = await runChild(ingestFile, 'ingestVariant', { variant, events: plan.variantEvents, seed: opts.seed, repeats: plan.variantRepeats });
    }
    return out;
  });
  await step('scaling', () => runChild(ingestFile, 'scalingGrid', { events: plan.scalingEvents, seed: opts.seed, repeats: plan.scalingRepeats }));
  await step('profile', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'sw-bench-cpuprof-'));
    try {
      // The compiled collector (dist/, built above): its positions are real source lines, so the
      // profile can say which line of a function the time goes to.
      const env = { SW_BENCH_COLLECTOR_SRC: join(ROOT, 'packages/collector/dist/') };
      const r = await runChild(ingestFile, 'profileIngest', { events: plan.profileEvents, seed: opts.seed, rounds: 4 }, { nodeArgs: ['--cpu-prof', '--cpu-prof-dir', dir], env });
      const file = readdirSync(dir).find((f) => f.endsWith('.cpuprofile'));
      const top = topFrames(join(dir, file), 15, ROOT, 'timedCollectorIngest');
      top.lines = topLines(join(dir, file), 12, ROOT, 'timedCollectorIngest', ['packages/collector/dist/', 'packages/protocol/dist/']);
      mkdirSync(join(ROOT, 'bench/results'), { recursive: true });
      execFileSync('cp', [join(dir, file), join(ROOT, 'bench/results/ingest.cpuprofile')]);
      return { ...r, ...top, file: 'bench/results/ingest.cpuprofile' };
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
  await step('filter', () => runChild(join(ROOT, 'bench/filter.js'), 'filterBench', { events: plan.filterEvents, httpEvents: plan.httpEvents, repeats: plan.filterRepeats }));
  await step('freshness', async () => {
    const daemonFile = join(ROOT, 'bench/daemon.js');
    // The machine alone first: how often a busy loop loses its core (bench/lib/cpu-gaps.js).
    const cpuGaps = await runChild(join(ROOT, 'bench/lib/cpu-gaps.js'), 'cpuGaps', { durationMs: 5000 });
    // Every daemon first takes freshnessWarmupSamples untimed samples (appends 0–2 ms apart): V8 compiles
    // its hot code on background threads over its first seconds of traffic; the timed samples see a running
    // collector. `coldStart` is a freshly started daemon timed from its first sample, as before a warm-up.
    const warm = { warmupSamples: plan.freshnessWarmupSamples };
    // The figure's daemon carries the stage probe (bench/lib/stage-probe.js): its own timing of each read and answer.
    const base = await runChild(daemonFile, 'freshness', { samples: plan.freshnessSamples, seed: opts.seed, stageProbe: true, ...warm });
    const coldStart = await runChild(daemonFile, 'freshness', { samples: plan.freshnessTickSamples, seed: opts.seed });
    const tick10 = await runChild(daemonFile, 'freshness', { samples: plan.freshnessTickSamples, seed: opts.seed, daemonArgs: ['--tick-ms', '10'], ...warm });
    // Appends 60–80 ms apart: every append finds the daemon idle (no earlier sample's work in flight).
    // (Full runs only: it needs ~80 ms a sample.)
    const sparse = plan.freshnessSparseSamples > 0 ? await runChild(daemonFile, 'freshness', { samples: plan.freshnessSparseSamples, seed: opts.seed, gapMinMs: 60, gapMaxMs: 80, ...warm }) : null;
    // The figure polled through node:http's keep-alive Agent, alternating sample by sample with the lean client.
    const nodeHttpPoll = await runChild(daemonFile, 'freshness', { samples: plan.freshnessTickSamples, seed: opts.seed, pollClient: 'alternate', ...warm });
    // 10 000 other live resources: the periodic work at that scale, the figure reading GET /api/v1/resources/fresh.
    const others = await runChild(daemonFile, 'freshness', { samples: plan.freshnessTickSamples, seed: opts.seed, otherResources: 10_000, ...warm });
    // The watch callback's read in-process, warm and 10 ms after the last, beside a plain JS workload (bench/lib/cold-read.js).
    const coldRead = await runChild(join(ROOT, 'bench/lib/cold-read.js'), 'coldRead', { samples: plan.coldReadSamples, gapMs: 10 });
    return { ...base, coldStart, tick10, sparse, nodeHttpPoll, others, cpuGaps, coldRead };
  });
  await step('rss', () => runChild(join(ROOT, 'bench/daemon.js'), 'rss', { resources: 10_000, seed: opts.seed }));
  await step('flow', () => runChild(join(ROOT, 'bench/flow-control.js'), 'flowBench', { seed: opts.seed, seeds: plan.flowSeeds, seconds: plan.flowSeconds, tailSeeds: plan.flowTailSeeds }));
  await step('serve', () => runChild(join(ROOT, 'bench/serve.js'), 'serveBench', { poolRequests: plan.servePoolRequests, freshRequests: plan.serveFreshRequests, concurrency: 8 }));

  results.meta.elapsedSeconds = (Date.now() - started) / 1000;
  results.meta.codeFacts = codeFacts(ROOT);
  const json = toLatestJson(results);
  json.goals = evaluateGoals(json);
  mkdirSync(join(ROOT, 'bench/results'), { recursive: true });
  if (opts.only === null && !opts.quick) {
    writeFileSync(join(ROOT, 'bench/results/latest.json'), `${JSON.stringify(json, null, 2)}\n`);
    writeFileSync(join(ROOT, 'BENCHMARKS.md'), renderMarkdown(json));
    log(`wrote bench/results/latest.json and BENCHMARKS.md in ${json.meta.elapsedSeconds.toFixed(0)} s`);
  } else {
    // A quick or partial run must not replace the full report: it goes beside it.
    const name = opts.only === null ? 'quick' : 'partial';
    writeFileSync(join(ROOT, `bench/results/${name}.json`), `${JSON.stringify(json, null, 2)}\n`);
    writeFileSync(join(ROOT, `bench/results/${name}.md`), renderMarkdown(json));
    log(`wrote bench/results/${name}.json and ${name}.md (${opts.only === null ? '--quick' : '--only'}: latest.json and BENCHMARKS.md, the full run's, are left as they were)`);
  }
  for (const g of json.goals) log(`${g.met === null ? 'n/a ' : g.met ? 'MET ' : 'MISS'} ${g.goal}: ${g.display}`);
  if (Object.keys(results.errors).length > 0) process.exitCode = 1;
}

/** The published shape: the keys at the top (numbers, null when not measured), details beside. */
function toLatestJson(r) {
  const num = (v) => (typeof v === 'number' && Number.isFinite(v) ? v : null);
  const ing = r.ingest ?? {};
  const fil = r.filter ?? {};
  const fr = r.freshness ?? {};
  return {
    meta: r.meta,
    ingest: {
      eventsPerSec: num(ing.eventsPerSec),
      ndjsonEventsPerSec: num(ing.ndjsonEventsPerSec),
      rawReadEventsPerSec: num(ing.rawReadEventsPerSec),
      vsNdjson: num(ing.eventsPerSec / ing.ndjsonEventsPerSec),
      cpuEventsPerSec: num(ing.cpuEventsPerSec),
      cpuNdjsonEventsPerSec: num(ing.cpuNdjsonEventsPerSec),
      daemonCatchUpEventsPerSec: num(r.catchUp?.eventsPerSec),
      daemonCatchUp: r.catchUp ?? null,
      details: r.ingest ?? null,
    },
    freshness: { p50Ms: num(fr.p50Ms), p99Ms: num(fr.p99Ms), details: r.freshness ?? null },
    filter: {
      bufferedUsPerEvent: num(fil.bufferedUsPerEvent),
      unbufferedUsPerEvent: num(fil.unbufferedUsPerEvent),
      noopUsPerEvent: num(fil.noopUsPerEvent),
      httpCallUsPerEvent: num(fil.httpCallUsPerEvent),
      encodeUsPerEvent: num(fil.encodeUsPerEvent),
      httpOverBuffered: num(fil.httpOverBuffered),
      httpOverBufferedSameEngine: num(fil.httpOverBufferedSameEngine),
      details: r.filter ?? null,
    },
    bytesPerEvent: {
      batched: num(ing.bytesPerEvent),
      single: num(r.workloads?.single?.bytesPerEvent),
      /** The same events with every resource named by its resource id (version 3 frames: the id in each record). */
      ids: num(ing.idsBytesPerEvent),
      idsSingle: num(r.workloads?.single?.idsBytesPerEvent),
      idsBreakdown: ing.idsBytes ?? null,
      idsIngestEventsPerSec: num(ing.idsEventsPerSec),
      ndjson: num(ing.ndjsonBytesPerEvent),
      breakdown: ing.bytes ?? null,
    },
    collectorRssMb10kResources: num(r.rss?.rssMb),
    serve: {
      poolRequestsPerSec: num(r.serve?.poolRequestsPerSec),
      freshRequestsPerSec: num(r.serve?.freshRequestsPerSec),
      poolOverFresh: num(r.serve?.poolOverFresh),
      details: r.serve ?? null,
    },
    rss: r.rss ?? null,
    scaling: r.scaling ?? null,
    workloads: r.workloads ?? null,
    profile: r.profile ?? null,
    flow: r.flow ?? null,
    errors: r.errors,
  };
}

main().catch((e) => {
  process.stderr.write(`${e && e.stack ? e.stack : String(e)}\n`);
  process.exit(1);
});
