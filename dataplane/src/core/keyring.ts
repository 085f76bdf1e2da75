/** HMAC keys by id; `active` signs, every key in `keys` verifies (the rotation overlap). */
export interface Keyring {
  active: string;
  keys: ReadonlyMap<string, Buffer>;
}
