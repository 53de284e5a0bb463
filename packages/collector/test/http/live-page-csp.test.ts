// The live page's Content-Security-Policy: `default-src 'self'`, and for inline code only the page's
// own <script> and <style>, by their sha256 (no 'unsafe-inline'). The header is checked against the
// served page; then headless Chromium (Debian's `chromium`; `--headless=old` prints console
// messages, CSP violations among them) renders the page under that header without one violation,
// its table and its four uPlot charts drawn, while a page with other inline code under the same
// header is refused (so that the check sees violations when there are some).
import t from 'tap';
import { spawn, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startHttpServer } from '../../src/http/server.js';
import { LIVE_PAGE_CSP } from '../../src/http/live-page.js';
import { FixedStatsQuery, node } from './fixed-query.js';

const CHROMIUM = process.env.CHROMIUM ?? 'chromium';
const hasChromium = spawnSync(CHROMIUM, ['--version'], { stdio: 'ignore' }).status === 0;

const dir = mkdtempSync(join(tmpdir(), 'sw-csp-'));
t.teardown(() => rmSync(dir, { recursive: true, force: true }));
const query = Object.assign(new FixedStatsQuery([node('GET /orders', '', { passQps: 3 }, { pass: 100 }), node('<b>bold</b>', '', { passQps: 1 }, { pass: 3 })]), {
  sealedThroughSecAt: (nowMs: number) => Math.floor(nowMs / 1000) - 1,
});
const server = await startHttpServer({ query, app: 'shop', metricDir: dir, host: '127.0.0.1', port: 0, nowMs: () => Date.now() });
t.teardown(() => server.close());

const sha256 = (text: string): string => `'sha256-${createHash('sha256').update(text, 'utf8').digest('base64')}'`;

t.test("the header: default-src 'self', the page's one inline script and one inline style by their sha256, no 'unsafe-inline'", async (t) => {
  const res = await fetch(`${server.url}/`);
  const html = await res.text();
  const scripts = [...html.matchAll(/<script>([\s\S]*?)<\/script>/g)].map((m) => m[1]!);
  const styles = [...html.matchAll(/<style>([\s\S]*?)<\/style>/g)].map((m) => m[1]!);
  t.same([scripts.length, styles.length, (html.match(/<script/g) ?? []).length, (html.match(/<style/g) ?? []).length], [1, 1, 2, 1], 'one inline script (and uPlot by src), one inline style');
  t.notMatch(html, /\sstyle="|\son[a-z]+=/, 'no style or event-handler attributes');
  const csp = `default-src 'self'; script-src 'self' ${sha256(scripts[0]!)}; style-src 'self' ${sha256(styles[0]!)}; img-src 'self' data:; base-uri 'none'; form-action 'none'; frame-ancestors 'none'`;
  t.equal(res.headers.get('content-security-policy'), csp);
  t.equal(LIVE_PAGE_CSP, csp);
  t.notMatch(csp, /unsafe-inline|unsafe-eval/);
});

/**
 * Chromium's console lines about the Content Security Policy while loading url, and the DOM it
 * rendered. Run asynchronously: the server under test answers from this process.
 */
async function render(url: string): Promise<{ violations: string[]; dom: string }> {
  const profile = mkdtempSync(join(tmpdir(), 'sw-csp-chromium-'));
  try {
    const child = spawn(
      CHROMIUM,
      ['--headless=old', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run', `--user-data-dir=${profile}`, '--enable-logging=stderr', '--v=0', '--virtual-time-budget=5000', '--dump-dom', url],
      { stdio: ['ignore', 'pipe', 'pipe'], timeout: 60_000 },
    );
    let out = '';
    let err = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => (out += d));
    child.stderr.setEncoding('utf8').on('data', (d: string) => (err += d));
    const code = await new Promise<number | null>((resolve) => child.once('close', resolve));
    if (code !== 0) throw new Error(`chromium exited ${code}: ${err}`);
    return { violations: err.split('\n').filter((l) => /CONSOLE/.test(l) && /Content Security Policy/.test(l)), dom: out };
  } finally {
    rmSync(profile, { recursive: true, force: true });
  }
}

t.test('headless Chromium: the live page runs under its CSP without a violation; other inline code under it is refused', { skip: hasChromium ? false : `${CHROMIUM} not found (apt-get install chromium)` }, async (t) => {
  // The control: the same header on a page whose inline script and style are not the live page's.
  const control = createServer((_req, res) => {
    res.writeHead(200, { 'content-type': 'text/html; charset=utf-8', 'content-security-policy': LIVE_PAGE_CSP });
    res.end('<!doctype html><html><head><style>body { color: red }</style></head><body><div id="x">static</div><script>document.getElementById("x").textContent = "ran";</script></body></html>');
  });
  await new Promise<void>((resolve) => control.listen(0, '127.0.0.1', resolve));
  t.teardown(() => new Promise((resolve) => control.close(resolve)));
  const refused = await render(`http://127.0.0.1:${(control.address() as AddressInfo).port}/`);
  t.equal(refused.violations.length, 2, 'two violations');
  t.match(refused.violations.join('\n'), /Applying inline style violates[\s\S]*Executing inline script violates/, 'the other inline style and script are refused');
  t.match(refused.dom, /<div id="x">static<\/div>/, 'the other script did not run');

  const page = await render(`${server.url}/`);
  t.same(page.violations, [], 'no CSP violation on the live page');
  t.match(page.dom, /<div id="status" class="">2 resources · updated /, 'the inline script ran');
  t.match(page.dom, /<td>&lt;b&gt;bold&lt;\/b&gt;<\/td>/, 'the table was drawn, names as text');
  t.equal((page.dom.match(/<canvas /g) ?? []).length, 4, 'uPlot drew the four charts');
});
