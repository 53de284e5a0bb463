// A plain HTTP server with the collector's limits (applyServerLimits), in its own process: it
// sends its port to the parent, answers 'ok' to any request, and runs until killed.
import { createServer } from 'node:http';
import { applyServerLimits } from '../../src/http/limits.js';

const server = createServer((_req, res) => res.end('ok'));
applyServerLimits(server);
server.listen(0, '127.0.0.1', () => process.send!((server.address() as { port: number }).port));
