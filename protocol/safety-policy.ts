// The safety policy as it travels: what an admin PUTs, what the PolicyStore
// keeps and what origins read back (GET /internal/policy). The engine that
// compiles and matches it lives in plugins/safety-policy/engine.ts.
import { z } from 'zod';

export const OPENAI_MODERATION_CATEGORIES = [
  'harassment',
  'harassment/threatening',
  'hate',
  'hate/threatening',
  'illicit',
  'illicit/violent',
  'self-harm',
  'self-harm/intent',
  'self-harm/instructions',
  'sexual',
  'sexual/minors',
  'violence',
  'violence/graphic',
] as const;
/** Image-specific concerns OpenAI's text taxonomy has no name for. */
export const LUMEN_MODERATION_CATEGORIES = ['sexual/non-consensual', 'sexual/deepfake', 'extremism'] as const;
export type ModerationCategory = (typeof OPENAI_MODERATION_CATEGORIES)[number] | (typeof LUMEN_MODERATION_CATEGORIES)[number];
export const MODERATION_CATEGORIES: readonly ModerationCategory[] = [...OPENAI_MODERATION_CATEGORIES, ...LUMEN_MODERATION_CATEGORIES];
/** Categories no policy, overlay or `moderation: "low"` may relax or switch off. */
export const NEVER_RELAXABLE_CATEGORIES: readonly ModerationCategory[] = ['sexual/minors', 'sexual/non-consensual', 'sexual/deepfake'];

export type Severity = 'low' | 'medium' | 'high' | 'critical';

/** One element of a rule: a concept name, or a list of concept names any one of which will do. */
export type RuleElement = string | string[];

export interface PolicyCategory {
  id: ModerationCategory;
  severity: Severity;
  /** Whether `moderation: "low"` may skip this category. */
  relaxable: boolean;
  enabled: boolean;
  /**
   * Phrases any one of which puts the prompt in this category. Matched on
   * normalised whole tokens; a trailing `*` on a word matches any ending
   * ("sexuali*"), a leading `*` on a one-word term any beginning ("*vergewaltigung");
   * a phrase with Japanese/Chinese characters matches as a substring.
   */
  terms?: string[];
  /**
   * Co-occurrence rules: the prompt is in this category when every element of
   * one rule is present, in any order, and no element of its `none` is.
   */
  rules?: Array<{ all: RuleElement[]; none?: RuleElement[] }>;
  /** Word-sense guards for this category's own terms only ("suicide prevention" for self-harm). */
  allow?: string[];
}

export interface PolicyConcept {
  /** Same syntax as category terms. */
  terms: string[];
  /** Regular expressions (flag `u`) run on the normalised prompt, e.g. ages written as numbers. */
  patterns?: string[];
}

export interface SafetyPolicy {
  version?: number;
  /** Named groups of terms that rules combine ("minor", "sexual", "instructions"). */
  concepts?: Record<string, PolicyConcept>;
  /**
   * Word-sense guards: phrases whose words are removed before matching, so
   * "blood orange" or "bomb-sniffing dog" never feed a concept.
   */
  allow?: string[];
  categories: PolicyCategory[];
}

export interface PolicyOverlay {
  /** Categories that `moderation: "low"` may no longer skip for this tenant. */
  disableRelaxation?: ModerationCategory[];
  /** More terms per category (added to the category's own). */
  extraTerms?: Partial<Record<ModerationCategory, string[]>>;
  /** Categories switched on for this tenant even if the base policy has them off. */
  enableCategories?: ModerationCategory[];
  /** Raise (never lower) a category's severity. */
  raiseSeverity?: Partial<Record<ModerationCategory, Severity>>;
}

const categoryIdSchema = z.enum(MODERATION_CATEGORIES as [ModerationCategory, ...ModerationCategory[]]);
const severitySchema = z.enum(['low', 'medium', 'high', 'critical']);
const termSchema = z.string().trim().min(1).max(200);
const conceptNameSchema = z.string().regex(/^[a-z][a-z0-9_]*$/, 'concept names are lower_snake_case');
const patternSchema = z
  .string()
  .min(1)
  .max(500)
  .refine((source) => compiles(source), { message: 'not a valid regular expression' });

function compiles(source: string): boolean {
  try {
    new RegExp(source, 'u');
    return true;
  } catch {
    return false;
  }
}

const ruleElementSchema = z.union([conceptNameSchema, z.array(conceptNameSchema).min(1)]);
const categorySchema = z
  .object({
    id: categoryIdSchema,
    severity: severitySchema,
    relaxable: z.boolean(),
    enabled: z.boolean(),
    terms: z.array(termSchema).max(5000).optional(),
    rules: z.array(z.object({ all: z.array(ruleElementSchema).min(1), none: z.array(ruleElementSchema).optional() }).strict()).max(200).optional(),
    allow: z.array(termSchema).max(5000).optional(),
  })
  .strict();

export const policySchema: z.ZodType<SafetyPolicy> = z
  .object({
    version: z.number().int().nonnegative().optional(),
    concepts: z.record(conceptNameSchema, z.object({ terms: z.array(termSchema).max(5000), patterns: z.array(patternSchema).max(50).optional() }).strict()).optional(),
    allow: z.array(termSchema).max(5000).optional(),
    categories: z.array(categorySchema).min(1),
  })
  .strict()
  .superRefine((policy, ctx) => {
    for (const problem of policyProblems(policy)) ctx.addIssue({ code: z.ZodIssueCode.custom, message: problem });
  });

export const policyOverlaySchema: z.ZodType<PolicyOverlay> = z
  .object({
    disableRelaxation: z.array(categoryIdSchema).optional(),
    extraTerms: z.record(categoryIdSchema, z.array(termSchema).max(1000)).optional(),
    enableCategories: z.array(categoryIdSchema).optional(),
    raiseSeverity: z.record(categoryIdSchema, severitySchema).optional(),
  })
  .strict() as z.ZodType<PolicyOverlay>;

/** What is wrong with a policy beyond its shape: duplicate ids, unknown concepts, relaxed never-relaxable categories. */
function policyProblems(policy: SafetyPolicy): string[] {
  const problems: string[] = [];
  const seen = new Set<string>();
  const concepts = policy.concepts ?? {};
  for (const category of policy.categories) {
    if (seen.has(category.id)) problems.push(`category "${category.id}" appears twice`);
    seen.add(category.id);
    if (NEVER_RELAXABLE_CATEGORIES.includes(category.id)) {
      if (category.relaxable) problems.push(`category "${category.id}" can never be relaxable`);
      if (!category.enabled) problems.push(`category "${category.id}" can never be disabled`);
    }
    for (const rule of category.rules ?? []) {
      for (const name of [...rule.all, ...(rule.none ?? [])].flat()) {
        if (!Object.hasOwn(concepts, name)) problems.push(`category "${category.id}" has a rule naming the unknown concept "${name}"`);
      }
    }
  }
  return problems;
}
