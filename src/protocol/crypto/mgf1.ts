// MGF1 with SHA-256 (RFC 8017 appendix B.2.1), shared by the OAEP and PSS encoders.
import { createHash } from 'node:crypto';

export function mgf1Sha256(seed: Uint8Array, length: number): Buffer {
  const blocks: Buffer[] = [];
  const counter = Buffer.alloc(4);
  for (let i = 0; blocks.length * 32 < length; i++) {
    counter.writeUInt32BE(i);
    blocks.push(createHash('sha256').update(seed).update(counter).digest());
  }
  return Buffer.concat(blocks).subarray(0, length);
}

export function xorInto(target: Buffer, mask: Uint8Array): void {
  for (let i = 0; i < target.length; i++) target[i] = target[i]! ^ mask[i]!;
}
