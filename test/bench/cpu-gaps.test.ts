// The benchmarks' machine diagnostic (bench/lib/cpu-gaps.js) in a real child process: a stop the
// test imposes on it (SIGSTOP, then SIGCONT 60 ms later) shows up as a gap of about that length.

import t from 'tap';
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const MODULE = fileURLToPath(new URL('../../bench/lib/cpu-gaps.js', import.meta.url));

interface Gaps {
  durationMs: number;
  thresholdMs: number;
  gaps: number;
  gapsOver1Ms: number;
  over1MsPerSec: number;
  longestMs: number;
  lostShare: number;
}

t.test('a 60 ms stop of the loop is counted as one gap of at least that length', async (t) => {
  const script = `import(${JSON.stringify(MODULE)}).then((m) => { process.stderr.write('go\\n'); process.stdout.write(JSON.stringify(m.cpuGaps({ durationMs: 800 }))); });`;
  const child = spawn(process.execPath, ['-e', script], { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  child.stdout.on('data', (d) => (out += d));
  await new Promise<void>((resolve) => child.stderr.once('data', () => resolve()));
  await new Promise((r) => setTimeout(r, 200));
  child.kill('SIGSTOP');
  await new Promise((r) => setTimeout(r, 60));
  child.kill('SIGCONT');
  const code = await new Promise<number | null>((resolve) => child.on('close', resolve));
  t.equal(code, 0);
  const g = JSON.parse(out) as Gaps;
  t.ok(g.durationMs >= 800, `ran its whole duration (${g.durationMs} ms)`);
  t.equal(g.thresholdMs, 0.5);
  t.ok(g.longestMs >= 55, `the stop is its longest gap (${g.longestMs} ms)`);
  t.ok(g.gapsOver1Ms >= 1 && g.gaps >= g.gapsOver1Ms, `${g.gapsOver1Ms} over 1 ms of ${g.gaps}`);
  t.ok(g.lostShare >= 55 / g.durationMs && g.lostShare < 1, `share of time lost ${g.lostShare}`);
});
