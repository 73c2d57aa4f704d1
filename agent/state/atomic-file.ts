/**
 * Crash-safe small-file writes: write a temporary file, fsync it, rename it over the target, fsync the folder. A kill
 * -9 at any moment leaves either the old file or the new one, never a torn one.
 */
import { randomBytes } from 'node:crypto';
import { chmod, mkdir, open, readFile, rename, rm, stat } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { restrictToAdministrators } from './windows-acl.js';

/** Private to the agent's user: the state holds its token. */
export const STATE_DIR_MODE = 0o700;
export const STATE_FILE_MODE = 0o600;

export async function ensurePrivateDir(dir: string): Promise<void> {
  const created = await mkdir(dir, { recursive: true, mode: STATE_DIR_MODE });
  // mkdir leaves an existing folder's mode alone, and the umask may have widened a new one.
  if (process.platform !== 'win32') await chmod(dir, STATE_DIR_MODE);
  // Windows ignores the mode: a folder the agent creates gets an ACL of SYSTEM, Administrators and its owner instead.
  else if (created !== undefined) await restrictToAdministrators(dir, { keepOwner: true });
}

async function fsyncDir(dir: string): Promise<void> {
  if (process.platform === 'win32') return; // directories cannot be opened for fsync there
  const h = await open(dir, 'r');
  try {
    await h.sync();
  } finally {
    await h.close();
  }
}

/**
 * `sync: false` keeps the write-temp-then-rename (no torn file after a process crash) but skips the fsyncs, which only
 * matter for a power loss: the simulated fleet, which can rebuild its state, uses it to stay cheap.
 */
export async function writeFileAtomic(path: string, data: string, opts: { sync?: boolean } = {}): Promise<void> {
  const sync = opts.sync ?? true;
  const tmp = join(dirname(path), `.${randomBytes(6).toString('hex')}.tmp`);
  const h = await open(tmp, 'w', STATE_FILE_MODE);
  try {
    await h.writeFile(data, 'utf8');
    if (sync) await h.sync();
  } finally {
    await h.close();
  }
  try {
    await rename(tmp, path);
  } catch (e) {
    await rm(tmp, { force: true });
    throw e;
  }
  if (sync) await fsyncDir(dirname(path));
}

/** Appends one line and fsyncs it (the dead-letter file). */
export async function appendLineDurably(path: string, line: string): Promise<void> {
  const h = await open(path, 'a', STATE_FILE_MODE);
  try {
    await h.writeFile(`${line}\n`, 'utf8');
    await h.sync();
  } finally {
    await h.close();
  }
}

/** The file's text, or undefined when it does not exist. */
export async function readTextIfExists(path: string): Promise<string | undefined> {
  try {
    return await readFile(path, 'utf8');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw e;
  }
}

export async function exists(path: string): Promise<boolean> {
  try {
    await stat(path);
    return true;
  } catch {
    return false;
  }
}
