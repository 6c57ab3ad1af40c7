// The object identifiers the test PKI writes into certificates and CSRs (RFC 5280, RFC 5480,
// RFC 8410, RFC 4055, RFC 3279, PKCS#9). One table, dotted form, named for what they identify.

export const OID = {
  // Attribute types of distinguished names (RFC 5280 appendix A.1; PKCS#9 emailAddress).
  commonName: '2.5.4.3',
  organizationName: '2.5.4.10',
  organizationalUnitName: '2.5.4.11',
  countryName: '2.5.4.6',
  emailAddress: '1.2.840.113549.1.9.1',
  extensionRequest: '1.2.840.113549.1.9.14',

  // Certificate extensions (RFC 5280 section 4.2).
  subjectKeyIdentifier: '2.5.29.14',
  keyUsage: '2.5.29.15',
  subjectAltName: '2.5.29.17',
  basicConstraints: '2.5.29.19',
  nameConstraints: '2.5.29.30',
  authorityKeyIdentifier: '2.5.29.35',
  extKeyUsage: '2.5.29.37',
  issuerAltName: '2.5.29.18',
  certificatePolicies: '2.5.29.32',
  policyMappings: '2.5.29.33',
  policyConstraints: '2.5.29.36',
  inhibitAnyPolicy: '2.5.29.54',
  crlDistributionPoints: '2.5.29.31',
  freshestCrl: '2.5.29.46',
  subjectDirectoryAttributes: '2.5.29.9',
  authorityInfoAccess: '1.3.6.1.5.5.7.1.1',
  subjectInfoAccess: '1.3.6.1.5.5.7.1.11',
  sctList: '1.3.6.1.4.1.11129.2.4.2',

  // Extended key usage purposes (RFC 5280 section 4.2.1.12).
  anyExtendedKeyUsage: '2.5.29.37.0',
  serverAuth: '1.3.6.1.5.5.7.3.1',
  clientAuth: '1.3.6.1.5.5.7.3.2',
  emailProtection: '1.3.6.1.5.5.7.3.4',
  /** The IRP registry's signing purpose (docs/spec.md IRP-CA-3), under sixbench's private arc. */
  irpRegistrySigning: '1.3.6.1.4.1.55555.4604.1',

  // Public key algorithms and curves (RFC 5480, RFC 8410, RFC 3279).
  ecPublicKey: '1.2.840.10045.2.1',
  primeField: '1.2.840.10045.1.1',
  prime256v1: '1.2.840.10045.3.1.7',
  prime192v1: '1.2.840.10045.3.1.1',
  ed25519: '1.3.101.112',
  ed448: '1.3.101.113',
  rsassaPss: '1.2.840.113549.1.1.10',
  rsaEncryption: '1.2.840.113549.1.1.1',
  dsa: '1.2.840.10040.4.1',

  // Signature algorithms (RFC 5758, RFC 8410, RFC 4055, RFC 3279).
  ecdsaWithSha256: '1.2.840.10045.4.3.2',
  ecdsaWithSha384: '1.2.840.10045.4.3.3',
  sha256WithRsa: '1.2.840.113549.1.1.11',
  sha1WithRsa: '1.2.840.113549.1.1.5',
  md5WithRsa: '1.2.840.113549.1.1.4',

  /** A private-enterprise arc no validator knows: used for the unknown critical extension defect. */
  sixbenchUnknownExtension: '1.3.6.1.4.1.55555.4605.1',
} as const;

export type OidName = keyof typeof OID;
