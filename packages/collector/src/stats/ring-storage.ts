// Owns the memory of the nodes' rings (node-stats.ts): blocks of float64 numbers carved out of
// shared slabs, and fixed-size byte blocks (a ring's slot directory) carved out of shared byte
// slabs. A node holds one block of each and moves to a block of another size as its ring grows or
// shrinks. Blocks that are given back are kept per size and handed out again; a slab is never
// returned to the system. Creating an ArrayBuffer costs microseconds and some hundred bytes
// outside the buffer, so thousands of small per-node buffers cost more time and memory than
// indexes into a few large ones.
//
// An address is slabIndex × SLAB_NUMBERS + offset (exact: far below 2^53). Blocks handed out are
// not cleared: their owner writes every number before it reads it. Directories are cleared.

/** Numbers per float64 slab (1 MiB). */
export const SLAB_NUMBERS = 1 << 17;
/** Directories per byte slab. */
const DIRECTORIES_PER_SLAB = 4096;

export class RingStorageError extends Error {
  readonly code = 'E_RING_STORAGE';
}

export class RingStorage {
  readonly directoryBytes: number;
  private readonly slabs: Float64Array[] = [];
  private top = SLAB_NUMBERS;
  /** Given-back blocks by length: stacks of addresses. */
  private readonly free = new Map<number, number[]>();
  private readonly directorySlabs: Uint8Array[] = [];
  private directoryTop = DIRECTORIES_PER_SLAB;
  private readonly freeDirectories: number[] = [];
  /** Numbers in blocks handed out and not given back. */
  numbersInUse = 0;
  directoriesInUse = 0;

  constructor(directoryBytes: number) {
    this.directoryBytes = directoryBytes;
  }

  /** A block of `length` numbers (contents undefined); returns its address. */
  allocate(length: number): number {
    if (!Number.isInteger(length) || length < 1 || length > SLAB_NUMBERS) throw new RingStorageError(`E_RING_STORAGE: a block of ${length} numbers`);
    this.numbersInUse += length;
    const reused = this.free.get(length)?.pop();
    if (reused !== undefined) return reused;
    if (this.top + length > SLAB_NUMBERS) {
      this.slabs.push(new Float64Array(SLAB_NUMBERS));
      this.top = 0;
    }
    const address = (this.slabs.length - 1) * SLAB_NUMBERS + this.top;
    this.top += length;
    return address;
  }

  /** Gives back a block of `length` numbers at `address`. */
  release(address: number, length: number): void {
    this.numbersInUse -= length;
    let stack = this.free.get(length);
    if (stack === undefined) this.free.set(length, (stack = []));
    stack.push(address);
  }

  slabOf(address: number): Float64Array {
    return this.slabs[Math.floor(address / SLAB_NUMBERS)]!;
  }

  offsetOf(address: number): number {
    return address % SLAB_NUMBERS;
  }

  /** A cleared directory of directoryBytes bytes; returns its address (slab × DIRECTORIES_PER_SLAB + index). */
  allocateDirectory(): number {
    this.directoriesInUse++;
    const reused = this.freeDirectories.pop();
    if (reused !== undefined) {
      const at = this.directoryOffsetOf(reused);
      this.directorySlabOf(reused).fill(0, at, at + this.directoryBytes);
      return reused;
    }
    if (this.directoryTop === DIRECTORIES_PER_SLAB) {
      this.directorySlabs.push(new Uint8Array(DIRECTORIES_PER_SLAB * this.directoryBytes));
      this.directoryTop = 0;
    }
    return (this.directorySlabs.length - 1) * DIRECTORIES_PER_SLAB + this.directoryTop++;
  }

  releaseDirectory(address: number): void {
    this.directoriesInUse--;
    this.freeDirectories.push(address);
  }

  directorySlabOf(address: number): Uint8Array {
    return this.directorySlabs[Math.floor(address / DIRECTORIES_PER_SLAB)]!;
  }

  /** Index of the directory's first byte in its slab. */
  directoryOffsetOf(address: number): number {
    return (address % DIRECTORIES_PER_SLAB) * this.directoryBytes;
  }

  /** Bytes of all slabs (what the storage holds from the system). */
  get slabBytes(): number {
    return this.slabs.length * SLAB_NUMBERS * 8 + this.directorySlabs.length * DIRECTORIES_PER_SLAB * this.directoryBytes;
  }
}
