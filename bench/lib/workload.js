// Owns the benchmark workloads (bench/README.md "The standard benchmark workload"): a seeded PRNG,
// resource names of 12–40 UTF-8 bytes (some CJK), Zipf(s = 1.1) or uniform resource choice,
// outcomes 85 % ok / 5 % error / 10 % blocked, log-normal RT (median 8 ms, capped at 10 s),
// 20 % of events with one of 5 origins, and timestamps that advance at the offered rate.
// Events come out in columns (typed arrays), so millions of them cost little memory. Plain
// JavaScript without Node built-ins: the benchmark component bundles it too.

/** sfc32: small, fast, seedable; good enough for workload shapes (not for anything secret). */
export function makeRng(seed) {
  let a = 0x9e3779b9, b = 0x243f6a88, c = 0xb7e15162, d = seed >>> 0;
  const next = () => {
    a >>>= 0; b >>>= 0; c >>>= 0; d >>>= 0;
    let t = (a + b) | 0;
    a = b ^ (b >>> 9);
    b = (c + (c << 3)) | 0;
    c = (c << 21) | (c >>> 11);
    d = (d + 1) | 0;
    t = (t + d) | 0;
    c = (c + t) | 0;
    return (t >>> 0) / 4294967296;
  };
  for (let i = 0; i < 16; i++) next();
  return next;
}

/** A standard normal deviate (Box–Muller). */
function normal(rng) {
  let u = 0;
  while (u === 0) u = rng();
  return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * rng());
}

const ASCII_WORDS = ['api', 'v1', 'v2', 'orders', 'users', 'cart', 'items', 'search', 'payments', 'inventory', 'auth', 'session', 'catalog', 'reviews', 'shipping', 'checkout', 'profile', 'health'];
const CJK_WORDS = ['商品', '订单', '用户', '支付', '库存', '搜索', '评论', '配送', '购物车', '详情'];
const METHODS = ['GET', 'POST', 'PUT', 'DELETE'];
const TAIL = 'abcdefghijklmnopqrstuvwxyz0123456789';

/** UTF-8 length (no Buffer or TextEncoder: this module also runs inside the benchmark component). */
function utf8Bytes(s) {
  let n = 0;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    n += c < 0x80 ? 1 : c < 0x800 ? 2 : c >= 0xd800 && c <= 0xdbff ? (i++, 4) : 3;
  }
  return n;
}

/** One name of exactly `targetBytes` UTF-8 bytes, shaped like an HTTP route. */
function makeName(rng, targetBytes, cjk) {
  const words = cjk ? CJK_WORDS : ASCII_WORDS;
  let s = `${METHODS[Math.floor(rng() * METHODS.length)]} /`;
  for (;;) {
    const w = words[Math.floor(rng() * words.length)];
    if (utf8Bytes(s) + utf8Bytes(w) + 1 > targetBytes) break;
    s += `${w}/`;
  }
  while (utf8Bytes(s) < targetBytes) s += TAIL[Math.floor(rng() * TAIL.length)];
  return s;
}

/** `count` distinct names of 12–40 UTF-8 bytes; about one in ten uses CJK path words. */
export function makeNames(rng, count) {
  const seen = new Set();
  const names = [];
  while (names.length < count) {
    const target = 12 + Math.floor(rng() * 29);
    const name = makeName(rng, target, rng() < 0.1);
    if (seen.has(name)) continue;
    seen.add(name);
    names.push(name);
  }
  return names;
}

/** Cumulative Zipf(s) weights over ranks 1..n, normalised to 1. */
function zipfCdf(n, s) {
  const cdf = new Float64Array(n);
  let sum = 0;
  for (let k = 1; k <= n; k++) {
    sum += 1 / Math.pow(k, s);
    cdf[k - 1] = sum;
  }
  for (let i = 0; i < n; i++) cdf[i] /= sum;
  return cdf;
}

function pickCdf(cdf, u) {
  let lo = 0, hi = cdf.length - 1;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (cdf[mid] < u) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

export const OUTCOME_OK = 0;
export const OUTCOME_ERROR = 1;
export const OUTCOME_BLOCK = 2;

export const STANDARD = Object.freeze({
  name: 'standard',
  resources: 1000,
  distribution: 'zipf',
  zipfS: 1.1,
  okShare: 0.85,
  errorShare: 0.05,
  rtMedianMs: 8,
  rtSigma: 1.0,
  rtCapMs: 10_000,
  originShare: 0.2,
  origins: 5,
  ratePerSec: 10_000,
  startMs: 1_764_115_200_000, // 2025-11-26T00:00:00Z, a bucket boundary
});

/**
 * Generates `count` events of workload `spec` from `seed`. Returns names, origins and columns:
 * name index, outcome, rtMs, origin index (-1 = none), tsMs.
 */
export function generate(spec, count, seed) {
  const rng = makeRng(seed);
  const names = makeNames(rng, spec.resources);
  const origins = Array.from({ length: spec.origins }, (_, i) => `app-${String.fromCharCode(97 + i)}`);
  const cdf = spec.distribution === 'zipf' ? zipfCdf(spec.resources, spec.zipfS) : null;
  // Rank r is a random name, so popularity does not follow name length.
  const rankToName = Int32Array.from({ length: spec.resources }, (_, i) => i);
  for (let i = rankToName.length - 1; i > 0; i--) {
    const j = Math.floor(rng() * (i + 1));
    const t = rankToName[i];
    rankToName[i] = rankToName[j];
    rankToName[j] = t;
  }
  const nameIdx = new Int32Array(count);
  const outcome = new Uint8Array(count);
  const rtMs = new Uint32Array(count);
  const originIdx = new Int8Array(count);
  const tsMs = new Float64Array(count);
  const mu = Math.log(spec.rtMedianMs);
  for (let i = 0; i < count; i++) {
    const rank = cdf === null ? Math.floor(rng() * spec.resources) : pickCdf(cdf, rng());
    nameIdx[i] = rankToName[rank];
    const u = rng();
    outcome[i] = u < spec.okShare ? OUTCOME_OK : u < spec.okShare + spec.errorShare ? OUTCOME_ERROR : OUTCOME_BLOCK;
    rtMs[i] = outcome[i] === OUTCOME_BLOCK ? 0 : Math.min(spec.rtCapMs, Math.round(Math.exp(mu + spec.rtSigma * normal(rng))));
    originIdx[i] = rng() < spec.originShare ? Math.floor(rng() * spec.origins) : -1;
    tsMs[i] = spec.startMs + Math.floor((i * 1000) / spec.ratePerSec);
  }
  return { spec, seed, count, names, origins, nameIdx, outcome, rtMs, originIdx, tsMs };
}

/** A one-line description of a workload, for reports. */
export function describe(spec) {
  const dist = spec.distribution === 'zipf' ? `Zipf(s=${spec.zipfS})` : 'uniform';
  return `${spec.resources} names (12–40 B, ~10 % CJK), ${dist}; ${Math.round(spec.okShare * 100)} % ok / ${Math.round(spec.errorShare * 100)} % error / ${Math.round((1 - spec.okShare - spec.errorShare) * 100)} % blocked; RT log-normal median ${spec.rtMedianMs} ms σ=${spec.rtSigma} cap ${spec.rtCapMs} ms; ${Math.round(spec.originShare * 100)} % with one of ${spec.origins} origins; ${spec.ratePerSec} events/s`;
}
