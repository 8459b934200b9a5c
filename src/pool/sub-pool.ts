/**
 * The endpoints extracted for one geo selection (cc, state, city, ep). Holds them in a column
 * store (endpoint-store.ts: one slot per endpoint, no object until one is needed), an index by
 * address so a re-extracted endpoint renews the slot already there instead of appearing twice,
 * and a LiveSet of the slots in rotation, which selection picks from without scanning the rest.
 * An Endpoint object is built when a slot is handed out (or a session, probe or reader asks for
 * it) and kept; readers that only count read the columns.
 *
 * The live set follows every change that goes through the pool: ingest and renewal add, prune,
 * clear and ejection (EndpointPool.markEjected → park) remove, readmission (→ admit) adds back.
 * Expiry needs no event: a pick that meets an expired endpoint removes it. A field set directly
 * (tests do) is caught the same way, and prune() re-admits anything usable left outside.
 */
import { ipv4Number } from '../protocol/ip.js';
import type { EndpointBatch } from '../provider/batch.js';
import type { ParsedEndpoint } from '../provider/types.js';
import { endpointId, isUsable, RETIRED, type Endpoint } from './endpoint.js';
import { EndpointIndex } from './endpoint-index.js';
import { EndpointStore } from './endpoint-store.js';
import { EndpointView } from './endpoint-view.js';
import type { GeoSelection } from './geo-key.js';
import { LiveSet } from './live-set.js';
import type { SelectStrategy } from './strategies/index.js';
import type { RandomSource } from './strategies/types.js';
import { pickUntriedFrom } from './strategies/untried.js';

export interface IngestResult {
  added: number;
  renewed: number;
}

/** What a prune or clear took out. */
export interface RetiredCount {
  removed: number;
  /** Of those, never handed out. */
  wasted: number;
}

/** Counts by EndpointState, read from the columns. */
export interface StateCounts {
  usable: number;
  ejected: number;
  expired: number;
}

export class SubPool {
  private readonly store: EndpointStore;
  private readonly byAddress: EndpointIndex;
  private readonly live: LiveSet;
  /** `endpoints` as last built, and the slot epoch it was built at (prune and clear move slots). */
  private endpointList: Endpoint[] | undefined;
  private endpointListEpoch = 0;
  private epoch = 0;
  /** Last time a request asked this sub-pool for an endpoint; drives idle dropping. */
  lastDemandAt: number;
  /**
   * Times the rotation chose an endpoint here (a rotation, a retry, a new or re-bound session),
   * found or not; monotonic. The refresher sizes extractions from its rate (refresh/demand.ts).
   */
  picks = 0;

  constructor(
    readonly key: string,
    readonly geo: GeoSelection,
    readonly isDefault: boolean,
    private readonly strategy: SelectStrategy,
    now: number,
    private readonly random: RandomSource = Math.random,
  ) {
    this.lastDemandAt = now;
    this.store = new EndpointStore(key);
    this.byAddress = new EndpointIndex(this.store);
    strategy.attach?.(this.store);
    this.live = new LiveSet(this.store, strategy);
  }

  get size(): number {
    return this.store.length;
  }

  /**
   * Every endpoint as an object, in ingest order. Builds the objects not built yet (and keeps
   * them): for tests and rare readers; walks should use forEach, counts the counting methods.
   * The array is shared until the slots change: read it, do not modify it.
   */
  get endpoints(): Endpoint[] {
    // Kept until the slots change, so a caller indexing `sub.endpoints[i]` in a loop is not O(n²).
    if (this.endpointList !== undefined && this.endpointList.length === this.store.length && this.endpointListEpoch === this.epoch) {
      return this.endpointList;
    }
    const out = new Array<Endpoint>(this.store.length);
    for (let slot = 0; slot < this.store.length; slot++) out[slot] = this.store.endpoint(slot);
    this.endpointList = out;
    this.endpointListEpoch = this.epoch;
    return out;
  }

  /**
   * Call `fn` with a view of each endpoint in ingest order, building no objects (endpoint-view.ts:
   * one reused view; `view.endpoint()` builds the object of the one the caller needs). `fn` must
   * not add or remove endpoints.
   */
  forEach(fn: (view: EndpointView) => void): void {
    const view = new EndpointView();
    for (let slot = 0; slot < this.store.length; slot++) fn(view.at(this.store, slot));
  }

  /** The endpoint with this id, if the sub-pool holds it (a session bound on another replica). */
  byEndpointId(id: string): Endpoint | undefined {
    const colon = id.lastIndexOf(':');
    if (colon > 0 && id.charCodeAt(0) !== 91 /* [ */) {
      const v4 = ipv4Number(id, 0, colon);
      const port = Number(id.slice(colon + 1));
      if (v4 >= 0 && isPort(port)) {
        const slot = this.byAddress.getKey(v4 * 65536 + port);
        return slot >= 0 && this.store.idOf(slot) === id ? this.store.endpoint(slot) : undefined;
      }
    }
    const slot = this.byAddress.getName(id);
    return slot >= 0 ? this.store.endpoint(slot) : undefined;
  }

  /**
   * One endpoint by the rotation strategy; a retry (non-empty `avoid`) picks at random among the
   * untried instead of the failed one's neighbour. Undefined when none is usable. Only the
   * endpoint handed out becomes an object.
   */
  select(now: number, avoid: readonly Endpoint[] | undefined): Endpoint | undefined {
    this.picks++;
    const slot =
      avoid !== undefined && avoid.length > 0
        ? pickUntriedFrom(this.live, now, avoid, this.random)
        : this.strategy.pickFrom(this.live, now);
    return slot === -1 ? undefined : this.store.endpoint(slot);
  }

  /** Room for `n` more endpoints (a sliced ingest sizes it once). */
  reserve(n: number): void {
    this.byAddress.reserve(n);
    this.store.reserve(n);
    this.live.reserve(n);
  }

  /** The pool handed `e` out and counted the use (least-used re-sorts it). */
  noteUse(e: Endpoint): void {
    // Only least-used cares; the others skip the extra read of the live list.
    if (this.strategy.used !== undefined && e.store === this.store && this.live.has(e.slot)) this.strategy.used(e.slot);
  }

  /** Out of rotation (ejected); it stays in the sub-pool for probes and the status page. */
  park(e: Endpoint): void {
    if (e.store === this.store) this.live.remove(e.slot);
  }

  /** Back into rotation if it is still this sub-pool's and usable (readmitted). */
  admit(e: Endpoint, now: number): void {
    if (e.store === this.store && isUsable(e, now)) this.live.add(e.slot);
  }

  /** Endpoints usable at instant `at` (pass a future instant to look ahead of expiry). */
  usableAt(at: number): number {
    const store = this.store;
    let n = 0;
    for (let slot = 0; slot < store.length; slot++) if (store.isUsable(slot, at)) n++;
    return n;
  }

  /** Earliest expiry among usable endpoints, or Infinity. */
  soonestExpiry(now: number): number {
    const store = this.store;
    let soonest = Infinity;
    for (let slot = 0; slot < store.length; slot++) {
      if (store.isUsable(slot, now) && store.expiresAt[slot]! < soonest) soonest = store.expiresAt[slot]!;
    }
    return soonest;
  }

  /** How many endpoints are usable, ejected and expired (endpointState) at `now`. */
  countStates(now: number): StateCounts {
    const store = this.store;
    const counts: StateCounts = { usable: 0, ejected: 0, expired: 0 };
    for (let slot = 0; slot < store.length; slot++) {
      if (store.isRetired(slot) || now >= store.expiresAt[slot]!) counts.expired++;
      else if (store.isEjected(slot)) counts.ejected++;
      else counts.usable++;
    }
    return counts;
  }

  /** Endpoints whose health is `ejected` (whatever their expiry). */
  ejectedCount(): number {
    const store = this.store;
    let n = 0;
    for (let slot = 0; slot < store.length; slot++) if (store.isEjected(slot)) n++;
    return n;
  }

  /**
   * Add what an extraction returned. An address already present is renewed: the provider just
   * handed it out again, so its lifetime starts over, and its counters and health carry on.
   * `from`/`to` bound the part of `parsed` to take (sliced ingest, pool/ingest.ts).
   */
  ingest(parsed: readonly ParsedEndpoint[], now: number, lifetimeMs: number, from = 0, to = parsed.length): IngestResult {
    const expiresAt = now + lifetimeMs;
    const result: IngestResult = { added: 0, renewed: 0 };
    this.reserve(to - from);
    for (let i = from; i < to; i++) this.ingestOne(parsed[i]!, now, expiresAt, result);
    return result;
  }

  /** ingest() of a column batch (provider/batch.ts): IPv4 entries go from column to column. */
  ingestBatch(batch: EndpointBatch, now: number, lifetimeMs: number, from = 0, to = batch.length): IngestResult {
    const expiresAt = now + lifetimeMs;
    const result: IngestResult = { added: 0, renewed: 0 };
    this.reserve(to - from);
    const other = batch.other;
    if (other === undefined) return this.ingestColumns(batch.addr, batch.port, from, to, now, expiresAt, result);
    const addr = batch.addr;
    const port = batch.port;
    const store = this.store;
    const index = this.byAddress;
    const live = this.live;
    for (let i = from; i < to; i++) {
      const object = other[i];
      if (object !== undefined) {
        this.ingestOne(object, now, expiresAt, result);
        continue;
      }
      const address = addr[i]!;
      const p = port[i]!;
      const existing = index.claimV4(address, p, store.length);
      if (existing >= 0) {
        if (!store.isRetired(existing)) {
          this.renew(existing, now, expiresAt);
          result.renewed++;
          continue;
        }
        // Retired without a prune yet (a field set directly): a fresh slot takes the address.
        index.setKey(address * 65536 + p, store.length);
      }
      live.push(store.appendV4(address, p, now, expiresAt));
      result.added++;
    }
    return result;
  }

  /**
   * The batch of only plain IPv4 entries, the common one: per entry one index probe and two
   * column stores; the other columns of the new slots are filled in one go afterwards
   * (EndpointStore.completeV4), and the rotation gets its entries after that, in entry order as
   * the per-entry path adds them (new and re-admitted alike), so round-robin order and least-used
   * tie-breaks are the same. Capacity was reserved by the caller.
   */
  private ingestColumns(
    addr: Uint32Array,
    port: Uint16Array,
    from: number,
    to: number,
    now: number,
    expiresAt: number,
    result: IngestResult,
  ): IngestResult {
    const store = this.store;
    const index = this.byAddress;
    const first = store.length;
    const addrColumn = store.addr;
    const portColumn = store.port;
    // Slots to put into rotation, in order: new ones (≥ first) and renewed ones found expired.
    // Listed only once a renewed one joins them; until then they are first..next, in order.
    let adds: Int32Array | undefined;
    let added = 0;
    let next = first;
    for (let i = from; i < to; i++) {
      const address = addr[i]!;
      const p = port[i]!;
      const existing = index.claimV4(address, p, next);
      if (existing >= 0) {
        // Listed twice in this batch: renewing a slot just added changes nothing.
        if (existing >= first) {
          result.renewed++;
          continue;
        }
        if (!store.isRetired(existing)) {
          if (store.expiresAt[existing]! < expiresAt) store.expiresAt[existing] = expiresAt;
          if (store.liveSlot[existing] === -1 && store.isUsable(existing, now)) {
            if (adds === undefined) {
              adds = new Int32Array(to - from);
              for (let slot = first; slot < next; slot++) adds[added++] = slot;
            }
            adds[added++] = existing;
          }
          result.renewed++;
          continue;
        }
        // Retired without a prune yet (a field set directly): a fresh slot takes the address.
        index.setKey(address * 65536 + p, next);
      }
      addrColumn[next] = address;
      portColumn[next] = p;
      if (adds !== undefined) adds[added++] = next;
      next++;
    }
    store.completeV4(next, now, expiresAt);
    result.added += next - first;
    const live = this.live;
    if (adds === undefined) {
      live.pushRange(first, next);
      return result;
    }
    for (let k = 0; k < added; k++) {
      const slot = adds[k]!;
      if (slot >= first) live.push(slot);
      else live.add(slot);
    }
    return result;
  }

  private ingestOne(p: ParsedEndpoint, now: number, expiresAt: number, result: IngestResult): void {
    const v4 = isPort(p.port) ? ipv4Number(p.host) : -1;
    const id = v4 < 0 ? endpointId(p.host, p.port) : undefined;
    const key = v4 * 65536 + p.port;
    const slot = id === undefined ? this.byAddress.getKey(key) : this.byAddress.getName(id);
    if (slot >= 0 && !this.store.isRetired(slot)) {
      this.renew(slot, now, expiresAt);
      result.renewed++;
      return;
    }
    const fresh = this.store.append(v4 < 0 ? 0 : v4, p.port, id === undefined ? undefined : p.host, p.username, p.password, now, expiresAt);
    if (id === undefined) this.byAddress.setKey(key, fresh);
    else this.byAddress.setName(id, fresh);
    this.live.add(fresh);
    result.added++;
  }

  private renew(slot: number, now: number, expiresAt: number): void {
    const store = this.store;
    if (store.expiresAt[slot]! < expiresAt) store.expiresAt[slot] = expiresAt;
    // Found expired by a pick (so out of rotation) and now handed out again: back in.
    if (store.liveSlot[slot] === -1 && store.isUsable(slot, now)) this.live.add(slot);
  }

  /** Drop expired and retired endpoints; returns the ones removed (objects: for tests and logging). */
  prune(now: number): Endpoint[] {
    const removed: Endpoint[] = [];
    this.pruneCounting(now, (e) => removed.push(e));
    return removed;
  }

  /**
   * Drop expired and retired endpoints and count them; `onRemoved`, when given, sees each as an
   * object (built for it: pass it only when someone listens). Survivors keep their order.
   */
  pruneCounting(now: number, onRemoved?: (e: Endpoint) => void): RetiredCount {
    const store = this.store;
    const n = store.length;
    let remap: Int32Array | undefined;
    let removed = 0;
    let wasted = 0;
    let w = 0;
    for (let slot = 0; slot < n; slot++) {
      if (store.isRetired(slot) || now >= store.expiresAt[slot]!) {
        store.flags[slot] = store.flags[slot]! | RETIRED;
        // A fresh endpoint with the same address may already have taken this one's place.
        this.unindex(slot);
        this.live.remove(slot);
        removed++;
        if (store.uses[slot] === 0) wasted++;
        const e = onRemoved === undefined ? undefined : store.endpoint(slot);
        store.release(slot);
        if (e !== undefined) onRemoved!(e);
        remap ??= identityUpTo(n, slot);
        remap[slot] = -1;
      } else {
        if (remap !== undefined) remap[slot] = w;
        w++;
        // Usable but out of rotation: its health was changed without the pool (see the header).
        if (store.liveSlot[slot] === -1 && !store.isEjected(slot)) this.live.add(slot);
      }
    }
    if (remap !== undefined) {
      this.epoch++;
      store.compact(remap);
      this.live.remap(remap);
      this.strategy.remap?.(remap);
      this.byAddress.remap(remap);
    }
    return { removed, wasted };
  }

  /** Retire every endpoint (the sub-pool is being dropped); `onRetired` as in pruneCounting. */
  clear(onRetired?: (e: Endpoint) => void): RetiredCount {
    const store = this.store;
    let wasted = 0;
    const removed = store.length;
    for (let slot = 0; slot < store.length; slot++) {
      if (store.uses[slot] === 0) wasted++;
      if (onRetired !== undefined) onRetired(store.endpoint(slot));
      store.flags[slot] = store.flags[slot]! | RETIRED;
    }
    this.epoch++;
    this.live.clear();
    store.clear();
    this.byAddress.clear();
    return { removed, wasted };
  }

  private unindex(slot: number): void {
    const name = this.store.nameOf(slot);
    if (name !== undefined) this.byAddress.deleteName(endpointId(name, this.store.port[slot]!), slot);
    else this.byAddress.deleteKey(this.store.addr[slot]! * 65536 + this.store.port[slot]!, slot);
  }
}

function isPort(port: number): boolean {
  return Number.isInteger(port) && port >= 1 && port <= 65535;
}

/** remap for slots [0, upTo) unchanged; the rest filled in by the caller. */
function identityUpTo(n: number, upTo: number): Int32Array {
  const remap = new Int32Array(n);
  for (let i = 0; i < upTo; i++) remap[i] = i;
  return remap;
}
