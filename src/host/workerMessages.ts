// Messages between the host's main thread and its inference workers (worker_threads). Inference runs there
// because onnxruntime's session.run blocks its JS thread: the main thread must stay free for IPC, cancel and pings.
import type { Dtype, Pooling } from '../protocol';

export interface LoadMessage {
  type: 'load';
  dir: string;
  dtype: Dtype;
  intraOpThreads: number;
  maxLength: number;
  pooling: Pooling;
}

export interface EmbedMessage {
  type: 'embed';
  id: number;
  texts: string[];
}

/** The last layer's states of one text's tokens, to explain its score (see core/explain.ts). */
export interface TokenStatesRequest {
  type: 'tokenStates';
  id: number;
  text: string;
}

export type ToWorker = LoadMessage | EmbedMessage | TokenStatesRequest;

export interface LoadedMessage {
  type: 'loaded';
}

export interface EmbeddedMessage {
  type: 'embedded';
  id: number;
  /** texts.length × dim, L2-normalised. */
  vectors: Float32Array;
  tokenCounts: Int32Array;
  truncated: Uint8Array;
}

export interface TokenStatesMessage {
  type: 'tokenStates';
  id: number;
  /** tokens × dim floats: special tokens included, truncated at the model's limit exactly as for embedding. */
  states: Float32Array;
  /** The vocabulary entry of each token and whether the template added it ([CLS], [SEP]). */
  tokens: string[];
  special: boolean[];
  /** The tokenizer's unknown-word token, e.g. "[UNK]". */
  unknownToken: string;
}

export interface WorkerErrorMessage {
  type: 'error';
  /** Absent when loading failed. */
  id?: number;
  message: string;
}

export type FromWorker = LoadedMessage | EmbeddedMessage | TokenStatesMessage | WorkerErrorMessage;
