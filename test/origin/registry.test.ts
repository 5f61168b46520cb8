import { mkdir, mkdtemp, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { assemblePipeline, loadPipeline, PipelineConfigError } from '../../origin-gpu/pipeline/registry.js';
import { defineStage, type Stage } from '../../plugins/sdk/index.js';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const plugin = (path: string) => join(ROOT, path);

type Order = 'pre' | 'post' | undefined;
const tokenize = (name: string, order?: Order, after?: string[]) =>
  defineStage('tokenize', () => ({ name, order, after, tokenize: () => ({ rows: 1, cols: 1, codebookSize: 1, tokens: Int32Array.of(0) }) }))();
const decode = (name: string, order?: Order, after?: string[]) =>
  defineStage('decode', () => ({ name, order, after, decodePass: (_ctx, previous) => previous ?? { width: 1, height: 1, channels: 3 as const, data: new Uint8Array(3) } }))();
const encode = (name: string, order?: Order, after?: string[]) =>
  defineStage('encode', () => ({ name, order, after, encode: () => ({ format: 'png' as const, bytes: new Uint8Array() }) }))();
const safety = (name: string, order?: Order) => defineStage('safety', () => ({ name, order, checkPrompt: () => ({ allowed: true as const }) }))();

/** The minimum a pipeline needs besides the stages under test. */
const base = () => [tokenize('test/tokenize'), decode('test/decode'), encode('test/encode')];
const assemble = (stages: Stage[]) => assemblePipeline(stages, 4);

function configError(fn: () => unknown): PipelineConfigError {
  try {
    fn();
  } catch (error) {
    expect(error).toBeInstanceOf(PipelineConfigError);
    return error as PipelineConfigError;
  }
  throw new Error('expected a PipelineConfigError');
}

describe('assemblePipeline', () => {
  it('should order by kind, then band, then after, then config order', () => {
    const stages = [
      encode('test/encode'),
      decode('test/late', 'post'),
      decode('test/needs-b', undefined, ['test/b']),
      safety('test/safety', 'pre'),
      decode('test/a'),
      decode('test/b'),
      decode('test/early', 'pre'),
      tokenize('test/refine', undefined, ['test/scene']),
      tokenize('test/scene'),
    ];
    const pipeline = assemble(stages);
    expect(pipeline.stages.map((stage) => stage.name)).toEqual([
      'test/scene',
      'test/refine',
      'test/early',
      // Config order among equals; test/needs-b keeps its place and pulls test/b up in front of it.
      'test/b',
      'test/needs-b',
      'test/a',
      'test/late',
      'test/safety',
      'test/encode',
    ]);
    expect(pipeline.byKind('decode').map((stage) => stage.name)).toEqual(['test/early', 'test/b', 'test/needs-b', 'test/a', 'test/late']);
  });

  it('should refuse two stages with the same name, naming both sources', () => {
    const error = configError(() => assemblePipeline([...base(), decode('test/decode')], 4, ['./a.ts', './b.ts', './c.ts', './d.ts']));
    expect(error.message).toBe('Plugin "test/decode" is loaded twice (./b.ts and ./d.ts).');
  });

  it('should refuse a missing dependency, naming the plugin and what it waits for', () => {
    const error = configError(() => assemble([...base(), decode('acme/vignette', 'post', ['acme/absent'])]));
    expect(error.message).toMatch(/^Plugin "acme\/vignette" runs after "acme\/absent", but no decode stage of that name is loaded/);
  });

  it('should refuse a dependency on a stage of another kind', () => {
    const error = configError(() => assemble([...base(), decode('acme/post', 'post', ['test/encode'])]));
    expect(error.message).toMatch(/^Plugin "acme\/post" runs after "test\/encode", but that is a encode stage/);
  });

  it('should refuse a dependency cycle, naming the plugins in it', () => {
    const error = configError(() =>
      assemble([...base(), decode('acme/x', undefined, ['acme/y']), decode('acme/y', undefined, ['acme/z']), decode('acme/z', undefined, ['acme/x'])]),
    );
    expect(error.message).toMatch(/^Plugin "acme\/[xyz]" is in a dependency cycle: /);
    expect(error.message).toContain('acme/x -> acme/y -> acme/z -> acme/x');
  });

  it('should refuse a stage that depends on itself', () => {
    expect(configError(() => assemble([...base(), decode('acme/self', undefined, ['acme/self'])])).message).toMatch(/"acme\/self" is in a dependency cycle/);
  });

  it('should refuse an after that points into a later band', () => {
    const error = configError(() => assemble([...base(), decode('acme/early', 'pre', ['test/decode'])]));
    expect(error.message).toMatch(/^Plugin "acme\/early" \(order "pre"\) runs after "test\/decode" \(order "normal"\)/);
  });

  it('should refuse a stage built for another API major, and accept a minor', () => {
    const future = { ...decode('acme/future'), apiVersion: 2 } as Stage;
    expect(configError(() => assemble([...base(), future])).message).toMatch(/^Plugin "acme\/future" \(acme\/future\) targets plugin API 2; this host runs API 1/);
    const minor = { ...decode('acme/minor'), apiVersion: 1.4 } as Stage;
    expect(assemble([...base(), minor]).stages.map((stage) => stage.name)).toContain('acme/minor');
  });

  it('should refuse names that are not namespaced, missing hooks, bad order values and a missing required kind', () => {
    expect(configError(() => assemble([...base(), decode('vignette')])).message).toMatch(/names are namespaced/);
    const hookless = { kind: 'watermark', apiVersion: 1, name: 'acme/hookless' } as unknown as Stage;
    expect(configError(() => assemble([...base(), hookless])).message).toMatch(/"acme\/hookless".*has no watermark\(\) hook/);
    const sideways = { ...decode('acme/sideways'), order: 'middle' } as unknown as Stage;
    expect(configError(() => assemble([...base(), sideways])).message).toMatch(/"acme\/sideways".*has order "middle"/);
    expect(configError(() => assemble([tokenize('test/tokenize'), decode('test/decode')])).message).toBe('The pipeline has no encode stage.');
  });
});

describe('loadPipeline', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'lumen-registry-'));
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  async function writeConfig(name: string, config: unknown): Promise<string> {
    const path = join(dir, name);
    await writeFile(path, JSON.stringify(config));
    return path;
  }

  const builtIns = [
    { use: plugin('plugins/tokenize-scene/index.ts'), options: { gridSize: 32 } },
    { use: plugin('plugins/decode-progressive/index.ts') },
    { use: plugin('plugins/encode-sharp/index.ts') },
  ];

  it('should load plugins by path relative to the config file, with their options', async () => {
    const pipeline = await loadPipeline(plugin('test/fixtures/plugins/from-docs/pipeline.json'));
    expect(pipeline.passes).toBe(3);
    expect(pipeline.stages.map((stage) => stage.name)).toEqual([
      'lumen/scene-tokenizer',
      'lumen/progressive-decoder',
      'lumen/prompt-policy',
      'lumen/invisible-watermark',
      'acme/corner-stamp', // listed before the invisible mark, placed after it by `after`
      'lumen/sharp-encoder',
    ]);
  });

  it('should load the example vignette pipeline', async () => {
    const pipeline = await loadPipeline(plugin('plugins/examples/vignette/pipeline.json'));
    expect(pipeline.byKind('decode').map((stage) => stage.name)).toEqual(['lumen/progressive-decoder', 'example/vignette']);
  });

  it('should load a plugin by npm package name from a node_modules next to the config file', async () => {
    const scope = join(dir, 'node_modules', '@acme');
    await mkdir(scope, { recursive: true });
    await symlink(plugin('test/fixtures/packages/lumen-plugin-invert'), join(scope, 'lumen-plugin-invert'), 'dir');
    const path = await writeConfig('with-package.json', {
      stages: [...builtIns, { use: '@acme/lumen-plugin-invert', options: { channels: 1 } }],
    });
    const pipeline = await loadPipeline(path);
    const [invert] = pipeline.byKind('watermark');
    expect(invert?.name).toBe('acme/invert');
    const job = { jobId: 'j', prompt: '', width: 1, height: 1, n: 1, quality: 'auto', outputFormat: 'png', outputCompression: 100, seed: 1 } as const;
    const ctx = { job, imageIndex: 0, seed: 1, signal: new AbortController().signal, logger: console, watermarkPayload: new Uint8Array(8) };
    const marked = await invert!.watermark(ctx, { width: 1, height: 1, channels: 3, data: Uint8Array.of(10, 20, 30) });
    expect([...marked.data]).toEqual([245, 20, 30]); // the options reached the factory
  });

  it('should name a package that cannot be found', async () => {
    const elsewhere = await mkdtemp(join(tmpdir(), 'lumen-registry-empty-'));
    try {
      const path = join(elsewhere, 'pipeline.json');
      await writeFile(path, JSON.stringify({ stages: [...builtIns, { use: '@acme/lumen-plugin-invert' }] }));
      await expect(loadPipeline(path)).rejects.toThrow(/^Plugin "@acme\/lumen-plugin-invert" could not be imported/);
    } finally {
      await rm(elsewhere, { recursive: true, force: true });
    }
  });

  it('should name a plugin whose factory rejects its options', async () => {
    const path = await writeConfig('bad-options.json', {
      stages: [...builtIns, { use: plugin('plugins/examples/vignette/index.ts'), options: { strength: 3 } }],
    });
    await expect(loadPipeline(path)).rejects.toThrow(/^Plugin ".*vignette\/index.ts" rejected its options \{"strength":3\}: example\/vignette: strength must be between 0 and 1, got 3/);
  });

  it('should name the duplicate when a config lists one plugin twice', async () => {
    const path = await writeConfig('twice.json', { stages: [...builtIns, builtIns[2]] });
    await expect(loadPipeline(path)).rejects.toThrow(/^Plugin "lumen\/sharp-encoder" is loaded twice/);
  });

  it('should refuse a config with unknown fields or no stages', async () => {
    await expect(loadPipeline(await writeConfig('typo.json', { stages: builtIns, pases: 3 }))).rejects.toThrow(PipelineConfigError);
    await expect(loadPipeline(await writeConfig('empty.json', { stages: [] }))).rejects.toThrow(/stages/);
    await expect(loadPipeline(join(dir, 'missing.json'))).rejects.toThrow(/could not be read/);
  });
});
