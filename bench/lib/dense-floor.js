// Owns the ingest benchmark's floor diagnostic: the least work the store's updates can cost on this
// machine in this engine. One loop over the workload's pre-decoded columns makes, per event, the
// same counter updates the store makes (the entry half's bucket and the exit half's bucket of the
// resource node, of the total node, and of the origin node for events with an origin; the entry
// and exit halves' per-second rows of the resource and of the total), into dense arrays
// allocated up front and laid out time-major (a half-second slot's buckets of every node side by
// side), with none of the store's checks (future, late, caps), no name lookup, no lazy storage and
// nothing a checkpoint or a query would need. It is not a store: it is what any store doing these
// updates in JavaScript pays at least, so it tells how much of the budget is left for the rest.

const RING = 120; // half-second buckets of a minute
const BUCKET_MS = 500;
const F = 8; // pass, block, success, exception, RT sum, min RT, occupied, bucket number
const ROW_FIELDS = 5; // pass, block, success, exception, RT sum
const ROW_SECONDS = 256;
const MAX_RT_MS = 5000;
const OUTCOME_ERROR = 1;
const OUTCOME_BLOCK = 2;

/**
 * Runs the loop over `w` (workload.js's columns) once; `names` = 1 counts every event on one
 * resource (the same work with every update in cache). Returns { seconds, checksum }.
 */
export function denseFloor(w, names = w.spec.resources) {
  const resources = w.spec.resources;
  const origins = w.origins.length;
  const totalNode = resources + resources * origins;
  const nodes = totalNode + 1;
  const ring = new Float64Array(RING * nodes * F);
  const rows = new Float64Array(ROW_SECONDS * (resources + 1) * ROW_FIELDS);
  for (let b = 0; b < ring.length; b += F) ring[b + 7] = -1;
  const base = Math.floor(w.tsMs[0] / 1000) * 1000;
  const { nameIdx, outcome, rtMs, originIdx, tsMs } = w;
  const n = w.count;
  const start = performance.now();
  for (let i = 0; i < n; i++) {
    const ts = tsMs[i] - base;
    const rt = rtMs[i];
    const oc = outcome[i];
    const name = names === resources ? nameIdx[i] : nameIdx[i] % names;
    const o = originIdx[i];
    const bucket = Math.floor(ts / BUCKET_MS);
    const slotAt = (bucket % RING) * nodes;
    const rowAt = (Math.floor(ts / 1000) % ROW_SECONDS) * (resources + 1);
    if (oc === OUTCOME_BLOCK) {
      block(ring, (slotAt + name) * F, bucket);
      block(ring, (slotAt + totalNode) * F, bucket);
      if (o >= 0) block(ring, (slotAt + resources + name * origins + o) * F, bucket);
      rows[(rowAt + name) * ROW_FIELDS + 1]++;
      rows[(rowAt + resources) * ROW_FIELDS + 1]++;
      continue;
    }
    const exitMs = ts + rt;
    const exitBucket = Math.floor(exitMs / BUCKET_MS);
    const exitSlotAt = (exitBucket % RING) * nodes;
    const exitRowAt = (Math.floor(exitMs / 1000) % ROW_SECONDS) * (resources + 1);
    const error = oc === OUTCOME_ERROR;
    call(ring, (slotAt + name) * F, bucket, (exitSlotAt + name) * F, exitBucket, rt, error);
    call(ring, (slotAt + totalNode) * F, bucket, (exitSlotAt + totalNode) * F, exitBucket, rt, error);
    if (o >= 0) {
      const on = resources + name * origins + o;
      call(ring, (slotAt + on) * F, bucket, (exitSlotAt + on) * F, exitBucket, rt, error);
    }
    rows[(rowAt + name) * ROW_FIELDS]++;
    rows[(rowAt + resources) * ROW_FIELDS]++;
    completion(rows, (exitRowAt + name) * ROW_FIELDS, rt, error);
    completion(rows, (exitRowAt + resources) * ROW_FIELDS, rt, error);
  }
  const seconds = (performance.now() - start) / 1000;
  let checksum = 0;
  for (let r = 0; r < rows.length; r += ROW_FIELDS) checksum += rows[r] + rows[r + 1];
  return { seconds, checksum };
}

/** The bucket at b, reset first when it holds another bucket number. */
function current(ring, b, bucket) {
  if (ring[b + 7] === bucket) return;
  ring[b + 7] = bucket;
  ring[b] = 0;
  ring[b + 1] = 0;
  ring[b + 2] = 0;
  ring[b + 3] = 0;
  ring[b + 4] = 0;
  ring[b + 5] = MAX_RT_MS;
  ring[b + 6] = 0;
}

function block(ring, b, bucket) {
  current(ring, b, bucket);
  ring[b + 1]++;
}

function call(ring, b, bucket, e, exitBucket, rt, error) {
  current(ring, b, bucket);
  ring[b]++;
  current(ring, e, exitBucket);
  ring[e + 2]++;
  if (error) ring[e + 3]++;
  ring[e + 4] += rt;
  if (rt < ring[e + 5]) ring[e + 5] = rt;
}

function completion(rows, r, rt, error) {
  rows[r + 2]++;
  if (error) rows[r + 3]++;
  rows[r + 4] += rt;
}
