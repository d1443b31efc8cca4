// STUN client transactions (RFC 8489 §6.2): UDP with retransmission, TCP/TLS with a timeout, first answer wins.

import { randomBytes } from 'node:crypto';
import { createSocket, type Socket as UdpSocket } from 'node:dgram';
import { isIPv6 } from 'node:net';
import { PbxgateError } from '../errors.ts';
import { Attr, StunClass, StunMethod } from './constants.ts';
import { type AttributeValue, encodeStunMessage } from './encode.ts';
import { stunType } from './header.ts';
import { type StunMessage, decodeStunMessage } from './message.ts';
import { type TransportAddress, transportAddressOf } from './attributes/address.ts';
import { writeChangeRequest } from './attributes/change-request.ts';
import { writePort } from './attributes/scalar.ts';

/** RFC 8489 §6.2.1: RTO 500 ms doubling, Rc = 7 sends, a final wait of Rm = 16 x RTO: 39.5 s in all. */
export interface RetransmitOptions {
  readonly rtoMs: number;
  readonly maxSends: number;
  readonly finalWaitFactor: number;
}
export const DEFAULT_RETRANSMIT: RetransmitOptions = {
  rtoMs: 500,
  maxSends: 7,
  finalWaitFactor: 16,
};
/** RFC 8489 §6.2.2: Ti = 39.5 s for a transaction over TCP/TLS. */
export const DEFAULT_STREAM_TIMEOUT_MS = 39_500;

export interface BindingRequestOptions {
  readonly changeIp?: boolean;
  readonly changePort?: boolean;
  readonly responsePort?: number;
  readonly paddingBytes?: number;
  readonly fingerprint?: boolean;
  /** RFC 3489 form: 16-byte transaction id, no magic cookie. */
  readonly classic?: boolean;
}

export interface StunRequest {
  readonly bytes: Buffer;
  readonly transactionId: Buffer;
}

export function buildBindingRequest(options: BindingRequestOptions = {}): StunRequest {
  const transactionId = randomBytes(options.classic === true ? 16 : 12);
  const attributes: AttributeValue[] = [];
  if (options.changeIp === true || options.changePort === true) {
    attributes.push({
      type: Attr.changeRequest,
      value: writeChangeRequest({
        changeIp: options.changeIp === true,
        changePort: options.changePort === true,
      }),
    });
  }
  if (options.responsePort !== undefined)
    attributes.push({ type: Attr.responsePort, value: writePort(options.responsePort) });
  if (options.paddingBytes !== undefined)
    attributes.push({ type: Attr.padding, value: new Uint8Array(options.paddingBytes) });
  const bytes = encodeStunMessage({
    type: stunType(StunMethod.binding, StunClass.request),
    transactionId,
    attributes,
    fingerprint: options.fingerprint !== false && options.classic !== true,
  });
  return { bytes, transactionId };
}

export interface StunResponse {
  readonly message: StunMessage;
  /** Where the answer came from: with CHANGE-REQUEST it must differ from where we sent. */
  readonly from: TransportAddress;
  readonly rttMs: number;
}

/**
 * One UDP socket running any number of transactions, answers matched by transaction id, so a NAT
 * test can reuse one local mapping for several requests.
 */
export class StunUdpClient {
  readonly socket: UdpSocket;
  readonly #pending = new Map<
    string,
    { resolve(response: StunResponse): void; fail(err: Error): void }
  >();

  constructor(family: 4 | 6 = 4) {
    this.socket = createSocket(family === 6 ? 'udp6' : 'udp4');
    this.socket.on('error', () => undefined);
    this.socket.on('message', (datagram, from) => {
      const decoded = decodeStunMessage(datagram);
      if (decoded.kind !== 'ok' || decoded.value.class === StunClass.request) return;
      const key = Buffer.from(decoded.value.transactionId).toString('hex');
      const pending = this.#pending.get(key);
      if (!pending) return;
      this.#pending.delete(key);
      pending.resolve({
        message: decoded.value,
        from: transportAddressOf(from.address, from.port),
        rttMs: 0,
      });
    });
  }

  bind(address?: string, port = 0): Promise<TransportAddress> {
    return new Promise((resolve, reject) => {
      this.socket.once('error', reject);
      this.socket.bind({ port, ...(address === undefined ? {} : { address }) }, () => {
        this.socket.off('error', reject);
        const local = this.socket.address();
        resolve(transportAddressOf(local.address, local.port));
      });
    });
  }

  /** Sends with RFC 8489 retransmissions; resolves with the first answer, rejects on timeout or abort. */
  transact(
    request: StunRequest,
    to: { readonly address: string; readonly port: number },
    retransmit: RetransmitOptions = DEFAULT_RETRANSMIT,
    signal?: AbortSignal,
  ): Promise<StunResponse> {
    const key = request.transactionId.toString('hex');
    const started = performance.now();
    return new Promise((resolve, reject) => {
      let sends = 0;
      let timer: NodeJS.Timeout | undefined;
      const finish = (): void => {
        clearTimeout(timer);
        this.#pending.delete(key);
        signal?.removeEventListener('abort', onAbort);
      };
      const onAbort = (): void => {
        finish();
        reject(
          new PbxgateError(
            'PBX_ERR_STUN_TIMEOUT',
            `stun request to ${to.address}:${to.port} aborted`,
          ),
        );
      };
      const send = (): void => {
        sends++;
        this.socket.send(request.bytes, to.port, to.address);
        const last = sends >= retransmit.maxSends;
        const wait = last
          ? retransmit.rtoMs * retransmit.finalWaitFactor
          : retransmit.rtoMs * 2 ** (sends - 1);
        timer = setTimeout(() => {
          if (!last) {
            send();
            return;
          }
          finish();
          reject(
            new PbxgateError(
              'PBX_ERR_STUN_TIMEOUT',
              `no stun answer from ${to.address}:${to.port} after ${sends} sends`,
            ),
          );
        }, wait);
      };
      if (signal?.aborted === true) {
        onAbort();
        return;
      }
      signal?.addEventListener('abort', onAbort, { once: true });
      this.#pending.set(key, {
        resolve: (response) => {
          finish();
          resolve({ ...response, rttMs: performance.now() - started });
        },
        fail: (err) => {
          finish();
          reject(err);
        },
      });
      send();
    });
  }

  close(): void {
    for (const pending of [...this.#pending.values()]) {
      pending.fail(new PbxgateError('PBX_ERR_STUN_TIMEOUT', 'stun client closed'));
    }
    try {
      this.socket.close();
    } catch {
      // already closed
    }
  }
}

export function familyOf(address: string): 4 | 6 {
  return isIPv6(address) ? 6 : 4;
}
