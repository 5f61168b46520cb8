import { Hono } from 'hono';
import type { AppEnv } from '../env.js';
import { apiKeyAuth } from '../middleware/auth.js';
import { tenantWebhookSecret } from '../webhooks.js';
import type { WebhookSecret } from '../../protocol/public-api.js';

/** Lets a tenant fetch the secret its webhook deliveries are signed with (Standard Webhooks `whsec_…`). */
export const webhooks = new Hono<AppEnv>();

webhooks.use('*', apiKeyAuth());

webhooks.get('/secret', async (c) => {
  const secret = await tenantWebhookSecret(c.env.WEBHOOK_SIGNING_SECRET ?? c.env.ORIGIN_SECRET, c.get('tenant').id);
  return c.json({ secret, scheme: 'standard-webhooks', headers: ['webhook-id', 'webhook-timestamp', 'webhook-signature'] } satisfies WebhookSecret);
});
