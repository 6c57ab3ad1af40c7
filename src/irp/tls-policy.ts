// IRP-TLS-1: "MUST NOT negotiate SSL 3.0, TLS 1.0 or TLS 1.1, and with TLS 1.2 MUST use only ECDHE
// key exchange with an AEAD cipher suite". One policy for the registry stub and the client.

/** TLS 1.3 suites (all AEAD) first, then the TLS 1.2 ECDHE + AEAD suites, nothing else. */
export const IRP_TLS_CIPHERS = [
  'TLS_AES_256_GCM_SHA384',
  'TLS_CHACHA20_POLY1305_SHA256',
  'TLS_AES_128_GCM_SHA256',
  'ECDHE-ECDSA-AES256-GCM-SHA384',
  'ECDHE-ECDSA-CHACHA20-POLY1305',
  'ECDHE-ECDSA-AES128-GCM-SHA256',
  'ECDHE-RSA-AES256-GCM-SHA384',
  'ECDHE-RSA-CHACHA20-POLY1305',
  'ECDHE-RSA-AES128-GCM-SHA256',
].join(':');

export const IRP_TLS_MIN_VERSION = 'TLSv1.2' as const;
