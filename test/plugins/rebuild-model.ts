import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { promisify } from 'node:util';

/** Runs a model build script (plugins/pack-default/build-*.ts) into a temporary directory and returns the bytes it wrote. */
export async function rebuildModel(buildScript: string): Promise<Buffer> {
  const dir = await mkdtemp(join(tmpdir(), `lumen-${basename(buildScript, '.ts')}-`));
  try {
    const output = join(dir, 'model.onnx');
    await promisify(execFile)(process.execPath, ['--import', 'tsx', buildScript, output]);
    return await readFile(output);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
