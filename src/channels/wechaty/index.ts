/** The Wechaty channel (any puppet): the adapter, the customer identities across logins, message kinds. */
export { WechatyAdapter, WECHATY_MAX_TEXT_BYTES, type WechatyAdapterOptions } from './adapter.ts';
export { IdentityMap, customerIdFromAlias, fingerprint, ALIAS_PREFIX, type IdentityContact, type IdentityOptions } from './identity.ts';
export { kindOf } from './kind.ts';
