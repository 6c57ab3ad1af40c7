// The floor under the E2ED bulk figure: what any E2ED sender and receiver in this process must spend
// when the record AEAD goes through node:crypto, as the project's ground rules require, with
// everything else made as cheap as the API allows. It moves records of the bulk Message's size
// (5-byte header, AES-256-GCM ciphertext, 16-byte tag; a fresh cipher context per record, since
// node:crypto cannot re-key a GCM context with a new nonce) and answers each with a Receipt-sized
// record (E2ED-APP-2), like the real exchange; but:
// - the sender writes header, ciphertext and tag as three buffers of one corked write (no copy);
// - the receiver feeds each arriving piece of ciphertext to the decipher as it comes (no
//   reassembly copy) and checks the tag at the end;
// - there is no XML, no text (UTF-8 to and from strings), no character check, no engine.
// A real E2ED implementation does all of this and more, so it cannot be faster than this.
//
// With `text`, it adds the work on a Message's text that no E2ED implementation whose API carries
// strings can skip, done the reference UA's fastest way: the string written as UTF-8 into the
// scanner's memory and checked there before sealing (E2ED-XML-4, XML_TEXT_TO_ESCAPE), and on
// receipt each deciphered piece checked (XML_TEXT_TO_DECODE) and turned back into a string.
import { createCipheriv, createDecipheriv, type DecipherGCM } from 'node:crypto';
import net from 'node:net';
import { isAscii } from 'node:buffer';
import { scanScratch } from '../protocol/byte-scan.js';
import { encodeE2ed } from '../protocol/messages.js';
import { findXmlClassByte, XML_TEXT_TO_DECODE, XML_TEXT_TO_ESCAPE } from '../protocol/xml-chars.js';
import { socketPumpSubject, type ReceivedCounter, type Subject } from './harness.js';

const KEY = Buffer.alloc(32, 1);
const NONCE = Buffer.alloc(12, 2); // one nonce for every record: a benchmark of cost, never of security
const HEADER_BYTES = 5;
const TAG_BYTES = 16;
const RECORD_TYPE = 0x02;

function writeRecord(socket: net.Socket, plaintext: Buffer): void {
  const header = Buffer.allocUnsafe(HEADER_BYTES);
  header.writeUInt32BE(1 + plaintext.length + TAG_BYTES, 0);
  header[4] = RECORD_TYPE;
  const cipher = createCipheriv('aes-256-gcm', KEY, NONCE, { authTagLength: TAG_BYTES });
  cipher.setAAD(header);
  const body = cipher.update(plaintext);
  cipher.final();
  socket.cork();
  socket.write(header);
  socket.write(body);
  socket.write(cipher.getAuthTag());
  socket.uncork();
}

/** Opens records as their bytes arrive, without assembling them; calls `onRecord` with each record's plaintext pieces. */
function recordReader(onRecord: (plaintext: Buffer[]) => void): (chunk: Buffer) => void {
  const header = Buffer.alloc(HEADER_BYTES);
  const tag = Buffer.alloc(TAG_BYTES);
  let headerFilled = 0;
  let ciphertextLeft = 0;
  let pieces: Buffer[] = [];
  let tagFilled = 0;
  let decipher: DecipherGCM | null = null;
  return (chunk) => {
    let at = 0;
    while (at < chunk.length) {
      if (decipher === null) {
        const take = Math.min(HEADER_BYTES - headerFilled, chunk.length - at);
        chunk.copy(header, headerFilled, at, at + take);
        headerFilled += take;
        at += take;
        if (headerFilled === HEADER_BYTES) {
          decipher = createDecipheriv('aes-256-gcm', KEY, NONCE, { authTagLength: TAG_BYTES });
          decipher.setAAD(header);
          ciphertextLeft = header.readUInt32BE(0) - 1 - TAG_BYTES;
          pieces = [];
          tagFilled = 0;
        }
      } else if (ciphertextLeft > 0) {
        const take = Math.min(ciphertextLeft, chunk.length - at);
        pieces.push(decipher.update(chunk.subarray(at, at + take)));
        ciphertextLeft -= take;
        at += take;
      } else {
        const take = Math.min(TAG_BYTES - tagFilled, chunk.length - at);
        chunk.copy(tag, tagFilled, at, at + take);
        tagFilled += take;
        at += take;
        if (tagFilled === TAG_BYTES) {
          decipher.setAuthTag(tag);
          decipher.final(); // throws on a bad tag: the benchmark would stop, as it should
          decipher = null;
          headerFilled = 0;
          onRecord(pieces);
        }
      }
    }
  };
}

/** The receiving half of the text work: each piece checked as XML text and turned into a string. */
function textOf(pieces: Buffer[]): string {
  let text = '';
  for (const piece of pieces) {
    if (findXmlClassByte(piece, XML_TEXT_TO_DECODE) >= 0) throw new Error('the floor text needs escaping');
    text += piece.toString(isAscii(piece) ? 'latin1' : 'utf8');
  }
  return text;
}

/**
 * One loopback connection moving `payloadBytes` records, each answered by a Receipt-sized record;
 * units are payload bytes. With `text`, the payload is a string of that many ASCII characters and
 * the text work above is done on both sides.
 */
export async function aeadFloorStream(payloadBytes: number, opts: { text?: boolean } = {}): Promise<Subject> {
  const receipt = encodeE2ed({ kind: 'Receipt', id: 'm-1' });
  const received: ReceivedCounter = { count: 0, listeners: [] };
  const server = net.createServer((socket) => {
    socket.setNoDelay(true);
    const read = recordReader((pieces) => {
      received.count += opts.text ? textOf(pieces).length : pieces.reduce((n, p) => n + p.length, 0);
      writeRecord(socket, receipt);
    });
    socket.on('data', (chunk: Buffer) => {
      read(chunk);
      for (const l of [...received.listeners]) l();
    });
    socket.on('error', () => undefined);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  const client = net.connect((server.address() as net.AddressInfo).port, '127.0.0.1');
  await new Promise<void>((resolve) => client.once('connect', () => resolve()));
  client.setNoDelay(true);
  client.on('data', recordReader(() => undefined));
  const payload = Buffer.alloc(payloadBytes, 0x78);
  const text = 'x'.repeat(payloadBytes);
  const send = opts.text
    ? (): void => {
      const scratch = scanScratch(text.length * 3);
      if (scratch === null) throw new Error('no scanner memory');
      const length = scratch.write(text, 0, 'utf8');
      if (findXmlClassByte(scratch, XML_TEXT_TO_ESCAPE, 0, length) >= 0) throw new Error('the floor text needs escaping');
      writeRecord(client, scratch.subarray(0, length));
    }
    : (): void => writeRecord(client, payload);
  return socketPumpSubject(client, server, payloadBytes, send, received);
}
