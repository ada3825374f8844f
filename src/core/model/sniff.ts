// Recognising file contents from their first bytes, so a web page served in place of a model (a captive portal or a
// proxy error answering 200) is rejected instead of being cached or handed to onnxruntime.
//
//   looksLikeHtml(bytes)  markup: "<" after optional BOM and whitespace
//   looksLikeOnnx(bytes)  a serialized ONNX ModelProto
//   describeBytes(bytes)  a short hex preview for error messages

/** Enough leading bytes for every check here. */
export const SNIFF_BYTES = 16;

const UTF8_BOM = [0xef, 0xbb, 0xbf];
const WHITESPACE = new Set([0x09, 0x0a, 0x0d, 0x20]);

export function looksLikeHtml(bytes: Uint8Array): boolean {
  let i = UTF8_BOM.every((b, k) => bytes[k] === b) ? UTF8_BOM.length : 0;
  while (i < bytes.length && WHITESPACE.has(bytes[i])) i++;
  return bytes[i] === 0x3c; // '<'
}

/**
 * Protobuf tags (field number << 3 | wire type) of the top-level ModelProto fields: ir_version (1, varint),
 * producer_name (2), producer_version (3), domain (4), model_version (5, varint), doc_string (6), graph (7),
 * opset_import (8), metadata_props (14). Serializers write fields in number order, so a model starts with one of them.
 */
const MODEL_PROTO_FIRST_TAGS = new Set([0x08, 0x12, 0x1a, 0x22, 0x28, 0x32, 0x3a, 0x42, 0x72]);

export function looksLikeOnnx(bytes: Uint8Array): boolean {
  if (bytes.length < 2 || !MODEL_PROTO_FIRST_TAGS.has(bytes[0])) return false;
  // ir_version is a small positive varint (ONNX IR versions are 3..11 today).
  if (bytes[0] === 0x08) return bytes[1] >= 1 && bytes[1] < 0x80;
  return true;
}

export function describeBytes(bytes: Uint8Array): string {
  return Array.from(bytes.subarray(0, 8), (b) => b.toString(16).padStart(2, '0')).join(' ');
}
