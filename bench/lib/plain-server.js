// Owns the machine's floor for an HTTP round trip: a plain node:http server in its own process
// that answers every request with one fixed body (the file named by argv[2]) and the same header
// set as the collector's JSON answers. It prints its URL on stdout once it listens on 127.0.0.1.
// `startPlainServer(body)` spawns it and resolves to { url, stop() }.

import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const SELF = fileURLToPath(import.meta.url);

export async function startPlainServer(body) {
  const dir = mkdtempSync(join(tmpdir(), 'sw-bench-plain-'));
  const file = join(dir, 'body');
  writeFileSync(file, body);
  const child = spawn(process.execPath, [SELF, file], { stdio: ['ignore', 'pipe', 'inherit'] });
  const url = await new Promise((resolve, reject) => {
    let out = '';
    child.stdout.on('data', (d) => {
      out += d;
      if (out.includes('\n')) resolve(out.trim());
    });
    child.once('exit', (code) => reject(new Error(`the plain server exited ${code}`)));
  });
  return {
    url,
    stop() {
      child.kill('SIGTERM');
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

if (process.argv[1] === SELF) {
  const body = readFileSync(process.argv[2], 'utf8');
  const length = String(Buffer.byteLength(body, 'utf8'));
  const server = createServer((req, res) => {
    res.writeHead(200, { 'content-type': 'application/json; charset=utf-8', 'content-length': length, 'cache-control': 'no-store', 'x-content-type-options': 'nosniff' });
    res.end(body);
  });
  server.keepAliveTimeout = 5000;
  server.listen(0, '127.0.0.1', () => process.stdout.write(`http://127.0.0.1:${server.address().port}\n`));
}
