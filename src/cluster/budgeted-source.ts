/**
 * `--api-rate` without Redis: the extraction source with a per-process budget in front. A call
 * past the budget fails with `provider_budget` (and its Retry-After) before any request is sent.
 */
import type { EndpointSource, ExtractQuery, ParseResult } from '../provider/types.js';
import type { ExtractionBudget } from './budget.js';

export class BudgetedSource implements EndpointSource {
  readonly name: string;

  constructor(
    private readonly inner: EndpointSource,
    private readonly budget: ExtractionBudget,
  ) {
    this.name = inner.name;
  }

  async extract(query: ExtractQuery, signal?: AbortSignal): Promise<ParseResult> {
    const refused = await this.budget.take();
    if (refused !== undefined) throw refused;
    return this.inner.extract(query, signal);
  }
}
