// The origin's small HTTP API for what only an origin can answer: provenance
// verification (it needs sharp and the libSQL registry) and the safety audit
// log. The gateway calls it, signed with the shared ORIGIN_SECRET; it is never
// exposed to clients directly.
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { and, desc, eq, lt } from 'drizzle-orm';
import { z } from 'zod';
import { gatewayBlockSchema } from '../protocol/policy.js';
import { SIGNATURE_HEADERS, verifyInternalRequest } from '../protocol/signature.js';
import type { Logger } from '../plugins/sdk/index.js';
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

class HttpError extends Error {
  constructor(
    readonly status: number,
    readonly type: string,
    message: string,
    readonly code: string | null = null,
  ) {
    super(message);
  }
}

const verdictQuery = z.object({
  limit: z.coerce.number().int().min(1).max(500).default(100),
  /** Verdicts with an id below this (the `next_before` of the previous page). */
  before: z.coerce.number().int().min(1).optional(),
  tenant: z.string().max(128).optional(),
  job: z.string().max(128).optional(),
  blocked: z.enum(['true', 'false']).optional(),
});

async function readBody(request: IncomingMessage, limit: number): Promise<Uint8Array> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of request) {
    size += (chunk as Buffer).length;
    if (size > limit) throw new HttpError(400, 'invalid_request_error', `The image is larger than ${limit} bytes (25 MB).`, 'image_too_large');
    chunks.push(chunk as Buffer);
  }
  return new Uint8Array(Buffer.concat(chunks));
}

function send(response: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  response.writeHead(status, { 'content-type': 'application/json', ...headers });
  response.end(JSON.stringify(body));
}

export function createOriginApi({ secret, db, provenance, logger, c2paTrustAnchor }: OriginApiOptions): Server {
  const handle = async (request: IncomingMessage, response: ServerResponse) => {
    const url = new URL(request.url ?? '/', 'http://origin');
    const pathAndQuery = `${url.pathname}${url.search}`;
    const body = request.method === 'POST' ? await readBody(request, MAX_IMAGE_UPLOAD_BYTES) : new Uint8Array();
    const header = (name: string) => {
      const value = request.headers[name];
      return Array.isArray(value) ? value[0] : value;
    };
    const signed = await verifyInternalRequest(secret, request.method ?? 'GET', pathAndQuery, body, header(SIGNATURE_HEADERS.timestamp), header(SIGNATURE_HEADERS.signature));
    if (!signed) throw new HttpError(401, 'invalid_request_error', 'Unsigned or badly signed origin API call.', 'invalid_signature');

    if (request.method === 'POST' && url.pathname === '/v1/provenance/verify') {
      const tenant = url.searchParams.get('tenant');
      if (!tenant) throw new HttpError(400, 'invalid_request_error', 'tenant is required.');
      return send(response, 200, await provenance.verify(body, tenant));
    }
    if (request.method === 'GET' && url.pathname === '/v1/provenance/keys') {
      const keys = await provenance.publicKeys();
      return send(response, 200, {
        keys: keys.map((key) => ({ kid: key.keyId, kty: 'OKP', crv: 'Ed25519', x: key.publicKey, alg: 'EdDSA', created_at: Math.floor(key.createdAt / 1000) })),
        ...(c2paTrustAnchor && { c2pa: { trust_anchors: [c2paTrustAnchor] } }),
      });
    }
    // A prompt the gateway refused before queueing: audited with the origins' own verdicts, its `modr_` id standing in for a job id.
    if (request.method === 'POST' && url.pathname === '/v1/safety/verdicts') {
      let raw: unknown;
      try {
        raw = JSON.parse(new TextDecoder().decode(body));
      } catch {
        throw new HttpError(400, 'invalid_request_error', 'The verdict is not valid JSON.');
      }
      const parsed = gatewayBlockSchema.safeParse(raw);
      if (!parsed.success) throw new HttpError(400, 'invalid_request_error', `Invalid verdict: ${parsed.error.issues[0]?.path.join('.')}: ${parsed.error.issues[0]?.message}`);
      const block = parsed.data;
      const [row] = await db
        .insert(safetyVerdicts)
        .values({ jobId: block.id, tenantId: block.tenantId, attempt: 0, stage: 'input', plugin: block.plugin, allowed: false, category: block.category, score: block.score, pass: 0, imageIndex: 0, createdAt: block.createdAt })
        .returning({ id: safetyVerdicts.id });
      return send(response, 201, { id: row?.id ?? null });
    }
    if (request.method === 'GET' && url.pathname === '/v1/safety/verdicts') {
      const parsed = verdictQuery.safeParse(Object.fromEntries(url.searchParams));
      if (!parsed.success) throw new HttpError(400, 'invalid_request_error', `Invalid query: ${parsed.error.issues[0]?.path.join('.')}: ${parsed.error.issues[0]?.message}`);
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
      return send(response, 200, {
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
    }
    throw new HttpError(404, 'invalid_request_error', `No route ${request.method} ${url.pathname}.`, 'not_found');
  };

  return createServer((request, response) => {
    handle(request, response).catch((error: unknown) => {
      if (error instanceof BadImageError) return send(response, 400, { error: { message: error.message, type: 'invalid_request_error', param: 'image', code: error.code } });
      if (error instanceof HttpError) return send(response, error.status, { error: { message: error.message, type: error.type, param: null, code: error.code } });
      logger.error('origin API request failed', { url: request.url, error: String(error) });
      send(response, 500, { error: { message: 'The origin failed to answer.', type: 'server_error', param: null, code: null } });
    });
  });
}
