// The instance pool on its own, with plain objects for instances and refills run by hand: the
// warmest idle instance first, reuse counts, retirement, traps, refills one at a time, and an
// extra instance when every one is busy.

import t from 'tap';
import { InstancePool } from '../src/instance-pool.js';

interface Fake {
  id: number;
}

function pool(size: number, maxUsesPerInstance: number, failAfter = Infinity) {
  let made = 0;
  const pending: Array<() => void> = [];
  const p = new InstancePool<Fake>({
    size,
    maxUsesPerInstance,
    create: () => {
      if (made >= failAfter) throw new Error('cannot instantiate');
      return { id: ++made };
    },
    later: (fn) => {
      pending.push(fn);
      return { cancel: () => pending.splice(pending.indexOf(fn), 1) };
    },
  });
  const runRefills = (): number => {
    let n = 0;
    while (pending.length > 0) {
      pending.shift()!();
      n++;
    }
    return n;
  };
  return { p, runRefills, pending };
}

t.test('fill makes size instances; requests in turn get the same warm instance, its uses counting up', async (t) => {
  const { p } = pool(3, Infinity);
  p.fill();
  t.same([p.idleCount, p.busyCount, p.counters.created], [3, 0, 3]);
  const seen = [];
  for (let i = 0; i < 5; i++) {
    const lease = p.acquire();
    seen.push(`${lease.instance.id}:${lease.uses}`);
    p.release(lease, { trapped: false });
  }
  t.same(seen, ['3:1', '3:2', '3:3', '3:4', '3:5']);
  t.same(p.counters, { created: 3, retired: 0, discarded: 0 });
});

t.test('concurrent leases never share an instance; with every one busy an extra one is made and let go after', async (t) => {
  const { p, runRefills } = pool(2, Infinity);
  p.fill();
  const a = p.acquire();
  const b = p.acquire();
  const c = p.acquire();
  t.same(new Set([a.instance.id, b.instance.id, c.instance.id]).size, 3);
  t.equal(p.busyCount, 3);
  p.release(a, { trapped: false });
  p.release(b, { trapped: false });
  p.release(c, { trapped: false }); // the pool is full without it
  t.same([p.idleCount, p.busyCount], [2, 0]);
  t.equal(runRefills(), 0, 'nothing to refill');
  t.same(p.counters, { created: 3, retired: 0, discarded: 0 });
});

t.test('maxUsesPerInstance retires an instance; a refill takes its place (behind the warm ones)', async (t) => {
  const { p, runRefills } = pool(2, 2);
  p.fill();
  const uses = [];
  for (let i = 0; i < 4; i++) {
    const lease = p.acquire();
    uses.push(`${lease.instance.id}:${lease.uses}`);
    p.release(lease, { trapped: false });
    runRefills();
  }
  t.same(uses, ['2:1', '2:2', '1:1', '1:2'], 'the other ready one next, the new one behind it');
  t.same(p.counters, { created: 4, retired: 2, discarded: 0 });
  t.same([p.idleCount, p.busyCount], [2, 0]);
});

t.test('a trapped instance is dropped, never lent again, and replaced by one refill', async (t) => {
  const { p, runRefills, pending } = pool(2, Infinity);
  p.fill();
  const lease = p.acquire();
  p.release(lease, { trapped: true });
  t.same(p.counters, { created: 2, retired: 0, discarded: 1 });
  t.equal(pending.length, 1, 'one refill scheduled');
  const next = p.acquire();
  t.not(next.instance.id, lease.instance.id);
  p.release(next, { trapped: false });
  t.equal(runRefills(), 1);
  t.same([p.idleCount, p.counters.created], [2, 3]);
  const ids = [p.acquire(), p.acquire()].map((l) => l.instance.id);
  t.notOk(ids.includes(lease.instance.id));
});

t.test('a refill that cannot instantiate leaves the pool short; acquire then throws the reason', async (t) => {
  const { p, runRefills } = pool(1, 1, 1);
  p.fill();
  p.release(p.acquire(), { trapped: false });
  t.equal(runRefills(), 1);
  t.equal(p.idleCount, 0);
  t.throws(() => p.acquire(), /cannot instantiate/);
});

t.test('release of a lease twice is refused; close cancels refills and drops idle instances', async (t) => {
  const { p, pending } = pool(2, 1);
  p.fill();
  const lease = p.acquire();
  p.release(lease, { trapped: false });
  t.throws(() => p.release(lease, { trapped: false }), /did not lend/);
  t.equal(pending.length, 1);
  p.close();
  t.same([pending.length, p.idleCount], [0, 0]);
});

t.test('bad sizes are refused', async (t) => {
  t.throws(() => new InstancePool({ size: 0, maxUsesPerInstance: 1, create: () => ({}) }), /pool size must be a positive integer/);
  t.throws(() => new InstancePool({ size: 1, maxUsesPerInstance: 0, create: () => ({}) }), /maxUsesPerInstance/);
});
