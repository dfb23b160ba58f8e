// Ways to alter a signed webhook. Every altered body stays valid UTF-8, because the SDK takes the body as
// a string: the test compares signatures, not text decoding.

/** Flips the low bit of the ASCII byte at (or nearest after, else before) index; stays ASCII, so stays UTF-8. */
export function changeOneByte(bytes, index) {
  const copy = Buffer.from(bytes);
  let at = Math.min(Math.max(index, 0), copy.length - 1);
  while (at < copy.length && copy[at] >= 0x80) at++;
  if (at === copy.length) {
    at = Math.min(index, copy.length - 1);
    while (at >= 0 && copy[at] >= 0x80) at--;
  }
  if (at < 0) {
    throw new Error('no ASCII byte to change');
  }
  copy[at] ^= 0x01;
  return copy;
}

/** Flips one bit of the decoded signature and re-encodes it as base64. */
export function flipSignatureBit(signatureBase64, byteIndex = 10) {
  const raw = Buffer.from(signatureBase64, 'base64');
  raw[byteIndex] ^= 0x04;
  return raw.toString('base64');
}

/** Exact UTF-8 decoding; throws if the bytes would not survive the round trip through a JS string. */
export function asText(bytes) {
  const text = bytes.toString('utf8');
  if (!Buffer.from(text, 'utf8').equals(bytes)) {
    throw new Error('body is not valid UTF-8; the SDK could not be given these exact bytes');
  }
  return text;
}
