import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { dirname, isAbsolute, join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { z } from 'zod';
import { API_VERSION, STAGE_KINDS, STAGE_NAME_PATTERN, type Stage, type StageKind } from '../../plugins/sdk/index.js';

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

/**
 * Where to import a plugin from. A path is relative to the config file. A
 * package name is looked up first from the config file's directory (so a
 * deployment can keep its plugins in a node_modules next to its config), with
 * Node's own resolver, then among the packages installed with Lumen.
 */
function specifierFor(use: string, baseDir: string): string {
  if (use.startsWith('.') || isAbsolute(use)) return pathToFileURL(resolve(baseDir, use)).href;
  try {
    // createRequire resolves with the require/node/default conditions; a
    // package that only exports an "import" condition is found by the
    // fallback, from Lumen's own node_modules.
    return pathToFileURL(createRequire(join(baseDir, 'pipeline.json')).resolve(use)).href;
  } catch {
    return use;
  }
}

/** Options only the host process can give (functions, live objects), by stage name; merged over the config file's. */
export type HostOptions = Readonly<Record<string, Readonly<Record<string, unknown>>>>;

/** Imports one plugin module and builds its stage from `options` (plus the host's options for that stage's name). */
async function instantiate(use: string, options: Record<string, unknown> | undefined, baseDir: string, hostOptions: HostOptions = {}): Promise<Stage> {
  const specifier = specifierFor(use, baseDir);
  let module: { default?: unknown };
  try {
    module = (await import(specifier)) as { default?: unknown };
  } catch (error) {
    throw new PipelineConfigError(`Plugin "${use}" could not be imported: ${(error as Error).message}`);
  }
  const exported = module.default;
  let stage: unknown;
  try {
    const build = (merged: Record<string, unknown>) => (typeof exported === 'function' ? (exported as (options: unknown) => unknown)(merged) : exported);
    stage = build(options ?? {});
    // A stage's name is known only once it is built; one the host has options for is built again with them.
    const extra = isStage(stage) && typeof exported === 'function' ? hostOptions[stage.name] : undefined;
    if (extra) stage = build({ ...options, ...extra });
  } catch (error) {
    throw new PipelineConfigError(`Plugin "${use}" rejected its options ${JSON.stringify(options ?? {})}: ${(error as Error).message}`);
  }
  if (!isStage(stage)) {
    throw new PipelineConfigError(`Plugin "${use}" must default-export a stage or a stage factory made with defineStage().`);
  }
  return stage;
}

function validate(stage: Stage, use: string): void {
  const label = `Plugin "${stage.name}" (${use})`;
  if (typeof stage.name !== 'string' || !STAGE_NAME_PATTERN.test(stage.name)) {
    throw new PipelineConfigError(`Plugin ${use} has name ${JSON.stringify(stage.name)}; names are namespaced, like "acme/upscale".`);
  }
  if (!STAGE_KINDS.includes(stage.kind)) throw new PipelineConfigError(`${label} has unknown kind "${String(stage.kind)}".`);
  if (Math.floor(stage.apiVersion) !== API_VERSION) {
    throw new PipelineConfigError(`${label} targets plugin API ${stage.apiVersion}; this host runs API ${API_VERSION}.`);
  }
  if (stage.order !== undefined && stage.order !== 'pre' && stage.order !== 'post') {
    throw new PipelineConfigError(`${label} has order ${JSON.stringify(stage.order)}; use "pre", "post" or leave it out.`);
  }
  if (stage.after !== undefined && (!Array.isArray(stage.after) || !stage.after.every((name) => typeof name === 'string'))) {
    throw new PipelineConfigError(`${label} has an "after" that is not a list of stage names.`);
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
function orderKind(stages: Stage[], allStages: readonly Stage[]): Stage[] {
  const byName = new Map(stages.map((stage) => [stage.name, stage]));
  for (const stage of stages) {
    for (const dependency of stage.after ?? []) {
      const target = byName.get(dependency);
      if (!target) {
        const other = allStages.find((candidate) => candidate.name === dependency);
        throw new PipelineConfigError(
          other
            ? `Plugin "${stage.name}" runs after "${dependency}", but that is a ${other.kind} stage; "after" only orders stages of the same kind (${stage.kind}).`
            : `Plugin "${stage.name}" runs after "${dependency}", but no ${stage.kind} stage of that name is loaded. Add it to the pipeline config or drop it from "after".`,
        );
      }
      // A band says where a stage sits; an "after" that pulls it behind a later band contradicts it.
      if (BANDS[target.order ?? 'normal'] > BANDS[stage.order ?? 'normal']) {
        throw new PipelineConfigError(
          `Plugin "${stage.name}" (order "${stage.order ?? 'normal'}") runs after "${dependency}" (order "${target.order ?? 'normal'}"), ` +
            `which belongs to a later band. Move "${stage.name}" to a later band or drop the dependency.`,
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
  const ordered = STAGE_KINDS.flatMap((kind) => orderKind(stages.filter((stage) => stage.kind === kind), stages));
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
export async function loadPipeline(configPath: string, hostOptions: HostOptions = {}): Promise<Pipeline> {
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
  const stages = await Promise.all(parsed.data.stages.map(({ use, options }) => instantiate(use, options, baseDir, hostOptions)));
  return assemblePipeline(
    stages,
    parsed.data.passes,
    parsed.data.stages.map(({ use }) => use),
  );
}
