/**
 * Delivering an upstream answer to the client (the UpstreamAnswer side of an h1 exchange): the
 * head through ServerResponse, or — for a small whole answer framed by Content-Length on a
 * kept-alive client connection — head and body in one write straight to the socket
 * (direct-response.ts); then the held body and whatever still comes (h1-relay.ts). `discard`
 * throws an answer away (the client left, or another attempt won).
 */
import type { ServerResponse } from 'node:http';
import { forwardResponseFields } from '../protocol/hop-headers.js';
import { canWriteDirect, writeDirect } from './direct-response.js';
import { LENGTH, NO_BODY } from './h1-framing.js';
import { ANSWERED, BodyRelay, DELIVERING, DONE } from './h1-relay.js';
import type { Delivery, UpstreamAnswer } from './http-forward.js';

/** A whole body up to this size goes out with the head in one write. */
const SMALL_BODY_BYTES = 16 * 1024;

export abstract class DeliverableAnswer extends BodyRelay implements UpstreamAnswer {
  statusCode = 0;
  /** The final head's fields (raw name/value list), until `deliver` takes them. */
  protected fields: string[] | undefined = undefined;
  /** Failed after the attempt resolved, before `deliver` (it then cuts). */
  protected failedEarly = false;

  /** The upstream side is of no further use: close it. */
  protected abstract drop(): void;

  deliver(res: ServerResponse, close: boolean, delivery: Delivery): void {
    this.res = res;
    this.delivery = delivery;
    const headers = forwardResponseFields(this.fields!);
    this.fields = undefined;
    if (this.state === ANSWERED && this.complete && !close && this.isSmallLengthFramed() && canWriteDirect(res)) {
      const body = this.held?.[0];
      this.held = undefined;
      this.state = DONE;
      writeDirect(res, this.statusCode, headers, body);
      return delivery.delivered(true);
    }
    if (close) headers.push('Connection', 'close');
    res.writeHead(this.statusCode, headers);
    const held = this.held;
    this.held = undefined;
    this.heldBytes = 0;
    if (this.failedEarly) {
      this.state = DELIVERING;
      return this.cut();
    }
    if (this.state !== ANSWERED) return; // discarded meanwhile
    this.state = DELIVERING;
    if (held !== undefined) {
      const last = held.length - 1;
      // The common small answer: head and whole body as one latin1 string (bytes unchanged), which
      // node:http appends to its head string: one write(), no writev of a string and a Buffer.
      if (this.complete && last === 0 && held[0]!.length <= SMALL_BODY_BYTES) return this.finish(held[0]!.toString('latin1'));
      for (let i = 0; i < last; i++) res.write(held[i]);
      if (this.complete) return this.finish(held[last]);
      res.write(held[last]);
    } else if (this.complete) {
      return this.finish(undefined);
    }
    this.resumeIfWaiting();
  }

  discard(): void {
    if (this.state === DONE) return;
    const delivering = this.state === DELIVERING;
    this.state = DONE;
    this.held = undefined;
    if (!this.complete) this.drop();
    if (delivering) this.cut();
  }

  /** Whole, and at most one small piece framed by Content-Length (or none): one write to the client. */
  private isSmallLengthFramed(): boolean {
    const held = this.held;
    return (
      (this.framing === LENGTH || this.framing === NO_BODY) &&
      (held === undefined || (held.length === 1 && held[0]!.length <= SMALL_BODY_BYTES))
    );
  }
}
