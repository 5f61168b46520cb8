// The live safety policy as the gateway's PolicyStore holds it and sends it to
// origins (GET /internal/policy), and the refusals the gateway reports to the
// origins' audit log. The cache both sides keep is plugins/safety-policy/cache.ts.
import { z } from 'zod';
import { policyOverlaySchema, policySchema } from './safety-policy.js';

/** The base policy and every tenant's overlay, as of one `revision` of the store. */
export const policySnapshotSchema = z.object({
  /** Strictly increasing over every write (base policy or overlay); 0 before any. */
  revision: z.number().int().min(0),
  base: z.object({
    /** 0 is the built-in DEFAULT_POLICY; every PUT /v1/admin/policy adds one. */
    version: z.number().int().min(0),
    policy: policySchema,
    note: z.string().nullable(),
    createdAt: z.number().int().min(0),
  }),
  overlays: z.record(z.string(), z.object({ version: z.number().int().min(1), overlay: policyOverlaySchema, updatedAt: z.number().int().min(0) })),
});

export type PolicySnapshot = z.infer<typeof policySnapshotSchema>;
export type { PolicyOverlay, SafetyPolicy } from './safety-policy.js';

/** A prompt the gateway refused, as it reports it to the origins' audit log (POST /v1/safety/verdicts on the origin API). */
export const gatewayBlockSchema = z
  .object({
    /** The block's `modr_…` id; no job exists, so the audit log keeps it as the job id. */
    id: z.string().regex(/^modr_[0-9a-f]{32}$/),
    tenantId: z.string().min(1).max(128),
    category: z.string().min(1).max(128),
    severity: z.enum(['low', 'medium', 'high', 'critical']),
    score: z.number().min(0).max(1),
    policyVersion: z.number().int().min(0),
    plugin: z.string().min(1).max(128),
    createdAt: z.number().int().min(0),
  })
  .strict();

export type GatewayBlock = z.infer<typeof gatewayBlockSchema>;
