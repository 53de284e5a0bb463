// Owns reading a time given on the command line: epoch milliseconds, an ISO-like date-time
// (`yyyy-MM-dd`, `yyyy-MM-dd HH:mm[:ss[.SSS]]` or with `T`, in local time unless it ends with `Z` or
// `±HH:MM`), `now`, or `now-<n><s|m|h|d>`. Anything else is an error saying what is accepted.

export const TIME_FORMS = 'epoch ms, yyyy-MM-dd[ HH:mm[:ss[.SSS]]] (local time, or with Z / ±HH:MM), now, now-<n>s|m|h|d';

const ISO = /^(\d{4})-(\d{2})-(\d{2})(?:[T ](\d{2}):(\d{2})(?::(\d{2})(?:\.(\d{1,3}))?)?)?(Z|[+-]\d{2}:?\d{2})?$/;
const RELATIVE = /^now(?:-(\d{1,9})([smhd]))?$/;
const UNIT_MS = { s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 } as const;

/** Epoch ms, or undefined when the text is not a time in one of TIME_FORMS. */
export function parseTimeArg(text: string, nowMs: number): number | undefined {
  const s = text.trim();
  if (/^\d{1,16}$/.test(s)) {
    const v = Number(s);
    return Number.isSafeInteger(v) ? v : undefined;
  }
  const rel = RELATIVE.exec(s);
  if (rel !== null) return rel[1] === undefined ? nowMs : nowMs - Number(rel[1]) * UNIT_MS[rel[2] as keyof typeof UNIT_MS];
  const m = ISO.exec(s);
  if (m === null) return undefined;
  const [year, month, day, hour, minute, second] = [1, 2, 3, 4, 5, 6].map((i) => Number(m[i] ?? 0)) as [number, number, number, number, number, number];
  const ms = m[7] === undefined ? 0 : Number(m[7].padEnd(3, '0'));
  if (month < 1 || month > 12 || day < 1 || day > 31 || hour > 23 || minute > 59 || second > 59) return undefined;
  let t: number;
  if (m[8] === undefined) {
    const d = new Date(year, month - 1, day, hour, minute, second, ms);
    if (d.getFullYear() !== year || d.getMonth() !== month - 1 || d.getDate() !== day) return undefined;
    t = d.getTime();
  } else {
    t = Date.UTC(year, month - 1, day, hour, minute, second, ms);
    const check = new Date(t);
    if (check.getUTCMonth() !== month - 1 || check.getUTCDate() !== day) return undefined;
    if (m[8] !== 'Z') {
      const z = /^([+-])(\d{2}):?(\d{2})$/.exec(m[8])!;
      const offsetMin = Number(z[2]) * 60 + Number(z[3]);
      if (Number(z[2]) > 23 || Number(z[3]) > 59) return undefined;
      t -= (z[1] === '+' ? 1 : -1) * offsetMin * 60_000;
    }
  }
  return t;
}
