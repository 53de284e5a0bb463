// Owns the package's main, platform-neutral entry point: the encoder side plus the scanner and
// record validation used by readers. No node:* modules and no Buffer here.

export * from './encode.js';
export * from './records.js';
export * from './scanner.js';
export * from './events.js';
