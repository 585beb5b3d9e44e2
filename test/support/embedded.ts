import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { startEmbedded, type EmbeddedOptions, type EmbeddedTarget } from '../../local/embedded';
import { testTemplate } from './template';

/** A fresh data directory under the OS temp dir. */
export function tempDataDir(): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), 'firebreak-data-'));
}

/**
 * Starts the embedded target on a free port with a fresh data dir and the
 * run's template. The recovery checks' 60 s wait is cut to a few ms (the
 * loop then ends within its ten checks), a rollback approval expires after
 * 200 ms; the demo model answers without its
 * modelled delays.
 */
export function startTestTarget(options: EmbeddedOptions = {}): Promise<EmbeddedTarget> {
  return startEmbedded({
    port: 0,
    dataDir: tempDataDir(),
    template: testTemplate(),
    demoModelDelayScale: 0,
    ...options,
    waitTimeOverrides: { 'Wait Before Checking Recovery': 5, 'Wait For The Rollback Approval': 200, ...options.waitTimeOverrides },
    retryIntervalOverrides: { 'Check Recovery': 5, 'Escalate The Incident': 5, ...options.retryIntervalOverrides },
  });
}

/** POSTs JSON (or raw text) and returns status and parsed body. */
export async function post(url: string, body: unknown, headers: Record<string, string> = {}): Promise<{ status: number; body: Record<string, unknown> }> {
  const res = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body: typeof body === 'string' ? body : JSON.stringify(body),
  });
  return { status: res.status, body: (await res.json()) as Record<string, unknown> };
}

/** GETs JSON. */
export async function getJson<T = Record<string, unknown>>(url: string): Promise<{ status: number; body: T }> {
  const res = await fetch(url);
  return { status: res.status, body: (await res.json()) as T };
}
