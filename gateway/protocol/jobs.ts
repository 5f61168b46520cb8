// Types shared by the gateway and origin workers: what a job carries, what a
// lease hands out and what a worker reports back.
import type { Tier } from '../tiers.js';

export type OutputFormat = 'png' | 'jpeg' | 'webp';
export type Quality = 'low' | 'medium' | 'high' | 'auto';

/** Validated generation parameters, as stored on the job. */
export interface GenerationParams {
  prompt: string;
  n: number;
  width: number;
  height: number;
  quality: Quality;
  outputFormat: OutputFormat;
  outputCompression: number;
  seed: number;
  /** Previews to stream before the final image (0–3), as OpenAI's `partial_images`. */
  partialImages: number;
  /** OpenAI's `moderation`: `low` relaxes the policy categories marked relaxable. Absent on jobs queued before it existed. */
  moderation?: 'auto' | 'low';
  /** Set for `/v1/images/edits`: what to edit. */
  edit?: EditParams;
}

/** An edit's inputs. Exactly one of `uploadKeys` (non-empty) and `source` is given. */
export interface EditParams {
  /** R2 keys of the uploaded images in upload order; the first is the canvas, the rest are references. */
  uploadKeys: string[];
  /** R2 key of the uploaded mask (alpha 0 = editable), when one was sent. */
  maskKey: string | null;
  /** An earlier output of the same tenant (`image_id`): its tokens and prompt are reused, nothing is encoded. */
  source: EditSource | null;
  /** OpenAI's `input_fidelity`, handed to tokenizers; the default pack keeps unchanged regions exact at either level. */
  inputFidelity: 'low' | 'high';
}

export interface EditSource {
  imageId: string;
  prompt: string;
  /** The seed that image was rendered with. */
  seed: number;
  grid: CheckpointGrid;
}

export type JobStatus = 'queued' | 'running' | 'succeeded' | 'failed' | 'cancelled';

export interface StoredImage {
  index: number;
  key: string;
  contentType: string;
  bytes: number;
}

export interface JobResult {
  images: StoredImage[];
  usage: { inputTokens: number; outputTokens: number };
}

export interface JobError {
  message: string;
  code: string;
  /** True when the client's request caused it (maps to a 4xx), false for infrastructure failures. */
  clientError: boolean;
  /** Set when the safety system blocked the job. */
  moderation?: ModerationBlock;
}

/** Where and why the safety system stopped a job. */
export interface ModerationBlock {
  /** `input`: the prompt, before tokenization; `output`: a rendered pass. */
  stage: 'input' | 'output';
  category: string;
  /** The pass that was blocked (0 for input). */
  pass: number;
  /** Passes the abort spared (not rendered). */
  passesSkipped: number;
}

/** A token grid as a checkpoint stores it: Int32 tokens, little-endian, base64. */
export interface CheckpointGrid {
  rows: number;
  cols: number;
  codebookSize: number;
  tokensBase64: string;
  /** The tokenizer's note of what the grid depicts (TokenGrid.scene), when it left one. */
  scene?: string;
}

/** The origin's state after its last finished pass: enough to resume at the next pass. */
export interface Checkpoint {
  passesDone: number;
  /** One grid per image of the job, in image order. */
  grids: CheckpointGrid[];
}

export interface LeasedJob {
  id: string;
  tenantId: string;
  tier: Tier;
  leaseId: string;
  attempt: number;
  leaseTtlMs: number;
  params: GenerationParams;
  passesDone: number;
  checkpoint: Checkpoint | null;
}

export interface LeaseRequest {
  workerId: string;
  /** Free slots: the most jobs this call may hand out. */
  slots: number;
  /** How long to hold the call open when no work is queued (ms). */
  waitMs: number;
  /** Of those slots, the most that may take free-tier jobs; the rest wait for paid work. Default: all. */
  maxFree?: number;
  /**
   * One random id per worker process. A worker that drains says so (`POST /internal/depart`),
   * and from then on no lease call of its session is handed a job, not even one still open.
   */
  session?: string;
}

export interface DepartRequest {
  session: string;
}

export interface LeaseResponse {
  jobs: LeasedJob[];
}

export interface HeartbeatRequest {
  leaseId: string;
  passesDone: number;
  checkpoint?: Checkpoint;
}

export interface HeartbeatResponse {
  /** False when the lease is gone (expired, cancelled, or taken by another worker): stop work. */
  keep: boolean;
}

export interface CompleteRequest {
  leaseId: string;
  images: StoredImage[];
  usage: JobResult['usage'];
}

export interface FailRequest {
  leaseId: string;
  error: JobError;
  /** True to put the job back in the queue (counts as an attempt). */
  retryable: boolean;
}
