// State-changing requests the HTTP server refuses leave a trail in the daemon's log: one warn line
// per (code, client address), and within 10 s of it only a count, said with the next line.
import t from 'tap';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { pino } from 'pino';
import { runDaemon } from '../../src/daemon/run.js';

interface LogLine {
  level: number;
  msg: string;
  code?: string;
  command?: string;
  status?: number;
  remoteAddress?: string;
}

t.test('refused /setRules: one warn line per code and address, then a count within 10 s', async (t) => {
  const pin = mkdtempSync(join(tmpdir(), 'sw-refusal-'));
  t.teardown(() => rmSync(pin, { recursive: true, force: true }));
  const lines: LogLine[] = [];
  const logger = pino({ level: 'info' }, new Writable({ write(chunk, _enc, cb) { lines.push(JSON.parse(String(chunk)) as LogLine); cb(); } }));
  let offsetMs = 0;
  const daemon = await runDaemon({ pinDir: pin, logger, host: '127.0.0.1', port: 0, token: '0123456789abcdef', nowMs: () => Date.now() + offsetMs });
  t.teardown(() => daemon.stop());
  const push = (authorization?: string): Promise<number> =>
    fetch(`${daemon.url}/setRules?type=flow&data=%5B%5D`, { headers: authorization === undefined ? {} : { authorization } }).then((r) => r.status);
  t.same([await push('Bearer wrong'), await push('Bearer wrong'), await push('Bearer wrong'), await push()], [403, 403, 403, 401]);
  t.equal(await push('Bearer 0123456789abcdef'), 200, 'the token is taken (and not logged as refused)');
  const refused = (): LogLine[] => lines.filter((l) => l.msg.startsWith('refused'));
  t.same(refused().map((l) => [l.level, l.code, l.command, l.status, l.remoteAddress, l.msg]), [
    [40, 'E_FORBIDDEN', 'setRules', 403, '127.0.0.1', 'refused a /setRules from 127.0.0.1: E_FORBIDDEN'],
    [40, 'E_UNAUTHORIZED', 'setRules', 401, '127.0.0.1', 'refused a /setRules from 127.0.0.1: E_UNAUTHORIZED'],
  ]);
  offsetMs = 11_000;
  t.equal(await push('Bearer wrong'), 403);
  t.same(refused().map((l) => l.msg).at(-1), 'refused a /setRules from 127.0.0.1: E_FORBIDDEN (2 more refused in the 11 s before)');
});
