// The processes a test starts do not carry tap's process-tracking loader (helpers/untracked-
// children.ts, loaded by the tap node-arg; this file does not import it): a child's NODE_OPTIONS
// lose it and keep everything else. Under tap this process has the loader, so a child would get it
// without the helper; run bare (`node --import=tsx file`), nothing adds it and the answers hold.

import t from 'tap';
import { spawnSync } from 'node:child_process';
import { nodeOptionsToArgv } from 'node-options-to-argv';
import { namesTracker, withoutTracker } from '../helpers/tracker-options.js';

/** What a child Node process sees as its NODE_OPTIONS (undefined: not set). */
function childNodeOptions(env?: NodeJS.ProcessEnv): string | undefined {
  const r = spawnSync(process.execPath, ['-e', 'process.stdout.write(JSON.stringify(process.env.NODE_OPTIONS ?? null))'], { encoding: 'utf8', env });
  if (r.status !== 0) throw new Error(`child failed: ${r.stderr}`);
  return (JSON.parse(r.stdout) as string | null) ?? undefined;
}

const TRACKER = '--import=file:///repo/node_modules/@tapjs/processinfo/dist/esm/import.mjs';

t.test('withoutTracker: the tracker goes, other options stay, quoted as tap writes them', async (t) => {
  t.equal(withoutTracker(`"${TRACKER}"`), undefined, 'nothing else: no NODE_OPTIONS at all');
  t.equal(withoutTracker(`"--max-old-space-size=300" "${TRACKER}"`), '"--max-old-space-size=300"');
  t.equal(withoutTracker(`--trace-warnings ${TRACKER} "--title=a b"`), '"--trace-warnings" "--title=a b"', 'a quoted option with a space stays one option');
  t.equal(withoutTracker('--trace-warnings'), '"--trace-warnings"', 'no tracker: the options unchanged');
});

t.test('a child process gets no tracker in its NODE_OPTIONS', async (t) => {
  if (process.env.TAP === '1') t.ok(namesTracker(process.execArgv.join(' ')), 'under tap, this process runs with the tracker');
  t.equal(childNodeOptions(), undefined, 'the environment inherited');
  t.equal(childNodeOptions({ ...process.env }), undefined, 'an environment of its own, copied from this one');
});

t.test("a child's own NODE_OPTIONS reach it, without the tracker", async (t) => {
  t.same(nodeOptionsToArgv(childNodeOptions({ ...process.env, NODE_OPTIONS: '--max-old-space-size=300' })), ['--max-old-space-size=300']);
  const r = spawnSync(process.execPath, ['-e', "process.stdout.write(String(require('node:v8').getHeapStatistics().heap_size_limit < 400 * 1024 * 1024))"], {
    encoding: 'utf8',
    env: { ...process.env, NODE_OPTIONS: '--max-old-space-size=300' },
  });
  t.equal(r.stdout, 'true', 'and take effect (a heap limit under 400 MB)');
});
