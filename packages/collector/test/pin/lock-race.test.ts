// The pin lock under a race of real starter processes: exactly one of 20 wins, every other one
// fails with E_LOCKED, for an empty collector dir and for a stale lock naming a live pid that
// now belongs to another process (pid reuse: every starter sees it stale and races to take it
// over). Seeded: the order of the "go" lines varies per run; replay with SW_SEED=... .
import t from 'tap';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { buildSync } from 'esbuild';
import { prng, testSeed } from '../../../../test/helpers/seeded.js';
import { acquireLock, currentBootId, processStartTicks } from '../../src/pin/lock.js';

const STARTER = fileURLToPath(new URL('./fixtures/starter.ts', import.meta.url));
const STARTERS = 20;
// 20 process starts take tens of seconds on a loaded machine.
t.setTimeout(600_000);
const seed = testSeed();
const next = prng(seed);
t.comment(`seed ${seed}`);

const root = mkdtempSync(join(tmpdir(), 'sw-lock-'));
t.teardown(() => rmSync(root, { recursive: true, force: true }));
// The starter and the lock code it imports, bundled once from the sources: 20 plain node
// processes start far faster than 20 that compile TypeScript each.
const BUNDLE = join(root, 'starter.mjs');
buildSync({ entryPoints: [STARTER], bundle: true, platform: 'node', format: 'esm', outfile: BUNDLE, logLevel: 'silent' });

interface Starter {
  child: ChildProcess;
  lines: string[];
  exitCode: Promise<number | null>;
}

function startOne(lockPath: string): Starter {
  const child = spawn(process.execPath, [BUNDLE, lockPath], {
    stdio: ['pipe', 'pipe', 'inherit'],
    // Plain starters: without the test runner's coverage hooks (20 of them start at once).
    env: { ...process.env, NODE_OPTIONS: '', NODE_V8_COVERAGE: '' },
  });
  const s: Starter = { child, lines: [], exitCode: new Promise((r) => child.on('exit', (code) => r(code))) };
  let buf = '';
  child.stdout!.on('data', (d) => {
    buf += d;
    const parts = buf.split('\n');
    buf = parts.pop()!;
    s.lines.push(...parts);
  });
  return s;
}

/** One starter run to its answer (its stdin closed at once: a winner releases right away). */
function spawnSyncAcquire(lockPath: string): string {
  const r = spawnSync(process.execPath, [BUNDLE, lockPath], { input: 'go\n', env: { ...process.env, NODE_OPTIONS: '', NODE_V8_COVERAGE: '' }, encoding: 'utf8' });
  return r.stdout.split('\n')[1] ?? `exit ${r.status}`;
}

async function until(what: string, ok: () => boolean): Promise<void> {
  for (let i = 0; i < 1200; i++) {
    if (ok()) return;
    await new Promise((r) => setTimeout(r, 25));
  }
  throw new Error(`gave up waiting for ${what}`);
}

async function race(dir: string): Promise<{ won: number; locked: number; other: string[] }> {
  const lockPath = join(dir, 'lock');
  const starters = Array.from({ length: STARTERS }, () => startOne(lockPath));
  try {
    await until('all starters ready', () => starters.every((s) => s.lines.includes('ready')));
    // Seeded order; all "go" lines leave within one event-loop turn.
    const order = starters.map((s) => ({ s, k: next() })).sort((a, b) => a.k - b.k);
    for (const { s } of order) s.child.stdin!.write('go\n');
    await until('every starter answered', () => starters.every((s) => s.lines.length >= 2));
    const answers = starters.map((s) => s.lines[1]!);
    return {
      won: answers.filter((a) => a === 'won').length,
      locked: answers.filter((a) => a === 'E_LOCKED').length,
      other: answers.filter((a) => a !== 'won' && a !== 'E_LOCKED'),
    };
  } finally {
    for (const s of starters) s.child.stdin!.end();
    await Promise.all(starters.map((s) => s.exitCode));
  }
}

const setups: Array<[string, (dir: string) => Promise<void>]> = [
  ['no lock', async () => {}],
  ['a stale lock whose pid now names another live process', async (dir) => writeFileSync(join(dir, 'lock'), `${JSON.stringify({ pid: process.pid, startTicks: '12345', bootId: currentBootId(), nonce: 'bb' })}\n`)],
];

let round = 0;
for (const [name, setup] of setups) {
  t.test(`20 concurrent starters, ${name}: exactly one wins`, async (t) => {
    const dir = join(root, `r${round++}`);
    mkdirSync(dir, { mode: 0o700 });
    await setup(dir);
    const r = await race(dir);
    t.same(r, { won: 1, locked: STARTERS - 1, other: [] }, `seed ${seed}`);
    t.notOk(existsSync(join(dir, 'lock')), 'the winner released its lock');
    t.same(readdirSync(dir), [], 'no temp or takeover files left');
  });
}

t.test('an older bare-pid lock written before its pid\'s process started does not block start-up', async (t) => {
  const dir = join(root, 'reuse-bare');
  mkdirSync(dir, { mode: 0o700 });
  const lockPath = join(dir, 'lock');
  // The test runner's pid, in a lock dated a day before the runner started.
  writeFileSync(lockPath, `${process.pid}\n`);
  const dayAgo = new Date(Date.now() - 86_400_000);
  utimesSync(lockPath, dayAgo, dayAgo);
  const s = startOne(lockPath);
  await until('ready', () => s.lines.includes('ready'));
  s.child.stdin!.write('go\n');
  await until('answer', () => s.lines.length >= 2);
  t.equal(s.lines[1], 'won');
  s.child.stdin!.end();
  t.equal(await s.exitCode, 0);
  // A bare-pid lock written after its live process started is still honoured.
  writeFileSync(lockPath, `${process.pid}\n`);
  t.equal(spawnSyncAcquire(lockPath), 'E_LOCKED');
});

t.test('a lock naming a live unrelated pid with a wrong start time does not block start-up', async (t) => {
  const dir = join(root, 'reuse');
  mkdirSync(dir, { mode: 0o700 });
  const lockPath = join(dir, 'lock');
  // The test runner's own pid is alive, but it never held this lock (its start time differs).
  writeFileSync(lockPath, `${JSON.stringify({ pid: process.pid, startTicks: String(Number(processStartTicks(process.pid)) + 7), bootId: currentBootId(), nonce: 'cc' })}\n`);
  const s = startOne(lockPath);
  await until('ready', () => s.lines.includes('ready'));
  s.child.stdin!.write('go\n');
  await until('answer', () => s.lines.length >= 2);
  t.equal(s.lines[1], 'won');
  const held = JSON.parse(readFileSync(lockPath, 'utf8')) as { pid: number; startTicks: string };
  t.equal(held.pid, s.child.pid);
  t.equal(held.startTicks, processStartTicks(s.child.pid!));
  // While it runs, this process cannot take the lock.
  t.throws(() => acquireLock(lockPath), { code: 'E_LOCKED' });
  s.child.stdin!.end();
  t.equal(await s.exitCode, 0);
  t.notOk(existsSync(lockPath));
});
