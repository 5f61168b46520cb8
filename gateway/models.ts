// Which model pack a request's `model` names, and the list GET /v1/models answers.
import { config } from './config.js';
import type { Env } from './env.js';
import { ModelNotFoundError } from './errors.js';
import { MODELS_CREATED, type ModelObject } from '../protocol/models.js';

/** The pack that renders `model`: a pack by its own id, an alias by its pack, none given by the default pack. Anything else is a 404 `model_not_found`. */
export function resolveModel(env: Env, model: string | undefined): string {
  const { defaultPack, packs, aliases } = config(env).models;
  if (model === undefined) return defaultPack;
  const pack = aliases.get(model) ?? (packs.includes(model) ? model : undefined);
  if (pack === undefined) throw new ModelNotFoundError(model);
  return pack;
}

/** Every model a request may name, packs first, then the aliases in their configured order. */
export function listModels(env: Env): ModelObject[] {
  const { packs, aliases } = config(env).models;
  const entry = (id: string, pack: string): ModelObject => ({ id, object: 'model', created: MODELS_CREATED, owned_by: 'lumen', pack });
  return [...packs.map((pack) => entry(pack, pack)), ...[...aliases].map(([alias, pack]) => entry(alias, pack))];
}

/** One model by id or alias, or a 404 `model_not_found`. */
export function findModel(env: Env, id: string): ModelObject {
  const found = listModels(env).find((model) => model.id === id);
  if (!found) throw new ModelNotFoundError(id);
  return found;
}
