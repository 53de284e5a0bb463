// End to end, real processes: a concurrency rule (grade 0, count 2) against QuickJS command
// filters that use the documented entry() … exit() and nothing else (no flush of their own), run
// by the Node host beside a real collector. Two runs hold their entries open (until the test closes
// their stdin, so a slow start cannot end a hold early); the collector sees
// them in flight (the SDK writes the PASS of a resource under a rule at once), writes the rule's
// slot as soon as the count is in flight (not at the next tick), and the third run is refused. A run killed while it holds its entry (SIGKILL: no EXIT ever) is taken out of the
// concurrency once its entry is --max-entry-age-ms old, and the rule admits again. Also: the SDK's random source (the WASI host's, seeded at run time) differs from run
// to run, where the engine's Math.random comes back from the build's snapshot the same every time.

import { spawn } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import t, { type Test } from 'tap';
import { VerdictKind } from '@sentinel-wasi/protocol/encode';
import { CLI_BIN, REPO_ROOT, tempDir, tempPin } from '../helpers/repo.js';
import { NODE_HOST_CACHE, nodeRunArgs, prepareUnderNode, runUnderNode } from '../helpers/node-host.js';
import { sdkCommandFilter } from '../helpers/sdk-filter.js';
import { healthOf, mapVerdict, startCollector, waitFor, type RunningCollector } from './flow-support.js';

/**
 * `hold <resource> <ms>`: enters the resource, says whether it was admitted, and when it was,
 * works for ms (the clock) before it exits; `hold <resource> stdin`: holds its entry until its
 * stdin is closed (the test decides when, however slowly the runs start). `random`: two draws of
 * the SDK's host random source and two of Math.random.
 */
const FILTER = `import { command, createSentinel, WasiHost } from '@sentinel-wasi/filter';
import { getArguments } from 'wasi:cli/environment@0.2.12';
import { getStdin } from 'wasi:cli/stdin@0.2.12';

const sentinel = createSentinel();
export const run = command(() => {
  const [, mode, resource, holdText] = getArguments();
  if (mode === 'random') {
    const host = new WasiHost();
    console.log('host ' + host.random() + ' ' + host.random() + ' math ' + Math.random() + ' ' + Math.random());
    return true;
  }
  const entry = sentinel.entry(resource ?? 'none');
  console.log(entry.blocked ? 'blocked' : 'admitted');
  if (!entry.blocked) {
    if (holdText === 'stdin') {
      const input = getStdin();
      for (;;) {
        try {
          input.blockingRead(4096);
        } catch {
          break; // closed
        }
      }
    } else {
      const until = Date.now() + Number(holdText ?? '0');
      while (Date.now() < until) {}
    }
    entry.exit();
  }
  return true;
});
`;

interface HoldingRun {
  /** Closes the run's stdin (it exits its entry then) and resolves with how it ended. */
  release(): Promise<{ code: number; stderr: string }>;
}

/** `run … hold <resource> stdin` under the Node host, its stdin kept open until release(). */
function startHolding(t: Test, component: string, pin: string, resource: string): HoldingRun {
  const child = spawn(process.execPath, nodeRunArgs({ component, pin, args: ['hold', resource, 'stdin'] }), { cwd: REPO_ROOT, stdio: ['pipe', 'ignore', 'pipe'] });
  t.teardown(() => child.kill('SIGKILL'));
  let stderr = '';
  child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
  child.stdin.on('error', () => {
    // it may have exited already
  });
  const ended = new Promise<number>((r) => child.on('close', (code, signal) => r(code ?? (signal ? 128 : 1))));
  return {
    async release() {
      child.stdin.end();
      return { code: await ended, stderr };
    },
  };
}

async function node(c: RunningCollector, name: string): Promise<{ concurrency: number; pass: number; block: number; success: number } | undefined> {
  const r = await fetch(`${c.url}/api/v1/resources/${encodeURIComponent(name)}`);
  if (r.status === 404) return undefined;
  const { node: n } = (await r.json()) as { node: { concurrency: number; minute: { pass: number; block: number; success: number } } };
  return { concurrency: n.concurrency, pass: n.minute.pass, block: n.minute.block, success: n.minute.success };
}

/** Health's count of verdict slots a concurrency rule stopped between control ticks. */
async function saturationWrites(c: RunningCollector): Promise<number> {
  return (await healthOf<{ rules: { map: { saturationWrites: number } } }>(c)).rules.map.saturationWrites;
}

t.test('a concurrency rule counts entries in flight and refuses the one over its count', async (t) => {
  const component = sdkCommandFilter('concurrency-rule', FILTER);
  await prepareUnderNode(component);
  const pin = await tempDir(t, 'concurrency-rule');
  mkdirSync(join(pin, 'rules'), { recursive: true, mode: 0o700 });
  writeFileSync(join(pin, 'rules', 'flow.json'), JSON.stringify([{ resource: 'GET /slow', grade: 0, count: 2 }]));
  const collector = await startCollector(pin);
  t.teardown(() => collector.stop());
  await waitFor('the rule\'s slot in the map', () => mapVerdict(pin, 'GET /slow').outcome === 'hit');

  const first = startHolding(t, component, pin, 'GET /slow');
  await waitFor('the first entry in flight', async () => (await node(collector, 'GET /slow'))?.concurrency === 1, 30_000);
  const second = startHolding(t, component, pin, 'GET /slow');
  await waitFor('the second entry in flight', async () => (await node(collector, 'GET /slow'))?.concurrency === 2, 30_000);
  t.equal(await saturationWrites(collector), 1, 'the read that brought the second PASS wrote the rule\'s slot at once, not at the next tick');
  await waitFor('the collector to refuse more', () => mapVerdict(pin, 'GET /slow').kind !== VerdictKind.PASS);
  const third = await runUnderNode({ component, pin, args: ['hold', 'GET /slow', '0'] });
  t.equal(third.code, 0, third.stderr);
  t.match(third.stderr, /^blocked$/m, 'the third run, with two entries in flight, is refused');
  const [a, b] = await Promise.all([first.release(), second.release()]);
  t.same([a.code, b.code], [0, 0], `${a.stderr}${b.stderr}`);
  t.match(a.stderr, /^admitted$/m);
  t.match(b.stderr, /^admitted$/m);
  const done = await waitFor('every record counted', async () => {
    const n = await node(collector, 'GET /slow');
    return n?.success === 2 && n.block === 1 ? n : undefined;
  });
  t.same(done, { concurrency: 0, pass: 2, block: 1, success: 2 }, 'two passed and exited, one blocked');
});

t.test('a run killed while it holds its entry leaves the concurrency once the entry is --max-entry-age-ms old', async (t) => {
  const component = sdkCommandFilter('concurrency-rule', FILTER);
  await prepareUnderNode(component);
  const pin = await tempDir(t, 'concurrency-killed');
  mkdirSync(join(pin, 'rules'), { recursive: true, mode: 0o700 });
  writeFileSync(join(pin, 'rules', 'flow.json'), JSON.stringify([{ resource: 'GET /job', grade: 0, count: 1 }]));
  // The refused run must read the map before the killed entry expires: a run under the Node host
  // took over 3 s to reach its entry on a loaded 2-core machine, so the age leaves room for that.
  const maxEntryAgeMs = 8000;
  const collector = await startCollector(pin, ['--max-entry-age-ms', String(maxEntryAgeMs)]);
  t.teardown(() => collector.stop());
  await waitFor('the rule\'s slot in the map', () => mapVerdict(pin, 'GET /job').outcome === 'hit');
  const child = spawn(process.execPath, [CLI_BIN, 'run', component, '--pin', pin, '--cache-dir', NODE_HOST_CACHE, '--', 'hold', 'GET /job', '60000'], { stdio: 'ignore' });
  const exited = new Promise((r) => child.on('close', r));
  t.teardown(() => child.kill('SIGKILL'));
  await waitFor('the entry in flight', async () => (await node(collector, 'GET /job'))?.concurrency === 1, 15_000);
  t.equal(await saturationWrites(collector), 1, 'count 1 reached: the slot written at once');
  const killedAt = Date.now();
  child.kill('SIGKILL');
  await exited;
  const refused = await runUnderNode({ component, pin, args: ['hold', 'GET /job', '0'] });
  t.comment(`the refused run ended ${Date.now() - killedAt} ms after the kill`);
  t.match(refused.stderr, /^blocked$/m, 'the killed run still counts: count 1 is taken');
  await waitFor('the lost entry to be expired', async () => (await node(collector, 'GET /job'))?.concurrency === 0, 20_000, 100);
  t.comment(`concurrency back to 0 ${Date.now() - killedAt} ms after the kill (entries expire ${maxEntryAgeMs} ms after they began)`);
  const health = await healthOf<{ counters: { entriesExpired: number } }>(collector);
  t.equal(health.counters.entriesExpired, 1);
  await waitFor('the collector to admit again', () => mapVerdict(pin, 'GET /job').kind === VerdictKind.PASS);
  const admitted = await runUnderNode({ component, pin, args: ['hold', 'GET /job', '0'] });
  t.match(admitted.stderr, /^admitted$/m, 'the next run is admitted');
  const done = await waitFor('the last run counted', async () => {
    const n = await node(collector, 'GET /job');
    return n?.success === 1 ? n : undefined;
  });
  t.same(done, { concurrency: 0, pass: 2, block: 1, success: 1 }, 'the killed PASS, the refused run, the admitted one and its EXIT');
});

t.test('the SDK\'s random numbers differ from run to run of the same component', async (t) => {
  const component = sdkCommandFilter('concurrency-rule', FILTER);
  const pin = await tempPin(t, 'random-draws');
  const draws: string[] = [];
  const maths: string[] = [];
  for (let i = 0; i < 3; i++) {
    const r = await runUnderNode({ component, pin, args: ['random'] });
    t.equal(r.code, 0, r.stderr);
    const m = /^host (\S+) (\S+) math (\S+) (\S+)$/m.exec(r.stderr);
    t.ok(m, r.stderr);
    const [h1, h2] = [Number(m![1]), Number(m![2])];
    t.ok(h1 >= 0 && h1 < 1 && h2 >= 0 && h2 < 1 && h1 !== h2, `two draws in [0, 1): ${h1} ${h2}`);
    draws.push(`${m![1]} ${m![2]}`);
    maths.push(`${m![3]} ${m![4]}`);
  }
  t.equal(new Set(draws).size, 3, `three runs, three different pairs: ${draws.join(' | ')}`);
  t.comment(`Math.random in the same runs: ${maths.join(' | ')}`);
});
