import type { MiddlewareHandler } from 'hono';
import { createMiddleware } from 'hono/factory';
import type { AppEnv } from '../env.js';
import { AuthenticationError } from '../errors.js';
import { constantTimeEqual, sha256Hex } from '../../protocol/signature.js';

/** Guards the admin API with `Authorization: Bearer <ADMIN_SECRET>`. */
export const adminAuth = (): MiddlewareHandler<AppEnv> =>
  createMiddleware<AppEnv>(async function adminAuth(c, next) {
    const header = c.req.header('authorization') ?? '';
    const token = header.startsWith('Bearer ') ? header.slice(7) : '';
    // Hashing both sides first makes the comparison constant-time regardless of length.
    const [given, expected] = await Promise.all([sha256Hex(token), sha256Hex(c.env.ADMIN_SECRET)]);
    if (!c.env.ADMIN_SECRET || !constantTimeEqual(given, expected)) {
      throw new AuthenticationError('Admin calls need "Authorization: Bearer <ADMIN_SECRET>".', 'invalid_admin_secret');
    }
    await next();
  });
