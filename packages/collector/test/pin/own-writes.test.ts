// The collector's own writes never follow a symbolic link: the checkpoint and address.json go
// through an O_EXCL|O_NOFOLLOW temp file with a random name, a linked or foreign directory is
// refused (E_UNSAFE_PATH), and the metric log does not open a link at its file name (ELOOP).
process.env.TZ = 'UTC';
import t from 'tap';
import { chownSync, existsSync, lstatSync, readdirSync, readFileSync, symlinkSync } from 'node:fs';
import { join } from 'node:path';
import { pino } from 'pino';
import { writeCheckpoint, type Checkpoint } from '../../src/checkpoint/checkpoint.js';
import { runDaemon } from '../../src/daemon/run.js';
import { MetricLogWriter } from '../../src/metriclog/writer.js';
import { ensurePin } from '../../src/pin/pin.js';
import { writeFileSafely } from '../../src/pin/safe-write.js';

const checkpoint = { version: 1, atMs: 1, segments: [], metricLog: null, store: {} } as unknown as Checkpoint;

t.test('a symlink at the old temp name is not followed by the checkpoint write', async (t) => {
  const root = t.testdir({ victim: 'root-only secret\n', collector: {} });
  const victim = join(root, 'victim');
  const dir = join(root, 'collector');
  symlinkSync(victim, join(dir, 'checkpoint.json.tmp'));
  writeCheckpoint(join(dir, 'checkpoint.json'), checkpoint);
  t.equal(readFileSync(victim, 'utf8'), 'root-only secret\n', 'the link target is untouched');
  t.same(JSON.parse(readFileSync(join(dir, 'checkpoint.json'), 'utf8')), checkpoint);
  t.ok(lstatSync(join(dir, 'checkpoint.json.tmp')).isSymbolicLink(), 'the planted link is left as it was');
  t.same(readdirSync(dir).sort(), ['checkpoint.json', 'checkpoint.json.tmp'], 'no temp file left');
  t.equal(lstatSync(join(dir, 'checkpoint.json')).mode & 0o777, 0o600);
});

t.test('a symlink at the target name is replaced, not written through', async (t) => {
  const root = t.testdir({ victim: 'keep\n', collector: {} });
  symlinkSync(join(root, 'victim'), join(root, 'collector', 'address.json'));
  writeFileSafely(join(root, 'collector', 'address.json'), '{"url":"x"}\n');
  t.equal(readFileSync(join(root, 'victim'), 'utf8'), 'keep\n');
  t.notOk(lstatSync(join(root, 'collector', 'address.json')).isSymbolicLink());
  t.equal(readFileSync(join(root, 'collector', 'address.json'), 'utf8'), '{"url":"x"}\n');
});

t.test('a directory that is a symlink, or owned by another user, is refused', async (t) => {
  const root = t.testdir({ elsewhere: {}, foreign: {} });
  symlinkSync(join(root, 'elsewhere'), join(root, 'collector'));
  t.throws(() => writeCheckpoint(join(root, 'collector', 'checkpoint.json'), checkpoint), { code: 'E_UNSAFE_PATH', message: /symbolic link/ });
  t.same(readdirSync(join(root, 'elsewhere')), [], 'nothing written through the link');
  if (process.geteuid!() === 0) {
    chownSync(join(root, 'foreign'), 4321, 4321);
    t.throws(() => writeFileSafely(join(root, 'foreign', 'address.json'), 'x'), { code: 'E_UNSAFE_PATH', message: /owned by uid 4321/ });
    t.same(readdirSync(join(root, 'foreign')), []);
  }
});

t.test('the metric log does not open a link planted at its file name', async (t) => {
  const root = t.testdir({ victim: 'keep\n', metrics: {} });
  const sec = 1795657931;
  symlinkSync(join(root, 'victim'), join(root, 'metrics', 'app-metrics.log.2026-11-26'));
  const w = new MetricLogWriter({ dir: join(root, 'metrics'), app: 'app', utcOffsetMinutes: 0 });
  t.throws(() => {
    w.open(undefined);
    w.writeSecond(sec, [{ timestampMs: sec * 1000, resource: 'r', pass: 1, block: 0, success: 1, exception: 0, rtMs: 1, occupiedPass: 0, concurrency: 0, classification: 0 }], false);
  }, { code: 'ELOOP' });
  t.equal(readFileSync(join(root, 'victim'), 'utf8'), 'keep\n');
});

t.test('the daemon writes address.json without following a planted temp link', async (t) => {
  const root = t.testdir({ victim: 'keep\n' });
  const pin = join(root, 'pin');
  const { paths } = ensurePin(pin, 'app');
  symlinkSync(join(root, 'victim'), join(paths.collectorDir, 'address.json.tmp'));
  symlinkSync(join(root, 'victim'), join(paths.collectorDir, 'checkpoint.json.tmp'));
  const daemon = await runDaemon({ pinDir: pin, port: 0, logger: pino({ level: 'silent' }), checkpointIntervalMs: 10 });
  try {
    t.ok(daemon.url);
    t.equal((JSON.parse(readFileSync(paths.address, 'utf8')) as { url: string }).url, daemon.url);
  } finally {
    await daemon.stop();
  }
  t.ok(existsSync(paths.checkpoint), 'final checkpoint written');
  t.equal(readFileSync(join(root, 'victim'), 'utf8'), 'keep\n');
});
