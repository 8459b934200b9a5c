// Bench knobs from the environment: bounded, so every load loop stays bounded whatever is set.

/** An integer knob in min..max; a bad value is named on stderr and the default used. */
export function boundedInt(raw, fallback, min, max, name) {
  if (raw === undefined || raw === '') return fallback;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < min || n > max) {
    console.error(`${name} must be an integer in ${min}..${max}, got \`${raw}\`; using ${fallback}.`);
    return fallback;
  }
  return n;
}
