/**
 * Build dist/ once before any test file runs, when it is older than src/. Tests that run the CLI as
 * a user does (`node dist/cli/main.js`), or import the package by name (`import('swivel')`, which
 * resolves through package.json `exports` to dist/), need it; building per file would race.
 */
import { execFileSync } from 'node:child_process';
import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = fileURLToPath(new URL('..', import.meta.url));

function newestMtime(dir: string): number {
  let newest = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    newest = Math.max(newest, entry.isDirectory() ? newestMtime(path) : statSync(path).mtimeMs);
  }
  return newest;
}

function isBuildCurrent(): boolean {
  try {
    return statSync(join(ROOT, 'dist', 'index.js')).mtimeMs >= newestMtime(join(ROOT, 'src'));
  } catch {
    return false;
  }
}

export default function setup(): void {
  if (isBuildCurrent()) return;
  execFileSync(process.execPath, [join(ROOT, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', 'tsconfig.build.json'], {
    cwd: ROOT,
    stdio: 'pipe',
  });
}
