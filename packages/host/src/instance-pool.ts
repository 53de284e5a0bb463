// Owns the component instances `serve` hands requests to: a pool of instances made ahead of need,
// each serving one request at a time (a wasi:http instance cannot be re-entered), reused for up to
// `maxUsesPerInstance` requests, and dropped for good after a trap. Retired and trapped instances
// are replaced while the server is idle (one instantiation per turn of the event loop), so a
// request waits for an instantiation only when no idle instance is left.

export interface InstancePoolOptions<I> {
  /** Instances kept ready (idle or serving). */
  size: number;
  /** Requests one instance serves before it is retired (Infinity: never retired for age). */
  maxUsesPerInstance: number;
  /** Makes one instance (throws when the component cannot be instantiated). */
  create(): I;
  /** Runs a refill later (default setImmediate); tests may run it at once. */
  later?: (fn: () => void) => { cancel(): void };
}

export interface PoolCounters {
  /** Instances made (the pre-made ones included). */
  created: number;
  /** Instances retired after `maxUsesPerInstance` requests. */
  retired: number;
  /** Instances dropped because a request trapped in them. */
  discarded: number;
}

interface Slot<I> {
  instance: I;
  uses: number;
}

export interface Lease<I> {
  instance: I;
  /** Requests this instance has been given, this one included. */
  uses: number;
}

function setImmediateLater(fn: () => void): { cancel(): void } {
  const handle = setImmediate(fn);
  return { cancel: () => clearImmediate(handle) };
}

export class InstancePool<I> {
  readonly counters: PoolCounters = { created: 0, retired: 0, discarded: 0 };
  /** Idle instances, most recently used last: a request gets the warmest one. */
  readonly #idle: Slot<I>[] = [];
  readonly #busy = new Map<Lease<I>, Slot<I>>();
  readonly #options: InstancePoolOptions<I>;
  readonly #later: (fn: () => void) => { cancel(): void };
  #refill: { cancel(): void } | null = null;
  #closed = false;

  constructor(options: InstancePoolOptions<I>) {
    if (!Number.isSafeInteger(options.size) || options.size < 1) throw new RangeError(`pool size must be a positive integer, got ${options.size}`);
    const maxUses = options.maxUsesPerInstance;
    if (maxUses !== Infinity && (!Number.isSafeInteger(maxUses) || maxUses < 1)) throw new RangeError(`maxUsesPerInstance must be a positive integer or Infinity, got ${maxUses}`);
    this.#options = options;
    this.#later = options.later ?? setImmediateLater;
  }

  /** Makes instances until `size` are ready (at start-up; the first failure is thrown). */
  fill(): void {
    while (this.#idle.length + this.#busy.size < this.#options.size) this.#idle.push(this.#make());
  }

  /** Adds an instance made elsewhere (the up-front check) as an idle one. */
  adopt(instance: I): void {
    this.counters.created++;
    this.#idle.push({ instance, uses: 0 });
  }

  get idleCount(): number {
    return this.#idle.length;
  }

  get busyCount(): number {
    return this.#busy.size;
  }

  /** An instance for one request: the most recently used idle one, else a new one made now. */
  acquire(): Lease<I> {
    const slot = this.#idle.pop() ?? this.#make();
    slot.uses++;
    const lease: Lease<I> = { instance: slot.instance, uses: slot.uses };
    this.#busy.set(lease, slot);
    return lease;
  }

  /** Gives the instance back after its request; `trapped` drops it for good. */
  release(lease: Lease<I>, outcome: { trapped: boolean }): void {
    const slot = this.#busy.get(lease);
    if (slot === undefined) throw new Error('release of an instance the pool did not lend (or released twice)');
    this.#busy.delete(lease);
    if (outcome.trapped) this.counters.discarded++;
    else if (slot.uses >= this.#options.maxUsesPerInstance) this.counters.retired++;
    else if (this.#idle.length + this.#busy.size < this.#options.size && !this.#closed) this.#idle.push(slot);
    // else: an extra instance made when every one was busy; the pool is full without it
    this.#scheduleRefill();
  }

  /** Stops refilling and lets go of every idle instance. */
  close(): void {
    this.#closed = true;
    this.#refill?.cancel();
    this.#refill = null;
    this.#idle.length = 0;
  }

  #make(): Slot<I> {
    const instance = this.#options.create();
    this.counters.created++;
    return { instance, uses: 0 };
  }

  /** One instantiation per turn of the event loop until the pool is full again. */
  #scheduleRefill(): void {
    if (this.#closed || this.#refill !== null) return;
    if (this.#idle.length + this.#busy.size >= this.#options.size) return;
    this.#refill = this.#later(() => {
      this.#refill = null;
      if (this.#closed || this.#idle.length + this.#busy.size >= this.#options.size) return;
      try {
        this.#idle.unshift(this.#make()); // fresh ones wait behind the warm ones
      } catch {
        return; // a request that needs one will make it, and report why it cannot
      }
      this.#scheduleRefill();
    });
  }
}
