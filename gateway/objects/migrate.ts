import { DurableObject } from 'cloudflare:workers';
import { drizzle, type DrizzleSqliteDODatabase } from 'drizzle-orm/durable-sqlite';
import { migrate } from 'drizzle-orm/durable-sqlite/migrator';
import migrations from '../../schema/migrations/gateway/migrations.js';
import * as schema from '../../schema/gateway.js';
import type { Env } from '../env.js';

export type GatewayDatabase = DrizzleSqliteDODatabase<typeof schema>;

/**
 * An object's SQLite through drizzle, migrated before any call is let in.
 * A failed migration is caught inside blockConcurrencyWhile and rethrown on
 * every use, so callers see the real cause instead of a reset object.
 */
export class MigratedDatabase {
  readonly #db: GatewayDatabase;
  #failure: unknown;

  /** `ready` runs after the migrations, still before any call is let in. */
  constructor(ctx: DurableObjectState, ready?: () => Promise<void>) {
    this.#db = drizzle(ctx.storage, { schema });
    void ctx.blockConcurrencyWhile(async () => {
      try {
        await migrate(this.#db, migrations);
      } catch (error) {
        this.#failure = error;
        return;
      }
      await ready?.();
    });
  }

  get db(): GatewayDatabase {
    if (this.#failure) throw this.#failure;
    return this.#db;
  }
}

/** Base of the gateway's Durable Objects: each keeps its state in its own SQLite, through drizzle. */
export abstract class SqliteObject extends DurableObject<Env> {
  readonly #storage: MigratedDatabase;

  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, env);
    this.#storage = new MigratedDatabase(ctx, () => this.onReady());
  }

  /** Runs once the schema is migrated and before the first call; must not throw. */
  protected async onReady(): Promise<void> {}

  protected get db(): GatewayDatabase {
    return this.#storage.db;
  }
}
