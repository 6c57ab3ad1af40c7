// JSON Schemas of the vector files (written to vectors/schemas/), and a validator for the
// subset of JSON Schema they use: type, required, properties, items, pattern, enum, minimum,
// const, oneOf. Enough to catch a malformed file before its tests are recomputed.

export type Schema = {
  $schema?: string;
  $id?: string;
  title?: string;
  description?: string;
  type?: 'object' | 'array' | 'string' | 'integer' | 'number' | 'boolean';
  required?: string[];
  properties?: Record<string, Schema>;
  additionalProperties?: boolean;
  items?: Schema;
  pattern?: string;
  enum?: unknown[];
  const?: unknown;
  minimum?: number;
  oneOf?: Schema[];
};

const HEX = { type: 'string', pattern: '^([0-9a-f]{2})*$' } as const;

function fileSchema(name: string, description: string, groupFields: Record<string, Schema>, testFields: Record<string, Schema>, testRequired: string[]): Schema {
  return {
    $schema: 'https://json-schema.org/draft/2020-12/schema',
    $id: `https://sixbench.invalid/vectors/schemas/${name}.schema.json`,
    title: `sixbench ${name} vectors`,
    description,
    type: 'object',
    required: ['algorithm', 'schema', 'generator', 'numberOfTests', 'notes', 'testGroups'],
    properties: {
      algorithm: { type: 'string' },
      schema: { type: 'string' },
      generator: { type: 'object', required: ['tool', 'seed'], properties: { tool: { const: 'sixbench' }, seed: { type: 'string' } } },
      numberOfTests: { type: 'integer', minimum: 1 },
      notes: { type: 'object' },
      testGroups: {
        type: 'array',
        items: {
          type: 'object',
          required: ['type', 'tests'],
          properties: {
            type: { type: 'string' },
            ...groupFields,
            tests: {
              type: 'array',
              items: {
                type: 'object',
                required: ['tcId', 'comment', 'result', ...testRequired],
                properties: {
                  tcId: { type: 'integer', minimum: 1 },
                  comment: { type: 'string' },
                  result: { enum: ['valid', 'invalid'] },
                  flags: { type: 'array', items: { type: 'string', pattern: '^(E2ED|IRP)-[A-Z]+-[0-9]+$' } },
                  ...testFields,
                },
              },
            },
          },
        },
      },
    },
  };
}

export const SCHEMAS: Record<string, Schema> = {
  'expand-label': fileSchema('expand-label', 'ExpandLabel(secret, label, context, length) = okm', {}, {
    secret: HEX, label: { type: 'string' }, context: HEX, length: { type: 'integer', minimum: 0 }, okm: HEX,
  }, ['secret', 'label', 'context', 'length', 'okm']),
  'key-schedule': fileSchema('key-schedule', 'The key schedule from Z, the nonces and the handshake frames (whole frames, header included)', {}, Object.fromEntries(
    [...['z', 'nonceI', 'nonceR', 'helloI', 'helloR', 'certVerifyR', 'finishedR', 'certVerifyI', 'finishedI', 'handshakeSecret', 'finishedKeyI', 'finishedKeyR', 'masterSecret', 'i2rSecret', 'r2iSecret', 'i2rKey', 'i2rIv', 'r2iKey', 'r2iIv', 'exporter', 'i2rSecretUpdated'].map((k) => [k, HEX]), ['alert', { type: 'string' }]],
  ), ['z', 'nonceI', 'nonceR', 'helloI', 'helloR', 'certVerifyR', 'finishedR', 'certVerifyI', 'finishedI', 'handshakeSecret', 'finishedKeyI', 'finishedKeyR', 'masterSecret', 'i2rSecret', 'r2iSecret', 'i2rKey', 'i2rIv', 'r2iKey', 'r2iIv', 'exporter', 'i2rSecretUpdated']),
  record: fileSchema('record', 'Record protection: frame = seal(key, iv XOR seq, aad = header, plaintext)', { cipherName: { type: 'string' } }, {
    cipher: { enum: ['AES-256-GCM', 'CHACHA20-POLY1305'] }, key: HEX, iv: HEX, seq: { type: 'integer', minimum: 0 }, plaintext: HEX, frame: HEX, alert: { type: 'string' },
  }, ['cipher', 'key', 'iv', 'seq', 'plaintext', 'frame']),
  framing: fileSchema('framing', 'Frame decoding: input bytes to frames, or the alert', {}, {
    input: HEX, maxLength: { type: 'integer', minimum: 1 },
    frames: { type: 'array', items: { type: 'object', required: ['type', 'payload'], properties: { type: { type: 'integer', minimum: 0 }, payload: HEX } } },
    alert: { type: 'string' },
  }, ['input', 'maxLength']),
  xml: fileSchema('xml', 'Hardened XML decoding of E2ED messages: message text, then valid or the alert', {}, {
    message: { type: 'string' }, messageHex: HEX, kind: { type: 'string' }, alert: { type: 'string' },
  }, ['messageHex']),
  handshake: fileSchema('handshake', 'Complete handshakes with every private key and nonce, every frame in order, the derived secrets and the first application record each way', {}, {
    version: { enum: ['1.0', '0.9'] }, method: { enum: ['x25519', 'p256', 'rsa-oaep'] }, cipher: { enum: ['AES-256-GCM', 'CHACHA20-POLY1305'] },
    initiatorUserId: { type: 'string' }, responderUserId: { type: 'string' },
    initiatorVersions: { type: 'array', items: { type: 'string' } }, responderVersions: { type: 'array', items: { type: 'string' } },
    trustAnchor: HEX, validationTime: { type: 'string' },
    initiatorChain: { type: 'array', items: HEX }, responderChain: { type: 'array', items: HEX },
    initiatorPrivateKey: HEX, responderPrivateKey: HEX, initiatorEphemeralPrivateKey: HEX, responderEphemeralPrivateKey: HEX, premaster: HEX,
    frames: { type: 'array', items: { type: 'object', required: ['from', 'hex'], properties: { from: { enum: ['initiator', 'responder'] }, hex: HEX } } },
    handshakeSecret: HEX, masterSecret: HEX, i2rSecret: HEX, r2iSecret: HEX, exporter: HEX,
    firstRecordI2R: { type: 'object', required: ['plaintext', 'frame'], properties: { plaintext: HEX, frame: HEX } },
    firstRecordR2I: { type: 'object', required: ['plaintext', 'frame'], properties: { plaintext: HEX, frame: HEX } },
  }, ['version', 'method', 'cipher', 'initiatorUserId', 'responderUserId', 'trustAnchor', 'validationTime', 'initiatorChain', 'responderChain',
    'initiatorPrivateKey', 'responderPrivateKey', 'initiatorEphemeralPrivateKey', 'responderEphemeralPrivateKey', 'premaster', 'frames',
    'handshakeSecret', 'masterSecret', 'i2rSecret', 'r2iSecret', 'exporter', 'firstRecordI2R', 'firstRecordR2I']),
};

/** Errors of `value` against `schema`, each with its JSON path; empty when it conforms. */
export function validateSchema(schema: Schema, value: unknown, path = '$'): string[] {
  const errors: string[] = [];
  if (schema.const !== undefined && value !== schema.const) errors.push(`${path}: must be ${JSON.stringify(schema.const)}`);
  if (schema.enum && !schema.enum.includes(value)) errors.push(`${path}: must be one of ${schema.enum.map((e) => JSON.stringify(e)).join(', ')}`);
  switch (schema.type) {
    case 'object':
      if (typeof value !== 'object' || value === null || Array.isArray(value)) return [...errors, `${path}: must be an object`];
      for (const key of schema.required ?? []) if (!(key in value)) errors.push(`${path}: missing "${key}"`);
      for (const [key, sub] of Object.entries(schema.properties ?? {})) {
        if (key in value) errors.push(...validateSchema(sub, (value as Record<string, unknown>)[key], `${path}.${key}`));
      }
      break;
    case 'array':
      if (!Array.isArray(value)) return [...errors, `${path}: must be an array`];
      if (schema.items) value.forEach((v, i) => errors.push(...validateSchema(schema.items!, v, `${path}[${i}]`)));
      break;
    case 'string':
      if (typeof value !== 'string') return [...errors, `${path}: must be a string`];
      if (schema.pattern && !new RegExp(schema.pattern).test(value)) errors.push(`${path}: does not match ${schema.pattern}`);
      break;
    case 'integer':
      if (typeof value !== 'number' || !Number.isSafeInteger(value)) return [...errors, `${path}: must be an integer`];
      if (schema.minimum !== undefined && value < schema.minimum) errors.push(`${path}: must be >= ${schema.minimum}`);
      break;
    case 'number':
      if (typeof value !== 'number') errors.push(`${path}: must be a number`);
      break;
    case 'boolean':
      if (typeof value !== 'boolean') errors.push(`${path}: must be a boolean`);
      break;
    default:
      break;
  }
  return errors;
}
