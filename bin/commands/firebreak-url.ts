/**
 * Where the CLI finds a running Firebreak: `--url`, else `FIREBREAK_URL`,
 * else `http://127.0.0.1:$FIREBREAK_PORT` (port 8787), without a trailing slash.
 *
 * @example
 * firebreakUrl(undefined) // => 'http://127.0.0.1:8787'
 */
export function firebreakUrl(flag: string | undefined): string {
  return (flag ?? process.env.FIREBREAK_URL ?? `http://127.0.0.1:${process.env.FIREBREAK_PORT ?? 8787}`).replace(/\/+$/, '');
}

/**
 * The line the CLI prints when Firebreak does not answer.
 *
 * @example
 * io.stderr(unreachable('firebreak review', base, error));
 */
export function unreachable(command: string, base: string, error: unknown): string {
  return `${command}: cannot reach Firebreak at ${base} (${error instanceof Error ? error.message : String(error)}); start it with \`npm start\`\n`;
}
