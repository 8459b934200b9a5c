/**
 * Sub-pool keys as metric labels, bounded: the first `cap` keys seen keep their own label (the
 * default sub-pool is always one of them), every later one reads `other`. A scraper asking for
 * 200 cities therefore adds at most `cap` series per metric, never 200.
 */
export class PoolLabels {
  private readonly admitted = new Set<string>();

  constructor(
    private readonly cap: number,
    defaultKey: string,
  ) {
    this.admitted.add(defaultKey);
  }

  label(key: string | undefined): string {
    if (key === undefined) return 'none';
    if (this.admitted.has(key)) return key;
    if (this.admitted.size < this.cap) {
      this.admitted.add(key);
      return key;
    }
    return 'other';
  }
}
