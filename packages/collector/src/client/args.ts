// Owns command-line option parsing for the collector's commands (`collector` and the client
// commands): node:util parseArgs in strict mode, with its errors turned into UsageError (exit 2),
// and reading a whole number option (plain decimal digits only).

import { parseArgs, type ParseArgsConfig } from 'node:util';
import { joinNegativeValues, UsageError } from '@sentinel-wasi/protocol/node';

export type Options = NonNullable<ParseArgsConfig['options']>;

export type OptionValues = Record<string, string | boolean | undefined>;

/**
 * The options as parseArgs reads them. An option given twice (not a `multiple` one) is refused
 * (E_USAGE), or, with `onRepeated`, the last one is kept and `onRepeated` told (the collector's
 * `npm start -- --pin DIR` adds a second --pin to the script's own).
 */
export function parseOptions(argv: string[], options: Options, onRepeated?: (name: string, kept: unknown) => void): OptionValues {
  let parsed;
  try {
    parsed = parseArgs({ args: joinNegativeValues(argv, options), options, strict: true, allowPositionals: false, tokens: true });
  } catch (err) {
    const message = (err as Error).message.replace(/\. To specify a positional argument.*$/s, '');
    throw new UsageError(message);
  }
  // An option given twice would otherwise be the last one silently.
  const seen = new Set<string>();
  const repeated = new Set<string>();
  for (const token of parsed.tokens ?? []) {
    if (token.kind !== 'option' || options[token.name]?.multiple === true) continue;
    if (seen.has(token.name)) repeated.add(token.name);
    seen.add(token.name);
  }
  for (const name of repeated) {
    if (onRepeated === undefined) throw new UsageError(`--${name} is given more than once; give it once`);
    onRepeated(name, (parsed.values as OptionValues)[name]);
  }
  return parsed.values as OptionValues;
}

/** Plain decimal digits (no sign, spaces, 0x/0b/0o, exponent or fraction) as a safe integer; undefined otherwise. */
export function wholeNumber(text: string): number | undefined {
  if (!/^[0-9]+$/.test(text)) return undefined;
  const n = Number(text);
  return Number.isSafeInteger(n) ? n : undefined;
}

/** A whole number option in [min, max]; `fallback` when absent. */
export function intOption(name: string, text: string | undefined, fallback: number, min: number, max: number): number {
  if (text === undefined) return fallback;
  const n = wholeNumber(text);
  if (n === undefined || n < min || n > max) {
    throw new UsageError(`--${name} must be a whole number from ${min} to ${max}, got ${JSON.stringify(text)}`);
  }
  return n;
}

export function requirePin(pin: string | undefined): string {
  if (pin === undefined || pin === '') throw new UsageError('--pin DIR is required');
  return pin;
}

/** A string option's value (undefined when absent). */
export function str(values: OptionValues, name: string): string | undefined {
  const v = values[name];
  return typeof v === 'string' ? v : undefined;
}
