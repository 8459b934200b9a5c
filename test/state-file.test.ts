import { chmodSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { decodeState, encodeState, type StateDocument } from '../src/state/format.js';
import { readIfExists, writeFileAtomic } from '../src/state/file.js';
import { StateKeeper } from '../src/state/keeper.js';
import { Refresher } from '../src/refresh/refresher.js';
import { createLogSink } from './helpers/log-sink.js';
import { makePool } from './helpers/pool.js';

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});
function tempDir(): string {
  const d = mkdtempSync(join(tmpdir(), 'swivel-state-'));
  dirs.push(d);
  return d;
}

const SOURCE = 'api http://127.0.0.1:9/gateway';

function doc(): StateDocument {
  return {
    format: 'swivel-state',
    version: 1,
    savedAt: 1,
    source: SOURCE,
    pools: [
      {
        key: 'de/*/*/*',
        geo: { cc: 'de' },
        demand: { bucketMs: 2000, watchedSince: 0, buckets: [[5, 3]] },
        endpoints: [
          {
            host: '203.0.113.1',
            port: 8001,
            username: 'u',
            password: 'p',
            extractedAt: 0,
            expiresAt: 60_000,
            health: 'healthy',
            ejectedUntil: 0,
            ejections: 0,
            consecutiveFailures: 0,
            uses: 2,
            successes: 2,
            failures: 0,
            lastUsedAt: 5,
          },
        ],
      },
    ],
    sessions: [{ key: 'de/*/*/*#a', pool: 'de/*/*/*', endpoint: '203.0.113.1:8001', ttlMs: 600_000, touchedAt: 5 }],
  };
}

describe('decodeState', () => {
  it('round-trips what encodeState wrote', () => {
    expect(decodeState(encodeState(doc()), SOURCE)).toEqual({ ok: true, state: doc() });
  });

  it.each([
    ['not JSON', '{', 'not JSON'],
    ['another format', '{"format":"other"}', 'not a swivel state file'],
    ['an array', '[]', 'not a swivel state file'],
    ['another version', JSON.stringify({ ...doc(), version: 2 }), 'state format version 2, expected 1'],
    ['another source', encodeState({ ...doc(), source: 'file other.txt' }), 'written for another endpoint source'],
  ])('rejects %s', (_name, text, reason) => {
    expect(decodeState(text, SOURCE)).toEqual({ ok: false, reason });
  });

  it.each([
    ['a bad port', (d: StateDocument) => (d.pools[0]!.endpoints[0]!.port = 70_000), 'pools[0]: endpoints[0]: bad port'],
    [
      'a bad health',
      (d: StateDocument) => ((d.pools[0]!.endpoints[0] as { health: string }).health = 'great'),
      'pools[0]: endpoints[0]: bad health',
    ],
    [
      'a missing expiry',
      (d: StateDocument) => delete (d.pools[0]!.endpoints[0] as Partial<{ expiresAt: number }>).expiresAt,
      'pools[0]: endpoints[0]: expiresAt is not a number',
    ],
    ['a key that is not its geo', (d: StateDocument) => (d.pools[0]!.key = 'us/*/*/*'), 'pools[0]: key does not match its geo'],
    ['a session out of shape', (d: StateDocument) => ((d.sessions[0] as { ttlMs: unknown }).ttlMs = 'long'), 'sessions[0]: out of shape'],
  ])('rejects the whole file for %s', (_name, damage, reason) => {
    const d = doc();
    damage(d);
    expect(decodeState(JSON.stringify(d), SOURCE)).toEqual({ ok: false, reason });
  });
});

describe('writeFileAtomic', () => {
  it('writes mode 0600 and leaves no temporary file behind', async () => {
    const dir = tempDir();
    const path = join(dir, 'state.json');
    await writeFileAtomic(path, 'one');
    await writeFileAtomic(path, 'two');
    expect(readFileSync(path, 'utf8')).toBe('two');
    expect(statSync(path).mode & 0o777).toBe(0o600);
    expect(readdirSync(dir)).toEqual(['state.json']);
  });

  it('a stale world-readable temporary file does not pass its mode on', async () => {
    const dir = tempDir();
    const path = join(dir, 'state.json');
    const tmp = join(dir, `.state.json.${process.pid}.tmp`);
    writeFileSync(tmp, 'stale');
    chmodSync(tmp, 0o644);
    await writeFileAtomic(path, 'fresh');
    expect(statSync(path).mode & 0o777).toBe(0o600);
  });

  it('keeps the old file when the write cannot happen', async () => {
    const dir = tempDir();
    const path = join(dir, 'state.json');
    await writeFileAtomic(path, 'old');
    await expect(writeFileAtomic(join(dir, 'missing', 'state.json'), 'new')).rejects.toMatchObject({ code: 'ENOENT' });
    expect(readFileSync(path, 'utf8')).toBe('old');
  });

  it('readIfExists: undefined for a missing file, the text otherwise', async () => {
    const dir = tempDir();
    expect(await readIfExists(join(dir, 'none'))).toBeUndefined();
    writeFileSync(join(dir, 'x'), 'text');
    expect(await readIfExists(join(dir, 'x'))).toBe('text');
  });
});

describe('StateKeeper saving', () => {
  it('logs a write failure once, not every minute, and the recovery once', async () => {
    const { pool, clock } = makePool();
    const refresher = new Refresher({
      source: { name: 'fake', extract: () => Promise.resolve({ endpoints: [], malformed: 0 }) },
      pool,
      clock,
      query: { num: 1 },
      lifetimeMs: 60_000,
      poolMin: 1,
      concurrency: 1,
    });
    const dir = tempDir();
    const { logger, records } = createLogSink();
    const keeper = new StateKeeper({
      path: join(dir, 'sub', 'state.json'),
      pool,
      refresher,
      clock,
      source: 'fake',
      lifetimeMs: 60_000,
      logger,
    });
    keeper.start();
    for (let i = 0; i < 3; i++) {
      await clock.advanceAsync(60_000);
      await keeper.settled();
    }
    expect(records.filter((r) => r.level === 40 && r['component'] === 'state')).toHaveLength(1);
    mkdirSync(join(dir, 'sub'));
    await clock.advanceAsync(60_000);
    await keeper.settled();
    expect(keeper.saves).toBe(1);
    expect(records.filter((r) => r.msg === 'state file written again')).toHaveLength(1);
    keeper.stop();
    expect(clock.pendingTimers).toBe(0);
  });
});
