// W3C Trace Context (`traceparent`), read and written the same way by the
// gateway, which starts or continues a trace per job, and the origin, whose
// spans join it. https://www.w3.org/TR/trace-context/
import { bytesToHex } from './signature.js';

export interface TraceParent {
  /** 32 lowercase hex digits, not all zero. */
  traceId: string;
  /** 16 lowercase hex digits, not all zero: the caller's span. */
  spanId: string;
  /** Bit 0 set: the caller recorded its span, so ours should be too. */
  sampled: boolean;
}

const TRACEPARENT = /^([0-9a-f]{2})-([0-9a-f]{32})-([0-9a-f]{16})-([0-9a-f]{2})(-.*)?$/;

/** A valid `traceparent`, or null. Unknown future versions are read by the version-00 layout, as the spec says. */
export function parseTraceparent(header: string | null | undefined): TraceParent | null {
  const match = TRACEPARENT.exec((header ?? '').trim().toLowerCase());
  if (!match) return null;
  const [, version, traceId, spanId, flags, rest] = match;
  if (version === 'ff' || (version === '00' && rest !== undefined)) return null;
  if (/^0+$/.test(traceId!) || /^0+$/.test(spanId!)) return null;
  return { traceId: traceId!, spanId: spanId!, sampled: (parseInt(flags!, 16) & 1) === 1 };
}

export function formatTraceparent({ traceId, spanId, sampled }: TraceParent): string {
  return `00-${traceId}-${spanId}-${sampled ? '01' : '00'}`;
}

function randomHex(bytes: number): string {
  for (;;) {
    const hex = bytesToHex(crypto.getRandomValues(new Uint8Array(bytes)));
    if (!/^0+$/.test(hex)) return hex;
  }
}

/** A new span in `parent`'s trace, or the root of a new sampled trace. */
export function childTraceparent(parent: TraceParent | null): TraceParent {
  return { traceId: parent?.traceId ?? randomHex(16), spanId: randomHex(8), sampled: parent?.sampled ?? true };
}
