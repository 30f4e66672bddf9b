/**
 * Shows a QR image in a terminal. The gateway hands out its pairing QR as a PNG (`qrDataUrl`, as
 * OpenClaw's `web.login.start` does), not as the text it encodes, so the QR is read back from the
 * image: the module size comes from the top-left finder pattern (7 modules wide), then each module is
 * sampled at its centre and two rows are drawn per text line with half blocks. Light modules are drawn
 * as blocks (light on a dark terminal), with a quiet zone, which phone scanners read.
 */
import { PNG } from 'pngjs';

const PNG_DATA_URL = /^data:image\/png;base64,([A-Za-z0-9+/=]+)$/;
const QUIET_ZONE = 2;

/** The PNG bytes of a `data:image/png;base64,...` URL, or undefined when it is not one. */
export function pngFromDataUrl(dataUrl: string): Buffer | undefined {
  const m = PNG_DATA_URL.exec(dataUrl);
  return m ? Buffer.from(m[1]!, 'base64') : undefined;
}

/** The QR's modules (true = dark), read from a QR image with square modules and no anti-aliasing. */
export function qrModules(png: Buffer): boolean[][] {
  const image = PNG.sync.read(png);
  const dark = (x: number, y: number) => {
    const at = (y * image.width + x) * 4;
    const [r, g, b] = [image.data[at]!, image.data[at + 1]!, image.data[at + 2]!];
    return r + g + b < 3 * 128;
  };
  let top = -1;
  let left = -1;
  for (let y = 0; y < image.height && top < 0; y++) {
    for (let x = 0; x < image.width; x++) {
      if (dark(x, y)) {
        top = y;
        left = x;
        break;
      }
    }
  }
  if (top < 0) throw new Error('the QR image is blank');
  let run = 0;
  while (left + run < image.width && dark(left + run, top)) run++;
  const module = run / 7;
  const size = Math.round((image.width - 2 * left) / module);
  if (!Number.isInteger(module) || module < 1 || size < 21 || (size - 17) % 4 !== 0) throw new Error('the QR image has no readable module grid');
  const half = Math.floor(module / 2);
  return Array.from({ length: size }, (_, row) => Array.from({ length: size }, (_, col) => dark(left + col * module + half, top + row * module + half)));
}

/** The QR as text: two module rows per line, light modules as blocks. */
export function renderQr(modules: readonly (readonly boolean[])[]): string {
  const size = modules.length + 2 * QUIET_ZONE;
  const light = (row: number, col: number) => {
    const r = row - QUIET_ZONE;
    const c = col - QUIET_ZONE;
    return !(modules[r]?.[c] ?? false);
  };
  const lines: string[] = [];
  for (let row = 0; row < size; row += 2) {
    let line = '';
    for (let col = 0; col < size; col++) {
      const upper = light(row, col);
      const lower = row + 1 < size ? light(row + 1, col) : false;
      line += upper && lower ? '█' : upper ? '▀' : lower ? '▄' : ' ';
    }
    lines.push(line);
  }
  return lines.join('\n');
}
