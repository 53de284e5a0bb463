// Times on the command line: epoch ms, ISO-like (local unless zoned), now and now-<n><unit>.
process.env.TZ = 'UTC';
import t from 'tap';
import { parseTimeArg } from '../../src/client/time-arg.js';

const NOW = 1764120000000; // 2025-11-26 01:20:00 UTC

t.test('accepted forms', async (t) => {
  const cases: Array<[string, number]> = [
    ['1764120000123', 1764120000123],
    ['0', 0],
    ['2025-11-26', Date.UTC(2025, 10, 26)],
    ['2025-11-26 01:20', NOW],
    ['2025-11-26T01:20:00', NOW],
    ['2025-11-26 01:20:00.5', NOW + 500],
    ['2025-11-26T01:20:00.123Z', NOW + 123],
    ['2025-11-26T03:20:00+02:00', NOW],
    ['2025-11-26T06:50:00+0530', NOW],
    ['2025-11-25T20:20:00-05:00', NOW],
    ['now', NOW],
    ['now-90s', NOW - 90_000],
    ['now-5m', NOW - 300_000],
    ['now-2h', NOW - 7_200_000],
    ['now-1d', NOW - 86_400_000],
    ['  2025-11-26  ', Date.UTC(2025, 10, 26)],
  ];
  for (const [text, want] of cases) t.equal(parseTimeArg(text, NOW), want, text);
});

t.test('rejected forms', async (t) => {
  for (const text of ['', 'yesterday', '2025-11-31', '2025-02-29', '2025-11-26 24:00', '2025-11-26 12:60', '2025-11-26T01:20:61', '2025/11/26', '1.5', '-5', 'now+5m', 'now-5w', '2025-11-26T01:20:00+25:00', '99999999999999999']) {
    t.equal(parseTimeArg(text, NOW), undefined, JSON.stringify(text));
  }
  t.equal(parseTimeArg('2024-02-29', NOW), Date.UTC(2024, 1, 29), 'a leap day is fine');
});
