// Owns reading another process's CPU time split by thread, from /proc/<pid>/task/<tid>/schedstat
// (nanoseconds on a CPU; Linux): its main thread (tid = pid: for Node, the event loop) apart from
// all its other threads (V8's background compiler and GC helpers, libuv's pool). A running thread's
// figure lags by up to a scheduler tick, so it is meant for phases of seconds, not for one event.
// Null where /proc has no such file.

import { readFileSync, readdirSync } from 'node:fs';

/** { mainMs, otherMs } of process `pid` so far, or null when /proc cannot tell. */
export function threadCpuMs(pid) {
  let tids;
  try {
    tids = readdirSync(`/proc/${pid}/task`);
  } catch {
    return null;
  }
  let mainMs = 0;
  let otherMs = 0;
  for (const tid of tids) {
    let ns;
    try {
      ns = Number(readFileSync(`/proc/${pid}/task/${tid}/schedstat`, 'latin1').split(' ')[0]);
    } catch {
      continue; // the thread ended meanwhile
    }
    if (!Number.isFinite(ns)) return null;
    if (tid === String(pid)) mainMs += ns / 1e6;
    else otherMs += ns / 1e6;
  }
  return { mainMs, otherMs };
}

/** CPU ms per second of wall time of each part between two readings `wallMs` apart (null when either is null). */
export function threadCpuRate(before, after, wallMs) {
  if (before === null || after === null || wallMs <= 0) return null;
  return { mainMsPerSec: ((after.mainMs - before.mainMs) * 1000) / wallMs, otherMsPerSec: ((after.otherMs - before.otherMs) * 1000) / wallMs, wallMs };
}
