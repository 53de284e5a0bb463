#!/usr/bin/env python3
"""Times the benchmark component's `run-events(mode, n, arg)` export under the wasmtime engine
(wasmtime-py): one instance with a pin preopened at /pin and wasi:http linked, each mode timed
around the call (--clock: wall time, this thread's or the process's CPU time; http and the
--wall-modes always in wall time);
per-event cost = (time(n) - time(0)) / n, so the fixed cost of calling an export is taken out.
Every mode is warmed up first, then the rounds run with every mode once per round. Prints one
JSON object on stdout.

usage: bench_filter.py --component C.wasm --pin DIR --modes noop,buffered[,...] --events N
                       [--http-events N] [--mode-events MODE=N,...] [--repeats R]
                       [--authority HOST:PORT] [--cache-dir DIR] [--clock wall|cpu|process]
                       [--wall-modes a,b]
"""

import argparse
import hashlib
import json
import os
import statistics
import sys
import tempfile
import time

from wasmtime import Config, Engine, Store, WasiConfig
from wasmtime.component import Component, Linker

ENGINE_TAG = "wasmtime-49"


def load(engine, path, cache_dir):
    with open(path, "rb") as f:
        wasm = f.read()
    cached = os.path.join(cache_dir, f"{hashlib.sha256(wasm).hexdigest()}-{ENGINE_TAG}.cwasm")
    started = time.perf_counter()
    if os.path.exists(cached):
        return Component.deserialize_file(engine, cached), False, time.perf_counter() - started
    component = Component(engine, wasm)
    os.makedirs(cache_dir, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=cache_dir, suffix=".tmp")
    with os.fdopen(fd, "wb") as out:
        out.write(component.serialize())
    os.replace(tmp, cached)
    return component, True, time.perf_counter() - started


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--component", required=True)
    p.add_argument("--pin", required=True)
    p.add_argument("--modes", required=True)
    p.add_argument("--events", type=int, required=True)
    p.add_argument("--http-events", type=int, default=0)
    # Modes timed with another event count than --events (e.g. mapsnapshot=1000: a whole-map read per event).
    p.add_argument("--mode-events", default="")
    p.add_argument("--repeats", type=int, default=3)
    p.add_argument("--authority", default="")
    p.add_argument("--cache-dir", default=os.path.join(".cache", "wasmtime-cwasm"))
    # cpu: this thread's CPU time (the component runs on it) instead of wall time: steadier on a
    # loaded machine, blind to time spent waiting and to other threads. process: the CPU time of the
    # whole process, which includes the engine's blocking-pool threads (wasmtime-py runs every
    # filesystem call on one). The http mode is always timed in wall time: its cost is the wait.
    p.add_argument("--clock", choices=["wall", "cpu", "process"], default="wall")
    # Modes timed in wall time whatever --clock says (a host call per event: their cost is the wait).
    p.add_argument("--wall-modes", default="")
    o = p.parse_args()
    wall_modes = set(m for m in o.wall_modes.split(",") if m) | {"http"}
    clocks = {"wall": time.perf_counter, "cpu": time.thread_time, "process": time.process_time}

    engine = Engine(Config())
    component, compiled, load_s = load(engine, o.component, o.cache_dir)
    linker = Linker(engine)
    linker.add_wasip2()
    linker.add_wasi_http()
    wasi = WasiConfig()
    wasi.argv = ["bench"]
    wasi.inherit_stderr()
    wasi.preopen_dir(o.pin, "/pin", fs_mutable=True)
    store = Store(engine)
    store.set_wasi(wasi)
    store.set_wasi_http()
    t0 = time.perf_counter()
    instance = linker.instantiate(store, component)
    iface = instance.get_export_index(store, "sentinel-wasi-bench:filter/loop@0.1.0")
    fn = instance.get_func(store, instance.get_export_index(store, "run-events", iface))
    instantiate_s = time.perf_counter() - t0

    def timed(mode, n):
        clock = time.perf_counter if mode in wall_modes else clocks[o.clock]
        started = clock()
        got = fn(store, mode, n, o.authority)
        return clock() - started, got

    mode_events = {k: int(v) for k, v in (kv.split("=") for kv in o.mode_events.split(",") if kv)}
    out = {"compiled": compiled, "loadMs": 1000 * load_s, "instantiateMs": 1000 * instantiate_s, "clock": o.clock, "wallModes": sorted(wall_modes), "modes": {}}
    modes = o.modes.split(",")
    events = {mode: (o.http_events if mode == "http" else mode_events.get(mode, o.events)) for mode in modes}
    zero = {}
    for mode in modes:
        n = events[mode]
        timed(mode, min(n, 1000))  # warm-up: first-touch costs (opening the segment, first frame)
        zero[mode] = statistics.median(timed(mode, 0)[0] for _ in range(5))
    # Rounds outside, modes inside: a stretch of a busy machine slows one round of every mode
    # rather than every round of the modes that happen to run during it; the median drops it.
    samples = {mode: [] for mode in modes}
    returned = {mode: [] for mode in modes}
    for _ in range(o.repeats):
        for mode in modes:
            n = events[mode]
            s, got = timed(mode, n)
            samples[mode].append(1e6 * (s - zero[mode]) / n)
            returned[mode].append(got)
    for mode in modes:
        out["modes"][mode] = {
            "events": events[mode],
            "callOverheadUs": 1e6 * zero[mode],
            "usPerEvent": statistics.median(samples[mode]),
            "samplesUsPerEvent": samples[mode],
            "returned": returned[mode],
        }
    json.dump(out, sys.stdout)
    return 0


if __name__ == "__main__":
    sys.exit(main())
