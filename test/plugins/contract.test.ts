// The stage contract (plugins/sdk/testing) run against every built-in
// stage, the example plugin and the plugin written from docs/PLUGINS.md alone.
import { OnnxRuntime } from '../../origin-gpu/runtime/onnx-runtime.js';
import c2paManifest from '../../plugins/c2pa-manifest/index.js';
import progressiveDecoder from '../../plugins/decode-progressive/index.js';
import sharpEncoder from '../../plugins/encode-sharp/index.js';
import vignette from '../../plugins/examples/vignette/index.js';
import promptPolicy from '../../plugins/safety-policy/index.js';
import { describeStageContract } from '../../plugins/sdk/testing/index.js';
import sceneTokenizer from '../../plugins/tokenize-scene/index.js';
import invisibleWatermark from '../../plugins/watermark-invisible/index.js';
import cornerStamp from '../fixtures/plugins/from-docs/index.js';

describeStageContract('lumen/scene-tokenizer', () => sceneTokenizer({ gridSize: 32 }), { runtime: () => new OnnxRuntime() });
describeStageContract('lumen/progressive-decoder', () => progressiveDecoder(), {
  runtime: () => new OnnxRuntime(),
  // The first decode stage renders from the grid and must ignore `previous`.
  decodeWithPrevious: false,
});
describeStageContract('lumen/prompt-policy', () => promptPolicy());
describeStageContract('lumen/invisible-watermark', () => invisibleWatermark());
describeStageContract('lumen/sharp-encoder', () => sharpEncoder());
// It signs with random salts, so the same input gives the same pixels, not the same bytes.
describeStageContract('lumen/c2pa-manifest', () => c2paManifest(), { deterministicBytes: false });
describeStageContract('example/vignette', () => vignette({ strength: 0.6 }));
describeStageContract('acme/corner-stamp', () => cornerStamp({ size: 12 }));
