/**
 * The architecture as imports: layers below the listeners never reach up into them. A file that
 * breaks the rule is named, with the import that breaks it.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join, relative, resolve, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const SRC = fileURLToPath(new URL('../src', import.meta.url));

function filesUnder(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
    e.isDirectory() ? filesUnder(join(dir, e.name)) : e.name.endsWith('.ts') ? [join(dir, e.name)] : [],
  );
}

/** `src/`-relative folders that `file` imports from. */
function importedFolders(file: string): string[] {
  const text = readFileSync(file, 'utf8');
  const out: string[] = [];
  for (const m of text.matchAll(/from '(\.[^']+)'/g)) {
    const target = relative(SRC, resolve(dirname(file), m[1]!));
    out.push(target.split('/')[0]!);
  }
  return out;
}

const RULES: Array<[layer: string, forbidden: string[]]> = [
  ['pool', ['server', 'cli', 'app.ts', 'admin', 'refresh', 'health', 'upstream']],
  ['provider', ['server', 'cli', 'app.ts', 'admin', 'refresh', 'health', 'upstream']],
  ['health', ['server', 'cli', 'app.ts', 'admin']],
  ['state', ['server', 'cli', 'app.ts', 'admin', 'upstream']],
  ['refresh', ['server', 'cli', 'app.ts', 'admin', 'state']],
  ['upstream', ['server', 'cli', 'app.ts', 'health', 'admin']],
  ['protocol', ['server', 'cli', 'app.ts', 'pool', 'provider', 'upstream', 'health', 'admin']],
];

describe('layering', () => {
  it.each(RULES)('nothing under src/%s imports from %j', (layer, forbidden) => {
    const offences = filesUnder(join(SRC, layer)).flatMap((file) =>
      importedFolders(file)
        .filter((folder) => forbidden.includes(folder))
        .map((folder) => `${relative(SRC, file)} → ${folder}`),
    );
    expect(offences).toEqual([]);
  });
});
