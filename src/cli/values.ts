// Option values checked when commander parses them, before any work (issue 13 §4): a bad value
// is an InvalidArgumentError, which commander reports naming the option and its value, and
// runMain turns into exit status 2.
import { InvalidArgumentError } from 'commander';
import { CIPHERS } from '../protocol/record.js';
import { METHODS } from '../protocol/messages.js';
import { isValidDomain } from '../protocol/identity.js';

/** Seeds of every command (run, ua, irp serve, vectors generate): safe in file names and reports. */
export const SEED_SYNTAX = /^[A-Za-z0-9._-]{1,64}$/;
export const SEED_RULE = 'a seed is 1 to 64 letters, digits, ".", "_" or "-"';

export function parseSeed(text: string): string {
  if (!SEED_SYNTAX.test(text)) throw new InvalidArgumentError(`${SEED_RULE}.`);
  return text;
}

/** A TCP port; `allowZero` for listeners, where 0 picks a free port. */
export function portParser(allowZero: boolean): (text: string) => number {
  return (text) => {
    const n = /^[0-9]{1,5}$/.test(text) ? Number(text) : NaN;
    if (!(n >= (allowZero ? 0 : 1) && n <= 65535)) {
      throw new InvalidArgumentError(`a port is a whole number from ${allowZero ? '0 (any free port)' : '1'} to 65535.`);
    }
    return n;
  };
}

/** A domain of LDH labels separated by dots (the spelling user IDs use, E2ED-ID-1). */
export function parseDomain(text: string): string {
  if (!isValidDomain(text)) throw new InvalidArgumentError('a domain is letters, digits and hyphens in labels of 1 to 63 characters, separated by single dots (e.g. example.com).');
  return text;
}

/** Repeatable key-exchange method, checked against those the reference UA implements. */
export function collectMethod(text: string, previous: string[] | undefined): string[] {
  if (!(METHODS as readonly string[]).includes(text)) throw new InvalidArgumentError(`the methods are ${METHODS.join(', ')}.`);
  return [...(previous ?? []), text];
}

/** Repeatable AEAD, checked against those the reference UA implements. */
export function collectCipher(text: string, previous: string[] | undefined): string[] {
  if (!(CIPHERS as readonly string[]).includes(text)) throw new InvalidArgumentError(`the ciphers are ${CIPHERS.join(', ')}.`);
  return [...(previous ?? []), text];
}

/** A whole number of milliseconds or bytes. */
export function parseWholeNumber(text: string): number {
  if (!/^[0-9]{1,12}$/.test(text)) throw new InvalidArgumentError('a whole number is expected.');
  return Number(text);
}
