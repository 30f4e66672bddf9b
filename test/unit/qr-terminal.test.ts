/**
 * The terminal QR of `planes connect` is read back from the gateway's PNG: the modules it finds must be
 * exactly the QR's (checked against the qrcode library's own matrix), for both pairing payload formats.
 */
import QRCode from 'qrcode';
import { describe, expect, it } from 'vitest';
import { pngFromDataUrl, qrModules, renderQr } from '../../src/cli/qr-terminal.js';

const PAYLOADS = [
  `sgnl://linkdevice?uuid=${'u'.repeat(22)}&pub_key=${encodeURIComponent('BQ+'.padEnd(44, 'k'))}`,
  `2@${'r'.repeat(64)},${'n'.repeat(44)},${'i'.repeat(44)},${'a'.repeat(44)}`,
];

describe('QR in the terminal', () => {
  for (const payload of PAYLOADS) {
    it(`reads back every module of ${payload.slice(0, 12)}...`, async () => {
      const dataUrl = await QRCode.toDataURL(payload, { errorCorrectionLevel: 'L', margin: 4, scale: 4 });
      const modules = qrModules(pngFromDataUrl(dataUrl)!);
      const qr = QRCode.create(payload, { errorCorrectionLevel: 'L' });
      const size = qr.modules.size;
      expect(modules).toEqual(Array.from({ length: size }, (_, r) => Array.from({ length: size }, (_, c) => Boolean(qr.modules.get(r, c)))));
      const lines = renderQr(modules).split('\n');
      // Two module rows per line, a two-module quiet zone on each side.
      expect(lines).toHaveLength(Math.ceil((size + 4) / 2));
      for (const line of lines) expect(line).toMatch(new RegExp(`^[█▀▄ ]{${size + 4}}$`));
    });
  }

  it('refuses what is not a PNG data URL or not a QR', () => {
    expect(pngFromDataUrl('data:image/jpeg;base64,AAAA')).toBeUndefined();
    expect(() => qrModules(Buffer.from('not a png'))).toThrow();
  });
});
