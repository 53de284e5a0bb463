// A collector killed while its parent does not reap it stays a zombie (`<defunct>`): its pid still
// exists (kill(pid, 0) succeeds) and its start time still matches the lock, but it runs no more. Its
// lock is taken over, and the clients do not take it (or an address.json naming it) for a running
// collector. A real zombie: a shell starts a short `sleep` in the background and execs a `sleep`
// that never waits for it.

import t from 'tap';
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { acquireLock, currentBootId, liveLockOwner, processAlive, processExited, processStartTicks } from '../../src/pin/lock.js';
import { findCollector, findDaemon } from '../../src/client/daemon.js';

const noProc = !existsSync('/proc/self/stat') && 'needs /proc (Linux)';

function procState(pid: number): string {
  try {
    const text = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return text.slice(text.lastIndexOf(')') + 2).split(' ')[0]!;
  } catch {
    return '';
  }
}

/** A zombie's pid; its parent (a `sleep` that never reaps) is killed at teardown, which lets init reap it. */
async function zombie(t: { teardown(fn: () => void): void }): Promise<number> {
  // The child outlives the shell's exec: one that ended while the shell still ran could be reaped by it.
  const parent: ChildProcess = spawn('sh', ['-c', 'sleep 0.5 & echo $!; exec sleep 60'], { stdio: ['ignore', 'pipe', 'ignore'] });
  t.teardown(() => {
    parent.kill('SIGKILL');
  });
  const pid = await new Promise<number>((resolve, reject) => {
    parent.stdout!.once('data', (d) => resolve(Number(String(d).trim())));
    parent.once('error', reject);
  });
  for (let i = 0; i < 1000 && procState(pid) !== 'Z'; i++) await new Promise((r) => setTimeout(r, 10));
  if (procState(pid) !== 'Z') throw new Error(`pid ${pid} did not become a zombie (state ${procState(pid)})`);
  return pid;
}

t.test('a zombie is not alive', { skip: noProc }, async (t) => {
  const pid = await zombie(t);
  t.equal(processExited(pid), true);
  t.equal(processAlive(pid), false);
  t.equal(processExited(process.pid), false);
  t.equal(processAlive(process.pid), true);
});

t.test("a zombie's lock is taken over; clients see no collector in it", { skip: noProc }, async (t) => {
  const pid = await zombie(t);
  const pin = t.testdir();
  const collectorDir = join(pin, 'collector');
  mkdirSync(collectorDir, { recursive: true, mode: 0o700 });
  const lockPath = join(collectorDir, 'lock');
  // Exactly what that collector wrote: its pid, start time and boot id all still match.
  writeFileSync(lockPath, `${JSON.stringify({ pid, startTicks: processStartTicks(pid), bootId: currentBootId(), nonce: 'zombie' })}\n`);
  writeFileSync(join(collectorDir, 'address.json'), JSON.stringify({ url: 'http://127.0.0.1:9', pid, startedAtMs: 1, app: 'a' }));
  t.equal(liveLockOwner(lockPath), undefined, 'the lock has no live owner');
  t.equal(await findDaemon(pin), undefined, "its address.json names no running collector");
  t.same(await findCollector(pin), { address: undefined, lockPid: undefined });
  const lock = acquireLock(lockPath);
  t.equal(JSON.parse(readFileSync(lockPath, 'utf8')).pid, process.pid, 'taken over by the new collector');
  t.same(await findCollector(pin), { address: undefined, lockPid: process.pid }, 'the new holder runs (without HTTP: the address.json left names the zombie)');
  lock.release();
});
