// Owns how many operations of its kind each `op*` mode of primitives.ts makes per event: what
// bench/report.js divides by to price one operation (the modes' loops are written to these counts).

export const PRIMITIVE_OPS = {
  /** Property reads. */
  opprop: 4,
  /** Typed-array element reads. */
  opread: 4,
  /** Typed-array element writes. */
  opwrite: 4,
  /** Calls of a 5-argument function. */
  opcall: 1,
  /** `typeof x === 'string'` checks. */
  optypeof: 4,
} as const;
