// Owns cutting text that an error message echoes (jco's account of a failed transpile, which can
// quote its input) to its first lines and bytes, with a note of what was left out, so no input file
// is ever printed whole.

export const EXCERPT_MAX_LINES = 20;
export const EXCERPT_MAX_BYTES = 2048;

/** `text` when it is within both limits; else its first lines (cut at a character) and a note of the rest. */
export function excerpt(text: string, maxLines = EXCERPT_MAX_LINES, maxBytes = EXCERPT_MAX_BYTES): string {
  const totalBytes = Buffer.byteLength(text);
  const lines = text.split('\n');
  if (lines.length <= maxLines && totalBytes <= maxBytes) return text;
  let kept = lines.slice(0, maxLines).join('\n');
  if (Buffer.byteLength(kept) > maxBytes) {
    // Cut at a byte, then drop a character the cut split (decoded as U+FFFD).
    kept = Buffer.from(kept).subarray(0, maxBytes).toString('utf8').replace(/\uFFFD$/, '');
  }
  const keptLines = kept.split('\n').length;
  const lineNote = lines.length > keptLines ? `, ${lines.length - keptLines} more lines` : '';
  return `${kept}\n[… ${totalBytes - Buffer.byteLength(kept)} more bytes${lineNote} not shown]`;
}
