// Small helpers shared by the model-pack graph builders (build-decoder.ts,
// build-encoder.ts). onnx-proto gives the message types; these only fill in
// the repetitive fields. Everything here but the file writing of
// writeModelWhenRun is pure, so builders stay byte-for-byte reproducible: no
// timestamps, fixed field order.
import { writeFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import onnxProto, { type onnx as OnnxTypes } from 'onnx-proto';

const { onnx } = onnxProto;
export const { DataType } = onnx.TensorProto;
export type { OnnxTypes };

// IR 8 / opset 17 is what onnx-proto 8 describes and onnxruntime 1.30 runs.
const IR_VERSION = 8;
const OPSET = 17;

/** A static dimension, or the name of a dynamic one. */
type Dim = number | string;

export function valueInfo(name: string, elemType: OnnxTypes.TensorProto.DataType, dims: readonly Dim[]): OnnxTypes.IValueInfoProto {
  return {
    name,
    type: {
      tensorType: {
        elemType,
        shape: { dim: dims.map((d) => (typeof d === 'number' ? { dimValue: d } : { dimParam: d })) },
      },
    },
  };
}

export function floatTensor(name: string, dims: readonly number[], values: Float32Array): OnnxTypes.ITensorProto {
  // rawData is little-endian by spec; copy so the bytes never alias a larger buffer.
  const raw = new Uint8Array(values.length * 4);
  const view = new DataView(raw.buffer);
  values.forEach((v, i) => view.setFloat32(i * 4, v, true));
  return { name, dims: [...dims], dataType: DataType.FLOAT, rawData: raw };
}

export function int64Tensor(name: string, dims: readonly number[], values: readonly number[]): OnnxTypes.ITensorProto {
  const raw = new Uint8Array(values.length * 8);
  const view = new DataView(raw.buffer);
  values.forEach((v, i) => view.setBigInt64(i * 8, BigInt(v), true));
  return { name, dims: [...dims], dataType: DataType.INT64, rawData: raw };
}

export function attrInts(name: string, ints: readonly number[]): OnnxTypes.IAttributeProto {
  return { name, type: onnx.AttributeProto.AttributeType.INTS, ints: [...ints] };
}

export function attrInt(name: string, i: number): OnnxTypes.IAttributeProto {
  return { name, type: onnx.AttributeProto.AttributeType.INT, i };
}

export function attrString(name: string, s: string): OnnxTypes.IAttributeProto {
  return { name, type: onnx.AttributeProto.AttributeType.STRING, s: new TextEncoder().encode(s) };
}

/** Encodes a model over the default domain at {@link OPSET}, produced by `lumen` version 1. */
export function encodeModel(graph: OnnxTypes.IGraphProto, docString: string): Uint8Array {
  const model = onnx.ModelProto.create({
    irVersion: IR_VERSION,
    producerName: 'lumen',
    producerVersion: '1',
    docString,
    opsetImport: [{ domain: '', version: OPSET }],
    graph,
  });
  return onnx.ModelProto.encode(model).finish();
}

/**
 * The command-line end of a build script: when `scriptUrl` is the module node
 * was started with, writes `build()` to the path in argv[2], or to `defaultOutput`.
 */
export function writeModelWhenRun(scriptUrl: string, defaultOutput: URL, build: () => Uint8Array): void {
  const isMain = process.argv[1] !== undefined && resolve(process.argv[1]) === fileURLToPath(scriptUrl);
  if (!isMain) return;
  const output = resolve(process.argv[2] ?? fileURLToPath(defaultOutput));
  const bytes = build();
  writeFileSync(output, bytes);
  console.log(`wrote ${output} (${bytes.length} bytes)`);
}
