// GET /v1/models and /v1/models/{id}, in OpenAI's shape: every pack and alias a request's `model` may name.
import { Hono } from 'hono';
import type { AppEnv } from '../env.js';
import { apiKeyAuth } from '../middleware/auth.js';
import { rateLimit } from '../middleware/rate-limit.js';
import { findModel, listModels } from '../models.js';
import type { ModelList } from '../../protocol/models.js';

export const models = new Hono<AppEnv>();

models.use('*', apiKeyAuth());
// A lookup of static configuration: it takes a read token, like a job view, not the create budget.
models.use('*', rateLimit({ read: () => true }));

models.get('/', (c) => c.json({ object: 'list', data: listModels(c.env) } satisfies ModelList));

// `{.+}`: pack ids contain a slash, which clients send as it is or (the official SDKs) as %2F.
models.get('/:id{.+}', (c) => c.json(findModel(c.env, c.req.param('id'))));
