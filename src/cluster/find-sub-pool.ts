/** The local sub-pool with this key, if this replica has one (it never creates one for a peer). */
import type { EndpointPool } from '../pool/pool.js';
import type { SubPool } from '../pool/sub-pool.js';

export function findSubPool(pool: EndpointPool, key: string): SubPool | undefined {
  for (const sub of pool.allSubPools()) if (sub.key === key) return sub;
  return undefined;
}
