/**
 * Context row: Hono on @hono/node-server answering the same request with JSON, no queue. The
 * gap between this and the bare loop is what a Redis round trip through BullMQ costs.
 */
import type { AddressInfo } from 'node:net';
import { serve } from '@hono/node-server';
import { Hono } from 'hono';
import { announceReady } from './ready.ts';

const app = new Hono();
app.post('/invoke', async (c) => {
  const body = await c.req.json<{ input?: unknown }>();
  return c.json({ echo: body.input ?? null });
});

const server = serve({ fetch: app.fetch, hostname: '127.0.0.1', port: 0 }, (info: AddressInfo) => {
  announceReady({ port: info.port }, async () => {
    server.close();
  });
});
