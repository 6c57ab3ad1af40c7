// An implementation under test that enrols itself (iut.json `irpEnrolment`, docs/adapter.md
// "Enrolling itself", issue 8 §1: "the IUT enrols itself when it declares IRP enrolment support").
// The bench opens a fresh password account at the run's IRP stub for each start (each account may
// hold at most 32 certificates, IRP-ENROLL-6, and a run has hundreds of starts), hands the IUT that
// account and the key type the case needs, and afterwards reads back the chain the IUT says the
// registry issued it: it must be a certificate this registry issued to that account (not one of
// the bench's own, not a chain from elsewhere), valid against the run's CA for that user
// (E2ED-CERT-14), with the key type the case needs.
import { createHash, X509Certificate } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import type { IutEnrolment } from '../iut/door.js';
import { pemBlocks } from '../pki/limbo.js';
import { validateChain } from '../pki/validator.js';
import { serialOfCertificate } from '../irp/verify.js';
import type { RunEnvironment } from './environment.js';
import type { Side } from './model.js';

/** Why the chain an enrolling IUT wrote cannot stand for it: the case is an `error` with this reason. */
export class EnrolmentError extends Error {
  constructor(problem: string) {
    super(`the IUT declares irpEnrolment but ${problem}`);
    this.name = 'EnrolmentError';
  }
}

/**
 * Opens the enrolment account for one start, in the case's directory. The user ID and password
 * are derived from the run's seed and the case's directory name, so a run is reproducible and no
 * two starts of a run share an account.
 */
export function openEnrolment(env: RunEnvironment, workDir: string, side: Side, keyType: IutEnrolment['keyType']): IutEnrolment {
  const tag = createHash('sha256').update(`${env.seed}\0${path.basename(workDir)}\0${side}`).digest('hex');
  const userId = env.userId(`iut-${tag.slice(0, 16)}`);
  const password = `enrol ${tag.slice(16, 48)}`;
  env.stub.registry.addAccount({ userId, password });
  return { userId, password, keyType, keyFile: path.join(workDir, 'enrolled-key.pem'), chainFile: path.join(workDir, 'enrolled-chain.pem') };
}

/**
 * The chain the IUT wrote to `{enrolled_chain}`, DER leaf first, once it is shown to be the
 * registry's issue for this account; else an EnrolmentError naming the problem.
 * `benchIssued`: the chains the bench itself issued in this run (an IUT may not pass one off as its own).
 */
export async function readEnrolledChain(env: RunEnvironment, enrolment: IutEnrolment, benchIssued: readonly (readonly Buffer[])[]): Promise<Buffer[]> {
  const name = path.basename(enrolment.chainFile);
  let text: string;
  try {
    text = await readFile(enrolment.chainFile, 'utf8');
  } catch {
    throw new EnrolmentError(`wrote no chain to {enrolled_chain} (${name})`);
  }
  let chain: Buffer[];
  try {
    chain = pemBlocks(text, 'CERTIFICATE');
  } catch (err) {
    throw new EnrolmentError(`wrote a chain to ${name} that is not PEM: ${(err as Error).message}`);
  }
  if (chain.length === 0) throw new EnrolmentError(`wrote no certificate to ${name}`);
  const leafDer = chain[0]!;
  if (benchIssued.some((c) => c[0] !== undefined && c[0].equals(leafDer))) throw new EnrolmentError(`wrote a certificate the bench issued to ${name}, not one it enrolled`);
  let leaf: X509Certificate;
  try {
    leaf = new X509Certificate(leafDer);
  } catch (err) {
    throw new EnrolmentError(`wrote a leaf to ${name} that does not parse: ${(err as Error).message}`);
  }
  const serial = serialOfCertificate(leaf);
  const issued = env.stub.registry.issuedCertificate(serial);
  // IRP-ENROLL: only Enroll at this registry makes a certificate; one it did not issue is not the IUT's enrolment.
  if (!issued || !Buffer.from(issued.certificate, 'base64').equals(leafDer)) throw new EnrolmentError(`wrote a leaf to ${name} that the registry did not issue (serial ${serial})`);
  if (issued.userId.toLowerCase() !== enrolment.userId.toLowerCase()) throw new EnrolmentError(`wrote a leaf to ${name} that the registry issued to ${issued.userId}, not to its account ${enrolment.userId}`);
  const keyType = leaf.publicKey.asymmetricKeyType === 'rsa' ? 'rsa2048' : leaf.publicKey.asymmetricKeyType === 'ec' ? 'p256' : leaf.publicKey.asymmetricKeyType;
  if (keyType !== enrolment.keyType) throw new EnrolmentError(`enrolled a ${keyType} key where the case needs ${enrolment.keyType} ({key_type})`);
  const result = validateChain(chain, { trustAnchors: env.pki.anchors, time: env.pki.referenceTime, purpose: 'clientAuth', expectedUserId: enrolment.userId });
  if (!result.ok) throw new EnrolmentError(`wrote a chain to ${name} that does not validate against the run's CA for ${enrolment.userId}: ${result.detail} (${result.requirement})`);
  return chain;
}
