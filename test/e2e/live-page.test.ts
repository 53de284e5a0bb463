// The user's path end to end, down to what a person sees: a real collector process, traffic
// replayed through the replay component under the Node host, and the live page at `/` rendered by
// headless Chromium (Debian's `chromium`): its table, and its uPlot charts (uPlot served by the
// collector, nothing fetched from elsewhere), whose plotted per-second data must be the replayed
// counts. Resource names are text, never markup. A screenshot is kept in test/artifacts/.

import t from 'tap';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { CLI_BIN, exampleComponent, REPO_ROOT, runProcess, tempDir } from '../helpers/repo.js';

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

const ARTIFACTS = join(REPO_ROOT, 'test', 'artifacts');

/** Runs headless Chromium on url with extra flags (--dump-dom, --screenshot=…); its stdout. */
function chromium(url: string, profileDir: string, ...flags: string[]): string {
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
      '--virtual-time-budget=5000',
      ...flags,
      url,
    ],
    { encoding: 'utf8', timeout: 60_000 },
  );
  if (r.status !== 0) throw new Error(`chromium exited ${r.status}: ${r.stderr}`);
  return r.stdout;
}

function dumpDom(url: string, profileDir: string): string {
  return chromium(url, profileDir, '--dump-dom');
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
  // Shown as 'GET /orders' if the page let its right-to-left override act.
  const spoof = 'GET /\u202esredro';
  const shown = (name: string): string => name.replace(/\u202e/g, '\\u202e');
  // Three seconds a little ahead, so that usually nothing is late (starting the replay takes a few
  // seconds on a busy machine; a late record would still land in its own second).
  const s0 = Math.floor(Date.now() / 1000) + 6;
  const at = (k: number, ms: number): string => String((s0 + k) * 1000 + ms);
  const traffic = [
    `${at(0, 100)}\tGET /orders\t12\tok`,
    `${at(0, 200)}\tGET /orders\t30\terror\tmobile`,
    `${at(0, 300)}\t${hostile}\t7\tok`,
    `${at(1, 100)}\tGET /orders\t10\tok`,
    `${at(1, 200)}\t订单/创建\t5\tblock`,
    `${at(1, 300)}\t订单/创建\t5\tblock`,
    `${at(1, 400)}\t${spoof}\t3\tok`,
    `${at(2, 100)}\tGET /orders\t8\tok`,
    `${at(2, 200)}\tGET /orders\t8\tok`,
    `${at(2, 300)}\tGET /orders\t9\terror`,
    `${at(2, 400)}\t订单/创建\t5\tblock`,
    '',
  ].join('\n');
  // per resource: [pass, block, exception] in seconds s0, s0 + 1, s0 + 2
  const fed: Record<string, Array<[number, number, number]>> = {
    'GET /orders': [[2, 0, 1], [1, 0, 0], [3, 0, 1]],
    [hostile]: [[1, 0, 0], [0, 0, 0], [0, 0, 0]],
    '订单/创建': [[0, 0, 0], [0, 2, 0], [0, 1, 0]],
    [spoof]: [[0, 0, 0], [1, 0, 0], [0, 0, 0]],
  };
  const replayStartMs = Date.now();
  const replay = await runProcess(process.execPath, [CLI_BIN, 'run', exampleComponent('replay'), '--pin', pin], { stdin: traffic });
  t.equal(replay.code, 0, replay.stderr);
  t.comment(`replay ran ${Date.now() - replayStartMs} ms`);

  await waitFor('the records to be counted', async () => {
    const health = (await (await fetch(`${url}/api/v1/health`)).json()) as { counters: { recordsCounted: number } };
    return health.counters.recordsCounted === 11 ? true : undefined;
  });
  await waitFor('the three seconds to be sealed', async () => {
    const series = (await (await fetch(`${url}/api/v1/series?seconds=5`)).json()) as { endSec: number };
    return series.endSec >= s0 + 2 ? true : undefined;
  });
  // the live window still holds the minute's figures
  const dom = dumpDom(`${url}/`, await tempDir(t, 'chromium'));
  t.match(dom, /<title>sentinel-wasi · shop<\/title>/, 'the title names the app and was not rewritten by the hostile name');
  t.match(dom, /<div id="status" class="">4 resources · updated /);
  t.match(dom, /records counted 11 · rejected 0 · late \d+ · frames skipped 0 · writer drops 0/);
  t.notMatch(dom, /<img/, 'the hostile resource name is text, not an element');
  // columns: resource, pass/s, block/s, success/s, exception/s, avg RT, concurrency, 1m pass, 1m block, 1m exception
  const rows = new Map(tableRows(dom).map((cells) => [cells[0]!, cells.slice(6)]));
  t.same(rows.get('GET /orders'), ['0', '6', '0', '2'], 'GET /orders: 6 passed in the minute, 2 of them exceptions');
  t.same(rows.get('订单/创建'), ['0', '0', '3', '0'], 'the CJK resource: 3 blocked');
  t.same(rows.get(hostile), ['0', '1', '0', '0'], 'the hostile name is shown as its text');
  t.same(rows.get('GET /\\u202esredro'), ['0', '1', '0', '0'], 'a right-to-left override is shown as its escape');
t.notMatch(dom, /\u202e/, 'no bidi override reaches the page');
  t.equal(rows.size, 4);

  // The charts: uPlot drew a canvas per chart, its legend names the fed resources, and what it
  // plotted (uPlot's own data, kept in data-plotted) is the replayed counts, second by second.
  t.match(dom, /<div id="charts-status">last 300 s to /);
  const charts = new Map<string, { series: string[]; data: Array<Array<number | null>> }>();
  for (const m of dom.matchAll(/<figure class="chart" id="chart-(\w+)"[^>]*?data-plotted="([^"]*)"[^>]*>([\s\S]*?)<\/figure>/g)) {
    const decode = (s: string): string => s.replace(/&quot;/g, '"').replace(/&lt;/g, '<').replace(/&gt;/g, '>').replace(/&amp;/g, '&');
    t.match(m[3]!, /<canvas /, `chart ${m[1]} has a canvas`);
    t.match(m[3]!, /class="u-legend/, `chart ${m[1]} has a legend`);
    charts.set(m[1]!, JSON.parse(decode(m[2]!)));
    // uPlot's legend (not live: without the x series): one entry per resource.
    const legend = [...m[3]!.matchAll(/<div class="u-label">([\s\S]*?)<\/div>/g)].map((l) => decode(l[1]!));
    t.same(legend.slice().sort(), Object.keys(fed).map(shown).sort(), `chart ${m[1]}: the legend names the fed resources (as text, the override escaped)`);
  }
  t.same([...charts.keys()], ['pass', 'block', 'exception', 'rt']);
  for (const [chart, field] of [['pass', 0], ['block', 1], ['exception', 2]] as const) {
    const c = charts.get(chart)!;
    const xs = c.data[0]!;
    t.equal(xs.length, 300, `${chart}: 300 seconds`);
    for (const [resource, perSecond] of Object.entries(fed)) {
      const ys = c.data[1 + c.series.indexOf(shown(resource))]!;
      const plotted = perSecond.map((_, k) => ys[xs.indexOf(s0 + k)]);
      t.same(plotted, perSecond.map((v) => v[field]), `${chart} of ${JSON.stringify(resource)} in the fed seconds`);
      const elsewhere = ys.reduce<number>((sum, v, i) => sum + (xs[i]! >= s0 && xs[i]! <= s0 + 2 ? 0 : (v ?? 0)), 0);
      t.equal(elsewhere, 0, `${chart} of ${JSON.stringify(resource)} is 0 outside them`);
    }
  }
  const rt = charts.get('rt')!;
  const ordersRt = rt.data[1 + rt.series.indexOf('GET /orders')]!;
  t.same([0, 1, 2].map((k) => ordersRt[rt.data[0]!.indexOf(s0 + k)]), [21, 10, 8], 'avg RT of GET /orders per second, integer as the metric log holds it: (12+30)/2, 10, floor((8+8+9)/3)');

  mkdirSync(ARTIFACTS, { recursive: true });
  const shot = join(ARTIFACTS, 'live-page.png');
  chromium(`${url}/`, await tempDir(t, 'chromium-shot'), `--screenshot=${shot}`, '--window-size=1500,1000', '--hide-scrollbars');
  t.ok(existsSync(shot) && statSync(shot).size > 10_000, `a screenshot kept in ${shot}`);
  t.comment(logs.split('\n').length + ' collector log lines');
});
