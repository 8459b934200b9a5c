/**
 * A read-only look at one slot of a sub-pool's store with the Endpoint's field names, for readers
 * that walk every endpoint (stats, the state file, the prober, the cluster feed): values come from
 * the columns, or from the slot's object when one was built, and the defaults of an endpoint never
 * handed out otherwise (its counters can only move through an object). One view object is reused
 * across the walk (SubPool.forEach): read it inside the callback, never keep it; `endpoint()`
 * gives the real object when the reader needs one (a probe to run).
 */
import type { Endpoint, EndpointHealth } from './endpoint.js';
import { healthOf, RETIRED } from './endpoint.js';
import type { EndpointStore } from './endpoint-store.js';

export class EndpointView {
  private store: EndpointStore | undefined;
  private slot = -1;
  private object: Endpoint | undefined;

  /** Point the view at `slot` (SubPool.forEach). */
  at(store: EndpointStore, slot: number): this {
    this.store = store;
    this.slot = slot;
    this.object = store.objectAt(slot);
    return this;
  }

  /** The slot's Endpoint object, built now if it was not yet. */
  endpoint(): Endpoint {
    return (this.object ??= this.s.endpoint(this.slot));
  }

  /** The slot's object if one was built already (it is the one any Set or Map of endpoints holds). */
  get built(): Endpoint | undefined {
    return this.object;
  }

  get id(): string {
    return this.object?.id ?? this.s.idOf(this.slot);
  }

  get host(): string {
    return this.object?.host ?? this.s.hostOf(this.slot);
  }

  get port(): number {
    return this.s.port[this.slot]!;
  }

  get username(): string | undefined {
    return this.s.usernameOf(this.slot);
  }

  get password(): string | undefined {
    return this.s.passwordOf(this.slot);
  }

  get poolKey(): string {
    return this.s.poolKey;
  }

  get extractedAt(): number {
    return this.s.extractedAt[this.slot]!;
  }

  get expiresAt(): number {
    return this.s.expiresAt[this.slot]!;
  }

  get uses(): number {
    return this.s.uses[this.slot]!;
  }

  get health(): EndpointHealth {
    return healthOf(this.s.flags[this.slot]!);
  }

  get retired(): boolean {
    return (this.s.flags[this.slot]! & RETIRED) !== 0;
  }

  get lastUsedAt(): number {
    return this.object?.lastUsedAt ?? 0;
  }

  get lastProbedAt(): number {
    return this.object?.lastProbedAt ?? 0;
  }

  get consecutiveFailures(): number {
    return this.object?.consecutiveFailures ?? 0;
  }

  get ejections(): number {
    return this.object?.ejections ?? 0;
  }

  get ejectedUntil(): number {
    return this.object?.ejectedUntil ?? 0;
  }

  get inFlight(): number {
    return this.object?.inFlight ?? 0;
  }

  get successes(): number {
    return this.object?.successes ?? 0;
  }

  get failures(): number {
    return this.object?.failures ?? 0;
  }

  get lastErrorCode(): string | undefined {
    return this.object?.lastErrorCode;
  }

  get latencyEwmaMs(): number {
    return this.object?.latencyEwmaMs ?? 0;
  }

  private get s(): EndpointStore {
    const store = this.store;
    if (store === undefined) throw new Error('EndpointView read before at()');
    return store;
  }
}
