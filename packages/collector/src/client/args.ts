// Owns command-line option parsing for the collector's client commands: node:util parseArgs in
// strict mode, with its errors turned into UsageError (exit 2) and integer options checked.

import { parseArgs, type ParseArgsConfig } from 'node:util';
import { UsageError } from '../cli/command.js';

export type Options = NonNullable<ParseArgsConfig['options']>;

export type OptionValues = Record<string, string | boolean | undefined>;

export function parseOptions(argv: string[], options: Options): OptionValues {
  try {
    return parseArgs({ args: argv, options, strict: true, allowPositionals: false }).values as OptionValues;
  } catch (err) {
    const message = (err as Error).message.replace(/\. To specify a positional argument.*$/s, '');
    throw new UsageError(message);
  }
}

/** A whole number option in [min, max]; `fallback` when absent. */
export function intOption(name: string, text: string | undefined, fallback: number, min: number, max: number): number {
  if (text === undefined) return fallback;
  if (!/^\d+$/.test(text.trim()) || Number(text) < min || Number(text) > max) {
    throw new UsageError(`--${name} must be a whole number from ${min} to ${max}, got ${JSON.stringify(text)}`);
  }
  return Number(text);
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
