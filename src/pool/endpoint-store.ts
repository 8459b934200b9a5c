/**
 * A sub-pool's endpoints as columns (struct of arrays, issue 12). One extraction may bring 100 000
 * endpoints; as 100 000 heap objects they cost more to allocate, and to copy through the young
 * generation, than the whole rest of the extraction path (bench/README.md). Here an endpoint is a
 * slot: its IPv4 address as a u32, port u16, expiry f64, state bits, and what selection reads
 * (use count, least-used tie-break, its place in the rotation list and the heap). Host strings
 * exist only for names and IPv6, credentials only when some endpoint has them.
 *
 * The Endpoint object is built on first need (`endpoint(slot)`: a hand-out, a session, a probe)
 * and cached; while attached, its expiry, use count, health and retired flag read and write these
 * columns, so selection never has to look at objects. Slots are dense and in ingest order;
 * `compact` closes the holes a prune leaves (and tells the structures holding slots where each
 * one went).
 */
import { ipv4Text } from '../provider/batch.js';
import { EJECTED, Endpoint, endpointId, RETIRED } from './endpoint.js';

/** Out of rotation whatever the clock says. */
const NOT_USABLE = RETIRED | EJECTED;

const MIN_CAPACITY = 16;

export class EndpointStore {
  length = 0;
  addr = new Uint32Array(MIN_CAPACITY);
  port = new Uint16Array(MIN_CAPACITY);
  extractedAt = new Float64Array(MIN_CAPACITY);
  expiresAt = new Float64Array(MIN_CAPACITY);
  uses = new Float64Array(MIN_CAPACITY);
  /** Least-used tie-break: when last handed out or added (strategies/use-heap.ts). */
  useSeq = new Float64Array(MIN_CAPACITY);
  flags = new Uint8Array(MIN_CAPACITY);
  /** Index in the rotation list (live-set.ts) and the least-used heap; -1 when out. */
  liveSlot = new Int32Array(MIN_CAPACITY).fill(-1);
  heapSlot = new Int32Array(MIN_CAPACITY).fill(-1);
  /** Host text of a slot whose host is not an IPv4 address; created on the first such slot. */
  hosts: Array<string | undefined> | undefined;
  usernames: Array<string | undefined> | undefined;
  passwords: Array<string | undefined> | undefined;
  /** Materialised Endpoint objects by slot (holey: most slots have none). */
  objects: Array<Endpoint | undefined> = [];

  constructor(readonly poolKey: string) {}

  /** Append one endpoint; `host` only when it is not the IPv4 address `address`. */
  append(
    address: number,
    port: number,
    host: string | undefined,
    username: string | undefined,
    password: string | undefined,
    extractedAt: number,
    expiresAt: number,
  ): number {
    const slot = this.length;
    this.writeNew(slot, address, port, extractedAt, expiresAt);
    if (host !== undefined) (this.hosts ??= sparse(slot))[slot] = host;
    else if (this.hosts !== undefined) this.hosts[slot] = undefined;
    if (username !== undefined) (this.usernames ??= sparse(slot))[slot] = username;
    else if (this.usernames !== undefined) this.usernames[slot] = undefined;
    if (password !== undefined) (this.passwords ??= sparse(slot))[slot] = password;
    else if (this.passwords !== undefined) this.passwords[slot] = undefined;
    this.length = slot + 1;
    return slot;
  }

  /** The columns every new slot sets (growing the store first when it is full); small enough to inline. */
  private writeNew(slot: number, address: number, port: number, extractedAt: number, expiresAt: number): void {
    if (slot === this.addr.length) this.resize(slot * 2);
    this.addr[slot] = address;
    this.port[slot] = port;
    this.extractedAt[slot] = extractedAt;
    this.expiresAt[slot] = expiresAt;
    this.uses[slot] = 0;
    this.useSeq[slot] = 0;
    this.flags[slot] = 0;
    this.liveSlot[slot] = -1;
    this.heapSlot[slot] = -1;
  }

  /** append() of an IPv4 endpoint without credentials: the ingest's common case. */
  appendV4(address: number, port: number, extractedAt: number, expiresAt: number): number {
    const slot = this.length;
    if (this.hosts !== undefined || this.usernames !== undefined || this.passwords !== undefined) {
      return this.append(address, port, undefined, undefined, undefined, extractedAt, expiresAt);
    }
    this.writeNew(slot, address, port, extractedAt, expiresAt);
    this.length = slot + 1;
    return slot;
  }

  /**
   * Complete the slots `[this.length, end)`, whose addr and port the caller wrote (the ingest's
   * column path: it needs them while it deduplicates), as IPv4 slots without credentials appended
   * at `extractedAt`; one fill per column instead of nine stores per slot. Capacity was reserved.
   */
  completeV4(end: number, extractedAt: number, expiresAt: number): void {
    const first = this.length;
    if (end <= first) return;
    this.extractedAt.fill(extractedAt, first, end);
    this.expiresAt.fill(expiresAt, first, end);
    this.uses.fill(0, first, end);
    this.useSeq.fill(0, first, end);
    this.flags.fill(0, first, end);
    this.liveSlot.fill(-1, first, end);
    this.heapSlot.fill(-1, first, end);
    // The sparse text columns, when they exist, stay as long as the store.
    for (const column of [this.hosts, this.usernames, this.passwords]) {
      if (column !== undefined) for (let slot = first; slot < end; slot++) column[slot] = undefined;
    }
    this.length = end;
  }

  /**
   * Room for `more` slots without another resize. At least doubling, but no further: an empty
   * store that takes a 10 000-entry batch allocates (and zeroes) 10 000 slots' columns, not 16 384.
   */
  reserve(more: number): void {
    const need = this.length + more;
    if (need > this.addr.length) this.resize(Math.max(need, this.addr.length * 2));
  }

  isUsable(slot: number, now: number): boolean {
    return (this.flags[slot]! & NOT_USABLE) === 0 && now < this.expiresAt[slot]!;
  }

  isRetired(slot: number): boolean {
    return (this.flags[slot]! & RETIRED) !== 0;
  }

  isEjected(slot: number): boolean {
    return (this.flags[slot]! & EJECTED) !== 0;
  }

  /** The host name or IPv6 text of a slot, or undefined when the host is the IPv4 `addr`. */
  nameOf(slot: number): string | undefined {
    return this.hosts === undefined ? undefined : this.hosts[slot];
  }

  hostOf(slot: number): string {
    return this.nameOf(slot) ?? ipv4Text(this.addr[slot]!);
  }

  idOf(slot: number): string {
    const o = this.objects[slot];
    return o !== undefined ? o.id : endpointId(this.hostOf(slot), this.port[slot]!);
  }

  usernameOf(slot: number): string | undefined {
    return this.usernames === undefined ? undefined : this.usernames[slot];
  }

  passwordOf(slot: number): string | undefined {
    return this.passwords === undefined ? undefined : this.passwords[slot];
  }

  /** The slot's Endpoint object, built on first call and kept. */
  endpoint(slot: number): Endpoint {
    let e = this.objects[slot];
    if (e === undefined) {
      e = new Endpoint(
        { host: this.hostOf(slot), port: this.port[slot]!, username: this.usernameOf(slot), password: this.passwordOf(slot) },
        this.poolKey,
        this.extractedAt[slot]!,
        0,
      );
      e.attach(this, slot);
      this.objects[slot] = e;
    }
    return e;
  }

  /** The slot's object if one was built. */
  objectAt(slot: number): Endpoint | undefined {
    return this.objects[slot];
  }

  /** The slot leaves the store: its object (if any) keeps its last values as its own fields. */
  release(slot: number): void {
    const e = this.objects[slot];
    if (e !== undefined) {
      e.detach();
      this.objects[slot] = undefined;
    }
  }

  /**
   * Close the holes: `remap[slot]` is the slot's new index, -1 for one released. New indices keep
   * the order and are never above the old ones, so one forward pass moves everything.
   */
  compact(remap: Int32Array): void {
    let w = 0;
    for (let r = 0; r < this.length; r++) {
      if (remap[r]! < 0) continue;
      if (r !== w) {
        this.addr[w] = this.addr[r]!;
        this.port[w] = this.port[r]!;
        this.extractedAt[w] = this.extractedAt[r]!;
        this.expiresAt[w] = this.expiresAt[r]!;
        this.uses[w] = this.uses[r]!;
        this.useSeq[w] = this.useSeq[r]!;
        this.flags[w] = this.flags[r]!;
        this.liveSlot[w] = this.liveSlot[r]!;
        this.heapSlot[w] = this.heapSlot[r]!;
        if (this.hosts !== undefined) this.hosts[w] = this.hosts[r];
        if (this.usernames !== undefined) this.usernames[w] = this.usernames[r];
        if (this.passwords !== undefined) this.passwords[w] = this.passwords[r];
        const e = this.objects[r];
        this.objects[w] = e;
        if (e !== undefined) e.slot = w;
      }
      w++;
    }
    this.truncate(w);
  }

  /** Release every slot (the sub-pool is cleared). */
  clear(): void {
    for (let slot = 0; slot < this.length; slot++) this.release(slot);
    this.truncate(0);
  }

  private truncate(length: number): void {
    this.length = length;
    this.objects.length = Math.min(this.objects.length, length);
    if (this.hosts !== undefined) this.hosts.length = Math.min(this.hosts.length, length);
    if (this.usernames !== undefined) this.usernames.length = Math.min(this.usernames.length, length);
    if (this.passwords !== undefined) this.passwords.length = Math.min(this.passwords.length, length);
  }

  private resize(capacity: number): void {
    this.addr = grown(this.addr, new Uint32Array(capacity));
    this.port = grown(this.port, new Uint16Array(capacity));
    this.extractedAt = grown(this.extractedAt, new Float64Array(capacity));
    this.expiresAt = grown(this.expiresAt, new Float64Array(capacity));
    this.uses = grown(this.uses, new Float64Array(capacity));
    this.useSeq = grown(this.useSeq, new Float64Array(capacity));
    this.flags = grown(this.flags, new Uint8Array(capacity));
    this.liveSlot = grown(this.liveSlot, new Int32Array(capacity));
    this.heapSlot = grown(this.heapSlot, new Int32Array(capacity));
  }
}

function sparse(length: number): Array<string | undefined> {
  return new Array<string | undefined>(length).fill(undefined);
}

function grown<T extends Uint8Array | Uint16Array | Uint32Array | Int32Array | Float64Array>(from: T, to: T): T {
  to.set(from as never);
  return to;
}
