import sharp from 'sharp';
import type { CheckpointGrid, EditParams } from '../protocol/jobs.js';
import { StageRejection, type EditSpec, type RawImage, type TokenGrid } from '../plugins/sdk/index.js';
import { BadImageError, decodeImage } from './images/decode-image.js';

/** Int32 tokens, little-endian, base64: how checkpoints and edit sources carry a grid. */
export function decodeGrid(grid: CheckpointGrid): TokenGrid {
  const bytes = Buffer.from(grid.tokensBase64, 'base64');
  const tokens = new Int32Array(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength));
  if (tokens.length !== grid.rows * grid.cols) throw new Error('grid has the wrong number of tokens');
  const alpha = grid.alphaBase64 === undefined ? undefined : new Uint8Array(Buffer.from(grid.alphaBase64, 'base64'));
  if (alpha && alpha.length !== tokens.length) throw new Error('grid has the wrong number of alpha cells');
  return {
    rows: grid.rows,
    cols: grid.cols,
    codebookSize: grid.codebookSize,
    tokens,
    ...(grid.scene !== undefined && { scene: grid.scene }),
    ...(alpha && { alpha }),
  };
}

export function encodeGrid(grid: TokenGrid): CheckpointGrid {
  return {
    rows: grid.rows,
    cols: grid.cols,
    codebookSize: grid.codebookSize,
    tokensBase64: Buffer.from(grid.tokens.buffer, grid.tokens.byteOffset, grid.tokens.byteLength).toString('base64'),
    ...(grid.scene !== undefined && { scene: grid.scene }),
    ...(grid.alpha && { alphaBase64: Buffer.from(grid.alpha.buffer, grid.alpha.byteOffset, grid.alpha.byteLength).toString('base64') }),
  };
}

async function resized(image: RawImage, width: number, height: number): Promise<RawImage> {
  if (image.width === width && image.height === height) return image;
  const { data, info } = await sharp(image.data, { raw: { width: image.width, height: image.height, channels: image.channels } })
    .resize(width, height, { fit: 'fill' })
    .raw()
    .toBuffer({ resolveWithObject: true });
  return { width, height, channels: info.channels === 4 ? 4 : 3, data: new Uint8Array(data.buffer, data.byteOffset, data.byteLength) };
}

/** The mask's alpha at `width × height`, nearest-neighbour so "editable" stays crisp. */
async function maskAlpha(mask: RawImage, width: number, height: number): Promise<Uint8Array> {
  const { data } = await sharp(mask.data, { raw: { width: mask.width, height: mask.height, channels: mask.channels } })
    .extractChannel(3)
    .resize(width, height, { fit: 'fill', kernel: 'nearest' })
    .raw()
    .toBuffer({ resolveWithObject: true });
  return new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
}

const rejection = (error: unknown, what: string): never => {
  if (error instanceof BadImageError) throw new StageRejection(`${what}: ${error.message}`, error.code);
  throw error;
};

export interface EditInputs {
  /** An uploaded input's bytes, by R2 key. */
  download(key: string): Promise<Uint8Array>;
  /** The prompt and tokens of an upload that is byte for byte one of the tenant's own outputs. */
  ownOutput(bytes: Uint8Array): Promise<{ prompt: string; seed: number; grid: TokenGrid } | null>;
}

/**
 * Turns a job's edit parameters into the pipeline's EditSpec: an earlier
 * output's tokens as they are (by `image_id`, or an upload of the very bytes
 * the service delivered, as SDK clients send them), or the uploaded canvas
 * (and mask) decoded, checked and resized to the output size. Every upload is
 * decoded, so a corrupt reference image fails the job as the client's error.
 */
export async function prepareEdit(edit: EditParams, size: { width: number; height: number }, inputs: EditInputs): Promise<EditSpec> {
  const spec = await editSpecOf(edit, size, inputs);
  return edit.variation ? { ...spec, variation: true } : spec;
}

async function editSpecOf(edit: EditParams, size: { width: number; height: number }, inputs: EditInputs): Promise<EditSpec> {
  const { download } = inputs;
  if (edit.source) {
    const sourceGrid = decodeGrid(edit.source.grid);
    return {
      sourceGrid,
      sourcePrompt: edit.source.prompt,
      sourceSeed: edit.source.seed,
      ...(sourceGrid.scene !== undefined && { sourceScene: sourceGrid.scene }),
      inputFidelity: edit.inputFidelity,
    };
  }
  const [canvasKey, ...referenceKeys] = edit.uploadKeys;
  if (!canvasKey) throw new StageRejection('The edit has no image.', 'invalid_image');
  const canvasBytes = await download(canvasKey);
  const canvas = await decodeImage(canvasBytes).catch((error: unknown) => rejection(error, 'image'));
  for (const [index, key] of referenceKeys.entries()) {
    await decodeImage(await download(key)).catch((error: unknown) => rejection(error, `image[${index + 1}]`));
  }
  let alpha: Uint8Array | undefined;
  if (edit.maskKey) {
    const mask = await decodeImage(await download(edit.maskKey), { keepAlpha: true }).catch((error: unknown) => rejection(error, 'mask'));
    if (mask.width !== canvas.width || mask.height !== canvas.height) {
      throw new StageRejection(`The mask is ${mask.width}x${mask.height} but the image is ${canvas.width}x${canvas.height}; they must match.`, 'invalid_mask');
    }
    alpha = await maskAlpha(mask, size.width, size.height);
  }
  const own = await inputs.ownOutput(canvasBytes);
  if (own && canvas.width === size.width && canvas.height === size.height) {
    return {
      sourceGrid: own.grid,
      sourcePrompt: own.prompt,
      sourceSeed: own.seed,
      ...(own.grid.scene !== undefined && { sourceScene: own.grid.scene }),
      ...(alpha && { maskAlpha: alpha }),
      inputFidelity: edit.inputFidelity,
    };
  }
  return {
    sourceImage: await resized(canvas, size.width, size.height),
    ...(alpha && { maskAlpha: alpha }),
    inputFidelity: edit.inputFidelity,
  };
}
