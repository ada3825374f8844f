// Bytes → text for indexing. Never throws: every input is either decoded or classified as binary.

export type TextEncodingName = 'utf-8' | 'utf-16le' | 'utf-16be' | 'windows-1252';

export type DecodeResult = { text: string; encoding: TextEncodingName } | { binary: true };

/** How many leading bytes are inspected for NUL bytes (the same window git uses to call a file binary). */
export const BINARY_SNIFF_BYTES = 8192;

const utf8Strict = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });
const utf16le = new TextDecoder('utf-16le', { ignoreBOM: true });
const utf16be = new TextDecoder('utf-16be', { ignoreBOM: true });

/**
 * Decodes a whole file. A BOM decides the encoding (and is not part of the text, matching what an editor shows).
 * Without one, a NUL byte in the first 8 KB means binary; valid UTF-8 is UTF-8; anything else is read as
 * windows-1252, which maps every byte to exactly one UTF-16 unit, so columns line up with an editor that shows
 * each invalid byte as one replacement character.
 */
export function decodeText(bytes: Uint8Array): DecodeResult {
  if (bytes.length >= 3 && bytes[0] === 0xef && bytes[1] === 0xbb && bytes[2] === 0xbf) {
    return { text: decodeUtf8Lenient(bytes.subarray(3)), encoding: 'utf-8' };
  }
  if (bytes.length >= 2 && bytes[0] === 0xff && bytes[1] === 0xfe) {
    return { text: utf16le.decode(bytes.subarray(2)), encoding: 'utf-16le' };
  }
  if (bytes.length >= 2 && bytes[0] === 0xfe && bytes[1] === 0xff) {
    return { text: utf16be.decode(bytes.subarray(2)), encoding: 'utf-16be' };
  }
  if (hasNulByte(bytes, BINARY_SNIFF_BYTES)) return { binary: true };
  try {
    return { text: utf8Strict.decode(bytes), encoding: 'utf-8' };
  } catch {
    return { text: decodeWindows1252(bytes), encoding: 'windows-1252' };
  }
}

/** A UTF-8 BOM is a strong claim, so stray invalid bytes after it become U+FFFD rather than switching encoding. */
function decodeUtf8Lenient(bytes: Uint8Array): string {
  return new TextDecoder('utf-8', { ignoreBOM: true }).decode(bytes);
}

// Node 20's TextDecoder('windows-1252') decodes as ISO-8859-1 (0x93 becomes a control character, not “). Only
// 0x80–0x9F differ between the two, so those 32 code points are mapped here rather than bundling a 0.5 MB
// codec library; the five bytes windows-1252 leaves undefined keep their ISO-8859-1 control characters.
const WINDOWS_1252_HIGH = '€\x81‚ƒ„…†‡ˆ‰Š‹Œ\x8dŽ\x8f\x90‘’“”•–—˜™š›œ\x9džŸ';
const latin1 = new TextDecoder('latin1');

function decodeWindows1252(bytes: Uint8Array): string {
  return latin1.decode(bytes).replace(/[\x80-\x9f]/g, (c) => WINDOWS_1252_HIGH[c.charCodeAt(0) - 0x80]);
}

function hasNulByte(bytes: Uint8Array, limit: number): boolean {
  return bytes.subarray(0, Math.min(limit, bytes.length)).indexOf(0) !== -1;
}
