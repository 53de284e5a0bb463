// The user's path end to end, down to what a person sees: a real collector process, traffic
// replayed through the replay component under the Node host, and the live page at `/` rendered by
// headless Chromium (Debian's `chromium`). Resource names are text, never markup.

import t from 'tap';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { CLI_BIN, exampleComponent, runProcess, tempDir } from '../helpers/repo.js';

const CHROMIUM = process.env.CHROMIUM ?? 'chromium';
const hasChromium = spawnSync(CHROMIUM, ['--version'], { stdio: 'ignore' }).status === 0;

/** Polls until `check` returns a value (bounded: a stuck collector fails the test, it does not hang it). */
async function waitFor<T>(what: string, check: () => Promise<T | undefined> | T | undefined): Promise<T> {
  for (let i = 0; i < 300; i++) {
    const v = await check();
    if (v !== undefined) return v;
    await sleep(50);
  }
  throw new Error(`timed out waiting for ${what}`);
}

function dumpDom(url: string, profileDir: string): string {
  const r = spawnSync(
    CHROMIUM,
    [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      '--no-first-run',
      `--user-data-dir=${profileDir}`,
      '--virtual-time-budget=3000',
      '--dump-dom',
      url,
    ],
    { encoding: 'utf8', timeout: 60_000 },
  );
  if (r.status !== 0) throw new Error(`chromium exited ${r.status}: ${r.stderr}`);
  return r.stdout;
}

/** The rendered table: one array of cell texts per row (HTML entities decoded). */
function tableRows(dom: string): string[][] {
  const body = /<tbody id="rows">([\s\S]*?)<\/tbody>/.exec(dom)?.[1] ?? '';
  const decode = (s: string): string => s.replace(/&lt;/g, '<').replace(/&gt;/g, '>').replace(/&quot;/g, '"').replace(/&amp;/g, '&');
  return [...body.matchAll(/<tr[^>]*>([\s\S]*?)<\/tr>/g)].map((m) => [...m[1]!.matchAll(/<td[^>]*>([\s\S]*?)<\/td>/g)].map((c) => decode(c[1]!)));
}

t.test('the live page shows what the replayed traffic recorded', { skip: hasChromium ? false : `${CHROMIUM} not found (apt-get install chromium)` }, async (t) => {
  const pin = await tempDir(t, 'live');
  const collector: ChildProcess = spawn(process.execPath, [CLI_BIN, 'collector', '--pin', pin, '--port', '0', '--app', 'shop'], { stdio: ['ignore', 'pipe', 'pipe'] });
  let logs = '';
  collector.stdout!.on('data', (d) => (logs += d));
  collector.stderr!.on('data', (d) => (logs += d));
  const exited = new Promise((resolve) => collector.once('exit', resolve));
  t.teardown(async () => {
    collector.kill('SIGTERM');
    await exited; // its final checkpoint lands in the pin before the pin is removed
  });
  const addressFile = join(pin, 'collector', 'address.json');
  const url = await waitFor('the collector address', () =>
    existsSync(addressFile) ? (JSON.parse(readFileSync(addressFile, 'utf8')) as { url: string }).url : undefined,
  );

  const hostile = '<img src=x onerror="document.title=\'pwned\'">';
  const traffic = ['-\tGET /orders\t12\tok', '-\tGET /orders\t30\terror\tmobile', `-\t${hostile}\t7\tok`, '-\t订单/创建\t5\tblock', '-\t订单/创建\t5\tblock', ''].join('\n');
  const replay = await runProcess(process.execPath, [CLI_BIN, 'run', exampleComponent('replay'), '--pin', pin], { stdin: traffic });
  t.equal(replay.code, 0, replay.stderr);

  await waitFor('the records to be counted', async () => {
    const health = (await (await fetch(`${url}/api/v1/health`)).json()) as { counters: { recordsCounted: number } };
    return health.counters.recordsCounted === 5 ? true : undefined;
  });

  const dom = dumpDom(`${url}/`, await tempDir(t, 'chromium'));
  t.match(dom, /<title>sentinel-wasi · shop<\/title>/, 'the title names the app and was not rewritten by the hostile name');
  t.match(dom, /<div id="status" class="">3 resources · updated /);
  t.match(dom, /records counted 5 · rejected 0 · late 0 · frames skipped 0 · writer drops 0/);
  t.notMatch(dom, /<img/, 'the hostile resource name is text, not an element');
  // columns: resource, pass/s, block/s, success/s, exception/s, avg RT, concurrency, 1m pass, 1m block, 1m exception
  const rows = new Map(tableRows(dom).map((cells) => [cells[0]!, cells.slice(6)]));
  t.same(rows.get('GET /orders'), ['0', '2', '0', '1'], 'GET /orders: 2 passed in the minute, 1 of them an exception');
  t.same(rows.get('订单/创建'), ['0', '0', '2', '0'], 'the CJK resource: 2 blocked');
  t.same(rows.get(hostile), ['0', '1', '0', '0'], 'the hostile name is shown as its text');
  t.equal(rows.size, 3);
  t.comment(logs.split('\n').length + ' collector log lines');
});
