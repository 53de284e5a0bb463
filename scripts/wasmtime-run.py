#!/usr/bin/env python3
"""Runs a command component (wasi:cli/run) under the wasmtime engine (wasmtime-py), the way
`wasmtime run --dir PIN::/pin component.wasm args...` does: the pin preopened at /pin, argv,
stdin/stdout/stderr inherited, exit code 0 for ok, 1 for err or a trap, N for wasi:cli/exit(N).

Compiled components are cached as .cwasm files named by the component's sha256 and the engine
version, so only the first run pays Cranelift's compile (seconds for a 12 MB component).

usage: wasmtime-run.py [--pin DIR | --no-pin] [--pin-read-only] [--cache-dir DIR] [--env K=V]...
                       [--timing] [--compile-only] component.wasm [-- args...]

Run it through scripts/wasmtime-run.js, which creates the Python environment with wasmtime-py on
first use (node scripts/wasmtime-run.js --help) and refuses a bad pin or component before Python
starts, and a run with neither --pin nor --no-pin; this runner, like `wasmtime run` without --dir,
preopens nothing when given neither. What it still refuses (a usage error, a component file it
cannot read, compile or instantiate, a component without wasi:cli/run, found from its export
section before any compile) is one line with a code, no traceback; a trap (E_TRAP) and
wasi:cli/run's error (E_RUN_ERROR) are one line with a code too, as
sentinel-wasi run prints them, after what the engine itself printed. Messages name the script the
user ran ($WASMTIME_RUN_PROG, set by wasmtime-run.js).
"""

import argparse
import hashlib
import json
import os
import sys
import tempfile
import time

import wasmtime
from wasmtime import Config, Engine, ExitTrap, Store, WasiConfig, WasmtimeError
from wasmtime.component import Component, Linker


# Part of the cache key: a .cwasm only loads into the engine version that wrote it.
ENGINE_TAG = "wasmtime-49"

PROG = os.environ.get("WASMTIME_RUN_PROG", "wasmtime-run.py")


class Refusal(Exception):
    """Input this runner refuses: one line with a stable code (exit 2 for E_USAGE, else 1)."""

    def __init__(self, code: str, message: str):
        super().__init__(message)
        self.code = code


def refuse(err: Refusal) -> int:
    print(f"wasmtime-run: {err} ({err.code})", file=sys.stderr)
    if err.code == "E_USAGE":
        print(f"Run '{PROG} --help' for usage.", file=sys.stderr)
        return 2
    return 1


class ArgumentParser(argparse.ArgumentParser):
    """argparse, its errors printed as the runner's other refusals (E_USAGE)."""

    def error(self, message):
        sys.exit(refuse(Refusal("E_USAGE", message)))


def not_command(path: str) -> str:
    return f"{path} does not export wasi:cli/run (is it an HTTP component? serve it: sentinel-wasi serve or wasmtime serve)"


def one_line(err: Exception) -> str:
    """The engine's multi-line error ("...\n\nCaused by:\n    ...") as one line."""
    return ": ".join(line.strip() for line in str(err).splitlines() if line.strip() and line.strip() != "Caused by:")


def trap_cause(err: Exception) -> str:
    """A trap's cause without the engine's wasm backtrace: the lines after "Caused by:", as one line."""
    text = str(err)
    if "Caused by:" in text:
        text = text.split("Caused by:", 1)[1]
    return one_line(Exception(text))


def read_component(path: str) -> bytes:
    try:
        with open(path, "rb") as f:
            return f.read()
    except (FileNotFoundError, IsADirectoryError, NotADirectoryError):
        raise Refusal("E_USAGE", f"component file not found: {path}")
    except OSError as err:
        raise Refusal("E_COMPONENT_READ", f"cannot read component {path}: {err.strerror}")


def read_leb_u32(data: bytes, pos: int) -> tuple[int, int]:
    """An unsigned LEB128 (at most 5 bytes) at pos: (value, position after it); ValueError if cut short."""
    value = 0
    for shift in range(0, 35, 7):
        if pos >= len(data):
            raise ValueError("truncated LEB128")
        byte = data[pos]
        pos += 1
        value |= (byte & 0x7F) << shift
        if byte < 0x80:
            return value, pos
    raise ValueError("LEB128 too long")


def exports_cli_run(wasm: bytes):
    """Whether a component's own export sections (section id 11 at the top level) name a
    wasi:cli/run interface: True or False, or None when the bytes are not a component this can
    walk (the compile then says what is wrong). Read before compiling, so an HTTP component is
    refused at once rather than after Cranelift's seconds."""
    if len(wasm) < 8 or wasm[:4] != b"\0asm" or wasm[6:8] != b"\x01\x00":
        return None
    pos = 8
    try:
        while pos < len(wasm):
            section_id = wasm[pos]
            size, pos = read_leb_u32(wasm, pos + 1)
            if pos + size > len(wasm):
                return None
            if section_id == 11 and b"wasi:cli/run@" in wasm[pos:pos + size]:
                return True
            pos += size
    except ValueError:
        return None
    return False


def load_component(engine: Engine, path: str, wasm: bytes, cache_dir: str, timing: bool) -> Component:
    key = hashlib.sha256(wasm).hexdigest()
    cached = os.path.join(cache_dir, f"{key}-{ENGINE_TAG}.cwasm")
    if os.path.exists(cached):
        started = time.monotonic()
        component = Component.deserialize_file(engine, cached)
        if timing:
            print(f"timing: deserialize {1000 * (time.monotonic() - started):.0f} ms", file=sys.stderr)
        return component
    started = time.monotonic()
    try:
        component = Component(engine, wasm)
    except WasmtimeError as err:
        raise Refusal("E_COMPILE", f"cannot compile {path}: {one_line(err)}")
    if timing:
        print(f"timing: compile {1000 * (time.monotonic() - started):.0f} ms", file=sys.stderr)
    os.makedirs(cache_dir, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=cache_dir, suffix=".tmp")
    with os.fdopen(fd, "wb") as out:
        out.write(component.serialize())
    os.replace(tmp, cached)  # atomic: a concurrent run sees the old state or the whole file
    return component


def main() -> int:
    try:
        return run()
    except Refusal as err:
        return refuse(err)


def run() -> int:
    parser = ArgumentParser(prog=PROG, description=__doc__.split("\n\n")[0])
    parser.add_argument("--pin", metavar="DIR", help="host directory preopened at /pin")
    parser.add_argument("--no-pin", action="store_true", help="preopen nothing (the default here, as wasmtime run without --dir)")
    parser.add_argument("--pin-read-only", action="store_true", help="preopen the pin read-only")
    parser.add_argument("--cache-dir", metavar="DIR", default=os.path.join(".cache", "wasmtime-cwasm"))
    parser.add_argument("--env", action="append", default=[], metavar="NAME=VALUE", help="for the component (repeatable)")
    parser.add_argument("--timing", action="store_true", help="print compile/instantiate/run times to stderr")
    parser.add_argument("--compile-only", action="store_true", help="compile (or find in the cache) and exit")
    parser.add_argument("component")
    args_action = parser.add_argument("args", nargs=argparse.REMAINDER, help="arguments for the component (after --)")
    args_action.required = False  # argparse makes a REMAINDER positional required: no arguments at all would name it
    opts = parser.parse_args()
    if opts.pin is not None and opts.no_pin:
        parser.error("--pin and --no-pin cannot be given together")
    for pair in opts.env:
        if pair.find("=") <= 0:
            parser.error(f"--env expects NAME=VALUE, got {json.dumps(pair)}")

    wasm = read_component(opts.component)
    if not opts.compile_only and exports_cli_run(wasm) is False:
        raise Refusal("E_NOT_COMMAND", not_command(opts.component))
    engine = Engine(Config())
    component = load_component(engine, opts.component, wasm, opts.cache_dir, opts.timing)
    if opts.compile_only:
        return 0

    linker = Linker(engine)
    linker.add_wasip2()
    linker.add_wasi_http()  # components built with the http feature import wasi:http/types

    wasi = WasiConfig()
    guest_args = opts.args[1:] if opts.args and opts.args[0] == "--" else opts.args
    wasi.argv = [os.path.basename(opts.component)] + guest_args
    wasi.env = [pair.split("=", 1) for pair in opts.env]
    wasi.inherit_stdin()
    wasi.inherit_stdout()
    wasi.inherit_stderr()
    if opts.pin is not None:
        try:
            wasi.preopen_dir(opts.pin, "/pin", fs_mutable=not opts.pin_read_only)
        except WasmtimeError as err:
            print(f"wasmtime-run: cannot preopen {opts.pin}: {err}", file=sys.stderr)
            return 2
    store = Store(engine)
    store.set_wasi(wasi)
    store.set_wasi_http()

    started = time.monotonic()
    try:
        instance = linker.instantiate(store, component)
    except ExitTrap as exit_trap:
        return exit_trap.code
    except WasmtimeError as err:
        raise Refusal("E_INSTANTIATE", f"cannot instantiate {opts.component}: {one_line(err)}")
    try:
        run_interface = instance.get_export_index(store, "wasi:cli/run@0.2.0")
        if run_interface is None:
            raise Refusal("E_NOT_COMMAND", not_command(opts.component))
        run = instance.get_func(store, instance.get_export_index(store, "run", run_interface))
        ran = time.monotonic()
        result = run(store)
    except ExitTrap as exit_trap:
        return exit_trap.code
    except WasmtimeError as err:
        print(f"wasmtime-run: the component failed: {trap_cause(err)} (E_TRAP)", file=sys.stderr)
        return 1
    if opts.timing:
        print(f"timing: instantiate {1000 * (ran - started):.1f} ms, run {1000 * (time.monotonic() - ran):.1f} ms", file=sys.stderr)
    if getattr(result, "tag", "ok") == "ok":
        return 0
    # wasmtime run exits 1 silently here; the line is sentinel-wasi run's
    print("wasmtime-run: the component failed: wasi:cli/run returned an error (a command() body that returned false or threw, "
          "or a thrown error the engine turned into one) (E_RUN_ERROR)", file=sys.stderr)
    return 1


if __name__ == "__main__":
    sys.exit(main())
