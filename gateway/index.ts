import { Hono, type ErrorHandler } from 'hono';
import type { AppEnv, Env } from './env.js';
import { ApiError, InvalidRequestError, NotFoundError, toErrorResponse } from './errors.js';
import { requestId } from './middleware/request-id.js';
import { admin } from './routes/admin.js';
import { files } from './routes/files.js';
import { images } from './routes/images.js';
import { internal } from './routes/internal.js';
import { models } from './routes/models.js';
import { requestMetrics } from './middleware/request-metrics.js';
import { ops } from './routes/ops.js';
import { moderations } from './routes/moderations.js';
import { provenance, wellKnown } from './routes/provenance.js';
import { reference } from './routes/reference.js';
import { webhooks } from './routes/webhooks.js';
import { signup } from './routes/signup.js';

export { GatewayCounters } from './objects/gateway-counters.js';
export { PolicyStore } from './objects/policy-store.js';
export { QueueShard } from './objects/queue-shard.js';
export { SignupShard } from './objects/signup-shard.js';
export { Tenant } from './objects/tenant.js';
export { TierConfig } from './objects/tier-config.js';
export { WorkerRegistry } from './objects/worker-registry.js';

export const app = new Hono<AppEnv>();

app.use('*', requestId());
app.use('*', requestMetrics());
app.get('/healthz', (c) => c.json({ ok: true }));
app.route('/v1/images', images);
app.route('/v1/models', models);
app.route('/v1/moderations', moderations);
app.route('/v1/admin', ops);
app.route('/v1/admin', admin);
app.route('/v1/signup', signup);
app.route('/v1/files', files);
app.route('/v1/webhooks', webhooks);
app.route('/v1/provenance', provenance);
app.route('/.well-known', wellKnown);
app.route('/internal', internal);
app.route('/', reference);

app.notFound((c) => toErrorResponse(new NotFoundError(`Unknown endpoint: ${c.req.method} ${new URL(c.req.url).pathname}`)));

/** Maps every error to the OpenAI shape: ApiErrors as they are, URIErrors to 400, anything else to a logged 500. */
export const handleError: ErrorHandler<AppEnv> = (error, c) => {
  if (error instanceof ApiError) {
    const response = toErrorResponse(error);
    // Headers a handler set before it threw (e.g. Lumen-Job-Id) describe the request, so errors keep them.
    for (const [name, value] of c.res.headers) if (!response.headers.has(name)) response.headers.set(name, value);
    // Hono would copy the returned response to merge in the old one's headers, which are merged already (see response-headers.ts on copies).
    c.res = undefined;
    return response;
  }
  // Any decodeURI* a handler runs on a malformed path or query: the request is at fault, not the server.
  if (error instanceof URIError) {
    return toErrorResponse(new InvalidRequestError('The request URL has malformed percent-encoding (a "%" not followed by two hex digits, or bytes that are not UTF-8).', null, 'invalid_path'));
  }
  console.error(JSON.stringify({ level: 'error', message: 'unhandled error', request_id: c.get('requestId'), path: c.req.path, error: String(error), stack: error.stack }));
  return toErrorResponse(new ApiError(500, 'server_error', 'The server had an error processing your request. Retry, or contact the operator if it persists.'));
};
app.onError(handleError);

export default {
  fetch: app.fetch,
} satisfies ExportedHandler<Env>;
