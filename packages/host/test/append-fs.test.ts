// The Node host's filesystem for components: append-via-stream on an O_APPEND descriptor (a write
// always lands at the end of the file, whoever else wrote since), the read-only pin, and what the
// guest gets when a pin file is not a file: error codes, never a Node error, and no open that blocks.

import { execFileSync, spawnSync } from 'node:child_process';
import { appendFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import t, { type Test } from 'tap';
import { io } from '@bytecodealliance/preview2-shim';
import { AppendOutputStream, createAppendFilesystem, MAX_BLOCKING_WRITE_BYTES, wasiErrorCode } from '../src/append-fs.js';

/** Opens paths in a child process (fixtures/open-in-child.ts), so an open that blocks is a timeout. */
const OPEN_IN_CHILD = join(dirname(fileURLToPath(import.meta.url)), 'fixtures', 'open-in-child.ts');
const TSX_ARGS = ['--import=tsx', '--conditions=sentinel-wasi-source'];

const bytes = (text: string): Uint8Array => new TextEncoder().encode(text);
const symbolDispose = (Symbol as unknown as { dispose?: symbol }).dispose ?? Symbol.for('dispose');

/** What fn threw (the filesystem throws its error codes as strings). */
function thrownBy(fn: () => unknown): unknown {
  try {
    fn();
  } catch (err) {
    return err;
  }
  return undefined;
}

function pinWith(t: Test, readOnly = false) {
  const dir = mkdtempSync(join(tmpdir(), 'sw-appendfs-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  mkdirSync(join(dir, 'log'));
  const failures: string[] = [];
  const fs = createAppendFilesystem({ readOnly, onWriteFailure: (code) => failures.push(code) });
  const [[pin, guestPath]] = fs.createPreopens({ '/pin': dir }).getDirectories() as [[any, string]];
  return { dir, fs, pin, guestPath, failures };
}

const create = { create: true };
const write = { write: true };

t.test('each write lands at the end of the file, even after another writer appended', async (t) => {
  const { dir, pin, guestPath, failures } = pinWith(t);
  t.equal(guestPath, '/pin');
  const file = pin.openAt({}, 'log/a.seg', create, write);
  const stream = file.appendViaStream();
  t.ok(stream instanceof (io as any).streams.OutputStream, 'a shim OutputStream, so transpiled components accept it');
  t.ok(stream instanceof AppendOutputStream);
  stream.blockingWriteAndFlush(bytes('AAA'));
  appendFileSync(join(dir, 'log/a.seg'), 'bbbb'); // another process's append
  stream.blockingWriteAndFlush(bytes('CC'));
  stream.write(bytes('D'));
  t.equal(readFileSync(join(dir, 'log/a.seg'), 'utf8'), 'AAAbbbbCCD');
  t.equal(stream.checkWrite(), 1048576n);
  t.equal(thrownBy(() => pin.createDirectoryAt('log')), 'exist');
  t.equal(thrownBy(() => pin.openAt({}, 'rules/r.json', create, write)), 'no-entry');
  t.same(failures, [], "no failures: 'exist', and a subdirectory not created yet, are not");
  stream[symbolDispose]();
  file[symbolDispose]();
});

t.test('a second append stream on the same file also appends (no stale offset)', async (t) => {
  const { dir, pin } = pinWith(t);
  writeFileSync(join(dir, 'log/b.seg'), 'xyz');
  const one = pin.openAt({}, 'log/b.seg', {}, write).appendViaStream();
  const two = pin.openAt({}, 'log/b.seg', {}, write).appendViaStream();
  one.blockingWriteAndFlush(bytes('1'));
  two.blockingWriteAndFlush(bytes('2'));
  one.blockingWriteAndFlush(bytes('3'));
  t.equal(readFileSync(join(dir, 'log/b.seg'), 'utf8'), 'xyz123');
});

t.test('blocking-write-and-flush refuses more than 4096 bytes, as wasmtime does (a trap)', async (t) => {
  const { dir, pin } = pinWith(t);
  const stream = pin.openAt({}, 'log/c.seg', create, write).appendViaStream();
  stream.blockingWriteAndFlush(new Uint8Array(MAX_BLOCKING_WRITE_BYTES));
  t.throws(() => stream.blockingWriteAndFlush(new Uint8Array(MAX_BLOCKING_WRITE_BYTES + 1)), /Buffer too large for blocking-write-and-flush/);
  t.equal(readFileSync(join(dir, 'log/c.seg')).length, 4096);
});

t.test('a dropped stream reports closed', async (t) => {
  const { pin } = pinWith(t);
  const stream = pin.openAt({}, 'log/d.seg', create, write).appendViaStream();
  stream[symbolDispose]();
  t.same(thrownBy(() => stream.blockingWriteAndFlush(bytes('x'))), { tag: 'closed' });
});

t.test('append needs a writable file descriptor, not a directory', async (t) => {
  const { dir, pin } = pinWith(t);
  writeFileSync(join(dir, 'log/e.seg'), '');
  const readOnlyFile = pin.openAt({}, 'log/e.seg', {}, { read: true });
  t.equal(thrownBy(() => readOnlyFile.appendViaStream()), 'bad-descriptor');
  t.equal(thrownBy(() => pin.appendViaStream()), 'is-directory');
});

t.test('a failed write is a stream error carrying the filesystem error code, and is reported', async (t) => {
  const failures: string[] = [];
  const fs = createAppendFilesystem({ onWriteFailure: (code) => failures.push(code) });
  const [[dev]] = fs.createPreopens({ '/dev': '/dev' }).getDirectories() as [[any, string]];
  const stream = dev.openAt({ symlinkFollow: true }, 'full', {}, write).appendViaStream();
  const thrown = thrownBy(() => stream.blockingWriteAndFlush(bytes('x'))) as any;
  t.equal(thrown?.tag, 'last-operation-failed');
  t.equal(fs.types.filesystemErrorCode(thrown.val), 'insufficient-space');
  t.same(failures, ['insufficient-space']);
});

t.test('a missing pin directory: opens fail with no-entry, and are reported', async (t) => {
  const failures: string[] = [];
  const fs = createAppendFilesystem({ onWriteFailure: (code) => failures.push(code) });
  const [[pin]] = fs.createPreopens({ '/pin': join(tmpdir(), 'sw-no-such-pin-dir') }).getDirectories() as [[any, string]];
  t.equal(thrownBy(() => pin.openAt({}, 'log/x.seg', create, write)), 'no-entry');
  t.equal(thrownBy(() => pin.createDirectoryAt('log')), 'no-entry');
  t.equal(thrownBy(() => pin.openAt({}, 'log/x.seg', {}, { read: true })), 'no-entry');
  t.same(failures, ['no-entry', 'no-entry'], 'a failed read is not a failed write');
});

t.test('a read-only pin refuses every create, write and change; reads still work', async (t) => {
  const { dir, pin, failures } = pinWith(t, true);
  writeFileSync(join(dir, 'log/f.seg'), 'data');
  t.equal(thrownBy(() => pin.openAt({}, 'log/new.seg', create, write)), 'not-permitted');
  t.equal(thrownBy(() => pin.openAt({}, 'log/f.seg', {}, write)), 'not-permitted');
  t.equal(thrownBy(() => pin.openAt({}, 'log/f.seg', { truncate: true }, { read: true })), 'not-permitted');
  t.equal(thrownBy(() => pin.createDirectoryAt('rules')), 'not-permitted');
  t.equal(thrownBy(() => pin.unlinkFileAt('log/f.seg')), 'not-permitted');
  t.equal(thrownBy(() => pin.renameAt('log/f.seg', pin, 'log/g.seg')), 'not-permitted');
  const file = pin.openAt({}, 'log/f.seg', {}, { read: true });
  const [data] = file.read(10n, 0n);
  t.equal(new TextDecoder().decode(data), 'data');
  t.equal(readFileSync(join(dir, 'log/f.seg'), 'utf8'), 'data');
  t.same(failures, Array(6).fill('not-permitted'), 'each refused change reported once');
});

t.test('the filter\'s view of a pin: PIN and map read, log/ made and appended to; the token, the rules and every link, rename, removal, truncation or positioned write refused', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'sw-appendfs-view-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  mkdirSync(join(dir, 'collector'));
  mkdirSync(join(dir, 'rules'));
  writeFileSync(join(dir, 'PIN'), 'pin');
  writeFileSync(join(dir, 'map'), 'map-bytes');
  writeFileSync(join(dir, 'collector', 'token'), 'secret-token');
  writeFileSync(join(dir, 'rules', 'flow.json'), '[]');
  const failures: string[] = [];
  const fs = createAppendFilesystem({ filterView: true, onWriteFailure: (code) => failures.push(code) });
  const [[pin]] = fs.createPreopens({ '/pin': dir }).getDirectories() as [[any, string]];
  // What the SDK does: read PIN and map, make log/, create and append to a segment.
  t.equal(new TextDecoder().decode(pin.openAt({}, 'map', {}, { read: true }).read(20n, 0n)[0]), 'map-bytes');
  t.equal(pin.statAt({}, 'PIN').type, 'regular-file');
  pin.createDirectoryAt('log');
  const seg = pin.openAt({}, 'log/1-w.seg', create, write);
  seg.appendViaStream().blockingWriteAndFlush(bytes('frame'));
  t.equal(readFileSync(join(dir, 'log/1-w.seg'), 'utf8'), 'frame');
  // What it must not do.
  const refused: Array<[string, () => unknown, string]> = [
    ['read the token', () => pin.openAt({}, 'collector/token', {}, { read: true }), 'access'],
    ['read it by a path through log/', () => pin.openAt({}, 'log/../collector/token', {}, { read: true }), 'access'],
    ['stat it', () => pin.statAt({}, 'collector/token'), 'access'],
    ['read the rules', () => pin.openAt({}, 'rules/flow.json', {}, { read: true }), 'access'],
    ['write the rules', () => pin.openAt({}, 'rules/flow.json', { create: true, truncate: true }, write), 'not-permitted'],
    ['write the map', () => pin.openAt({}, 'map', {}, write), 'not-permitted'],
    ['create a file outside log/', () => pin.openAt({}, 'other', create, write), 'not-permitted'],
    ['truncate a segment', () => pin.openAt({}, 'log/1-w.seg', { truncate: true }, write), 'not-permitted'],
    ['write a segment at a position', () => seg.write(bytes('XX'), 0n), 'not-permitted'],
    ['cut a segment short', () => seg.setSize(1n), 'not-permitted'],
    ['plant a link', () => pin.symlinkAt('../collector/token', 'log/link.seg'), 'not-permitted'],
    ['hard-link', () => pin.linkAt({}, 'log/1-w.seg', pin, 'log/2-w.seg'), 'not-permitted'],
    ['rename', () => pin.renameAt('log/1-w.seg', pin, 'log/3-w.seg'), 'not-permitted'],
    ['remove a segment', () => pin.unlinkFileAt('log/1-w.seg'), 'not-permitted'],
    ['remove the checkpoint', () => pin.unlinkFileAt('collector/token'), 'not-permitted'],
    ['make another directory', () => pin.createDirectoryAt('rules2'), 'not-permitted'],
  ];
  for (const [what, fn, code] of refused) t.equal(thrownBy(fn), code, what);
  t.equal(readFileSync(join(dir, 'log/1-w.seg'), 'utf8'), 'frame', 'the segment is as written');
  t.equal(readFileSync(join(dir, 'rules', 'flow.json'), 'utf8'), '[]', 'the rules are as they were');
  t.equal(readFileSync(join(dir, 'collector', 'token'), 'utf8'), 'secret-token');
  t.same(failures, Array(refused.filter(([, , c]) => c === 'not-permitted').length).fill('not-permitted'), 'each refused change reported');
});

t.test('a file opened for reading: positioned reads of the file opened, on the host thread; the end; a directory', async (t) => {
  const { dir, pin } = pinWith(t);
  writeFileSync(join(dir, 'map'), Uint8Array.from({ length: 300 }, (_, i) => i & 0xff));
  const file = pin.openAt({}, 'map', {}, { read: true });
  const at = (length: number, offset: number): [number[], boolean] => {
    const [b, eof] = file.read(BigInt(length), BigInt(offset)) as [Uint8Array, boolean];
    return [[...b], eof];
  };
  t.same(at(4, 10), [[10, 11, 12, 13], false]);
  t.same(at(3, 298), [[42, 43], false], 'short at the end of the file');
  t.same(at(8, 300), [[], true], 'nothing left: the end');
  t.same(at(8, 1000), [[], true]);
  // A positioned write into the file (as the collector rewrites a slot) is seen by the next read.
  writeFileSync(join(dir, 'map'), Uint8Array.of(0xaa, 0xbb), { flag: 'r+' });
  t.same(at(3, 0), [[0xaa, 0xbb, 2], false]);
  // The file replaced under its name (the map recreated): the open descriptor still reads the old one, as wasmtime's does.
  writeFileSync(join(dir, 'map.new'), Uint8Array.of(7, 7, 7));
  const { renameSync } = await import('node:fs');
  renameSync(join(dir, 'map.new'), join(dir, 'map'));
  t.same(at(3, 0), [[0xaa, 0xbb, 2], false], 'the file opened, not the name');
  const reopened = pin.openAt({}, 'map', {}, { read: true });
  t.same([...(reopened.read(8n, 0n) as [Uint8Array])[0]], [7, 7, 7]);
  file[symbolDispose]();
  reopened[symbolDispose]();
  // A directory opened for reading: its read is refused with an error code (the next test).
  const logDir = pin.openAt({}, 'log', {}, { read: true });
  t.equal(thrownBy(() => logDir.read(4n, 0n)), 'bad-descriptor', 'reading a directory fails');
});

t.test('a directory where a file is read (map/ made by hand): the open succeeds, a read is bad-descriptor as wasmtime answers, never a Node error', async (t) => {
  const { dir, pin, failures } = pinWith(t);
  mkdirSync(join(dir, 'map'));
  const map = pin.openAt({}, 'map', {}, { read: true });
  t.equal(map.getType(), 'directory');
  t.equal(thrownBy(() => map.read(64n, 0n)), 'bad-descriptor', 'the first read (the header)');
  t.equal(thrownBy(() => map.read(4096n, 64n)), 'bad-descriptor', 'and any other');
  t.equal(map.stat().type, 'directory');
  // A read stream of it fails its first read as a stream error the guest can catch (not a trap).
  const stream = map.readViaStream(0n);
  const streamFailure = thrownBy(() => stream.blockingRead(16n)) as any;
  t.equal(streamFailure?.tag, 'last-operation-failed');
  t.equal(createAppendFilesystem().types.filesystemErrorCode(streamFailure.val), 'is-directory');
  stream[symbolDispose]();
  t.equal(thrownBy(() => pin.read(4n, 0n)), 'bad-descriptor', 'the preopen itself');
  map[symbolDispose]();
  t.same(failures, [], 'a failed read is not a failed write');
});

t.test('what the shim throws as a Node error reaches the guest as an error code', async (t) => {
  const { dir, pin, failures } = pinWith(t);
  writeFileSync(join(dir, 'log/h.seg'), 'data');
  const file = pin.openAt({}, 'log/h.seg', {}, { read: true, write: true });
  file[symbolDispose](); // the shim's file resource is gone: its worker answers Node's EBADF
  t.equal(thrownBy(() => file.read(4n, 0n)), 'bad-descriptor');
  t.equal(thrownBy(() => file.getType()), 'bad-descriptor');
  t.equal(thrownBy(() => file.stat()), 'bad-descriptor');
  t.equal(thrownBy(() => file.metadataHash()), 'bad-descriptor');
  t.equal(thrownBy(() => file.write(bytes('x'), 0n)), 'bad-descriptor');
  t.equal(thrownBy(() => file.setSize(0n)), 'bad-descriptor');
  t.same(failures, ['bad-descriptor', 'bad-descriptor'], 'failed writes are reported by their code');
  t.doesNotThrow(() => file[symbolDispose](), 'a second drop is quiet');
});

t.test('filesystem-error-code: the cause by the same mapping; an unknown one is io, no cause is none', async (t) => {
  const { types } = createAppendFilesystem();
  const ioError = (payload: unknown) => new (io as any).error.Error(payload);
  t.equal(types.filesystemErrorCode(ioError(Object.assign(new Error('x'), { code: 'ENOSPC' }))), 'insufficient-space');
  t.equal(types.filesystemErrorCode(ioError(Object.assign(new Error('x'), { code: 'EMFILE' }))), 'insufficient-memory', 'the shim throws this one');
  t.equal(types.filesystemErrorCode(ioError(Object.assign(new Error('x'), { code: 'E_SOMETHING_ELSE' }))), 'io');
  t.equal(types.filesystemErrorCode(ioError(undefined)), undefined);
  t.equal(wasiErrorCode('no-entry'), 'no-entry', 'a code is kept');
  t.equal(wasiErrorCode(new TypeError('no code')), 'io');
});

t.test('a read-only open of a device is refused (unsupported) before it is opened; a write open of one still works', async (t) => {
  const fs = createAppendFilesystem();
  const [[dev]] = fs.createPreopens({ '/dev': '/dev' }).getDirectories() as [[any, string]];
  t.equal(thrownBy(() => dev.openAt({ symlinkFollow: true }, 'null', {}, { read: true })), 'unsupported');
  t.equal(thrownBy(() => dev.openAt({ symlinkFollow: true }, 'zero', {}, {})), 'unsupported', 'no flags is a read-only open too');
  t.equal(dev.openAt({ symlinkFollow: true }, 'null', {}, write).getType(), 'character-device');
});

t.test('a FIFO (or a socket) where a file is read: refused with unsupported before anything opens it, no hang', async (t) => {
  const { dir } = pinWith(t);
  execFileSync('mkfifo', [join(dir, 'map')]);
  symlinkSync('map', join(dir, 'map-link'));
  const socketServer = createServer();
  await new Promise<void>((resolve) => socketServer.listen(join(dir, 'sock'), resolve));
  t.teardown(() => socketServer.close());
  const opens = [
    { path: 'map' },
    { path: 'map', follow: true },
    { path: 'map-link', follow: true },
    { path: 'map-link' },
    { path: 'sock' },
    { path: 'map', write: true },
  ];
  const started = Date.now();
  // SIGKILL: a child blocked in an open never runs the SIGTERM handler tsx installs.
  const child = spawnSync(process.execPath, [...TSX_ARGS, OPEN_IN_CHILD, dir, JSON.stringify(opens)], { encoding: 'utf8', timeout: 20_000, killSignal: 'SIGKILL' });
  t.equal(child.signal, null, `the child was not killed by the 20 s timeout (an open blocked): ${child.stderr}`);
  t.equal(child.status, 0, child.stderr);
  t.ok(Date.now() - started < 20_000);
  t.same(child.status === 0 ? JSON.parse(child.stdout) : child.stdout, {
    opens: [
      'unsupported', // lstat: a FIFO
      'unsupported', // stat: a FIFO
      'unsupported', // a symlink followed to a FIFO
      'loop', // a symlink not followed: the open itself refuses it (O_NOFOLLOW)
      'unsupported', // a socket
      'unsupported', // a write open of a FIFO blocks too, until a reader comes
    ],
    failures: ['unsupported'],
  });
});
