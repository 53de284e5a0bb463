// Owns the gateway's command face, for hosts that cannot drive incoming-handler (the wasmtime
// engine's embeddings): one request per stdin line, `METHOD /path?query`, the same handleRequest
// decision, and one `<status> <resource>` line per request on stdout.
//
//   wasmtime run --dir <pin>::/pin http-gateway-cli.wasm < requests.txt

import { command, createSentinel } from '@sentinel-wasi/filter';
import { utf8Decode, utf8Encode } from '@sentinel-wasi/protocol/encode';
import { getStdin } from 'wasi:cli/stdin@0.2.12';
import { getStdout } from 'wasi:cli/stdout@0.2.12';
import { getStderr } from 'wasi:cli/stderr@0.2.12';
import { handleRequest } from './gateway.js';

/** A u64 parameter: a JS number, which both engines accept (QuickJS accepts nothing else). */
const READ_BYTES = 65536;

function write(stream: { blockingWriteAndFlush(b: Uint8Array): void }, text: string): void {
  const bytes = utf8Encode(text);
  for (let p = 0; p < bytes.length; p += 4096) stream.blockingWriteAndFlush(bytes.subarray(p, Math.min(p + 4096, bytes.length)));
}

function readAll(): Uint8Array {
  const stdin = getStdin();
  const chunks: Uint8Array[] = [];
  let total = 0;
  for (;;) {
    try {
      const c = stdin.blockingRead(READ_BYTES);
      chunks.push(c);
      total += c.length;
    } catch {
      break;
    }
  }
  const all = new Uint8Array(total);
  let p = 0;
  for (const c of chunks) {
    all.set(c, p);
    p += c.length;
  }
  return all;
}

export const run = command(() => {
  const sentinel = createSentinel();
  const stdout = getStdout();
  let out = '';
  let lineNo = 0;
  for (const raw of utf8Decode(readAll()).split('\n')) {
    lineNo++;
    const line = raw.trim();
    if (line === '' || line.startsWith('#')) continue;
    const parts = line.split(/\s+/);
    if (parts.length !== 2 || !parts[1]!.startsWith('/')) {
      write(getStderr(), `http-gateway: line ${lineNo}: expected "METHOD /path[?query]"\n`);
      continue;
    }
    const r = handleRequest(sentinel, parts[0]!.toUpperCase(), parts[1]!);
    out += `${r.status} ${r.resource}\n`;
    if (out.length > 2048) {
      write(stdout, out);
      out = '';
    }
  }
  write(stdout, out);
});
