import { firebreakUrl, unreachable } from './firebreak-url';
import { readFile } from 'node:fs/promises';
import { z } from 'zod';
import { lintPostmortem } from '../../lambdas/core/postmortem/lint';
import type { CliIo } from './io';

const USAGE = [
  'usage: firebreak postmortem lint FILE...',
  '       firebreak postmortem draft INCIDENT_ID [--url URL]',
  '',
  '  lint FILE...   check postmortems for blaming language; prints file:line:col  phrase → suggestion',
  '                 exit 0 clean, 1 findings, 2 usage error or unreadable file',
  '  draft ID       ask a running Firebreak (--url, FIREBREAK_URL or http://127.0.0.1:8787) to draft the',
  '                 postmortem of a resolved incident; prints where it was written and what is left to write',
].join('\n');

const INCIDENT_ID = /^inc-[0-9]{8}-[0-9a-f]{8}$/;

/** What `POST /incidents/{id}/postmortem` answers. */
const DraftResponseSchema = z.object({
  path: z.string(),
  link: z.string().optional(),
  filled: z.array(z.string()),
  prompts: z.array(z.string()),
  lint: z.array(z.object({ line: z.number(), column: z.number(), phrase: z.string(), suggestion: z.string(), rule: z.string().optional() })),
});
const ErrorResponseSchema = z.object({ error: z.string() });

/**
 * `firebreak postmortem lint FILE...` and `firebreak postmortem draft ID [--url URL]`.
 *
 * @returns 0 success (lint: no findings), 1 findings or a failed draft, 2 usage error or unreadable file
 */
export async function postmortemCommand(args: string[], io: CliIo): Promise<number> {
  const [sub, ...rest] = args;
  if (sub === 'help' || sub === '--help' || sub === '-h') {
    io.stdout(`${USAGE}\n`);
    return 0;
  }
  if (sub === 'lint') return lint(rest, io);
  if (sub === 'draft') return draft(rest, io);
  io.stderr(`firebreak postmortem: ${sub === undefined ? 'expected a subcommand' : `unknown subcommand ${JSON.stringify(sub)}`}\n\n${USAGE}\n`);
  return 2;
}

async function lint(files: string[], io: CliIo): Promise<number> {
  if (files.length === 0 || files.some((f) => f.startsWith('-'))) {
    io.stderr(`firebreak postmortem lint: ${files.length === 0 ? 'expected a FILE' : `unknown option ${files.find((f) => f.startsWith('-'))}`}\n\n${USAGE}\n`);
    return 2;
  }
  const texts: [string, string][] = [];
  for (const file of files) {
    try {
      texts.push([file, await readFile(file, 'utf8')]);
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      io.stderr(`firebreak postmortem lint: cannot read ${file}: ${code === 'ENOENT' ? 'no such file' : code === 'EISDIR' ? 'it is a directory' : (error as Error).message}\n`);
      return 2;
    }
  }
  let total = 0;
  for (const [file, text] of texts) {
    const findings = lintPostmortem(text);
    total += findings.length;
    for (const f of findings) io.stdout(`${file}:${f.line}:${f.column}  ${f.phrase} → ${f.suggestion}\n`);
  }
  if (total === 0) {
    io.stdout(`${files.join(', ')}: no blaming language found\n`);
    return 0;
  }
  io.stderr(`${total} blaming phrase${total === 1 ? '' : 's'} found: reword them to describe systems and conditions, not people\n`);
  return 1;
}

/** Takes `--url URL` or `--url=URL` out of the arguments. */
function takeUrl(args: string[]): { url: string | undefined; rest: string[]; error?: string } {
  const rest: string[] = [];
  let url: string | undefined;
  for (let i = 0; i < args.length; i += 1) {
    const arg = args[i];
    if (arg === '--url') {
      url = args[i + 1];
      if (url === undefined) return { url, rest, error: '--url needs a value' };
      i += 1;
    } else if (arg.startsWith('--url=')) url = arg.slice('--url='.length);
    else rest.push(arg);
  }
  return { url, rest };
}

async function draft(args: string[], io: CliIo): Promise<number> {
  const { url, rest, error } = takeUrl(args);
  const base = firebreakUrl(url);
  const [id, ...extra] = rest;
  const problem =
    error ??
    (id === undefined
      ? 'expected an incident id'
      : extra.length > 0
        ? `unexpected argument ${JSON.stringify(extra[0])}`
        : !INCIDENT_ID.test(id)
          ? `${JSON.stringify(id)} is not an incident id (expected inc-YYYYMMDD-xxxxxxxx)`
          : undefined);
  if (problem !== undefined || id === undefined) {
    io.stderr(`firebreak postmortem draft: ${problem}\n\n${USAGE}\n`);
    return 2;
  }
  let status: number;
  let text: string;
  try {
    const res = await fetch(`${base}/incidents/${encodeURIComponent(id)}/postmortem`, { method: 'POST', headers: { accept: 'application/json' } });
    status = res.status;
    text = await res.text();
  } catch (err) {
    io.stderr(unreachable('firebreak postmortem draft', base, err));
    return 1;
  }
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch {
    body = undefined;
  }
  if (status < 200 || status > 299) {
    const parsed = ErrorResponseSchema.safeParse(body);
    io.stderr(`firebreak postmortem draft: ${parsed.success ? parsed.data.error : text.slice(0, 200) || 'no message'} (HTTP ${status})\n`);
    return 1;
  }
  const parsed = DraftResponseSchema.safeParse(body);
  if (!parsed.success) {
    io.stderr(`firebreak postmortem draft: unexpected answer from ${base} (HTTP ${status}): ${parsed.error.issues.map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`).join('; ')}\n`);
    return 1;
  }
  const result = parsed.data;
  io.stdout(`drafted ${result.path}${result.link === undefined ? '' : `\n  ${result.link}`}\n`);
  io.stdout(`filled from the record (${result.filled.length}): ${result.filled.join(', ') || 'none'}\n`);
  io.stdout(`left for people (${result.prompts.length}): ${result.prompts.join(', ') || 'none'}; look for ✍️ TODO\n`);
  if (result.lint.length === 0) io.stdout('blameless language: no findings\n');
  else {
    io.stdout(`blameless language: ${result.lint.length} finding${result.lint.length === 1 ? '' : 's'}\n`);
    for (const f of result.lint) io.stdout(`  ${result.path}:${f.line}:${f.column}  ${f.phrase} → ${f.suggestion}\n`);
  }
  return 0;
}
