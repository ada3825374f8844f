import { strict as assert } from 'node:assert';
import { describe, it } from 'node:test';
import { ResponseError } from 'vscode-jsonrpc';
import { ModelDownloadError, ModelError } from '../../src/core/model/errors';
import { CancelledByUser, describeError } from '../../src/extension/errors';
import { ErrorCodes } from '../../src/protocol';

describe('describeError', () => {
  it('offers exactly Select Local Model Folder… and Retry when offline', () => {
    const described = describeError(new ModelDownloadError('offline', 'Could not connect to https://huggingface.co (ENOTFOUND).'));
    assert.deepEqual(described.actions, ['selectLocalModel', 'retry']);
    assert.equal(described.message, 'The model could not be downloaded. Could not connect to https://huggingface.co (ENOTFOUND).');
    assert.equal(described.cancelled, false);
  });

  it('names the folder and what is missing for a broken local model', () => {
    const described = describeError(new ModelError('bad', '/models/x', ['tokenizer.json', 'onnx/model.onnx'], ['config.json: not JSON'], []));
    assert.match(described.message, /\/models\/x/);
    assert.match(described.message, /missing tokenizer\.json, onnx\/model\.onnx/);
    assert.match(described.message, /config\.json: not JSON/);
    assert.deepEqual(described.actions, ['selectLocalModel', 'selectModel', 'showLog']);
  });

  it('treats cancellations as nothing to report', () => {
    assert.ok(describeError(new CancelledByUser('Indexing')).cancelled);
    assert.ok(describeError(new ModelDownloadError('cancelled', 'aborted')).cancelled);
    assert.ok(describeError(new ResponseError(ErrorCodes.Cancelled, 'cancelled')).cancelled);
  });

  it('offers a restart for a crashed host and the log for anything else', () => {
    assert.deepEqual(describeError(new ResponseError(ErrorCodes.HostCrashed, 'host died')).actions, ['restartHost', 'showLog']);
    assert.deepEqual(describeError(new Error('weird')).actions, ['showLog']);
    assert.deepEqual(describeError(Object.assign(new Error('no such file'), { code: 'ENOENT' })).actions, ['showLog']);
  });

  it('says how to raise the memory limit when the host was killed above it', () => {
    const described = describeError(new ResponseError(ErrorCodes.HostMemoryLimit, 'The model host was stopped: it used 5000 MB of memory, above the limit of 4096 MB. Pending work was cancelled.'));
    assert.match(described.message, /5000 MB of memory, above the limit of 4096 MB/);
    assert.match(described.message, /similarSentences\.maxMemoryMB/);
    assert.deepEqual(described.actions, ['memoryLimitSetting', 'restartHost', 'showLog']);
    assert.equal(described.cancelled, false);
  });

  it('explains a refused input that crashed the host before', () => {
    const described = describeError(new ResponseError(ErrorCodes.InputCrashesHost, 'input refused: crashed the host twice'));
    assert.match(described.message, /crashed the model host before/);
    assert.deepEqual(described.actions, ['showLog']);
  });
});
