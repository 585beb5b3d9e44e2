/**
 * Evidence from files under one allowed directory (the embedded target, the
 * CLI, and garak hitlogs or promptfoo results dropped next to them).
 */
import { constants, type Dirent } from 'node:fs';
import { open, readdir, realpath, stat, type FileHandle } from 'node:fs/promises';
import * as nodePath from 'node:path';
import { z } from 'zod';
import { ConfigurationError } from '../core/errors';
import {
  DEFAULT_EVIDENCE_MAX_BYTES,
  EvidenceUnavailableError,
  EvidenceUriError,
  formatEvidenceUri,
  isEvidenceFileName,
  parseEvidenceUri,
  type EvidenceDocument,
  type EvidenceSource,
} from '../core/corpus/evidence-source';

/** Options of {@link FileEvidenceSource}. */
export const FileEvidenceSourceOptionsSchema = z.strictObject({
  /**
   * Most bytes read by one fetch, over all its files.
   * @default DEFAULT_EVIDENCE_MAX_BYTES (32 MiB)
   */
  maxBytes: z.number().int().positive().optional(),
});
/** See {@link FileEvidenceSourceOptionsSchema}. */
export type FileEvidenceSourceOptions = z.infer<typeof FileEvidenceSourceOptionsSchema>;

const UTF8 = new TextDecoder('utf-8', { fatal: true });

/**
 * `EvidenceSource` over the file system, confined to one root directory.
 *
 * - `file://a/b.jsonl` is `a/b.jsonl` under the root; `file:///abs/b.jsonl`
 *   (or a bare `/abs/b.jsonl`) is allowed only when it is inside the root.
 * - A path naming a folder reads every `.jsonl` file under it, recursively,
 *   in path order.
 * - Every path is resolved with `realpath` before it is opened, so a symbolic
 *   link that leads outside the root is refused ({@link EvidenceUriError}),
 *   as is `..` (refused by the URI parser already). The file itself is opened
 *   with `O_NOFOLLOW`.
 * - Documents are named by their path relative to the root
 *   (`file://evidence/support-bot/adversarial-probes.jsonl`), never by a
 *   host path. Text must be UTF-8 (a byte-order mark is dropped).
 *
 * A missing file, an unreadable one or one over the size limit is an
 * {@link EvidenceUnavailableError}.
 *
 * @example
 * const source = new FileEvidenceSource('/srv/firebreak');
 * const docs = await source.fetch('file://evidence/support-bot/adversarial-probes.jsonl');
 */
export class FileEvidenceSource implements EvidenceSource {
  /** The root, absolute (as given, not resolved through links). */
  readonly root: string;
  private readonly maxBytes: number;

  /**
   * @param root - the directory evidence must be in; relative to the working directory or absolute
   * @throws ConfigurationError when the options are invalid
   */
  constructor(root: string, options: FileEvidenceSourceOptions = {}) {
    const parsed = FileEvidenceSourceOptionsSchema.safeParse(options);
    if (!parsed.success) throw new ConfigurationError(`FileEvidenceSource options: ${parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}`);
    if (root.trim() === '') throw new ConfigurationError('FileEvidenceSource needs an evidence root directory');
    this.root = nodePath.resolve(root);
    this.maxBytes = parsed.data.maxBytes ?? DEFAULT_EVIDENCE_MAX_BYTES;
  }

  async fetch(uri: string): Promise<EvidenceDocument[]> {
    const location = parseEvidenceUri(uri);
    if (location.scheme !== 'file') throw new EvidenceUriError(uri, `FileEvidenceSource reads file:// URIs, not ${location.scheme}://`);
    const realRoot = await this.realRoot(uri);
    const relative = this.relativeToRoot(uri, location.path, realRoot);
    const target = await this.resolveInside(uri, realRoot, nodePath.join(realRoot, relative));
    const budget = { remaining: this.maxBytes };
    const handle = await this.openFile(uri, target, relative || '.');
    if (handle !== undefined) return [await this.readDocument(uri, relative, handle, budget)];
    const files = await this.walk(uri, realRoot, target, relative, new Set([target]));
    const documents: EvidenceDocument[] = [];
    for (const file of files) {
      const fileHandle = await this.openFile(uri, file.real, file.relative);
      // A file found by the walk that is now a folder was swapped under us: say so rather than skip it.
      if (fileHandle === undefined) throw new EvidenceUnavailableError(uri, `${file.relative} changed while it was read`, { retryable: true, code: 'unavailable' });
      documents.push(await this.readDocument(uri, file.relative, fileHandle, budget));
    }
    return documents;
  }

  private async realRoot(uri: string): Promise<string> {
    try {
      return await realpath(this.root);
    } catch (cause) {
      throw unavailable(uri, `the evidence root ${this.root}`, cause);
    }
  }

  /** The path of the URI relative to the root (forward slashes); an absolute path must be inside the root. */
  private relativeToRoot(uri: string, path: string, realRoot: string): string {
    if (!path.startsWith('/')) return path;
    for (const root of [this.root, realRoot]) {
      const relative = nodePath.relative(root, path);
      if (isInside(relative)) return relative.split(nodePath.sep).join('/');
    }
    throw new EvidenceUriError(uri, `the absolute path is outside the evidence root (${this.root})`);
  }

  /** `realpath` of a path, which must stay inside the real root. */
  private async resolveInside(uri: string, realRoot: string, path: string): Promise<string> {
    let real: string;
    try {
      real = await realpath(path);
    } catch (cause) {
      throw unavailable(uri, nodePath.relative(realRoot, path).split(nodePath.sep).join('/') || 'the evidence root', cause);
    }
    if (!isInside(nodePath.relative(realRoot, real))) {
      throw new EvidenceUriError(uri, `${nodePath.relative(realRoot, path)} resolves, through a symbolic link, outside the evidence root`);
    }
    return real;
  }

  /** Opens a regular file without following a final link; undefined for a folder. */
  private async openFile(uri: string, real: string, relative: string): Promise<FileHandle | undefined> {
    let handle;
    try {
      handle = await open(real, constants.O_RDONLY | constants.O_NOFOLLOW);
    } catch (cause) {
      if ((cause as NodeJS.ErrnoException).code === 'EISDIR') return undefined;
      throw unavailable(uri, relative, cause);
    }
    const stat = await handle.stat();
    if (stat.isDirectory()) {
      await handle.close();
      return undefined;
    }
    if (!stat.isFile()) {
      await handle.close();
      throw new EvidenceUriError(uri, `${relative} is neither a file nor a folder`);
    }
    return handle;
  }

  private async readDocument(uri: string, relative: string, handle: FileHandle, budget: { remaining: number }): Promise<EvidenceDocument> {
    try {
      const { size } = await handle.stat();
      if (size > budget.remaining) {
        throw new EvidenceUnavailableError(uri, `${relative} would take the evidence read past ${this.maxBytes} bytes`, { retryable: false, code: 'too-large' });
      }
      const bytes = await handle.readFile();
      budget.remaining -= bytes.length;
      let text: string;
      try {
        text = UTF8.decode(bytes);
      } catch (cause) {
        throw new EvidenceUnavailableError(uri, `${relative} is not UTF-8 text`, { retryable: false, code: 'not-text', cause });
      }
      return { uri: formatEvidenceUri({ scheme: 'file', path: relative }), text };
    } catch (error) {
      if (error instanceof EvidenceUnavailableError) throw error;
      throw unavailable(uri, relative, error);
    } finally {
      await handle.close();
    }
  }

  /** `.jsonl` files under a folder, recursively, in path order; every entry is checked to stay inside the root. */
  private async walk(uri: string, realRoot: string, realDir: string, relativeDir: string, visited: Set<string>): Promise<{ real: string; relative: string }[]> {
    let entries: Dirent[];
    try {
      entries = await readdir(realDir, { withFileTypes: true });
    } catch (cause) {
      throw unavailable(uri, relativeDir, cause);
    }
    entries.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
    const files: { real: string; relative: string }[] = [];
    for (const entry of entries) {
      const relative = relativeDir === '' ? entry.name : `${relativeDir}/${entry.name}`;
      if (!entry.isSymbolicLink() && !entry.isDirectory() && !entry.isFile()) continue;
      const real = entry.isSymbolicLink() ? await this.resolveInside(uri, realRoot, nodePath.join(realDir, entry.name)) : nodePath.join(realDir, entry.name);
      const isDirectory = entry.isDirectory() || (entry.isSymbolicLink() && (await isDirectoryPath(uri, real, relative)));
      if (isDirectory) {
        // A link back to a folder already walked would loop.
        if (visited.has(real)) continue;
        visited.add(real);
        files.push(...(await this.walk(uri, realRoot, real, relative, visited)));
      } else if (isEvidenceFileName(entry.name)) {
        files.push({ real, relative });
      }
    }
    return files;
  }
}

/** True when a path relative to the root (from `path.relative`) stays inside it; `..name` files are inside. */
function isInside(relative: string): boolean {
  return relative !== '..' && !relative.startsWith(`..${nodePath.sep}`) && !nodePath.isAbsolute(relative);
}

async function isDirectoryPath(uri: string, real: string, relative: string): Promise<boolean> {
  try {
    return (await stat(real)).isDirectory();
  } catch (cause) {
    throw unavailable(uri, relative, cause);
  }
}

/** Maps a file-system error to the port's error: missing and forbidden are permanent; the rest may pass. */
function unavailable(uri: string, what: string, cause: unknown): EvidenceUnavailableError {
  const code = (cause as NodeJS.ErrnoException | undefined)?.code;
  if (code === 'ENOENT' || code === 'ENOTDIR') return new EvidenceUnavailableError(uri, `${what} does not exist`, { retryable: false, code: 'not-found', cause });
  if (code === 'EACCES' || code === 'EPERM') return new EvidenceUnavailableError(uri, `${what} may not be read (permission denied)`, { retryable: false, code: 'access-denied', cause });
  if (code === 'ELOOP') return new EvidenceUnavailableError(uri, `${what} is a symbolic link loop or a link where a file was expected`, { retryable: false, code: 'unavailable', cause });
  const detail = cause instanceof Error ? cause.message : String(cause);
  return new EvidenceUnavailableError(uri, `${what} could not be read (${detail})`, { retryable: true, code: 'unavailable', cause });
}
