// Owns finding an origin node's stage index (bucket-stage.ts) from small integers, for the store's
// column path: each origin string that has a node gets an origin number, and a table keyed by
// (resource entry id, origin number) gives the node's stage index. A frame resolves each origin
// name to its number once; a record then costs one probe of one table (typed arrays, no object
// read), where the resource's Map of origin nodes costs the Map, its storage and the node object,
// each a cache miss for most of a large collector's nodes.
// Only origins with a node are numbered (so at most the registry's origin-node cap of them); the
// registry adds each origin node it makes (ResourceRegistry.originFor) and never drops one.

/** Numbers per table place: entry id + 1 (0: empty), origin number, stage index, unused. */
const STRIDE = 4;
const FIRST_PLACES = 1024;

export class OriginIndex {
  private readonly numbers = new Map<string, number>();
  private table = new Int32Array(FIRST_PLACES * STRIDE);
  private mask = FIRST_PLACES - 1;
  private size = 0;

  /** The origin number of `origin`, or -1 when no node of that origin exists. */
  numberOf(origin: string): number {
    return this.numbers.get(origin) ?? -1;
  }

  /** The stage index of the node of (entryId, originNumber), or -1 when there is none. */
  find(entryId: number, originNumber: number): number {
    const t = this.table;
    const mask = this.mask;
    for (let place = hashOf(entryId, originNumber) & mask; ; place = (place + 1) & mask) {
      const at = place * STRIDE;
      const key = t[at]!;
      if (key === 0) return -1;
      if (key === entryId + 1 && t[at + 1] === originNumber) return t[at + 2]!;
    }
  }

  /** Records the node of `origin` on entry `entryId`, at `stageIndex` (a node is added once). */
  add(entryId: number, origin: string, stageIndex: number): void {
    let n = this.numbers.get(origin);
    if (n === undefined) this.numbers.set(origin, (n = this.numbers.size));
    if (2 * (this.size + 1) > this.mask + 1) this.grow();
    this.insert(entryId, n, stageIndex);
    this.size++;
  }

  private insert(entryId: number, originNumber: number, stageIndex: number): void {
    const t = this.table;
    const mask = this.mask;
    let place = hashOf(entryId, originNumber) & mask;
    while (t[place * STRIDE] !== 0) place = (place + 1) & mask;
    const at = place * STRIDE;
    t[at] = entryId + 1;
    t[at + 1] = originNumber;
    t[at + 2] = stageIndex;
  }

  private grow(): void {
    const old = this.table;
    const places = (this.mask + 1) * 2;
    this.table = new Int32Array(places * STRIDE);
    this.mask = places - 1;
    for (let at = 0; at < old.length; at += STRIDE) if (old[at] !== 0) this.insert(old[at]! - 1, old[at + 1]!, old[at + 2]!);
  }
}

function hashOf(entryId: number, originNumber: number): number {
  const h = Math.imul(entryId, 0x9e3779b1) ^ Math.imul(originNumber + 1, 0x85ebca6b);
  return h ^ (h >>> 15);
}
