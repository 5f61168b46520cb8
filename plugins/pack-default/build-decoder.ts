// Builds the default pack's decoder graph: codebook lookup, bilinear resize to
// the requested size, clip. Usage:
//   node --import tsx plugins/pack-default/build-decoder.ts [output.onnx]
// Output is byte-for-byte reproducible: no timestamps, fixed field order.
import { CODEBOOK_RGB, CODEBOOK_SIZE } from './codebook.js';
import { DECODER_MODEL_URL } from './models.js';
import { attrInt, attrInts, attrString, DataType, encodeModel, floatTensor, valueInfo, writeModelWhenRun, type OnnxTypes } from './onnx-builder.js';

/** Encodes the decoder model. Pure: the same codebook gives the same bytes. */
function buildDecoder(): Uint8Array {
  const graph: OnnxTypes.IGraphProto = {
    name: 'lumen_progressive_decoder',
    initializer: [
      floatTensor('codebook', [CODEBOOK_SIZE, 3], CODEBOOK_RGB),
      floatTensor('clip_min', [], Float32Array.of(0)),
      floatTensor('clip_max', [], Float32Array.of(1)),
    ],
    node: [
      { name: 'embed', opType: 'Gather', input: ['codebook', 'tokens'], output: ['embedded'], attribute: [attrInt('axis', 0)] },
      { name: 'to_nchw', opType: 'Transpose', input: ['embedded'], output: ['coarse'], attribute: [attrInts('perm', [0, 3, 1, 2])] },
      { name: 'batch_channels', opType: 'Shape', input: ['coarse'], output: ['nc'], attribute: [attrInt('start', 0), attrInt('end', 2)] },
      { name: 'sizes', opType: 'Concat', input: ['nc', 'out_hw'], output: ['sizes'], attribute: [attrInt('axis', 0)] },
      {
        name: 'upsample',
        opType: 'Resize',
        // Empty names skip the optional roi and scales inputs; sizes drives the output shape.
        input: ['coarse', '', '', 'sizes'],
        output: ['resized'],
        attribute: [attrString('mode', 'linear'), attrString('coordinate_transformation_mode', 'half_pixel')],
      },
      { name: 'clip', opType: 'Clip', input: ['resized', 'clip_min', 'clip_max'], output: ['image'] },
    ],
    input: [valueInfo('tokens', DataType.INT64, ['batch', 'rows', 'cols']), valueInfo('out_hw', DataType.INT64, [2])],
    output: [valueInfo('image', DataType.FLOAT, ['batch', 3, 'height', 'width'])],
  };
  return encodeModel(graph, `Lumen default progressive decoder: ${CODEBOOK_SIZE}-entry RGB codebook, bilinear upsampling.`);
}

writeModelWhenRun(import.meta.url, DECODER_MODEL_URL, buildDecoder);
