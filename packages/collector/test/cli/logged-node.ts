// Test helper for the query commands' tests: the JSON node `stats --json` gives for a resource read
// from the metric log (no collector running): what the log knows, and null for what it cannot.

/** `s`: pass, block, success, exception per second and avgRt; `m`: the minute's pass, block, success, exception. */
export function loggedNode(resource: string, s: [number, number, number, number, number], m: [number, number, number, number]) {
  return {
    resource,
    origin: '',
    concurrency: null,
    second: { passQps: s[0], blockQps: s[1], successQps: s[2], exceptionQps: s[3], totalQps: s[0] + s[1], occupiedPassQps: null, avgRtMs: s[4], minRtMs: null },
    minute: { pass: m[0], block: m[1], success: m[2], exception: m[3], totalRequest: m[0] + m[1], rtSumMs: null, occupiedPass: null },
  };
}
