/**
 * A small parser for the Prometheus text exposition format (0.0.4): HELP and TYPE comments,
 * samples `name{label="value",...} value [timestamp]` with escaped label values (\\, \", \n).
 * Strict: a line it cannot read throws, so malformed output fails the test instead of being
 * skipped by a regex that did not match.
 */
export interface Sample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

export interface Family {
  name: string;
  type: string | undefined;
  help: string | undefined;
  samples: Sample[];
}

export interface Exposition {
  families: Map<string, Family>;
  samples: Sample[];
  /** Sum of the samples named `name` whose labels include every pair in `match`. */
  value(name: string, match?: Record<string, string>): number;
  /** Samples named `name`. */
  named(name: string): Sample[];
}

const NAME = /^[a-zA-Z_:][a-zA-Z0-9_:]*/;

/**
 * Sample values are read as Prometheus does (Go's strconv.ParseFloat): `NaN` and `Inf` in any
 * case. prom-client prints an empty event-loop histogram's mean as `Nan`.
 */
function parseValue(text: string, line: string): number {
  const lower = text.toLowerCase();
  if (lower === '+inf' || lower === 'inf') return Infinity;
  if (lower === '-inf') return -Infinity;
  if (lower === 'nan') return NaN;
  const n = Number(text);
  if (text === '' || Number.isNaN(n)) throw new Error(`bad sample value in: ${line}`);
  return n;
}

function parseLabels(s: string, start: number, line: string): { labels: Record<string, string>; end: number } {
  const labels: Record<string, string> = {};
  let i = start; // just after '{'
  for (;;) {
    while (s[i] === ' ') i++;
    if (s[i] === '}') return { labels, end: i + 1 };
    const m = NAME.exec(s.slice(i));
    if (m === null) throw new Error(`bad label name in: ${line}`);
    const key = m[0];
    i += key.length;
    if (s[i] !== '=' || s[i + 1] !== '"') throw new Error(`expected ="…" after ${key} in: ${line}`);
    i += 2;
    let value = '';
    for (;;) {
      const c = s[i];
      if (c === undefined) throw new Error(`unterminated label value in: ${line}`);
      if (c === '"') break;
      if (c === '\\') {
        const next = s[i + 1];
        value += next === 'n' ? '\n' : next === '\\' ? '\\' : next === '"' ? '"' : `\\${next ?? ''}`;
        i += 2;
        continue;
      }
      value += c;
      i++;
    }
    i++;
    if (key in labels) throw new Error(`duplicate label ${key} in: ${line}`);
    labels[key] = value;
    if (s[i] === ',') i++;
    else if (s[i] !== '}') throw new Error(`expected , or } in: ${line}`);
  }
}

/** The family a sample belongs to: histogram/summary suffixes map back to their base name. */
function familyOf(name: string, families: Map<string, Family>): Family | undefined {
  if (families.has(name)) return families.get(name);
  for (const suffix of ['_bucket', '_sum', '_count']) {
    if (name.endsWith(suffix)) {
      const f = families.get(name.slice(0, -suffix.length));
      if (f !== undefined) return f;
    }
  }
  return undefined;
}

export function parseExposition(text: string): Exposition {
  const families = new Map<string, Family>();
  const samples: Sample[] = [];
  const family = (name: string): Family => {
    let f = families.get(name);
    if (f === undefined) {
      f = { name, type: undefined, help: undefined, samples: [] };
      families.set(name, f);
    }
    return f;
  };
  for (const line of text.split('\n')) {
    if (line.trim() === '') continue;
    if (line.startsWith('#')) {
      const parts = line.split(' ');
      if (parts[1] === 'HELP') family(parts[2]!).help = parts.slice(3).join(' ');
      else if (parts[1] === 'TYPE') family(parts[2]!).type = parts[3];
      continue;
    }
    const m = NAME.exec(line);
    if (m === null) throw new Error(`bad metric name in: ${line}`);
    const name = m[0];
    let i = name.length;
    let labels: Record<string, string> = {};
    if (line[i] === '{') ({ labels, end: i } = parseLabels(line, i + 1, line));
    if (line[i] !== ' ') throw new Error(`expected a space before the value in: ${line}`);
    const rest = line
      .slice(i + 1)
      .trim()
      .split(/\s+/);
    if (rest.length > 2) throw new Error(`trailing text in: ${line}`);
    const sample = { name, labels, value: parseValue(rest[0]!, line) };
    samples.push(sample);
    (familyOf(name, families) ?? family(name)).samples.push(sample);
  }
  return {
    families,
    samples,
    named: (name) => samples.filter((s) => s.name === name),
    value(name, match = {}) {
      let sum = 0;
      for (const s of samples) {
        if (s.name !== name) continue;
        if (Object.entries(match).every(([k, v]) => s.labels[k] === v)) sum += s.value;
      }
      return sum;
    },
  };
}
