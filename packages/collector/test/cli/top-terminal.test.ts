// `sentinel-wasi top` in a real terminal (a tmux pane of 80×24): long and CJK names are cut by
// display width with an ellipsis so no row wraps, control characters show escaped, `s` switches
// the sort key, q and Ctrl-C quit with exit 0 and give the terminal back (canonical mode and echo
// on, the alternate screen left). Skipped, with the reason, where tmux is not installed.
process.env.TZ = 'UTC';
import t from 'tap';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { startHttpServer } from '../../src/http/server.js';
import { displayWidth } from '../../src/client/table.js';
import { FixedStatsQuery, node } from '../http/fixed-query.js';

const T = 1764120000000;
const CLI = fileURLToPath(new URL('../../../cli/bin/sentinel-wasi.js', import.meta.url));
const COLUMNS = 80;
const LONG = '/long/' + 'x'.repeat(1018); // 1 024 bytes
const CJK = '订单'.repeat(60); // 120 characters, 240 columns
const EVIL = 'evil\x1b[31mred\x07';

const tmuxMissing = spawnSync('tmux', ['-V'], { stdio: 'ignore' }).status !== 0;
const SKIP = tmuxMissing ? 'tmux is not installed (apt-get install tmux): the pseudo-terminal test needs it' : false;

function tmux(socket: string, ...args: string[]): string {
  const r = spawnSync('tmux', ['-L', socket, ...args], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`tmux ${args.join(' ')} failed: ${r.stderr}`);
  return r.stdout;
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** The pane's text once `until` holds (polled; generous limit for a loaded machine). */
async function paneWhen(socket: string, until: (text: string) => boolean, what: string): Promise<string> {
  const deadline = Date.now() + 90_000;
  let text = '';
  while (Date.now() < deadline) {
    text = tmux(socket, 'capture-pane', '-p', '-t', 'top');
    if (until(text)) return text;
    await sleep(200);
  }
  throw new Error(`the pane never showed ${what}; last capture:\n${text}`);
}

function firstRow(text: string): string {
  const lines = text.split('\n');
  const header = lines.findIndex((l) => l.startsWith('resource '));
  return lines[header + 1] ?? '';
}

async function startTop(t: { teardown(fn: () => void): void }, url: string): Promise<string> {
  const socket = `sw-top-${process.pid}-${Math.floor(Math.random() * 1e9)}`;
  const script = [
    `${JSON.stringify(process.execPath)} ${JSON.stringify(CLI)} top --url ${url} --interval 300`,
    'echo "TOP-EXITED $?"',
    'stty -a | tr " ;" "\\n\\n" | grep -E -x -- "-?(icanon|echo)" | tr "\\n" " "',
    'echo',
    'sleep 120',
  ].join('; ');
  tmux(socket, 'new-session', '-d', '-x', String(COLUMNS), '-y', '24', '-s', 'top', 'sh', '-c', script);
  t.teardown(() => {
    spawnSync('tmux', ['-L', socket, 'kill-server'], { stdio: 'ignore' });
    // kill-server leaves the socket file behind
    rmSync(join(process.env.TMUX_TMPDIR ?? '/tmp', `tmux-${process.getuid?.() ?? 0}`, socket), { force: true });
  });
  return socket;
}

t.test('top in an 80×24 terminal', { skip: SKIP }, async (t) => {
  const query = new FixedStatsQuery([
    node('hot', '', { passQps: 40, successQps: 40, avgRtMs: 1 }, { pass: 2400, success: 2400 }),
    node('blocked', '', { passQps: 1, blockQps: 100, avgRtMs: 2 }, { pass: 60, block: 6000 }),
    node(LONG, '', { passQps: 5, avgRtMs: 3 }, { pass: 300 }),
    node(CJK, '', { passQps: 4, avgRtMs: 30 }, { pass: 240 }),
    node(EVIL, '', { passQps: 3 }, { pass: 180 }),
  ]);
  const server = await startHttpServer({ query, app: 'demo.app', metricDir: mkdtempSync(join(tmpdir(), 'sw-top-')), host: '127.0.0.1', port: 0, nowMs: () => T });
  t.teardown(() => server.close());

  const socket = await startTop(t, server.url);
  const first = await paneWhen(socket, (s) => s.includes('sorted by busy'), 'the first frame');
  const lines = first.split('\n').filter((l) => l !== '');
  t.ok(lines.every((l) => displayWidth(l) <= COLUMNS), 'no line is wider than the terminal');
  const longRows = lines.filter((l) => l.includes('xxxx'));
  t.equal(longRows.length, 1, 'the 1 024-byte name takes one row');
  t.match(longRows[0], /^\/long\/x+…x+ +5 /, 'cut in the middle with an ellipsis, its figures still on the row');
  const cjkRow = lines.find((l) => l.startsWith('订单'));
  t.match(cjkRow, /^[订单]+…[订单]+ +4 /, 'the CJK name cut by display width');
  t.ok(cjkRow !== undefined && displayWidth(cjkRow) <= COLUMNS);
  t.match(first, 'evil\\x1b[31mred\\x07', 'control characters shown escaped');
  t.match(firstRow(first), /^blocked /, 'default order: pass + block');

  tmux(socket, 'send-keys', '-t', 'top', 's');
  const byPass = await paneWhen(socket, (s) => s.includes('sorted by pass'), 'the pass order after s');
  t.match(firstRow(byPass), /^hot /, 's switches to pass/s');
  tmux(socket, 'send-keys', '-t', 'top', 's');
  const byBlock = await paneWhen(socket, (s) => s.includes('sorted by block'), 'the block order after s s');
  t.match(firstRow(byBlock), /^blocked /);

  tmux(socket, 'send-keys', '-t', 'top', 'q');
  const after = await paneWhen(socket, (s) => /TOP-EXITED \d+/.test(s) && /icanon/.test(s), 'the exit after q');
  t.match(after, 'TOP-EXITED 0', 'q quits with exit 0');
  t.notMatch(after, 'sorted by', 'the alternate screen is gone');
  t.match(after, /(^|\s)icanon(\s|$)/m, 'canonical mode restored');
  t.match(after, /(^|\s)echo(\s|$)/m, 'echo restored');

  const socket2 = await startTop(t, server.url);
  await paneWhen(socket2, (s) => s.includes('sorted by busy'), 'the first frame');
  tmux(socket2, 'send-keys', '-t', 'top', 'C-c');
  const afterCtrlC = await paneWhen(socket2, (s) => /TOP-EXITED \d+/.test(s) && /icanon/.test(s), 'the exit after Ctrl-C');
  t.match(afterCtrlC, 'TOP-EXITED 0', 'Ctrl-C quits with exit 0');
  t.match(afterCtrlC, /(^|\s)icanon(\s|$)/m);
});
