// Owns telling a report from its repeats: a key reported less than `quietMs` before (by the
// caller's clock) is a repeat, counted and not reported; the next report of it after that says how
// many repeats it stands for and over how long. At most `maxKeys` keys are remembered, the least
// recently reported forgotten first. The health log's problems and the daemon's log of refused
// requests both go through one.

export interface Passed {
  /** Repeats of this key held back since its last report (0: none, or never reported). */
  repeats: number;
  /** Milliseconds since its last report (0 when there was none). */
  sinceMs: number;
}

export class RepeatGate {
  private readonly last = new Map<string, { atMs: number; repeats: number }>();

  constructor(
    private readonly quietMs: number,
    private readonly maxKeys: number,
  ) {}

  /** Null when `key` at `atMs` is a repeat (counted); else what was held back since its last report. */
  pass(key: string, atMs: number): Passed | null {
    const seen = this.last.get(key);
    if (seen !== undefined && atMs - seen.atMs < this.quietMs && atMs >= seen.atMs) {
      seen.repeats++;
      return null;
    }
    this.last.delete(key);
    this.last.set(key, { atMs, repeats: 0 });
    if (this.last.size > this.maxKeys) this.last.delete(this.last.keys().next().value!);
    return seen === undefined ? { repeats: 0, sinceMs: 0 } : { repeats: seen.repeats, sinceMs: atMs - seen.atMs };
  }
}
