import { inflateSync } from 'node:zlib';

/**
 * A minimal PNG decoder for screenshots (8-bit RGB or RGBA, not interlaced,
 * which is what Chromium writes): enough to ask whether anything was drawn.
 */

/** A decoded image: `pixel(x, y)` is `[r, g, b, a]`, 0..255. */
export interface DecodedPng {
  readonly width: number;
  readonly height: number;
  pixel(x: number, y: number): [number, number, number, number];
}

const SIGNATURE = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);

function paeth(a: number, b: number, c: number): number {
  const p = a + b - c;
  const pa = Math.abs(p - a);
  const pb = Math.abs(p - b);
  const pc = Math.abs(p - c);
  return pa <= pb && pa <= pc ? a : pb <= pc ? b : c;
}

/**
 * Decodes a PNG buffer.
 *
 * @throws Error for anything but an 8-bit RGB/RGBA, non-interlaced PNG.
 * @example
 * const png = decodePng(await page.locator('svg').screenshot());
 * png.pixel(0, 0) // => [255, 255, 255, 255]
 */
export function decodePng(buffer: Buffer): DecodedPng {
  if (!buffer.subarray(0, 8).equals(SIGNATURE)) throw new Error('not a PNG: bad signature');
  let offset = 8;
  let width = 0;
  let height = 0;
  let channels = 0;
  const data: Buffer[] = [];
  while (offset < buffer.length) {
    const length = buffer.readUInt32BE(offset);
    const type = buffer.toString('latin1', offset + 4, offset + 8);
    const chunk = buffer.subarray(offset + 8, offset + 8 + length);
    offset += 12 + length;
    if (type === 'IHDR') {
      width = chunk.readUInt32BE(0);
      height = chunk.readUInt32BE(4);
      const [bitDepth, colorType, , , interlace] = [chunk[8], chunk[9], chunk[10], chunk[11], chunk[12]];
      if (bitDepth !== 8 || (colorType !== 2 && colorType !== 6) || interlace !== 0) {
        throw new Error(`unsupported PNG: bit depth ${bitDepth}, colour type ${colorType}, interlace ${interlace}`);
      }
      channels = colorType === 6 ? 4 : 3;
    } else if (type === 'IDAT') data.push(chunk);
    else if (type === 'IEND') break;
  }
  if (channels === 0) throw new Error('not a PNG: no IHDR chunk');
  const raw = inflateSync(Buffer.concat(data));
  const stride = width * channels;
  const pixels = Buffer.alloc(stride * height);
  for (let y = 0; y < height; y += 1) {
    const filter = raw[y * (stride + 1)];
    const line = raw.subarray(y * (stride + 1) + 1, (y + 1) * (stride + 1));
    for (let i = 0; i < stride; i += 1) {
      const left = i >= channels ? (pixels[y * stride + i - channels] as number) : 0;
      const up = y > 0 ? (pixels[(y - 1) * stride + i] as number) : 0;
      const upLeft = y > 0 && i >= channels ? (pixels[(y - 1) * stride + i - channels] as number) : 0;
      const value = line[i] as number;
      const predicted = [0, left, up, (left + up) >> 1, paeth(left, up, upLeft)][filter as number];
      if (predicted === undefined) throw new Error(`unsupported PNG filter ${filter} on row ${y}`);
      pixels[y * stride + i] = (value + predicted) & 0xff;
    }
  }
  return {
    width,
    height,
    pixel(x, y) {
      const at = y * stride + x * channels;
      return [pixels[at] as number, pixels[at + 1] as number, pixels[at + 2] as number, channels === 4 ? (pixels[at + 3] as number) : 255];
    },
  };
}

/** How many pixels are drawn in colour: channels spread by more than `spread` (grey text and white paper are not). */
export function countColouredPixels(png: DecodedPng, spread = 60): number {
  let count = 0;
  for (let y = 0; y < png.height; y += 1) {
    for (let x = 0; x < png.width; x += 1) {
      const [r, g, b] = png.pixel(x, y);
      if (Math.max(r, g, b) - Math.min(r, g, b) > spread) count += 1;
    }
  }
  return count;
}

/** How many pixels differ from the background colour by more than `tolerance` on some channel. */
export function countInkPixels(png: DecodedPng, background: readonly [number, number, number] = [255, 255, 255], tolerance = 16): number {
  let count = 0;
  for (let y = 0; y < png.height; y += 1) {
    for (let x = 0; x < png.width; x += 1) {
      const [r, g, b] = png.pixel(x, y);
      if (Math.abs(r - background[0]) > tolerance || Math.abs(g - background[1]) > tolerance || Math.abs(b - background[2]) > tolerance) count += 1;
    }
  }
  return count;
}
