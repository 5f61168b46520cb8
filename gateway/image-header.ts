// Reads format, size and alpha from the first bytes of an upload, so the
// gateway can refuse non-images, oversize images and bad masks before any
// pixel is decoded (the gateway never decodes; origins do, with sharp).
import type { OutputFormat } from '../protocol/images.js';

export interface ImageHeader {
  format: OutputFormat;
  width: number;
  height: number;
  /** True when the image can carry transparency (PNG alpha or tRNS, WebP alpha). */
  hasAlpha: boolean;
}

const ascii = (bytes: Uint8Array, start: number, length: number) => String.fromCharCode(...bytes.subarray(start, start + length));
const u16be = (b: Uint8Array, i: number) => (b[i]! << 8) | b[i + 1]!;
const u32be = (b: Uint8Array, i: number) => ((b[i]! << 24) | (b[i + 1]! << 16) | (b[i + 2]! << 8) | b[i + 3]!) >>> 0;
const u16le = (b: Uint8Array, i: number) => b[i]! | (b[i + 1]! << 8);
const u24le = (b: Uint8Array, i: number) => b[i]! | (b[i + 1]! << 8) | (b[i + 2]! << 16);

function png(bytes: Uint8Array): ImageHeader | null {
  if (bytes.length < 33 || ascii(bytes, 12, 4) !== 'IHDR') return null;
  const colourType = bytes[25]!;
  let hasAlpha = colourType === 4 || colourType === 6;
  // A palette or grey image is transparent through a tRNS chunk, which comes before the first IDAT.
  for (let offset = 33; !hasAlpha && offset + 8 <= bytes.length; ) {
    const length = u32be(bytes, offset);
    const type = ascii(bytes, offset + 4, 4);
    if (type === 'tRNS') hasAlpha = true;
    if (type === 'IDAT' || type === 'IEND') break;
    offset += 12 + length;
  }
  return { format: 'png', width: u32be(bytes, 16), height: u32be(bytes, 20), hasAlpha };
}

function jpeg(bytes: Uint8Array): ImageHeader | null {
  for (let offset = 2; offset + 9 < bytes.length; ) {
    if (bytes[offset] !== 0xff) return null;
    const marker = bytes[offset + 1]!;
    if (marker === 0xff) {
      offset++;
      continue;
    }
    // SOF0–SOF15 carry the frame size, except DHT (C4), JPG (C8) and DAC (CC).
    if (marker >= 0xc0 && marker <= 0xcf && marker !== 0xc4 && marker !== 0xc8 && marker !== 0xcc) {
      return { format: 'jpeg', width: u16be(bytes, offset + 7), height: u16be(bytes, offset + 5), hasAlpha: false };
    }
    offset += 2 + u16be(bytes, offset + 2);
  }
  return null;
}

function webp(bytes: Uint8Array): ImageHeader | null {
  if (bytes.length < 30 || ascii(bytes, 0, 4) !== 'RIFF' || ascii(bytes, 8, 4) !== 'WEBP') return null;
  const chunk = ascii(bytes, 12, 4);
  if (chunk === 'VP8X') return { format: 'webp', width: u24le(bytes, 24) + 1, height: u24le(bytes, 27) + 1, hasAlpha: (bytes[20]! & 0x10) !== 0 };
  if (chunk === 'VP8L' && bytes[20] === 0x2f) {
    const bits = (bytes[21]! | (bytes[22]! << 8) | (bytes[23]! << 16) | (bytes[24]! << 24)) >>> 0;
    return { format: 'webp', width: (bits & 0x3fff) + 1, height: ((bits >>> 14) & 0x3fff) + 1, hasAlpha: ((bits >>> 28) & 1) === 1 };
  }
  if (chunk === 'VP8 ' && bytes[23] === 0x9d && bytes[24] === 0x01 && bytes[25] === 0x2a) {
    return { format: 'webp', width: u16le(bytes, 26) & 0x3fff, height: u16le(bytes, 28) & 0x3fff, hasAlpha: false };
  }
  return null;
}

/** The header of a PNG, JPEG or WebP, or null for anything else (or a header too damaged to read). */
export function readImageHeader(bytes: Uint8Array): ImageHeader | null {
  let header: ImageHeader | null = null;
  if (bytes.length >= 8 && bytes[0] === 0x89 && ascii(bytes, 1, 3) === 'PNG') header = png(bytes);
  else if (bytes.length >= 4 && bytes[0] === 0xff && bytes[1] === 0xd8) header = jpeg(bytes);
  else if (bytes.length >= 12 && ascii(bytes, 0, 4) === 'RIFF') header = webp(bytes);
  return header && header.width > 0 && header.height > 0 ? header : null;
}
