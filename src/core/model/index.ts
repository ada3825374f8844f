// Model resolution and download: from the user's model setting to a verified local folder the model host can load.
// Nothing here imports `vscode`; the only network access in the project is downloadModel, through the caller's fetch.
export { cacheDirFor, isCached } from './cache';
export { downloadModel } from './download';
export type { DownloadOptions, DownloadProgress } from './download';
export { ModelDownloadError, ModelError } from './errors';
export type { DownloadFailureKind } from './errors';
export { DTYPES, isDtype, modelFilesFor, onnxFileFor } from './files';
export type { ModelFile } from './files';
export { DEFAULT_ENDPOINT, isEndpointUrl } from './hub';
export { prepareModel } from './prepare';
export type { PrepareModelOptions } from './prepare';
export { DEFAULT_MODEL, isLocalModelPath, resolveModel } from './resolve';
export type { ModelRequest, ResolvedModel } from './resolve';
export { availableDtypes, validateModelDir } from './validate';
