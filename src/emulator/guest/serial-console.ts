/**
 * An instance's serial console (port 1), as GCE keeps it: a bounded buffer of the most recent output
 * with a running byte offset, so readers can continue from `next`. Lines look like a Debian guest's
 * syslog forwarding ("Nov 24 13:05:01 <host> <unit>[pid]: message").
 */
import type { SerialRecord } from '../services/compute/state.js';

/** Output kept per instance (GCE keeps 1 MB; a fleet of hundreds in one process keeps less). */
export const SERIAL_BUFFER_CHARS = 256 * 1024;

const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];

function syslogTime(ms: number): string {
  const d = new Date(ms);
  const pad = (n: number) => String(n).padStart(2, '0');
  return `${MONTHS[d.getUTCMonth()]} ${pad(d.getUTCDate())} ${pad(d.getUTCHours())}:${pad(d.getUTCMinutes())}:${pad(d.getUTCSeconds())}`;
}

/** Appends one line from `source` (e.g. `google_metadata_script_runner[612]: startup-script`). */
export function writeLine(serial: SerialRecord, host: string, source: string, message: string, now = Date.now()): void {
  append(serial, `${syslogTime(now)} ${host} ${source}: ${message}\n`);
}

/** Raw console text (firmware and kernel messages have no syslog prefix). */
export function writeRaw(serial: SerialRecord, text: string): void {
  append(serial, text.endsWith('\n') ? text : `${text}\n`);
}

function append(serial: SerialRecord, text: string): void {
  serial.text += text;
  // Trimmed in batches (a quarter of the buffer at a time) so a chatty guest does not copy the buffer per line.
  if (serial.text.length > SERIAL_BUFFER_CHARS * 1.25) {
    // Drop whole lines from the front, keeping the offsets of what remains.
    const overflow = serial.text.length - SERIAL_BUFFER_CHARS;
    const cut = serial.text.indexOf('\n', overflow) + 1 || overflow;
    serial.text = serial.text.slice(cut);
    serial.start += cut;
  }
}

