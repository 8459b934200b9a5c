// What the numbers came from: printed under the table, pasted into bench/README.md with it.
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';

function git(repoRoot, args) {
  try {
    return execFileSync('git', ['-C', repoRoot, ...args], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
  } catch {
    return undefined;
  }
}

function pkgVersion(repoRoot, name) {
  try {
    return JSON.parse(readFileSync(path.join(repoRoot, 'node_modules', name, 'package.json'), 'utf8')).version;
  } catch {
    return '?';
  }
}

export function machine(repoRoot, versions) {
  const commit = git(repoRoot, ['rev-parse', '--short', 'HEAD']);
  // The last commit that touched src/ is what the default swivel build was compiled from.
  const srcCommit = git(repoRoot, ['log', '-1', '--format=%h', '--', 'src']);
  const dirty = git(repoRoot, ['status', '--porcelain', '--', 'src']) ? ', modified' : '';
  return {
    date: new Date().toISOString().replace(/\.\d+Z$/, 'Z'),
    cpus: `${os.availableParallelism()} × ${os.cpus()[0]?.model ?? '?'}`,
    kernel: `${os.type()} ${os.release()} ${os.arch()}`,
    node: process.version,
    'proxy-chain': pkgVersion(repoRoot, 'proxy-chain'),
    swivel: commit === undefined ? '?' : `${commit} (src/ at ${srcCommit}${dirty})`,
    ...versions,
  };
}

export const loadAverage = () =>
  os
    .loadavg()
    .map((l) => l.toFixed(2))
    .join(' ');
