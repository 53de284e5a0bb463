// Owns making untrusted text (resource and origin names) safe to print on a terminal: C0 and C1
// control characters, DEL and the Unicode bidirectional marks and overrides become visible escapes
// (`\x1b`, `\x9b`, `\u202e`), so a name can neither move the cursor, retitle the window, nor
// reorder what is shown. Other characters (CJK, emoji) are kept.

// C0 (0x00-0x1f), DEL (0x7f), C1 (0x80-0x9f), the bidi marks (ALM, LRM, RLM), embeddings,
// overrides and isolates.
const UNSAFE = /[\u0000-\u001f\u007f-\u009f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]/g;

function escapeOne(ch: string): string {
  const c = ch.charCodeAt(0);
  return c <= 0xff ? `\\x${c.toString(16).padStart(2, '0')}` : `\\u${c.toString(16).padStart(4, '0')}`;
}

/** The text with every control character shown as an escape (see the header). */
export function terminalSafe(text: string): string {
  return text.replace(UNSAFE, escapeOne);
}
