// Owns the events the benchmark component loops over: 1000 route-like names of 12–40 bytes and a
// cheap deterministic choice of name, RT and outcome per event index (no PRNG host calls).

const WORDS = ['api', 'v1', 'orders', 'users', 'cart', 'items', 'search', 'payments', '商品', '订单'];

export const NAMES: string[] = [];
for (let k = 0; k < 1000; k++) {
  let s = `GET /${WORDS[k % WORDS.length]}/`;
  const target = 12 + (k % 29);
  let n = k;
  while (s.length < target - 3) {
    s += String.fromCharCode(97 + (n % 26));
    n = Math.floor(n / 26) + k;
  }
  NAMES.push(`${s}${k}`);
}

export interface BenchEvent {
  name: string;
  rtMs: number;
  /** 0 ok, 1 error, 2 blocked (85 / 5 / 10 %). */
  outcome: number;
}

const scratch: BenchEvent = { name: '', rtMs: 0, outcome: 0 };

/** Event i (reused object). Names spread over all 1000 (a worst case for per-frame name tables). */
export function eventAt(i: number): BenchEvent {
  const h = Math.imul(i, 2654435761) >>> 0;
  scratch.name = NAMES[h % 1000]!;
  scratch.rtMs = 1 + (h >>> 20) % 32;
  const u = (h >>> 8) % 100;
  scratch.outcome = u < 85 ? 0 : u < 90 ? 1 : 2;
  return scratch;
}
