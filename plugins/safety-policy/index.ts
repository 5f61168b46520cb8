// The origin's input-moderation stage: the policy engine (./engine.ts) run on
// each job's prompt before any token is made.
import { readFileSync } from 'node:fs';
import { defineStage, type SafetyVerdict } from '../sdk/index.js';
import { DEFAULT_POLICY } from './default-policy.js';
import { compilePolicy, moderateText, policySchema, type CompiledPolicy, type Severity } from './engine.js';

export * from './engine.js';

/** How a category's severity is reported as a verdict score. */
const SEVERITY_SCORE: Record<Severity, number> = { low: 0.25, medium: 0.5, high: 0.75, critical: 1 };

/** Checks a prompt against a compiled policy; `moderation: "low"` skips the relaxable categories. */
export function checkPromptAgainst(policy: CompiledPolicy, prompt: string, moderation: 'auto' | 'low' = 'auto'): SafetyVerdict {
  const { blocked } = moderateText(policy, prompt, { moderation });
  if (!blocked) return { allowed: true, score: 0 };
  return { allowed: false, category: blocked.category, score: SEVERITY_SCORE[blocked.severity], reason: blocked.reason };
}

/** Reads, validates and compiles a policy file (JSON, the shape of `policySchema`). */
export function loadPolicyFile(path: string): CompiledPolicy {
  let raw: unknown;
  try {
    raw = JSON.parse(readFileSync(path, 'utf8'));
  } catch (error) {
    throw new Error(`lumen/prompt-policy: cannot read the policy file ${path}: ${(error as Error).message}`);
  }
  const parsed = policySchema.safeParse(raw);
  if (!parsed.success) throw new Error(`lumen/prompt-policy: ${path} is not a valid policy: ${parsed.error.issues.map((issue) => `${issue.path.join('.')}: ${issue.message}`).join('; ')}`);
  return compilePolicy(parsed.data);
}

export interface PromptPolicyOptions {
  /** Path of a per-deployment policy file (JSON); defaults to the bundled policy. */
  policyPath?: string;
  /**
   * Where each job's policy comes from, e.g. the gateway's live policy with the
   * tenant's overlay applied. Takes precedence over `policyPath`.
   */
  resolvePolicy?: (tenantId: string | undefined) => Promise<CompiledPolicy> | CompiledPolicy;
}

/** Refuses prompts in blocked categories before any token is made. */
export default defineStage('safety', ({ policyPath, resolvePolicy }: PromptPolicyOptions = {}) => {
  let policy: CompiledPolicy | undefined;
  return {
    name: 'lumen/prompt-policy',
    order: 'pre',
    setup() {
      // Compiled at load so a bad policy file fails the pipeline at startup, not on the first job.
      if (!resolvePolicy) policy = policyPath ? loadPolicyFile(policyPath) : compilePolicy(DEFAULT_POLICY);
    },
    async checkPrompt(ctx) {
      const active = resolvePolicy ? await resolvePolicy(ctx.job.tenantId) : (policy ??= compilePolicy(DEFAULT_POLICY));
      return checkPromptAgainst(active, ctx.job.prompt, ctx.job.moderation);
    },
  };
});
