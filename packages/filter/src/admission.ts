// Owns how an `admit` verdict's ratio p becomes a yes or no per request: randomised error
// diffusion, one credit per key (a resource, or a resource + origin). A key's credit starts at a
// uniform draw in [0, 1); each request adds p and is admitted when the credit reaches 1, which
// takes 1 off. So a fresh state admits its first request with probability exactly p (as a
// Bernoulli draw would), and a long-lived one admits floor(u + Σp) of its requests: within one
// of their ratios' sum, whatever the ratios were. The credit is kept when p changes (it always
// stays in [0, 1), so the bound holds across changes) and when the map's epoch changes (the
// ratio's meaning does not). At most `maxKeys` credits are kept; full, they all start over from
// fresh draws, which is again the fresh-state law.

/** Credits kept at most by default. */
export const ADMISSION_MAX_KEYS = 4096;

export class Admission {
  private readonly random: () => number;
  private readonly maxKeys: number;
  private readonly credits = new Map<string, number>();

  /** `random`: uniform numbers in [0, 1), one per new key. */
  constructor(random: () => number, maxKeys = ADMISSION_MAX_KEYS) {
    this.random = random;
    this.maxKeys = maxKeys;
  }

  /** Whether the next request of `key` is admitted at ratio `ratio` (clamped to [0, 1]). */
  admit(key: string, ratio: number): boolean {
    const p = ratio > 0 ? (ratio < 1 ? ratio : 1) : 0;
    let credit = this.credits.get(key);
    if (credit === undefined) {
      if (this.credits.size >= this.maxKeys) this.credits.clear();
      credit = this.random();
      if (!(credit >= 0 && credit < 1)) credit = 0; // a broken random source: still a valid state
    }
    credit += p;
    const admitted = credit >= 1;
    if (admitted) credit -= 1;
    this.credits.set(key, credit);
    return admitted;
  }

  /** Keys with a credit now. */
  get size(): number {
    return this.credits.size;
  }
}
