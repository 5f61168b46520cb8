import { readFileSync } from 'node:fs';
import { z } from 'zod';
import { defineStage, type SafetyVerdict } from '../sdk/index.js';

const policySchema = z.object({
  categories: z.array(
    z.object({
      id: z.string().min(1),
      severity: z.enum(['low', 'medium', 'high', 'critical']),
      /** Whether `moderation: "low"` may switch this category off. */
      relaxable: z.boolean(),
      terms: z.array(z.string().min(1)),
      patterns: z.array(z.string().min(1)),
    }),
  ),
});

export type SafetyPolicy = z.infer<typeof policySchema>;

interface CompiledCategory {
  id: string;
  severity: SafetyPolicy['categories'][number]['severity'];
  relaxable: boolean;
  matchers: RegExp[];
}

const escape = (text: string) => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/** Compiles a policy; terms match whole words, case-insensitively, so "shoot a photo" never trips "shoot". */
export function compilePolicy(policy: SafetyPolicy): CompiledCategory[] {
  return policy.categories.map((category) => ({
    id: category.id,
    severity: category.severity,
    relaxable: category.relaxable,
    matchers: [
      ...category.terms.map((term) => new RegExp(`\\b${escape(term.toLowerCase()).replace(/\s+/g, '\\s+')}\\b`, 'i')),
      ...category.patterns.map((pattern) => new RegExp(pattern, 'i')),
    ],
  }));
}

/** How a category's severity is reported as a verdict score. */
const SEVERITY_SCORE = { low: 0.25, medium: 0.5, high: 0.75, critical: 1 } as const;

/**
 * Checks a prompt against a compiled policy; the first matching category
 * blocks. `moderation: "low"` skips the categories marked relaxable.
 */
export function checkPromptAgainst(categories: readonly CompiledCategory[], prompt: string, moderation: 'auto' | 'low' = 'auto'): SafetyVerdict {
  const text = prompt.normalize('NFKC');
  for (const category of categories) {
    if (moderation === 'low' && category.relaxable) continue;
    const hit = category.matchers.find((matcher) => matcher.test(text));
    if (hit) {
      return {
        allowed: false,
        category: category.id,
        score: SEVERITY_SCORE[category.severity],
        reason: `The prompt matches the "${category.id}" policy (severity ${category.severity}).`,
      };
    }
  }
  return { allowed: true, score: 0 };
}

const DEFAULT_POLICY = new URL('./default-policy.json', import.meta.url);

export interface PromptPolicyOptions {
  /** Path of a per-deployment policy file; defaults to the bundled policy. */
  policyPath?: string;
}

/** Refuses prompts in blocked categories before any token is made. */
export default defineStage('safety', ({ policyPath }: PromptPolicyOptions = {}) => {
  let categories: CompiledCategory[] = [];
  return {
    name: 'lumen/prompt-policy',
    order: 'pre',
    setup() {
      const raw: unknown = JSON.parse(readFileSync(policyPath ?? DEFAULT_POLICY, 'utf8'));
      categories = compilePolicy(policySchema.parse(raw));
    },
    checkPrompt(ctx) {
      return checkPromptAgainst(categories, ctx.job.prompt, ctx.job.moderation);
    },
  };
});
