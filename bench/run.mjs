// `npm run bench`: builds nothing (run `npm run build` first, `npm install` already did), runs
// each bench in its own process one after another, and prints their tables.
import { spawnSync } from 'node:child_process';

const benches = [
  'bench/parse.bench.mjs',
  'bench/extract.bench.mjs',
  'bench/select.bench.mjs',
  'bench/stall.bench.mjs',
  'bench/proxy.bench.mjs',
  'bench/economy.bench.mjs',
  'bench/redis.bench.mjs',
  'bench/forward.bench.mjs',
];
let failed = 0;
for (const file of benches) {
  console.log(`\n== ${file}`);
  const r = spawnSync(process.execPath, ['--expose-gc', file], { stdio: 'inherit', timeout: 600_000 });
  if (r.status !== 0) failed++;
}
process.exitCode = failed === 0 ? 0 : 1;
