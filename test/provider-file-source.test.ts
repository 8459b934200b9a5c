import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it, expect, onTestFinished } from 'vitest';
import { SwivelError } from '../src/errors.js';
import { FileSource } from '../src/provider/file-source.js';

async function tempDir(): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'swivel-file-source-'));
  onTestFinished(() => rm(dir, { recursive: true, force: true }));
  return dir;
}

describe('FileSource', () => {
  it('reads every entry, skipping comments and blank lines, and re-reads on each extract', async () => {
    const path = join(await tempDir(), 'proxies.txt');
    await writeFile(
      path,
      '\ufeff# upstreams\r\n1.1.1.1:8080\r\n\r\n  2.2.2.2:3128:user:pass  \nhttp://u:p%40ss@proxy.example:80\n[::1]:1080\nbroken line\n',
    );
    const source = new FileSource(path);
    expect(source.name).toBe(`file ${path}`);

    const first = await source.extract({ num: 1 });
    expect(first.endpoints).toStrictEqual([
      { host: '1.1.1.1', port: 8080 },
      { host: '2.2.2.2', port: 3128, username: 'user', password: 'pass' },
      { host: 'proxy.example', port: 80, username: 'u', password: 'p@ss' },
      { host: '::1', port: 1080 },
    ]);
    expect(first.malformed).toBe(1);
    expect(first.firstMalformed).toBe('broken ***');

    await writeFile(path, '9.9.9.9:9\n');
    const second = await source.extract({ num: 1 });
    expect(second).toEqual({ endpoints: [{ host: '9.9.9.9', port: 9 }], malformed: 0 });
  });

  it('returns an empty result for an empty file', async () => {
    const path = join(await tempDir(), 'empty.txt');
    await writeFile(path, '');
    expect(await new FileSource(path).extract({ num: 5 })).toEqual({ endpoints: [], malformed: 0 });
  });

  it('maps a missing file to config_invalid with the errno', async () => {
    const path = join(await tempDir(), 'missing.txt');
    const err = await new FileSource(path).extract({ num: 1 }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(SwivelError);
    expect((err as SwivelError).code).toBe('config_invalid');
    expect((err as SwivelError).message).toBe(`Cannot read --proxies-file \`${path}\`: ENOENT`);
  });

  it('maps a directory to config_invalid', async () => {
    const dir = await tempDir();
    const err = await new FileSource(dir).extract({ num: 1 }).catch((e: unknown) => e);
    expect((err as SwivelError).code).toBe('config_invalid');
    expect((err as SwivelError).message).toBe(`Cannot read --proxies-file \`${dir}\`: EISDIR`);
  });
});

describe('FileSource geo tags', () => {
  const text = '1.1.1.1:1 cc=de city=berlin\n2.2.2.2:2 country=US state=new_york\n3.3.3.3:3\n';

  it('returns the entries tagged with the asked geo, and every entry for any location', async () => {
    const path = join(await tempDir(), 'tagged.txt');
    await writeFile(path, text);
    const source = new FileSource(path);
    expect((await source.extract({ num: 1, cc: 'de' })).endpoints).toEqual([{ host: '1.1.1.1', port: 1 }]);
    expect((await source.extract({ num: 1, cc: 'us', state: 'new york' })).endpoints).toEqual([{ host: '2.2.2.2', port: 2 }]);
    expect((await source.extract({ num: 1 })).endpoints).toHaveLength(3);
  });

  it('reads a header row naming the columns', async () => {
    const path = join(await tempDir(), 'header.csv');
    await writeFile(path, 'proxy,cc,city\n1.1.1.1:1,de,berlin\n2.2.2.2:2,de,munich\n');
    const source = new FileSource(path);
    expect((await source.extract({ num: 1, cc: 'de', city: 'munich' })).endpoints).toEqual([{ host: '2.2.2.2', port: 2 }]);
  });

  it('fails naming the geo when no entry is tagged with it (never falls back to untagged ones)', async () => {
    const path = join(await tempDir(), 'tagged.txt');
    await writeFile(path, text);
    const err = await new FileSource(path).extract({ num: 1, cc: 'fr' }).catch((e: unknown) => e);
    expect((err as SwivelError).code).toBe('provider_empty');
    expect((err as SwivelError).message).toContain('cc=fr');
  });
});
