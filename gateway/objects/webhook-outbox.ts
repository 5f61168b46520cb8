import { and, eq, lte, min } from 'drizzle-orm';
import { webhookDeliveries } from '../../schema/gateway.js';
import type { GatewayConfig } from '../config.js';
import type { WebhookResult } from './shard-metrics.js';
import type { GatewayDatabase } from './migrate.js';
import { checkWebhookAddress, signWebhook, tenantWebhookSecret, WEBHOOK_MAX_ATTEMPTS, webhookBackoffMs } from '../webhooks.js';

/** Deliveries attempted per alarm run. */
const BATCH = 20;

/**
 * The webhook deliveries of one QueueShard, in its SQLite storage: queued in
 * the same write as the job's ending, sent from the shard's alarm, retried
 * with backoff until WEBHOOK_MAX_ATTEMPTS. Safe to run twice: it acts only on deliveries already due.
 */
export class WebhookOutbox {
  constructor(
    /** The shard's database, read on each use: it throws while a failed migration stands. */
    private readonly database: () => GatewayDatabase,
    private readonly config: () => Pick<GatewayConfig, 'webhookAllowedHosts'>,
    /** Root of the per-tenant signing secrets. */
    private readonly signingRoot: string,
  ) {}

  /** Queues one delivery; the caller schedules the alarm. */
  enqueue(jobId: string, url: string, payload: string, now: number): void {
    this.database()
      .insert(webhookDeliveries)
      .values({ id: `msg_${crypto.randomUUID().replaceAll('-', '')}`, jobId, url, payload, nextAttemptAt: now, status: 'pending' })
      .run();
  }

  /** When the next pending delivery is due, if any. */
  nextDueAt(): number | null {
    const at = this.database().select({ at: min(webhookDeliveries.nextAttemptAt) }).from(webhookDeliveries).where(eq(webhookDeliveries.status, 'pending')).get()?.at;
    return typeof at === 'number' ? at : null;
  }

  /**
   * Sends every delivery due by `now`; `tenantOf` names the tenant whose secret signs a job's deliveries.
   * Resolves to each attempt's result: delivered, failed but retrying, or failed for good.
   */
  async deliverDue(now: number, tenantOf: (jobId: string) => string | undefined): Promise<WebhookResult[]> {
    const due = this.database()
      .select()
      .from(webhookDeliveries)
      .where(and(eq(webhookDeliveries.status, 'pending'), lte(webhookDeliveries.nextAttemptAt, now)))
      .limit(BATCH)
      .all();
    const allowed = this.config().webhookAllowedHosts;
    return Promise.all(
      due.map(async (delivery): Promise<WebhookResult> => {
        const attempts = delivery.attempts + 1;
        let error: string | null = null;
        const verdict = checkWebhookAddress(delivery.url, allowed);
        if (!verdict.ok) {
          error = `address refused: ${verdict.reason}`;
        } else {
          try {
            const secret = await tenantWebhookSecret(this.signingRoot, tenantOf(delivery.jobId) ?? '');
            const headers = await signWebhook(secret, delivery.id, Math.floor(Date.now() / 1000), delivery.payload);
            const response = await fetch(verdict.url, { method: 'POST', headers, body: delivery.payload, redirect: 'manual', signal: AbortSignal.timeout(10_000) });
            // Redirects are never followed (their target was never checked): a 3xx is a failed attempt.
            await response.body?.cancel();
            if (!response.ok) error = response.status >= 300 && response.status < 400 ? `HTTP ${response.status} (redirects are not followed)` : `HTTP ${response.status}`;
          } catch (failure) {
            error = String(failure);
          }
        }
        const finalFailure = error !== null && (attempts >= WEBHOOK_MAX_ATTEMPTS || error.startsWith('address refused'));
        this.database()
          .update(webhookDeliveries)
          .set({
            attempts,
            lastError: error,
            status: error === null ? 'delivered' : finalFailure ? 'failed' : 'pending',
            nextAttemptAt: error === null || finalFailure ? delivery.nextAttemptAt : Date.now() + webhookBackoffMs(attempts),
          })
          .where(eq(webhookDeliveries.id, delivery.id))
          .run();
        return error === null ? 'delivered' : finalFailure ? 'failed' : 'retrying';
      }),
    );
  }
}
