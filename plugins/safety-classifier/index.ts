import { z } from 'zod';
import { defineStage, type GenerationSpec, type SafetyVerdict } from '../sdk/index.js';
import { NSFW_CATEGORY_NAMES, NsfwClassifier, type CategoryScore, type ImageClassifier } from './classifier.js';
import type { TfBackend } from './protocol.js';

export {
  NSFW_CATEGORIES,
  NSFW_CATEGORY_NAMES,
  NsfwClassifier,
  toCategoryScores,
  type CategoryScore,
  type ClassifierStats,
  type ClassifyOptions,
  type ImageClassifier,
  type NsfwClassifierOptions,
} from './classifier.js';
export type { TfBackend } from './protocol.js';

const STAGE_NAME = 'lumen/output-classifier';

/** The score from which each category blocks, unless the options say otherwise. */
export const DEFAULT_THRESHOLDS: Readonly<Record<string, number>> = { sexual: 0.85, 'sexual/suggestive': 0.9 };

/** The categories `moderation: "low"` switches off, unless the options say otherwise. */
export const DEFAULT_RELAXABLE: readonly string[] = ['sexual/suggestive'];

export interface OutputClassifierOptions {
  /**
   * For each category, the score (above 0, at most 1) from which an image is
   * blocked, merged over {@link DEFAULT_THRESHOLDS}; `null` stops checking a
   * category. Categories without a threshold never block.
   */
  thresholds?: Readonly<Record<string, number | null>>;
  /** Categories that jobs with `moderation: "low"` do not block on. Default {@link DEFAULT_RELAXABLE}. */
  relaxable?: readonly string[];
  /**
   * The first pass to check (1-based). Default 1: every pass. The last pass is
   * checked whatever this says, so no job ends unchecked.
   */
  fromPass?: number;
  /** The tfjs backend of the default classifier. Default `wasm`, about ten times faster than `cpu`. */
  backend?: TfBackend;
  /**
   * A classifier to use instead of the default nsfwjs one. Only code that
   * builds the stage itself can pass one (it is not JSON); its owner, not the
   * stage, disposes it.
   */
  classifier?: ImageClassifier;
}

/** The thresholds in force and which of them `moderation: "low"` switches off. */
export interface ClassifierPolicy {
  readonly thresholds: ReadonlyMap<string, number>;
  readonly relaxable: ReadonlySet<string>;
}

const optionsSchema = z
  .object({
    thresholds: z.record(z.string().min(1), z.number().gt(0).max(1).nullable()).default({}),
    relaxable: z.array(z.string().min(1)).default([...DEFAULT_RELAXABLE]),
    fromPass: z.number().int().min(1).default(1),
    backend: z.enum(['wasm', 'cpu']).default('wasm'),
    classifier: z
      .custom<ImageClassifier>((value) => typeof (value as Partial<ImageClassifier> | null)?.classify === 'function', {
        message: 'must be an object with a classify(image) method',
      })
      .optional(),
  })
  .strict();

function parseOptions(options: OutputClassifierOptions) {
  const parsed = optionsSchema.safeParse(options);
  if (!parsed.success) {
    const problems = parsed.error.issues.map((issue) => (issue.path.length > 0 ? `${issue.path.join('.')}: ${issue.message}` : issue.message));
    throw new TypeError(`${STAGE_NAME}: ${problems.join('; ')}`);
  }
  const { thresholds, relaxable, fromPass, backend, classifier } = parsed.data;
  const merged: Record<string, number | null> = { ...DEFAULT_THRESHOLDS, ...thresholds };
  if (!classifier) {
    const unknown = Object.keys(thresholds).filter((category) => !NSFW_CATEGORY_NAMES.includes(category));
    if (unknown.length > 0) {
      throw new TypeError(
        `${STAGE_NAME}: the default classifier has no categor${unknown.length === 1 ? 'y' : 'ies'} ${unknown.map((c) => `"${c}"`).join(', ')}; ` +
          `it reports ${NSFW_CATEGORY_NAMES.map((c) => `"${c}"`).join(', ')}`,
      );
    }
  }
  const unthresholded = relaxable.filter((category) => !(category in merged));
  if (unthresholded.length > 0) {
    throw new TypeError(`${STAGE_NAME}: relaxable names ${unthresholded.map((c) => `"${c}"`).join(', ')}, which has no threshold; give it one in thresholds`);
  }
  const policy: ClassifierPolicy = {
    thresholds: new Map(Object.entries(merged).filter((entry): entry is [string, number] => entry[1] !== null)),
    relaxable: new Set(relaxable),
  };
  return { policy, fromPass, backend, classifier };
}

/**
 * Judges one image's scores: the highest-scoring category at or above its
 * threshold blocks, skipping relaxable ones under `moderation: "low"`. An
 * allowed verdict carries the highest score of any thresholded category.
 * Scores outside [0, 1] (or NaN) throw, so a broken classifier fails the job
 * rather than letting images through.
 */
export function judgeScores(scores: readonly CategoryScore[], policy: ClassifierPolicy, moderation: GenerationSpec['moderation'] = 'auto'): SafetyVerdict {
  let worst: { category: string; score: number; threshold: number } | undefined;
  let highest = 0;
  for (const { category, score } of scores) {
    if (!(score >= 0 && score <= 1)) throw new RangeError(`${STAGE_NAME}: the classifier scored "${category}" ${score}; scores must be between 0 and 1`);
    const threshold = policy.thresholds.get(category);
    if (threshold === undefined) continue;
    highest = Math.max(highest, score);
    if (score < threshold || (moderation === 'low' && policy.relaxable.has(category))) continue;
    if (!worst || score > worst.score) worst = { category, score, threshold };
  }
  if (!worst) return { allowed: true, score: highest };
  const { category, score, threshold } = worst;
  const relaxHint = policy.relaxable.has(category) ? ` Requests with moderation "low" allow this category.` : '';
  return {
    allowed: false,
    category,
    score,
    reason: `The image was classified as "${category}" (score ${score.toFixed(2)}; images from ${threshold} are blocked).${relaxHint}`,
  };
}

/**
 * Classifies the image of every decode pass (from `fromPass`) and blocks the
 * job as soon as a category crosses its threshold. The default classifier is
 * the nsfwjs MobileNetV2 shipped inside the nsfwjs npm package, run with
 * TensorFlow.js in a worker thread the stage owns from `setup` to `dispose`.
 */
export default defineStage('safety', (options: OutputClassifierOptions = {}) => {
  const { policy, fromPass, backend, classifier: injected } = parseOptions(options);
  let owned: NsfwClassifier | undefined;
  return {
    name: STAGE_NAME,
    async setup({ logger }) {
      if (injected) return;
      // A worker that dies is replaced by the next check; the check it interrupted is retried once on the new one.
      owned ??= await NsfwClassifier.load({
        backend,
        onWorkerCrash: (reason) => logger.warn('output classifier worker died; starting a new one', { stage: STAGE_NAME, reason: reason.message }),
      });
      logger.info('output classifier ready', { stage: STAGE_NAME, backend, loadMs: Math.round(owned.stats.loadMilliseconds) });
    },
    async checkPass(ctx, image) {
      if (ctx.pass < Math.min(fromPass, ctx.passes)) return { allowed: true };
      ctx.signal.throwIfAborted();
      const classifier = injected ?? owned;
      if (!classifier) throw new Error(`${STAGE_NAME}: checkPass was called before setup(), which loads the classifier`);
      const scores = await classifier.classify(image, ctx.signal, { lowPriority: ctx.job.lowPriority === true });
      ctx.signal.throwIfAborted();
      return judgeScores(scores, policy, ctx.job.moderation);
    },
    async dispose() {
      const classifier = owned;
      owned = undefined;
      await classifier?.dispose();
    },
  };
});
