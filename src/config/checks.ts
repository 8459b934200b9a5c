/**
 * Domain checks on values that parsed: a country code is two letters, an API base is an http(s)
 * URL without an app_key in it, a probe URL is http://. Run once, while assembling the config.
 */
import { redactUrl } from '../logger.js';
import { fail } from './values.js';

export function geoValue(name: 'cc' | 'state' | 'city', value: string | undefined, source: string): string | undefined {
  if (value === undefined) return undefined;
  const v = value.toLowerCase();
  if (name === 'cc' && !/^[a-z]{2}$/.test(v)) {
    fail(`Expected \`${source}\` to be a two-letter country/region code such as us or de, got \`${value}\``);
  }
  if (!/^[\p{L}\p{N} _.']{1,64}$/u.test(v)) fail(`Expected \`${source}\` to be a place name, got \`${value}\``);
  return v;
}

export function validateApiBase(apiBase: string, source: string): string {
  let url: URL;
  try {
    url = new URL(apiBase);
  } catch {
    return fail(`Expected \`${source}\` to be an http(s) URL such as https://api.example.com/gateway, got \`${redactUrl(apiBase)}\``);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    fail(`Expected \`${source}\` to be an http(s) URL, got protocol \`${url.protocol}\``);
  }
  if (url.searchParams.has('app_key')) fail(`\`${source}\` must not carry app_key; pass it with --app-key or SWIVEL_APP_KEY`);
  return apiBase.replace(/\/+$/, '');
}

export function probeUrl(value: string | undefined, source: string): string | undefined {
  if (value === undefined) return undefined;
  let url: URL | undefined;
  try {
    url = new URL(value);
  } catch {
    url = undefined;
  }
  if (url?.protocol !== 'http:') fail(`Expected \`${source}\` to be an http:// URL, got \`${value}\``);
  return value;
}

/** `443,8443` → [443, 8443]; every entry an integer port in 1–65535. */
export function portList(value: string | undefined, source: string): number[] {
  if (value === undefined || value.trim() === '') return [];
  return value.split(',').map((part) => {
    const text = part.trim();
    const port = Number(text);
    if (!/^[0-9]+$/.test(text) || port < 1 || port > 65535) {
      fail(`Expected \`${source}\` to list ports in 1-65535 separated by commas, got \`${value}\``);
    }
    return port;
  });
}

/** A state file path names a file, not a directory; whether it can be written is found at the first save. */
export function statePath(value: string | undefined, source: string): string | undefined {
  if (value === undefined) return undefined;
  if (value.endsWith('/') || value === '.' || value === '..') fail(`Expected \`${source}\` to name a file, got the directory \`${value}\``);
  return value;
}

/** A redis:// or rediss:// URL; the message never shows its password. */
export function redisUrl(value: string | undefined, source: string): string | undefined {
  if (value === undefined) return undefined;
  let url: URL | undefined;
  try {
    url = new URL(value);
  } catch {
    url = undefined;
  }
  if (url === undefined || (url.protocol !== 'redis:' && url.protocol !== 'rediss:') || url.hostname === '') {
    // Whatever precedes an `@` may be a password, parsed or not.
    const shown = value.includes('@') ? `***@${value.slice(value.lastIndexOf('@') + 1)}` : value;
    fail(`Expected \`${source}\` to be a redis://host:port or rediss://host:port URL, got \`${shown}\``);
  }
  return value;
}
