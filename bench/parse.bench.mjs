// Extraction parser bench: parseExtractionBody on synthetic answers of 10 to 100 000 entries.
//
//   npm run build && node bench/parse.bench.mjs
//   PARSE_ITERATIONS=500 node bench/parse.bench.mjs
//
// Knobs (env):
//   PARSE_ITERATIONS  runs per body, 1..100000, default 50. Bodies under 10 000 entries run
//                     PARSE_ITERATIONS × (10 000 / entries) times so they are not lost in timer noise.
//   PARSE_MODULE      path of an alternative build of parse.js (default: the `swivel` package itself).
//
// Columns: ops/s = whole bodies parsed per second; ns/entry = wall time per entry; heap/entry =
// heap still held by ParseResults after a full GC, per entry (what keeping a result costs). Small
// bodies hold enough copies to reach 100 000 entries, so the figure is not lost in GC noise.
import { pathToFileURL } from 'node:url';
import { resolve } from 'node:path';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { boundedInt } from './lib/knobs.mjs';

const target = process.env.PARSE_MODULE ? pathToFileURL(resolve(process.env.PARSE_MODULE)).href : 'swivel';

let parser;
try {
  parser = await import(target);
} catch (err) {
  console.error(`Cannot import ${target}: ${err.message}`);
  console.error('Run `npm run build` first (or point PARSE_MODULE at a compiled parse.js).');
  process.exit(1);
}
const { parseExtractionBody } = parser;

const iterations = boundedInt(process.env.PARSE_ITERATIONS, 50, 1, 100_000, 'PARSE_ITERATIONS');

// Expose gc() without a command-line flag, so `node bench/parse.bench.mjs` is enough.
setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc');

/** The documented shape: groups of 10 ports on one host. */
function jsonBody(entries, withAuth = false) {
  const groups = [];
  for (let i = 0; i < entries; i += 10) {
    const group = [];
    const host = `10.${(i >> 16) & 255}.${(i >> 8) & 255}.${i & 255}`;
    for (let j = i; j < Math.min(i + 10, entries); j++) {
      group.push(withAuth ? `${host}:${10000 + (j % 10)}:user${j}:pw${j}` : `${host}:${10000 + (j % 10)}`);
    }
    groups.push(group);
  }
  return JSON.stringify({ code: 200, msg: '操作成功', data: { list: groups } });
}

function textBody(entries, separator, withAuth = false) {
  let body = '';
  for (let i = 0; i < entries; i++) {
    const host = `10.${(i >> 16) & 255}.${(i >> 8) & 255}.${i & 255}`;
    body += withAuth ? `${host}:${10000 + (i % 10)}:user${i}:pw${i}${separator}` : `${host}:${10000 + (i % 10)}${separator}`;
  }
  return body;
}

const cases = [
  { name: 'json', entries: 10, body: jsonBody(10), type: 'application/json' },
  { name: 'json', entries: 1_000, body: jsonBody(1_000), type: 'application/json' },
  { name: 'json', entries: 100_000, body: jsonBody(100_000), type: 'application/json' },
  { name: 'json user:pass', entries: 100_000, body: jsonBody(100_000, true), type: 'application/json' },
  { name: 'text CRLF', entries: 1_000, body: textBody(1_000, '\r\n'), type: 'text/plain' },
  { name: 'text CRLF', entries: 100_000, body: textBody(100_000, '\r\n'), type: 'text/plain' },
  { name: 'text lb=| user:pass', entries: 100_000, body: textBody(100_000, '|', true), type: 'text/plain', lb: '|' },
];

const rows = [];
for (const c of cases) {
  const check = parseExtractionBody(c.body, c.type, c.lb);
  if (check.endpoints.length !== c.entries || check.malformed !== 0) {
    throw new Error(`${c.name}/${c.entries}: parsed ${check.endpoints.length} endpoints, ${check.malformed} malformed`);
  }
  const runs = c.entries < 10_000 ? iterations * Math.round(10_000 / c.entries) : iterations;

  // Warm up on about 200 000 entries, so small bodies are measured in optimised code too.
  const warmUp = Math.min(20_000, Math.max(5, Math.ceil(200_000 / c.entries)));
  for (let i = 0; i < warmUp; i++) parseExtractionBody(c.body, c.type, c.lb);
  gc();
  const started = process.hrtime.bigint();
  let sink = 0;
  for (let i = 0; i < runs; i++) sink += parseExtractionBody(c.body, c.type, c.lb).endpoints.length;
  const elapsedNs = Number(process.hrtime.bigint() - started);
  if (sink !== runs * c.entries) throw new Error('lost entries');

  const copies = Math.ceil(100_000 / c.entries);
  const held = new Array(copies);
  gc();
  const before = process.memoryUsage().heapUsed;
  for (let i = 0; i < copies; i++) held[i] = parseExtractionBody(c.body, c.type, c.lb);
  gc();
  const heapDelta = process.memoryUsage().heapUsed - before;
  if (held[copies - 1].endpoints.length !== c.entries) throw new Error('unreachable');

  rows.push({
    body: c.name,
    entries: c.entries.toLocaleString('en-US'),
    'body KiB': (Buffer.byteLength(c.body) / 1024).toFixed(1),
    runs,
    'ops/s': (runs / (elapsedNs / 1e9)).toFixed(1),
    'ns/entry': (elapsedNs / (runs * c.entries)).toFixed(1),
    'heap delta KiB': (heapDelta / copies / 1024).toFixed(1),
    'heap B/entry': (heapDelta / (copies * c.entries)).toFixed(0),
  });
}

console.log(`parseExtractionBody, node ${process.version}, ${process.arch}, PARSE_ITERATIONS=${iterations}`);
console.table(rows);
