/**
 * The default model pack: the 256-colour codebook, the decoder and encoder
 * graphs over it (committed `.onnx` files, rebuilt byte-for-byte by
 * `npm run build:model`), and the encoder's loader. Stages load the pack's
 * files through the URLs exported here, never by a relative path of their own.
 * See docs/MODEL.md.
 */
export { DECODER_MODEL_URL, ENCODER_MODEL_URL } from './models.js';
export { CODEBOOK_RGB, CODEBOOK_SIZE, NAMED_COLOURS, nearestToken, pastel, tokenColour, type Rgb } from './codebook.js';
export { loadTokenEncoder, type TokenEncoder, type TokenEncoderOptions } from './encoder.js';
