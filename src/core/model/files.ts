// The Hugging Face Hub layout of a model folder: which files make a usable model for each dtype.
//
//   modelFilesFor(dtype): ModelFile[]   files to fetch, JSON first and the (large) ONNX weights last
//   onnxFileFor(dtype): string          the weights file for one dtype
//   DTYPES, isDtype(value)              the dtypes this project understands
import type { Dtype } from '../../protocol';

export const DTYPES: readonly Dtype[] = ['fp32', 'q8', 'fp16'];

export function isDtype(value: unknown): value is Dtype {
  return (DTYPES as readonly unknown[]).includes(value);
}

const ONNX_FILE_BY_DTYPE: Record<Dtype, string> = {
  fp32: 'onnx/model.onnx',
  q8: 'onnx/model_quantized.onnx',
  fp16: 'onnx/model_fp16.onnx',
};

export function onnxFileFor(dtype: Dtype): string {
  return ONNX_FILE_BY_DTYPE[dtype];
}

export interface ModelFile {
  /** Path inside the model folder, forward slashes. */
  path: string;
  /** Optional files may be absent (a 404 on the Hub); the embedder falls back to defaults without them. */
  optional: boolean;
  format: 'json' | 'onnx';
}

export const REQUIRED_JSON_FILES = ['config.json', 'tokenizer.json', 'tokenizer_config.json'] as const;

/** sentence-transformers metadata: sequence limit, pooling mode, module list. */
export const OPTIONAL_JSON_FILES = [
  'sentence_bert_config.json',
  '1_Pooling/config.json',
  'modules.json',
  'special_tokens_map.json',
] as const;

/** JSON first, weights last: by the time the big file starts, every other size is known (see overallTotal). */
export function modelFilesFor(dtype: Dtype): ModelFile[] {
  return [
    ...REQUIRED_JSON_FILES.map((path): ModelFile => ({ path, optional: false, format: 'json' })),
    ...OPTIONAL_JSON_FILES.map((path): ModelFile => ({ path, optional: true, format: 'json' })),
    { path: onnxFileFor(dtype), optional: false, format: 'onnx' },
  ];
}
