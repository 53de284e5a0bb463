// Owns the collector package's public entry point.

export { main } from './cli/main.js';
