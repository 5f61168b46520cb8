import { Hono } from 'hono';
import { z } from 'zod';
import type { AppEnv } from '../env.js';
import { InvalidRequestError, NotFoundError } from '../errors.js';
import { formatKey, newSecret, TENANT_ID } from '../keys.js';
import { adminAuth } from '../middleware/admin-auth.js';
import { sha256Hex } from '../protocol/signature.js';
import { TIERS } from '../tiers.js';

const tenantBody = z.object({ tier: z.enum(TIERS) }).strict();
const keyBody = z
  .object({
    name: z.string().min(1).max(64).default('default'),
    /** Lets tooling (the dev seed) install a key it generated; omitted, the gateway makes one. */
    secret: z.string().regex(/^[A-Za-z0-9]{32}$/, 'secret must be 32 letters or digits').optional(),
  })
  .strict();

function parse<T>(schema: z.ZodType<T, z.ZodTypeDef, unknown>, raw: unknown): T {
  const parsed = schema.safeParse(raw);
  if (parsed.success) return parsed.data;
  const issue = parsed.error.issues[0]!;
  throw new InvalidRequestError(`Invalid '${issue.path.join('.') || 'body'}': ${issue.message}`, issue.path.join('.') || null);
}

async function jsonBody(raw: Request): Promise<unknown> {
  try {
    return await raw.json();
  } catch {
    throw new InvalidRequestError('The request body is not valid JSON.');
  }
}

function tenantId(raw: string): string {
  if (!TENANT_ID.test(raw)) throw new InvalidRequestError('Tenant ids are 3–32 lowercase letters or digits.', 'tenant_id');
  return raw;
}

export const admin = new Hono<AppEnv>();

admin.use('*', adminAuth());

admin.put('/tenants/:tenantId', async (c) => {
  const id = tenantId(c.req.param('tenantId'));
  const { tier } = parse(tenantBody, await jsonBody(c.req.raw));
  const stub = c.env.TENANT.get(c.env.TENANT.idFromName(id));
  return c.json(await stub.configure(id, tier));
});

admin.get('/tenants/:tenantId', async (c) => {
  const id = tenantId(c.req.param('tenantId'));
  const stub = c.env.TENANT.get(c.env.TENANT.idFromName(id));
  try {
    return c.json(await stub.describe());
  } catch {
    throw new NotFoundError(`No tenant '${id}'.`);
  }
});

/** Creates a key. The full key is in this response only; the gateway keeps just its hash. */
admin.post('/tenants/:tenantId/keys', async (c) => {
  const id = tenantId(c.req.param('tenantId'));
  const { name, secret = newSecret() } = parse(keyBody, await jsonBody(c.req.raw));
  const stub = c.env.TENANT.get(c.env.TENANT.idFromName(id));
  const secretHash = await sha256Hex(secret);
  const keyId = `key_${secretHash.slice(0, 16)}`;
  try {
    await stub.addKey(keyId, name, secretHash);
  } catch {
    throw new NotFoundError(`No tenant '${id}'. Create it first with PUT /v1/admin/tenants/${id}.`);
  }
  return c.json({ id: keyId, name, key: formatKey(id, secret) }, 201);
});

admin.delete('/tenants/:tenantId/keys/:keyId', async (c) => {
  const id = tenantId(c.req.param('tenantId'));
  const stub = c.env.TENANT.get(c.env.TENANT.idFromName(id));
  if (!(await stub.revokeKey(c.req.param('keyId')))) throw new NotFoundError(`No live key '${c.req.param('keyId')}'.`);
  return c.json({ id: c.req.param('keyId'), revoked: true });
});
