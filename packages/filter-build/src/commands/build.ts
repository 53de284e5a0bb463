// Owns `sentinel-wasi build`: parses its flags and hands a BuildRequest to componentize.ts.

import { parseArgs } from 'node:util';
import { UsageError, type Command } from '@sentinel-wasi/protocol/node';
import { DEFAULT_BACKEND, FILTER_WORLDS, buildFilter, type Backend, type BuildRequest, type FilterWorld } from '../componentize.js';

const BACKENDS: Record<string, Backend> = { quickjs: 'quickjs', qjs: 'quickjs', starlingmonkey: 'starlingmonkey', sm: 'starlingmonkey' };

const HELP = `Usage: sentinel-wasi build <filter.ts> -o <out.wasm> [options]

Builds a TypeScript (or JavaScript) filter into a WASI component with jco componentize,
against the filter SDK's vendored WASI 0.2.12 WIT.

Options:
  -o, --out <file>          the component to write (required)
  --world <command|http>    command: exports wasi:cli/run (wasmtime run)            [default: command]
                            http: exports wasi:http/incoming-handler (wasmtime serve);
                            the module exports incomingHandler by hand
  --backend <name>          quickjs (qjs) or starlingmonkey (sm)
                            [default: quickjs for command, starlingmonkey for http]
  --wit <dir>               the filter's own WIT directory; its world may include
                            sentinel-wasi:filter/filter-command@0.1.0 (or filter-http)
  --world-name <name>       the world in --wit to build (required with --wit)
  --no-typecheck            skip the type check of a TypeScript source (by default a
                            type error fails the build, with the source's file:line:column)
                            and the check that the module exports what its world needs
                            (e.g. run = command(...) for the command world)
  -h, --help                show this help

Examples:
  sentinel-wasi build src/filter.ts -o dist/filter.wasm
  sentinel-wasi build src/gateway.ts -o dist/gateway.wasm --world http

Exit codes: 0 built, 1 not built (E_TYPECHECK, E_FILTER_EXPORTS, E_TOP_LEVEL_RECORD, E_WIT,
E_BUILD, E_BUILD_OUTPUT, E_SOURCE_READ; nothing is written), 2 bad usage (E_USAGE: an unknown
option, no -o, a source or --wit directory that does not exist).
`;

/** The parsed flags: exactly what componentize.ts takes. */
export type BuildArgs = BuildRequest;

/** Parses and checks build's arguments; throws UsageError for anything wrong. */
export function parseBuildArgs(argv: string[]): BuildArgs {
  let parsed;
  try {
    parsed = parseArgs({
      args: argv,
      allowPositionals: true,
      strict: true,
      options: {
        out: { type: 'string', short: 'o' },
        world: { type: 'string' },
        backend: { type: 'string' },
        wit: { type: 'string' },
        'world-name': { type: 'string' },
        'no-typecheck': { type: 'boolean' },
      },
    });
  } catch (e) {
    // Node's message for an unknown option suggests `-- "--x"` (with an unclosed quote): build takes nothing after --.
    const err = e as Error & { code?: string };
    const unknown = err.code === 'ERR_PARSE_ARGS_UNKNOWN_OPTION' ? /^Unknown option '(.*?)'/.exec(err.message) : null;
    throw new UsageError(unknown === null ? err.message : `Unknown option '${unknown[1]}'`);
  }
  const { values, positionals } = parsed;
  if (positionals.length === 0) throw new UsageError('missing the filter source (e.g. src/filter.ts)');
  if (positionals.length > 1) throw new UsageError(`expected one filter source, got ${positionals.length}: ${positionals.join(' ')}`);
  const source = positionals[0]!;
  if (!/\.(m|c)?[jt]s$/.test(source)) throw new UsageError(`the filter source must be a .ts or .js file, got ${JSON.stringify(source)}`);
  if (values.out === undefined || values.out === '') throw new UsageError('missing -o <out.wasm>');
  if (!values.out.endsWith('.wasm')) throw new UsageError(`the output must end in .wasm, got ${JSON.stringify(values.out)}`);
  const world = (values.world ?? 'command') as FilterWorld;
  if (!FILTER_WORLDS.includes(world)) throw new UsageError(`--world must be command or http, got ${JSON.stringify(values.world)}`);
  let backend = DEFAULT_BACKEND[world];
  if (values.backend !== undefined) {
    const b = BACKENDS[values.backend];
    if (b === undefined) throw new UsageError(`--backend must be quickjs (qjs) or starlingmonkey (sm), got ${JSON.stringify(values.backend)}`);
    backend = b;
  }
  if (world === 'http' && backend === 'quickjs') {
    throw new UsageError('the QuickJS backend cannot build the wasi:http world (its wasi:http/types does not match); use --backend starlingmonkey');
  }
  if ((values.wit === undefined) !== (values['world-name'] === undefined)) {
    throw new UsageError('--wit and --world-name go together');
  }
  const args: BuildArgs = { source, out: values.out, world, backend };
  if (values['no-typecheck'] === true) args.typecheck = false;
  if (values.wit !== undefined) {
    args.wit = values.wit;
    args.worldName = values['world-name']!;
  }
  return args;
}

export const buildCommand: Command = {
  name: 'build',
  summary: 'build a TypeScript filter into a WASI component (jco componentize)',
  help: HELP,
  async run(argv, io) {
    const args = parseBuildArgs(argv);
    const result = await buildFilter(args);
    io.stdout.write(
      `built ${result.out} (${args.world} world, ${args.backend}): ${(result.bytes / 1e6).toFixed(2)} MB in ${(result.elapsedMs / 1000).toFixed(1)} s\n`,
    );
    return 0;
  },
};
