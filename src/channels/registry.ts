// The channels this server delivers to, keyed by kind: a plain Map built in main.ts (or a test)
// from a list. No plugin loader: adding a channel is one line where the list is written.
import type { DeliveryChannel } from './channel.js';

export interface ChannelRegistry {
  /** In registration order: the order of the squid's `*_fields` keys. */
  readonly list: readonly DeliveryChannel[];
  find(kind: string): DeliveryChannel | undefined;
  findByFieldsKey(fieldsKey: string): DeliveryChannel | undefined;
}

export function createChannelRegistry(channels: readonly DeliveryChannel[]): ChannelRegistry {
  const byKind = new Map<string, DeliveryChannel>();
  const byFieldsKey = new Map<string, DeliveryChannel>();
  for (const channel of channels) {
    if (byKind.has(channel.kind) || byFieldsKey.has(channel.fieldsKey)) {
      throw new Error(`two channels are registered as ${channel.kind} (${channel.fieldsKey})`);
    }
    byKind.set(channel.kind, channel);
    byFieldsKey.set(channel.fieldsKey, channel);
  }
  return {
    list: [...channels],
    find: (kind) => byKind.get(kind),
    findByFieldsKey: (fieldsKey) => byFieldsKey.get(fieldsKey),
  };
}
