// End to end, real processes: a QuickJS command filter built with the SDK enters a resource and
// throws before exiting it (or returns with it open), run by the Node host (`sentinel-wasi run`)
// beside a real collector. command() exits the entry when the run ends, so the collector counts
// the PASS and its EXIT: concurrency back to 0, the throw counted as an exception (the returned
// run's as a success), and a concurrency rule of 1 on the resource still admits the next run
// (the leaked +1 used to refuse every later entry, for good).

import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import t from 'tap';
import { tempDir } from '../helpers/repo.js';
import { runUnderNode } from '../helpers/node-host.js';
import { sdkCommandFilter } from '../helpers/sdk-filter.js';
import { startCollector, waitFor, type RunningCollector } from './flow-support.js';

/** `<mode> <resource>`: enters the resource, says whether it was admitted; `throw` then throws, `open` returns, `ok` exits. */
const FILTER = `import { command, createSentinel } from '@sentinel-wasi/filter';
import { getArguments } from 'wasi:cli/environment@0.2.12';

const sentinel = createSentinel();
export const run = command(() => {
  const [, mode, resource] = getArguments();
  const entry = sentinel.entry(resource ?? 'none');
  console.log(entry.blocked ? 'blocked' : 'admitted');
  if (mode === 'throw') throw new Error('failed after entry(' + resource + ')');
  if (mode === 'ok') entry.exit();
  return true;
});
`;

interface Counts {
  concurrency: number;
  pass: number;
  block: number;
  success: number;
  exception: number;
}

async function counts(c: RunningCollector, name: string): Promise<Counts | undefined> {
  const r = await fetch(`${c.url}/api/v1/resources/${encodeURIComponent(name)}`);
  if (r.status === 404) return undefined;
  const { node } = (await r.json()) as { node: { concurrency: number; minute: Omit<Counts, 'concurrency'> } };
  const { pass, block, success, exception } = node.minute;
  return { concurrency: node.concurrency, pass, block, success, exception };
}

t.test('an entry left open by a run that throws (or returns) is exited when the run ends', async (t) => {
  const component = sdkCommandFilter('entry-left-open', FILTER);
  const pin = await tempDir(t, 'entry-left-open');
  mkdirSync(join(pin, 'rules'), { recursive: true, mode: 0o700 });
  writeFileSync(join(pin, 'rules', 'flow.json'), JSON.stringify([{ resource: 'GET /boom', grade: 0, count: 1 }]));
  const collector = await startCollector(pin);
  t.teardown(() => collector.stop());

  const boom = await runUnderNode({ component, pin, args: ['throw', 'GET /boom'] });
  t.equal(boom.code, 1, 'the throw still ends the run as a failure');
  t.match(boom.stderr, /admitted/);
  t.match(boom.stderr, /^sentinel-wasi filter: command\(\) body threw Error: failed after entry\(GET \/boom\)\n {4}at .*\.ts:\d+:\d+\)$/m, 'what it threw, with the stack in the filter\'s source');
  t.notMatch(boom.stderr, /panicked/, 'not a trap: no runtime panic');
  t.match(boom.stderr.trimEnd().split('\n').at(-1), /\(E_RUN_ERROR\)$/);
  const open = await runUnderNode({ component, pin, args: ['open', 'GET /open'] });
  t.equal(open.code, 0, open.stderr);

  const both = await waitFor('both runs counted', async () => {
    const [b, o] = await Promise.all([counts(collector, 'GET /boom'), counts(collector, 'GET /open')]);
    return b?.pass === 1 && o?.pass === 1 ? { b, o } : undefined;
  });
  t.same(both.b, { concurrency: 0, pass: 1, block: 0, success: 1, exception: 1 }, 'thrown: PASS and an EXIT with error');
  t.same(both.o, { concurrency: 0, pass: 1, block: 0, success: 1, exception: 0 }, 'returned with the entry open: PASS and an EXIT without error');

  const again = await runUnderNode({ component, pin, args: ['ok', 'GET /boom'] });
  t.equal(again.code, 0, again.stderr);
  t.match(again.stderr, /admitted/, 'the concurrency rule (count 1) admits the next run');
  const after = await waitFor('the third run counted', async () => {
    const b = await counts(collector, 'GET /boom');
    return b?.pass === 2 ? b : undefined;
  });
  t.same(after, { concurrency: 0, pass: 2, block: 0, success: 2, exception: 1 });
});
