// The rfc822Names a PKCS#10 request asks for (IRP-ENROLL-2: "an extensionRequest with a
// subjectAltName holding exactly one rfc822Name ... forbidden when the rfc822Name is not the
// logged-in user"). src/pki/csr.ts checks the request's signature and key and never copies its
// names into a certificate; the registry only reads them here to refuse a request made out for
// someone else.
//
//   CertificationRequest ::= SEQUENCE { certificationRequestInfo, signatureAlgorithm, signature }
//   CertificationRequestInfo ::= SEQUENCE { version, subject, subjectPKInfo, attributes [0] IMPLICIT SET OF Attribute }
//   Attribute ::= SEQUENCE { type OID, values SET OF ANY }; extensionRequest's value is Extensions
//   Extension ::= SEQUENCE { extnID OID, critical BOOLEAN DEFAULT FALSE, extnValue OCTET STRING }
//   GeneralNames ::= SEQUENCE OF GeneralName; rfc822Name is [1] IMPLICIT IA5String
import { DerError, readAll, readOnly, readTlv } from '../protocol/crypto/der.js';

// DER contents of the OIDs 1.2.840.113549.1.9.14 (extensionRequest) and 2.5.29.17 (subjectAltName).
const EXTENSION_REQUEST_OID = Buffer.from('2a864886f70d01090e', 'hex');
const SUBJECT_ALT_NAME_OID = Buffer.from('551d11', 'hex');
const TAG = { sequence: 0x30, set: 0x31, oid: 0x06, boolean: 0x01, octetString: 0x04, attributes: 0xa0, rfc822Name: 0x81 } as const;

export class CsrIdentityError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'CsrIdentityError';
  }
}

/** Every rfc822Name of every subjectAltName the request asks for (empty when it asks for none). */
export function csrRfc822Names(csrDer: Buffer): string[] {
  try {
    const request = readAll(readOnly(csrDer, TAG.sequence).contents);
    const info = readAll(expectTag(request[0], TAG.sequence).contents);
    const attributes = info[3];
    if (attributes === undefined) return [];
    expectTag(attributes, TAG.attributes);
    const names: string[] = [];
    for (const attribute of readAll(attributes.contents)) {
      const [type, values] = readAll(expectTag(attribute, TAG.sequence).contents);
      if (!expectTag(type, TAG.oid).contents.equals(EXTENSION_REQUEST_OID)) continue;
      for (const extensions of readAll(expectTag(values, TAG.set).contents)) {
        for (const extension of readAll(expectTag(extensions, TAG.sequence).contents)) {
          const parts = readAll(expectTag(extension, TAG.sequence).contents);
          if (!expectTag(parts[0], TAG.oid).contents.equals(SUBJECT_ALT_NAME_OID)) continue;
          const value = expectTag(parts[parts.length - 1], TAG.octetString).contents;
          for (const name of readAll(readOnly(value, TAG.sequence).contents)) {
            if (name.tag === TAG.rfc822Name) names.push(name.contents.toString('latin1'));
          }
        }
      }
    }
    return names;
  } catch (err) {
    if (err instanceof DerError) throw new CsrIdentityError(`CSR attributes do not parse: ${err.message}`);
    throw err;
  }
}

function expectTag(tlv: ReturnType<typeof readTlv> | undefined, tag: number): ReturnType<typeof readTlv> {
  if (tlv === undefined || tlv.tag !== tag) throw new DerError(`expected tag 0x${tag.toString(16)}`);
  return tlv;
}
