import { Hono } from 'hono';
import type { AppEnv, Env } from './env.js';
import { ApiError, NotFoundError, toErrorResponse } from './errors.js';
import { admin } from './routes/admin.js';
import { files } from './routes/files.js';
import { images } from './routes/images.js';
import { internal } from './routes/internal.js';
import { provenance, wellKnown } from './routes/provenance.js';
import { webhooks } from './routes/webhooks.js';
import { signup } from './routes/signup.js';

export { QueueShard } from './objects/queue-shard.js';
export { SignupShard } from './objects/signup-shard.js';
export { Tenant } from './objects/tenant.js';
export { TierConfig } from './objects/tier-config.js';

export const app = new Hono<AppEnv>();

app.get('/healthz', (c) => c.json({ ok: true }));
app.route('/v1/images', images);
app.route('/v1/admin', admin);
app.route('/v1/signup', signup);
app.route('/v1/files', files);
app.route('/v1/webhooks', webhooks);
app.route('/v1/provenance', provenance);
app.route('/.well-known', wellKnown);
app.route('/internal', internal);

app.notFound((c) => toErrorResponse(new NotFoundError(`Unknown endpoint: ${c.req.method} ${new URL(c.req.url).pathname}`)));

app.onError((error, c) => {
  if (error instanceof ApiError) {
    const response = toErrorResponse(error);
    // Headers a handler set before it threw (e.g. Lumen-Job-Id) describe the request, so errors keep them.
    for (const [name, value] of c.res.headers) if (!response.headers.has(name)) response.headers.set(name, value);
    return response;
  }
  console.error(JSON.stringify({ level: 'error', message: 'unhandled error', path: c.req.path, error: String(error), stack: error.stack }));
  return toErrorResponse(new ApiError(500, 'server_error', 'The server had an error processing your request. Retry, or contact the operator if it persists.'));
});

export default {
  fetch: app.fetch,
} satisfies ExportedHandler<Env>;
