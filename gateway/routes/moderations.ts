import { Hono } from 'hono';
import { bodyLimit } from 'hono/body-limit';
import { z } from 'zod';
import { LUMEN_MODERATION_CATEGORIES, moderateText, OPENAI_MODERATION_CATEGORIES, type ModerationResult } from '../../plugins/safety-policy/engine.js';
import type { AppEnv } from '../env.js';
import { InvalidRequestError, parseRequest, PayloadTooLargeError, readJsonBody } from '../errors.js';
import { apiKeyAuth } from '../middleware/auth.js';
import { rateLimit } from '../middleware/rate-limit.js';
import { compiledPolicyOf, livePolicy } from '../moderation.js';
import {
  MAX_MODERATION_INPUT_CHARS,
  MAX_MODERATION_INPUTS,
  MODERATION_MODELS,
  moderationImagePartSchema as imagePart,
  moderationTextPartSchema as textPart,
  type ModerationResponse,
} from '../../protocol/public-api.js';

export { MAX_MODERATION_INPUT_CHARS, MAX_MODERATION_INPUTS };
export const MAX_MODERATION_BODY_BYTES = 256 * 1024;

// `input` is checked part by part below, to name the offending param; moderationRequestSchema documents its shapes.
const moderationRequest = z
  .object({
    input: z.unknown(),
    model: z.string().max(64).optional(),
  })
  .strict();

const INPUT_SHAPE = "'input' must be a string, an array of strings, or an array of {\"type\": \"text\", \"text\": ...} parts.";

/** The texts to classify, one per result: each string alone, or a multimodal array's text parts as one input (as OpenAI). */
function textsOf(input: unknown): string[] {
  if (input === undefined) throw new InvalidRequestError("Missing required parameter: 'input'.", 'input', 'missing_required_parameter');
  if (typeof input === 'string') return [checkLength(input, 'input')];
  if (!Array.isArray(input)) throw new InvalidRequestError(`Invalid 'input': ${INPUT_SHAPE}`, 'input', 'invalid_value');
  if (input.length === 0) throw new InvalidRequestError("Invalid 'input': the array must not be empty.", 'input', 'invalid_value');
  if (input.every((item) => typeof item === 'string')) {
    if (input.length > MAX_MODERATION_INPUTS) {
      throw new InvalidRequestError(`Invalid 'input': at most ${MAX_MODERATION_INPUTS} strings per request; got ${input.length}.`, 'input', 'too_many_inputs');
    }
    return input.map((text: string, index) => checkLength(text, `input[${index}]`));
  }
  if (input.length > MAX_MODERATION_INPUTS) throw new InvalidRequestError(`Invalid 'input': at most ${MAX_MODERATION_INPUTS} parts per request; got ${input.length}.`, 'input', 'too_many_inputs');
  const texts: string[] = [];
  for (const [index, part] of input.entries()) {
    const param = `input[${index}]`;
    if (imagePart.safeParse(part).success) {
      // Answering "not flagged" for pixels nobody looked at would be a false all-clear.
      throw new InvalidRequestError(`Invalid '${param}': this deployment moderates text only; send image parts to an image moderation service.`, param, 'unsupported_input_type');
    }
    const text = textPart.safeParse(part);
    if (!text.success) throw new InvalidRequestError(`Invalid '${param}': ${INPUT_SHAPE}`, param, 'invalid_value');
    texts.push(text.data.text);
  }
  return [checkLength(texts.join('\n'), 'input')];
}

function checkLength(text: string, param: string): string {
  if (text.length > MAX_MODERATION_INPUT_CHARS) {
    throw new InvalidRequestError(`Invalid '${param}': at most ${MAX_MODERATION_INPUT_CHARS} characters per input; got ${text.length}.`, param, 'input_too_long');
  }
  return text;
}

function isModerationModel(model: string): model is ModerationResponse['model'] {
  return (MODERATION_MODELS as readonly string[]).includes(model);
}

const CATEGORIES = [...OPENAI_MODERATION_CATEGORIES, ...LUMEN_MODERATION_CATEGORIES];

/** One result in OpenAI's shape: its 13 categories, then Lumen's own as extension keys. */
function resultOf(result: ModerationResult) {
  return {
    flagged: result.flagged,
    categories: Object.fromEntries(CATEGORIES.map((category) => [category, result.categories[category]])),
    category_scores: Object.fromEntries(CATEGORIES.map((category) => [category, result.categoryScores[category]])),
    category_applied_input_types: Object.fromEntries(CATEGORIES.map((category) => [category, ['text' as const]])),
  };
}

/** OpenAI's POST /v1/moderations, answered by the tenant's live safety policy (the one its generations are held to). */
export const moderations = new Hono<AppEnv>();

moderations.use('*', apiKeyAuth());
moderations.use('*', rateLimit());

moderations.post(
  '/',
  bodyLimit({
    maxSize: MAX_MODERATION_BODY_BYTES,
    onError: () => {
      throw new PayloadTooLargeError(MAX_MODERATION_BODY_BYTES);
    },
  }),
  async (c) => {
    const raw = await readJsonBody(c);
    if (!raw || typeof raw !== 'object' || Array.isArray(raw)) throw new InvalidRequestError('The request body must be a JSON object.');
    const body = parseRequest(moderationRequest, raw);
    const model = body.model ?? 'omni-moderation-latest';
    if (!isModerationModel(model)) {
      throw new InvalidRequestError(`Invalid 'model': '${model}' is not a moderation model. Use one of: ${MODERATION_MODELS.join(', ')}.`, 'model', 'invalid_value');
    }
    const texts = textsOf(body.input);
    const snapshot = await livePolicy(c.env);
    const policy = compiledPolicyOf(snapshot, c.get('tenant').id);
    return c.json({
      id: `modr-${crypto.randomUUID().replaceAll('-', '')}`,
      model,
      results: texts.map((text) => resultOf(moderateText(policy, text, { moderation: 'auto' }))),
      /** Lumen extension: the base policy version that answered. */
      policy_version: snapshot.base.version,
    } satisfies ModerationResponse);
  },
);
