import type { Redis } from 'ioredis';

/**
 * Calls `onChange` with each message on `channel` that `parse` understands, and with undefined
 * after a reconnect, when messages may have been missed (the caller reloads everything then).
 * `subscriber` must be a connection dedicated to subscriptions (it may carry others). Returns a
 * stop function.
 */
export async function watchChannel<C>(subscriber: Redis, channel: string, parse: (msg: string) => C | undefined, onChange: (c: C | undefined) => void): Promise<() => Promise<void>> {
  const onMessage = (ch: string, msg: string) => {
    if (ch !== channel) return;
    const c = parse(msg);
    if (c !== undefined) onChange(c);
  };
  let connected = false;
  const onReady = () => {
    if (connected) onChange(undefined);
    connected = true;
  };
  subscriber.on('message', onMessage);
  subscriber.on('ready', onReady);
  await subscriber.subscribe(channel);
  connected = true;
  return async () => {
    subscriber.off('message', onMessage);
    subscriber.off('ready', onReady);
    await subscriber.unsubscribe(channel).catch(() => undefined);
  };
}
