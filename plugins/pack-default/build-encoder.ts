// Builds the default pack's encoder graph, the inverse direction of the
// decoder: area-average the image over each token cell, then take the nearest
// codebook entry. Usage:
//   node --import tsx plugins/pack-default/build-encoder.ts [output.onnx]
// Output is byte-for-byte reproducible: no timestamps, fixed field order.
import { CODEBOOK_RGB, CODEBOOK_SIZE } from './codebook.js';
import { ENCODER_MODEL_URL } from './models.js';
import { attrInt, attrInts, DataType, encodeModel, floatTensor, int64Tensor, valueInfo, writeModelWhenRun, type OnnxTypes } from './onnx-builder.js';

type Node = OnnxTypes.INodeProto;

function node(name: string, opType: string, input: readonly string[], attribute: OnnxTypes.IAttributeProto[] = []): Node {
  return { name, opType, input: [...input], output: [name], attribute };
}

/**
 * The nodes of an area-averaging matrix for one image axis: entry (cell, pixel)
 * is the overlap of pixel `[p, p + 1)` with cell `[c·s, (c + 1)·s)`, divided by
 * the cell's width `s = pixels / cells`. Rows of the matrix sum to 1, so one
 * MatMul per axis is a box filter over exactly each cell: a true per-cell mean
 * at integer ratios and an area-weighted one at any other ratio, upsampling
 * included. (Resize cannot do this at opset 17: linear mode has no antialias
 * before opset 18, and AveragePool needs its kernel size at build time.)
 *
 * `cellsFirst` picks the layout: `[cells, pixels]` for the left factor of the
 * row average, `[pixels, cells]` for the right factor of the column average.
 */
function areaWeights(prefix: string, pixels: string, cells: string, cellsFirst: boolean): Node[] {
  const p = (suffix: string) => `${prefix}_${suffix}`;
  const [first, second] = cellsFirst ? ['cell', 'pixel'] : ['pixel', 'cell'];
  return [
    node(p('pixel_lo'), 'Range', ['zero', pixels, 'one']),
    node(p('pixel_hi'), 'Add', [p('pixel_lo'), 'one']),
    node(p('cell_index'), 'Range', ['zero', cells, 'one']),
    node(p('cell_next'), 'Add', [p('cell_index'), 'one']),
    node(p('span'), 'Div', [pixels, cells]),
    node(p('cell_lo'), 'Mul', [p('cell_index'), p('span')]),
    node(p('cell_hi'), 'Mul', [p('cell_next'), p('span')]),
    // An [n, 1] against an [m] broadcasts to [n, m].
    node(p(`${first}_lo_column`), 'Unsqueeze', [p(`${first}_lo`), 'axis_1']),
    node(p(`${first}_hi_column`), 'Unsqueeze', [p(`${first}_hi`), 'axis_1']),
    node(p('overlap_lo'), 'Max', [p(`${first}_lo_column`), p(`${second}_lo`)]),
    node(p('overlap_hi'), 'Min', [p(`${first}_hi_column`), p(`${second}_hi`)]),
    node(p('overlap'), 'Sub', [p('overlap_hi'), p('overlap_lo')]),
    node(p('covered'), 'Relu', [p('overlap')]),
    node(prefix, 'Div', [p('covered'), p('span')]),
  ];
}

/** Encodes the encoder model. Pure: the same codebook gives the same bytes. */
function buildEncoder(): Uint8Array {
  const initializer = [
    floatTensor('codebook', [CODEBOOK_SIZE, 3], CODEBOOK_RGB),
    floatTensor('zero', [], Float32Array.of(0)),
    floatTensor('one', [], Float32Array.of(1)),
    floatTensor('minus_two', [], Float32Array.of(-2)),
    int64Tensor('index_0', [], [0]),
    int64Tensor('index_1', [], [1]),
    int64Tensor('axis_1', [1], [1]),
  ];
  // Listed in a valid topological order, as ONNX requires.
  const nodes: Node[] = [
    // Sizes as float scalars: the weights are computed in float anyway.
    node('image_hw', 'Shape', ['image'], [attrInt('start', 2), attrInt('end', 4)]),
    node('image_hw_f', 'Cast', ['image_hw'], [attrInt('to', DataType.FLOAT)]),
    node('grid_hw_f', 'Cast', ['grid_hw'], [attrInt('to', DataType.FLOAT)]),
    node('height', 'Gather', ['image_hw_f', 'index_0'], [attrInt('axis', 0)]),
    node('width', 'Gather', ['image_hw_f', 'index_1'], [attrInt('axis', 0)]),
    node('rows', 'Gather', ['grid_hw_f', 'index_0'], [attrInt('axis', 0)]),
    node('cols', 'Gather', ['grid_hw_f', 'index_1'], [attrInt('axis', 0)]),
    // [rows, height] and [width, cols]: means = row_weights · image · col_weights.
    ...areaWeights('row_weights', 'height', 'rows', true),
    ...areaWeights('col_weights', 'width', 'cols', false),
    node('col_means', 'MatMul', ['image', 'col_weights']),
    node('cell_means', 'MatMul', ['row_weights', 'col_means']),
    node('cell_rgb', 'Transpose', ['cell_means'], [attrInts('perm', [0, 2, 3, 1])]),
    // |x - c|² = |x|² - 2x·c + |c|². |x|² is the same for every c of a cell, so
    // it cannot change the ArgMin and is left out, which also spares the float
    // cancellation it would add. -2cᵀ and |c|² come from the verbatim codebook
    // inside the graph (onnxruntime folds them once at load), so graph and
    // TypeScript table cannot disagree.
    node('codebook_t', 'Transpose', ['codebook'], [attrInts('perm', [1, 0])]),
    node('codebook_cross', 'Mul', ['codebook_t', 'minus_two']),
    node('codebook_norm', 'ReduceSumSquare', ['codebook'], [attrInts('axes', [1]), attrInt('keepdims', 0)]),
    node('cross', 'MatMul', ['cell_rgb', 'codebook_cross']),
    node('score', 'Add', ['cross', 'codebook_norm']),
    // select_last_index = 0: ties go to the lowest index, as in nearestToken.
    { name: 'nearest', opType: 'ArgMin', input: ['score'], output: ['tokens'], attribute: [attrInt('axis', 3), attrInt('keepdims', 0), attrInt('select_last_index', 0)] },
  ];
  const graph: OnnxTypes.IGraphProto = {
    name: 'lumen_token_encoder',
    initializer,
    node: nodes,
    input: [valueInfo('image', DataType.FLOAT, ['batch', 3, 'height', 'width']), valueInfo('grid_hw', DataType.INT64, [2])],
    output: [valueInfo('tokens', DataType.INT64, ['batch', 'rows', 'cols'])],
  };
  return encodeModel(graph, `Lumen default token encoder: per-cell area mean, nearest of ${CODEBOOK_SIZE} RGB codebook entries.`);
}

writeModelWhenRun(import.meta.url, ENCODER_MODEL_URL, buildEncoder);
