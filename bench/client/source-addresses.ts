// Outgoing connections to one server address are limited by the ephemeral port range
// (about 28k on Linux). Every 127.0.0.0/8 address is local, so binding each connection to
// one of several loopback source addresses multiplies that limit without any setup.
export const SOURCE_ADDRESS_COUNT = 16;

let next = 0;

/** The next loopback source address, round-robin over 127.0.0.2 … 127.0.0.17. */
export function nextSourceAddress(): string {
  const address = `127.0.0.${2 + (next % SOURCE_ADDRESS_COUNT)}`;
  next += 1;
  return address;
}
