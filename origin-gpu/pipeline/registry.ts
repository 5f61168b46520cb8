import { readFile } from 'node:fs/promises';
import { dirname, isAbsolute, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { z } from 'zod';
import { API_VERSION, STAGE_KINDS, type Stage, type StageKind } from '../../plugins/sdk/index.js';

/** A pipeline that cannot load: the message names the plugin at fault. */
export class PipelineConfigError extends Error {
  override name = 'PipelineConfigError';
}

const pipelineConfig = z
  .object({
    /** Decode passes per job, coarse to fine. */
    passes: z.number().int().min(1).max(8).default(4),
    stages: z
      .array(
        z
          .object({
            /** A path (relative to the config file) or an npm package name. */
            use: z.string().min(1),
            options: z.record(z.unknown()).optional(),
          })
          .strict(),
      )
      .min(1),
  })
  .strict();

export type PipelineConfig = z.infer<typeof pipelineConfig>;

export interface Pipeline {
  readonly passes: number;
  /** Every stage, in run order: kind first, then band, then `after` dependencies. */
  readonly stages: readonly Stage[];
  byKind<K extends StageKind>(kind: K): readonly Stage<K>[];
}

const NAME = /^[a-z0-9][a-z0-9-]*\/[a-z0-9][a-z0-9-]*$/;
const BANDS = { pre: 0, normal: 1, post: 2 } as const;
const REQUIRED_HOOKS: Record<StageKind, readonly string[]> = {
  tokenize: ['tokenize'],
  decode: ['decodePass'],
  safety: [],
  watermark: ['watermark'],
  encode: ['encode'],
};

function isStage(value: unknown): value is Stage {
  return typeof value === 'object' && value !== null && 'kind' in value && 'name' in value;
}

/** Imports one plugin module and builds its stage from `options`. */
async function instantiate(use: string, options: Record<string, unknown> | undefined, baseDir: string): Promise<Stage> {
  const specifier = use.startsWith('.') || isAbsolute(use) ? pathToFileURL(resolve(baseDir, use)).href : use;
  let module: { default?: unknown };
  try {
    module = (await import(specifier)) as { default?: unknown };
  } catch (error) {
    throw new PipelineConfigError(`Plugin "${use}" could not be imported: ${(error as Error).message}`);
  }
  const exported = module.default;
  const stage = typeof exported === 'function' ? (exported as (options: unknown) => unknown)(options ?? {}) : exported;
  if (!isStage(stage)) {
    throw new PipelineConfigError(`Plugin "${use}" must default-export a stage or a stage factory made with defineStage().`);
  }
  return stage;
}

function validate(stage: Stage, use: string): void {
  const label = `Plugin "${stage.name}" (${use})`;
  if (typeof stage.name !== 'string' || !NAME.test(stage.name)) {
    throw new PipelineConfigError(`Plugin ${use} has name ${JSON.stringify(stage.name)}; names are namespaced, like "acme/upscale".`);
  }
  if (!STAGE_KINDS.includes(stage.kind)) throw new PipelineConfigError(`${label} has unknown kind "${String(stage.kind)}".`);
  if (Math.floor(stage.apiVersion) !== API_VERSION) {
    throw new PipelineConfigError(`${label} targets plugin API ${stage.apiVersion}; this host runs API ${API_VERSION}.`);
  }
  for (const hook of REQUIRED_HOOKS[stage.kind]) {
    if (typeof (stage as unknown as Record<string, unknown>)[hook] !== 'function') {
      throw new PipelineConfigError(`${label} is a ${stage.kind} stage but has no ${hook}() hook.`);
    }
  }
  if (stage.kind === 'safety' && !('checkPrompt' in stage) && !('checkPass' in stage)) {
    throw new PipelineConfigError(`${label} is a safety stage but has neither checkPrompt() nor checkPass().`);
  }
}

/** Orders the stages of one kind: by band, then a topological sort on `after` that keeps config order among equals. */
function orderKind(stages: Stage[]): Stage[] {
  const byName = new Map(stages.map((stage) => [stage.name, stage]));
  for (const stage of stages) {
    for (const dependency of stage.after ?? []) {
      if (!byName.has(dependency)) {
        throw new PipelineConfigError(
          `Plugin "${stage.name}" runs after "${dependency}", but no ${stage.kind} stage of that name is loaded.`,
        );
      }
    }
  }
  const banded = [...stages].sort((a, b) => BANDS[a.order ?? 'normal'] - BANDS[b.order ?? 'normal']);
  const ordered: Stage[] = [];
  const placed = new Set<string>();
  const visiting: string[] = [];
  const visit = (stage: Stage) => {
    if (placed.has(stage.name)) return;
    if (visiting.includes(stage.name)) {
      const cycle = [...visiting.slice(visiting.indexOf(stage.name)), stage.name].join(' -> ');
      throw new PipelineConfigError(`Plugin "${stage.name}" is in a dependency cycle: ${cycle}.`);
    }
    visiting.push(stage.name);
    for (const dependency of stage.after ?? []) visit(byName.get(dependency)!);
    visiting.pop();
    placed.add(stage.name);
    ordered.push(stage);
  };
  for (const stage of banded) visit(stage);
  return ordered;
}

/** Checks, orders and freezes a set of stages into a pipeline. */
export function assemblePipeline(stages: readonly Stage[], passes: number, sources: readonly string[] = []): Pipeline {
  const seen = new Map<string, string>();
  stages.forEach((stage, i) => {
    const use = sources[i] ?? stage.name;
    validate(stage, use);
    const previous = seen.get(stage.name);
    if (previous !== undefined) throw new PipelineConfigError(`Plugin "${stage.name}" is loaded twice (${previous} and ${use}).`);
    seen.set(stage.name, use);
  });
  const ordered = STAGE_KINDS.flatMap((kind) => orderKind(stages.filter((stage) => stage.kind === kind)));
  for (const kind of ['tokenize', 'decode', 'encode'] as const) {
    if (!ordered.some((stage) => stage.kind === kind)) throw new PipelineConfigError(`The pipeline has no ${kind} stage.`);
  }
  return {
    passes,
    stages: ordered,
    byKind: <K extends StageKind>(kind: K) => ordered.filter((stage): stage is Stage<K> => stage.kind === kind),
  };
}

/** Loads a pipeline config file (JSON) and every plugin it lists. */
export async function loadPipeline(configPath: string): Promise<Pipeline> {
  let raw: unknown;
  try {
    raw = JSON.parse(await readFile(configPath, 'utf8'));
  } catch (error) {
    throw new PipelineConfigError(`Pipeline config ${configPath} could not be read: ${(error as Error).message}`);
  }
  const parsed = pipelineConfig.safeParse(raw);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    throw new PipelineConfigError(`Pipeline config ${configPath}: ${issue.path.join('.')}: ${issue.message}`);
  }
  const baseDir = dirname(configPath);
  const stages = await Promise.all(parsed.data.stages.map(({ use, options }) => instantiate(use, options, baseDir)));
  return assemblePipeline(
    stages,
    parsed.data.passes,
    parsed.data.stages.map(({ use }) => use),
  );
}
