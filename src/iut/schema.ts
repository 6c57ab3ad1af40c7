// A small JSON Schema (draft 2020-12) validator for the subset schemas/iut.schema.json uses:
// type, properties, required, additionalProperties, items, minItems, anyOf, enum, const, pattern,
// minLength, maxLength, minimum, maximum, and the annotations ($schema, $id, title, description).
// A schema using any other keyword is refused (supportedSchema), so the shipped schema cannot grow
// a rule this validator would silently skip. No dependency: the schema is small and fixed.

export type JsonSchema = { [keyword: string]: unknown };

export interface SchemaError {
  /** JSON Pointer of the offending value ('' for the document). */
  pointer: string;
  message: string;
  value: unknown;
}

const KEYWORDS = new Set([
  '$schema', '$id', 'title', 'description',
  'type', 'properties', 'required', 'additionalProperties', 'items', 'minItems', 'anyOf', 'enum', 'const',
  'pattern', 'minLength', 'maxLength', 'minimum', 'maximum',
]);

/** The keywords of `schema` (recursively) this validator does not implement. */
export function unsupportedKeywords(schema: JsonSchema, at = ''): string[] {
  const out: string[] = [];
  for (const [k, v] of Object.entries(schema)) {
    if (!KEYWORDS.has(k)) out.push(`${at}/${k}`);
    if (k === 'properties' && v && typeof v === 'object') {
      for (const [name, sub] of Object.entries(v)) out.push(...unsupportedKeywords(sub as JsonSchema, `${at}/properties/${name}`));
    } else if ((k === 'items' || k === 'additionalProperties') && v && typeof v === 'object') {
      out.push(...unsupportedKeywords(v as JsonSchema, `${at}/${k}`));
    } else if (k === 'anyOf' && Array.isArray(v)) {
      v.forEach((sub, i) => out.push(...unsupportedKeywords(sub as JsonSchema, `${at}/anyOf/${i}`)));
    }
  }
  return out;
}

function typeOf(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'array';
  if (typeof v === 'number') return Number.isInteger(v) ? 'integer' : 'number';
  return typeof v;
}

function typeMatches(want: string, v: unknown): boolean {
  const got = typeOf(v);
  return want === got || (want === 'number' && got === 'integer');
}

function escape(name: string): string {
  return name.replace(/~/g, '~0').replace(/\//g, '~1');
}

export function validate(schema: JsonSchema, value: unknown, pointer = ''): SchemaError[] {
  const errors: SchemaError[] = [];
  const fail = (message: string): void => void errors.push({ pointer, message, value });
  if (schema.const !== undefined && JSON.stringify(schema.const) !== JSON.stringify(value)) fail(`must be ${JSON.stringify(schema.const)}`);
  if (Array.isArray(schema.enum) && !schema.enum.some((e) => JSON.stringify(e) === JSON.stringify(value))) {
    fail(`must be one of ${schema.enum.map((e) => JSON.stringify(e)).join(', ')}`);
  }
  if (typeof schema.type === 'string' && !typeMatches(schema.type, value)) {
    fail(`must be of type ${schema.type}, not ${typeOf(value)}`);
    return errors;
  }
  if (Array.isArray(schema.anyOf)) {
    const branches = schema.anyOf.map((s) => validate(s as JsonSchema, value, pointer));
    if (!branches.some((b) => b.length === 0)) fail(`matches none of the allowed forms (${branches.map((b) => b[0]?.message).join('; ')})`);
  }
  if (typeof value === 'string') {
    if (typeof schema.minLength === 'number' && value.length < schema.minLength) fail(`must be at least ${schema.minLength} characters`);
    if (typeof schema.maxLength === 'number' && value.length > schema.maxLength) fail(`must be at most ${schema.maxLength} characters`);
    if (typeof schema.pattern === 'string' && !new RegExp(schema.pattern, 'u').test(value)) fail(`must match ${schema.pattern}`);
  }
  if (typeof value === 'number') {
    if (typeof schema.minimum === 'number' && value < schema.minimum) fail(`must be at least ${schema.minimum}`);
    if (typeof schema.maximum === 'number' && value > schema.maximum) fail(`must be at most ${schema.maximum}`);
  }
  if (Array.isArray(value)) {
    if (typeof schema.minItems === 'number' && value.length < schema.minItems) fail(`must have at least ${schema.minItems} item(s)`);
    if (schema.items && typeof schema.items === 'object') value.forEach((item, i) => errors.push(...validate(schema.items as JsonSchema, item, `${pointer}/${i}`)));
  }
  if (typeOf(value) === 'object') {
    const obj = value as Record<string, unknown>;
    const props = (schema.properties ?? {}) as Record<string, JsonSchema>;
    if (Array.isArray(schema.required)) {
      for (const name of schema.required as string[]) if (!(name in obj)) errors.push({ pointer: `${pointer}/${escape(name)}`, message: 'is required', value: undefined });
    }
    for (const [name, v] of Object.entries(obj)) {
      const sub = props[name];
      if (sub) errors.push(...validate(sub, v, `${pointer}/${escape(name)}`));
      else if (schema.additionalProperties === false) errors.push({ pointer: `${pointer}/${escape(name)}`, message: 'is not a known field', value: v });
      else if (schema.additionalProperties && typeof schema.additionalProperties === 'object') {
        errors.push(...validate(schema.additionalProperties as JsonSchema, v, `${pointer}/${escape(name)}`));
      }
    }
  }
  return errors;
}
