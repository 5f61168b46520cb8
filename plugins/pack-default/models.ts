// The pack's committed graphs. Stages and the build scripts reach them only
// through these URLs, so the files can move with the pack.

/** The progressive decoder graph (built by build-decoder.ts). */
export const DECODER_MODEL_URL = new URL('./decoder.onnx', import.meta.url);

/** The token encoder graph for edits of uploaded images (built by build-encoder.ts). */
export const ENCODER_MODEL_URL = new URL('./encoder.onnx', import.meta.url);
