// Test helpers for the state-changing side of the HTTP surface: a real server on 127.0.0.1 whose
// rules are real rule files in a temporary directory (rulesServer), a request sent with exactly the
// headers given (ask: node:http, no agent; fetch would add `sec-fetch-mode`), and a raw exchange on
// a socket (exchange) for what node:http cannot send or read.
import type { Test } from 'tap';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { request, type IncomingHttpHeaders } from 'node:http';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { RuleFiles } from '../../src/rules/rule-files.js';
import { serializeRules } from '../../src/rules/rule-set.js';
import { startHttpServer, type HttpServerOptions } from '../../src/http/server.js';
import type { RulesControl } from '../../src/http/transport.js';
import { FixedStatsQuery } from './fixed-query.js';

export const TOKEN = 'tok';
export const FORM = 'application/x-www-form-urlencoded';

export interface RulesServer {
  url: string;
  port: number;
  files: RuleFiles;
  /** The flow rules file's text, or undefined when it does not exist. */
  flowFile(): string | undefined;
  /** Sentinel's switch as the server's setSwitch last set it (on at start). */
  switchOn(): boolean;
}

/** The daemon's rules for the server, over real rule files; Sentinel's switch kept in memory (on at start). */
export function fileRules(files: RuleFiles): RulesControl {
  let on = true;
  return {
    getRules: (type) => serializeRules(type, files.rules(type)),
    setRules: (type, json, nowMs) => files.save(type, json, nowMs),
    switchOn: () => on,
    setSwitch: (value) => void (on = value),
  };
}

/** A server with token TOKEN and real rule files; more options as given (trustDashboardAddress, …). */
export async function rulesServer(t: Test, options: Partial<HttpServerOptions> = {}): Promise<RulesServer> {
  const dir = mkdtempSync(join(tmpdir(), 'sw-rules-http-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const files = new RuleFiles(dir);
  const rules = fileRules(files);
  const s = await startHttpServer({ query: new FixedStatsQuery([]), app: 'rules', metricDir: dir, host: '127.0.0.1', port: 0, nowMs: () => Date.now(), token: TOKEN, rules, ...options });
  t.teardown(() => s.close());
  const path = join(dir, 'flow.json');
  return { url: s.url, port: Number(new URL(s.url).port), files, flowFile: () => (existsSync(path) ? readFileSync(path, 'utf8') : undefined), switchOn: () => rules.switchOn() };
}

/** A form body for /setRules as the dashboard sends it (data encoded for the form, and once more for Sentinel). */
export function rulesForm(rules: unknown, type = 'flow'): string {
  return `type=${type}&data=${encodeURIComponent(encodeURIComponent(JSON.stringify(rules)))}`;
}

export interface Answer {
  status: number;
  headers: IncomingHttpHeaders;
  body: string;
}

/** One request with exactly these headers (and Host, Content-Length for a body), on its own connection. */
export function ask(port: number, method: string, path: string, headers: Record<string, string> = {}, body?: string): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, method, path, headers, agent: false }, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (d: string) => (text += d));
      res.on('end', () => resolve({ status: res.statusCode!, headers: res.headers, body: text }));
    });
    req.on('error', reject);
    req.end(body);
  });
}

/**
 * Writes `head` on a new connection and resolves with everything received until the server
 * closes it (or `waitMs` passes: then it resolves with what came). Never sends a body unless
 * `then` does, called with the socket on the first bytes received.
 */
export function exchange(port: number, head: string, then?: (write: (s: string) => void, received: string) => void, waitMs = 5000): Promise<string> {
  return new Promise((resolve) => {
    const c = connect({ port, host: '127.0.0.1', allowHalfOpen: true });
    let got = '';
    let called = false;
    const timer = setTimeout(() => c.destroy(), waitMs);
    c.setEncoding('latin1');
    c.on('data', (d: string) => {
      got += d;
      if (then !== undefined && !called) {
        called = true;
        then((s) => c.write(s), got);
      }
    });
    c.on('end', () => c.end());
    c.on('error', () => {});
    c.on('close', () => {
      clearTimeout(timer);
      resolve(got);
    });
    c.write(head);
  });
}
