// The models a client can name: model packs (what an origin renders with) and
// the aliases, such as OpenAI's model names, that resolve to them.
import { z } from 'zod';

/** The id of the default model pack: the name its decoder stage gives the model in provenance records and C2PA manifests. */
export const DEFAULT_PACK_ID = 'lumen/progressive-decoder';

/** The model names the official SDKs and existing clients send, all answered by the default pack unless LUMEN_MODEL_ALIASES says otherwise. */
export const DEFAULT_MODEL_ALIASES: Readonly<Record<string, string>> = {
  'gpt-image-1': DEFAULT_PACK_ID,
  'gpt-image-1-mini': DEFAULT_PACK_ID,
  'gpt-image-1.5': DEFAULT_PACK_ID,
  'chatgpt-image-latest': DEFAULT_PACK_ID,
  'dall-e-2': DEFAULT_PACK_ID,
  'dall-e-3': DEFAULT_PACK_ID,
};

/** What a model id or alias may be spelled with: visible ASCII without separators that the alias list or a path would split on. */
export const MODEL_ID_PATTERN = /^[A-Za-z0-9][A-Za-z0-9._:/-]{0,63}$/;

/** When the models Lumen lists were created (Unix seconds): the release of the version that ships the default pack. */
export const MODELS_CREATED = 1_796_111_156;

/** One entry of `GET /v1/models` (OpenAI's Model); `pack` is Lumen's: the model pack the id resolves to. */
export const modelObjectSchema = z.object({
  id: z.string(),
  object: z.literal('model'),
  created: z.number().int(),
  owned_by: z.string(),
  /** Lumen extension: the pack that renders this model (the id itself for a pack). */
  pack: z.string(),
});
export type ModelObject = z.infer<typeof modelObjectSchema>;

/** `GET /v1/models` (OpenAI's ModelsPage). */
export const modelListSchema = z.object({
  object: z.literal('list'),
  data: z.array(modelObjectSchema),
});
export type ModelList = z.infer<typeof modelListSchema>;
