// Synthetic extraction answers shared by the benches.

/**
 * The documented shape (`data.list` as a list of lists): groups of 10 ports on one public host, so
 * the address filter keeps every entry. Hosts are 11 to 15 characters, as real IPv4 answers are.
 */
export function jsonBody(entries) {
  const groups = [];
  for (let i = 0; i < entries; i += 10) {
    const group = [];
    const host = `${23 + ((i >> 20) & 63)}.${(i >> 12) & 255}.${(i >> 4) & 255}.${(i * 7) & 255}`;
    for (let j = i; j < Math.min(i + 10, entries); j++) group.push(`${host}:${10000 + (j % 10)}`);
    groups.push(group);
  }
  return JSON.stringify({ code: 200, msg: 'ok', data: { list: groups } });
}
