/**
 * The package as another project sees it: `import('swivel')` resolves through package.json
 * `exports` to dist/index.js, and `swivel --version` prints swivel's version even when run from
 * inside another project (yargs' own lookup found the host project's package.json).
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const OWN_VERSION = (JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { version: string }).version;
const host = mkdtempSync(join(tmpdir(), 'swivel-host-'));
afterAll(() => rmSync(host, { recursive: true, force: true }));

describe('package surface', () => {
  it('import("swivel") by name yields the public API', () => {
    const script =
      "const m = await import('swivel'); console.log(JSON.stringify({ keys: Object.keys(m).sort(), version: m.version, code: new m.SwivelError('pool_empty', 'x').code }))";
    const out = execFileSync(process.execPath, ['--input-type=module', '-e', script], { cwd: ROOT, encoding: 'utf8' });
    const got = JSON.parse(out) as { keys: string[]; version: string; code: string };
    for (const name of ['SwivelApp', 'startSwivel', 'loadConfig', 'startSimulation', 'ERRORS', 'SwivelError', 'ManualClock']) {
      expect(got.keys).toContain(name);
    }
    expect(got.version).toBe(OWN_VERSION);
    expect(got.code).toBe('pool_empty');
  });

  it('deep imports are closed: only the exports map is public', () => {
    const script = "await import('swivel/dist/pool/pool.js')";
    expect(() => execFileSync(process.execPath, ['--input-type=module', '-e', script], { cwd: ROOT, stdio: 'pipe' })).toThrow(
      /ERR_PACKAGE_PATH_NOT_EXPORTED/,
    );
  });

  it('--version prints swivel’s own version from inside another project', () => {
    writeFileSync(join(host, 'package.json'), JSON.stringify({ name: 'host-project', version: '9.9.9' }));
    const out = execFileSync(process.execPath, [join(ROOT, 'dist', 'cli', 'main.js'), '--version'], { cwd: host, encoding: 'utf8' });
    expect(out.trim()).toBe(OWN_VERSION);
  });
});
