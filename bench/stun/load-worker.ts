// One load worker: connected UDP sockets, a window of Binding requests in flight on each, closed loop.

import { createSocket, type Socket } from 'node:dgram';
import { parentPort, workerData } from 'node:worker_threads';
import { buildBindingRequest } from '../../src/stun/client.ts';
import { readBindingResult } from '../../src/stun/binding-result.ts';
import { FINGERPRINT_XOR, HEADER_SIZE } from '../../src/stun/constants.ts';
import { checkFingerprint, crc32 } from '../../src/stun/fingerprint.ts';
import { decodeStunMessage } from '../../src/stun/message.ts';
import { COUNTER_SLOTS, Counter, LATENCY_BASE, latencyBucket } from './counters.ts';

export interface WorkerSettings {
  readonly host: string;
  readonly port: number;
  readonly sockets: number;
  readonly window: number;
  readonly timeoutMs: number;
  /** Int32Array of COUNTER_SLOTS, written by this worker only. */
  readonly counters: SharedArrayBuffer;
}

/** main -> worker: start sending, or stop and close. worker -> main: 'ready', then 'stopped'. */
export type WorkerCommand = 'go' | 'stop';
export type WorkerReport = 'ready' | 'stopped';

/** RFC 8489 §5 Binding success response type. */
const BINDING_SUCCESS = 0x0101;
/** Transaction id layout (bytes 8-19): slot index (2), sequence (4), random from buildBindingRequest (6). */
const SLOT_AT = 8;
const SEQUENCE_AT = 10;
const RANDOM_AT = 14;
const FINGERPRINT_VALUE_AT = HEADER_SIZE + 4;
const SWEEP_MS = 50;

interface Slot {
  readonly index: number;
  /** The request, rewritten in place for each transaction: header + FINGERPRINT, 28 bytes. */
  readonly bytes: Buffer;
  sequence: number;
  sentAt: number;
  inFlight: boolean;
}

interface Client {
  readonly socket: Socket;
  readonly address: string;
  readonly port: number;
  readonly slots: readonly Slot[];
}

const settings = workerData as WorkerSettings;
const counters = new Int32Array(settings.counters);
let running = false;
let sweeper: NodeJS.Timeout | undefined;

function count(counter: Counter): void {
  Atomics.add(counters, counter, 1);
}

function newSlot(index: number): Slot {
  // Our own client's request (FINGERPRINT included); the sequence number then changes per send.
  const bytes = Buffer.from(buildBindingRequest().bytes);
  if (bytes.length !== HEADER_SIZE + 8) throw new Error('expected a 28-byte Binding request');
  bytes.writeUInt16BE(index, SLOT_AT);
  return { index, bytes, sequence: 0, sentAt: 0, inFlight: false };
}

function send(client: Client, slot: Slot): void {
  slot.sequence = (slot.sequence + 1) >>> 0;
  slot.bytes.writeUInt32BE(slot.sequence, SEQUENCE_AT);
  const crc = (crc32(slot.bytes.subarray(0, HEADER_SIZE)) ^ FINGERPRINT_XOR) >>> 0;
  slot.bytes.writeUInt32BE(crc, FINGERPRINT_VALUE_AT);
  slot.sentAt = performance.now();
  slot.inFlight = true;
  client.socket.send(slot.bytes);
  count(Counter.sent);
}

/** The in-flight slot this answer's transaction id names, 'late' for an earlier one of a slot. */
function matchSlot(client: Client, datagram: Buffer): Slot | 'late' | undefined {
  if (datagram.length < HEADER_SIZE) return undefined;
  const slot = client.slots[datagram.readUInt16BE(SLOT_AT)];
  if (!slot) return undefined;
  // Cookie, slot index and random part must match; only then does the sequence tell old from current.
  if (datagram.compare(slot.bytes, 4, SEQUENCE_AT, 4, SEQUENCE_AT) !== 0) return undefined;
  if (datagram.compare(slot.bytes, RANDOM_AT, HEADER_SIZE, RANDOM_AT, HEADER_SIZE) !== 0) {
    return undefined;
  }
  const sequence = datagram.readUInt32BE(SEQUENCE_AT);
  return slot.inFlight && sequence === slot.sequence ? slot : 'late';
}

/** Every check on one answer whose transaction id matched; undefined when it is right. */
function checkAnswer(client: Client, datagram: Buffer): Counter | undefined {
  const decoded = decodeStunMessage(datagram);
  if (decoded.kind !== 'ok' || decoded.size !== datagram.length) return Counter.badDecode;
  const message = decoded.value;
  if (message.type !== BINDING_SUCCESS || !message.hasCookie) return Counter.badType;
  if (checkFingerprint(message) === 'invalid') return Counter.badFingerprint;
  const result = readBindingResult(message);
  if (typeof result === 'string' || result.error !== undefined) return Counter.badType;
  const mapped = result.mapped;
  if (mapped?.family !== 4 || mapped.address !== client.address || mapped.port !== client.port) {
    return Counter.badAddress;
  }
  return undefined;
}

function onAnswer(client: Client, datagram: Buffer): void {
  const slot = matchSlot(client, datagram);
  if (slot === 'late') {
    count(Counter.late);
    return;
  }
  if (slot === undefined) {
    count(Counter.badTransaction);
    return;
  }
  slot.inFlight = false;
  const problem = checkAnswer(client, datagram);
  if (problem === undefined) {
    count(Counter.answered);
    const micros = (performance.now() - slot.sentAt) * 1000;
    Atomics.add(counters, LATENCY_BASE + latencyBucket(micros), 1);
  } else {
    count(problem);
  }
  if (running) send(client, slot);
}

function sweep(clients: readonly Client[]): void {
  const now = performance.now();
  for (const client of clients) {
    for (const slot of client.slots) {
      if (!slot.inFlight || now - slot.sentAt < settings.timeoutMs) continue;
      count(Counter.timeouts);
      send(client, slot);
    }
  }
}

async function openClient(): Promise<Client> {
  const socket = createSocket('udp4');
  // ICMP port unreachable on a connected socket arrives as an error: count it, keep going.
  socket.on('error', () => {
    count(Counter.socketErrors);
  });
  await new Promise<void>((resolve) => socket.bind({ address: '127.0.0.1', port: 0 }, resolve));
  await new Promise<void>((resolve) => {
    socket.connect(settings.port, settings.host, resolve);
  });
  const local = socket.address();
  const slots = Array.from({ length: settings.window }, (_, index) => newSlot(index));
  const client: Client = { socket, address: local.address, port: local.port, slots };
  socket.on('message', (datagram) => {
    onAnswer(client, datagram);
  });
  return client;
}

async function main(): Promise<void> {
  if (COUNTER_SLOTS * 4 > settings.counters.byteLength) throw new Error('counter buffer too small');
  const port = parentPort;
  if (!port) throw new Error('load-worker.ts runs as a worker thread');
  const clients = await Promise.all(Array.from({ length: settings.sockets }, openClient));
  port.on('message', (command: WorkerCommand) => {
    if (command === 'go' && !running) {
      running = true;
      for (const client of clients) for (const slot of client.slots) send(client, slot);
      sweeper = setInterval(() => {
        sweep(clients);
      }, SWEEP_MS);
      return;
    }
    if (command === 'stop') {
      running = false;
      clearInterval(sweeper);
      for (const client of clients) client.socket.close();
      port.postMessage('stopped' satisfies WorkerReport);
      port.close();
    }
  });
  port.postMessage('ready' satisfies WorkerReport);
}

await main();
