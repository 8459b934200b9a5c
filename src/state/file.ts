/**
 * Writing the state file so that a crash at any instant leaves either the old file or the new one,
 * never half of one: write a temporary file beside it, fsync it, rename it over the old one (atomic
 * within one file system, POSIX rename(2)), then fsync the directory so the rename itself is on
 * disk. Mode 0600 from the first byte: endpoints may carry the provider's proxy credentials.
 */
import { open, readFile, rename, rm } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';

export const STATE_FILE_MODE = 0o600;

export async function writeFileAtomic(path: string, data: string, mode = STATE_FILE_MODE): Promise<void> {
  // A name of our own per process, in the same directory (rename does not cross file systems).
  const tmp = join(dirname(path), `.${basename(path)}.${process.pid}.tmp`);
  const fh = await open(tmp, 'w', mode);
  try {
    // open()'s mode only applies to a file it creates; a stale temporary file keeps its own.
    await fh.chmod(mode);
    await fh.writeFile(data, 'utf8');
    await fh.sync();
  } catch (err) {
    await fh.close().catch(() => undefined);
    await rm(tmp, { force: true });
    throw err;
  }
  await fh.close();
  try {
    await rename(tmp, path);
  } catch (err) {
    await rm(tmp, { force: true });
    throw err;
  }
  await syncDirectory(dirname(path));
}

/** The file's text, or undefined when it does not exist (a first start is not an error). */
export async function readIfExists(path: string): Promise<string | undefined> {
  try {
    return await readFile(path, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw err;
  }
}

async function syncDirectory(dir: string): Promise<void> {
  // Some file systems refuse fsync on a directory (EISDIR/EINVAL); the rename stands either way.
  try {
    const d = await open(dir, 'r');
    try {
      await d.sync();
    } finally {
      await d.close();
    }
  } catch {
    /* best effort */
  }
}
