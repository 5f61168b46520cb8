// The origin's small HTTP API for what only an origin can answer: provenance
// verification (it needs sharp and the libSQL registry) and the safety audit
// log. The gateway calls it, signed with the shared ORIGIN_SECRET; it is never
// exposed to clients directly.
import { createAdaptorServer, type ServerType } from '@hono/node-server';
import { and, desc, eq, lt } from 'drizzle-orm';
import { Hono } from 'hono';
import { bodyLimit } from 'hono/body-limit';
import { z } from 'zod';
import { gatewayBlockSchema } from '../protocol/policy.js';
import { SIGNATURE_HEADERS, verifyInternalRequest } from '../protocol/signature.js';
import type { Logger } from '../plugins/sdk/index.js';
import { ApiError, AuthenticationError, InvalidRequestError, NotFoundError, ServerError, toErrorResponse } from '../protocol/errors.js';
import { safetyVerdicts } from '../schema/origin.js';
import type { OriginDatabase } from './db.js';
import { BadImageError, MAX_IMAGE_UPLOAD_BYTES } from './images/decode-image.js';
import type { ProvenanceRegistry } from './provenance/registry.js';

export interface OriginApiOptions {
  secret: string;
  db: OriginDatabase;
  provenance: ProvenanceRegistry;
  logger: Logger;
  /** The root certificate (PEM) the C2PA manifests of this deployment's images are signed under. */
  c2paTrustAnchor?: string;
}

const verdictQuery = z.object({
  limit: z.coerce.number().int().min(1).max(500).default(100),
  /** Verdicts with an id below this (the `next_before` of the previous page). */
  before: z.coerce.number().int().min(1).optional(),
  tenant: z.string().max(128).optional(),
  job: z.string().max(128).optional(),
  blocked: z.enum(['true', 'false']).optional(),
});

/** The raw body every route reads: it is signed, so it is read once, before the signature is checked. */
type OriginApiEnv = { Variables: { body: Uint8Array } };

/** The origin API as a Hono app; `createOriginApi` serves it. */
function originApiApp({ secret, db, provenance, logger, c2paTrustAnchor }: OriginApiOptions): Hono<OriginApiEnv> {
  const app = new Hono<OriginApiEnv>();

  app.use(
    bodyLimit({
      maxSize: MAX_IMAGE_UPLOAD_BYTES,
      onError: () => {
        throw new InvalidRequestError(`The image is larger than ${MAX_IMAGE_UPLOAD_BYTES} bytes (25 MB).`, null, 'image_too_large');
      },
    }),
  );
  app.use(async function signedOnly(c, next) {
    const url = new URL(c.req.url);
    const body = c.req.method === 'POST' ? new Uint8Array(await c.req.arrayBuffer()) : new Uint8Array();
    const signed = await verifyInternalRequest(secret, c.req.method, `${url.pathname}${url.search}`, body, c.req.header(SIGNATURE_HEADERS.timestamp), c.req.header(SIGNATURE_HEADERS.signature));
    if (!signed) throw new AuthenticationError('Unsigned or badly signed origin API call.', 'invalid_signature');
    c.set('body', body);
    await next();
  });

  app.post('/v1/provenance/verify', async (c) => {
    const tenant = c.req.query('tenant');
    if (!tenant) throw new InvalidRequestError('tenant is required.');
    return c.json(await provenance.verify(c.get('body'), tenant));
  });

  app.get('/v1/provenance/keys', async (c) => {
    const keys = await provenance.publicKeys();
    return c.json({
      keys: keys.map((key) => ({ kid: key.keyId, kty: 'OKP', crv: 'Ed25519', x: key.publicKey, alg: 'EdDSA', created_at: Math.floor(key.createdAt / 1000) })),
      ...(c2paTrustAnchor && { c2pa: { trust_anchors: [c2paTrustAnchor] } }),
    });
  });

  // A prompt the gateway refused before queueing: audited with the origins' own verdicts, its `modr_` id standing in for a job id.
  app.post('/v1/safety/verdicts', async (c) => {
    let raw: unknown;
    try {
      raw = JSON.parse(new TextDecoder().decode(c.get('body')));
    } catch {
      throw new InvalidRequestError('The verdict is not valid JSON.');
    }
    const parsed = gatewayBlockSchema.safeParse(raw);
    if (!parsed.success) throw new InvalidRequestError(`Invalid verdict: ${parsed.error.issues[0]?.path.join('.')}: ${parsed.error.issues[0]?.message}`);
    const block = parsed.data;
    const [row] = await db
      .insert(safetyVerdicts)
      .values({ jobId: block.id, tenantId: block.tenantId, attempt: 0, stage: 'input', plugin: block.plugin, allowed: false, category: block.category, score: block.score, pass: 0, imageIndex: 0, createdAt: block.createdAt })
      .returning({ id: safetyVerdicts.id });
    return c.json({ id: row?.id ?? null }, 201);
  });

  app.get('/v1/safety/verdicts', async (c) => {
    const parsed = verdictQuery.safeParse(c.req.query());
    if (!parsed.success) throw new InvalidRequestError(`Invalid query: ${parsed.error.issues[0]?.path.join('.')}: ${parsed.error.issues[0]?.message}`);
    const { limit, before, tenant, job, blocked } = parsed.data;
    const rows = await db
      .select()
      .from(safetyVerdicts)
      .where(
        and(
          before === undefined ? undefined : lt(safetyVerdicts.id, before),
          tenant === undefined ? undefined : eq(safetyVerdicts.tenantId, tenant),
          job === undefined ? undefined : eq(safetyVerdicts.jobId, job),
          blocked === undefined ? undefined : eq(safetyVerdicts.allowed, blocked === 'false'),
        ),
      )
      .orderBy(desc(safetyVerdicts.id))
      .limit(limit + 1);
    const page = rows.slice(0, limit);
    return c.json({
      object: 'list',
      data: page.map((row) => ({
        id: row.id,
        job_id: row.jobId,
        tenant_id: row.tenantId,
        attempt: row.attempt,
        stage: row.stage,
        plugin: row.plugin,
        allowed: row.allowed,
        category: row.category,
        score: row.score,
        pass: row.pass,
        image_index: row.imageIndex,
        passes_skipped: row.passesSkipped,
        saved_ms: row.savedMs,
        created_at: Math.floor(row.createdAt / 1000),
      })),
      has_more: rows.length > limit,
      next_before: rows.length > limit ? page.at(-1)?.id : null,
    });
  });

  app.notFound((c) => toErrorResponse(new NotFoundError(`No route ${c.req.method} ${new URL(c.req.url).pathname}.`)));

  app.onError((error, c) => {
    if (error instanceof ApiError) return toErrorResponse(error);
    if (error instanceof BadImageError) return toErrorResponse(new InvalidRequestError(error.message, 'image', error.code));
    logger.error('origin API request failed', { url: c.req.url, error: String(error) });
    return toErrorResponse(new ServerError('The origin failed to answer.'));
  });

  return app;
}

/** The origin API as a Node HTTP server, not yet listening. */
export function createOriginApi(options: OriginApiOptions): ServerType {
  return createAdaptorServer({ fetch: originApiApp(options).fetch });
}
