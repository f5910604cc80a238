// Usage rows of a CSV or JSONL export written straight from PostgreSQL's COPY text into the file's
// bytes. The generic way (a string per field, a FocusRow per record, a line joined from 58 pieces)
// cost Node 8–14 µs a row, twice what PostgreSQL spends reading it; this one copies bytes.
//
// Nothing here restates how a row is made or escaped: each line follows a template that the generic
// way renders itself, once per SKU and combination of null fields, from a record whose fields are
// markers (usageMapper, then the format's line writer), cut where the markers are; ContractApplied
// likewise, from contractApplied with marker draws. A field's bytes are copied into its markers'
// places when they need no escaping anywhere (no quote, comma, backslash or control character); a
// record with any other field is written the generic way, whole.
import type { Sku } from "../db/generated/client.js";
import { COLUMN } from "../domain/focus/columns.js";
import { contractApplied, floorTo, HOUR_MS, periodColumns, type FocusContext } from "../domain/focus/row-parts.js";
import type { UsageCopyTaker } from "../domain/focus/rows.js";
import { usageMapper } from "../domain/focus/usage-rows.js";
import { FOCUS_USAGE as U, type FocusUsageRow } from "../store/usage-records.js";
import type { EncodedChunks, TextFormat } from "./text-formats.js";

const FIELDS = Object.keys(U).length;
/** Template places that are not record fields: the four period columns, then ContractApplied. */
const PERIOD = FIELDS;
const CONTRACT = FIELDS + 4;
const PERIOD_COLUMNS = ["BillingPeriodStart", "BillingPeriodEnd", "ChargePeriodStart", "ChargePeriodEnd"] as const;

/** Fields that may be null, each a bit of a template's key (with ContractApplied's, which the lot draws decide). */
const NULLABLE = [U.resourceId, U.model, U.externalUserId, U.externalProjectId, U.apiKeyId] as const;
const CONTRACT_BIT = 1 << NULLABLE.length;

const MARK = "\uE000"; // a private-use character that no rendering escapes, then the place's own
const marker = (place: number) => MARK + String.fromCharCode(0xe100 + place);

/** A rendering cut at its markers: constant bytes, each followed by the place whose value comes next (-1 after the last). */
type Parts = { bytes: Buffer; place: number }[];

function cutAtMarkers(text: string): Parts {
  const [first, ...rest] = text.split(MARK);
  const places = rest.map((piece) => piece.charCodeAt(0) - 0xe100);
  return [first!, ...rest.map((piece) => piece.slice(1))].map((piece, i) => ({ bytes: Buffer.from(piece), place: places[i] ?? -1 }));
}

const constantBytes = (parts: Parts) => parts.reduce((sum, part) => sum + part.bytes.length, 0);

interface LineTemplate {
  parts: Parts;
  bytes: number;
  /** The most places any one field fills (a record's units fill three). */
  copies: number;
}

/**
 * The line of a SKU's records whose null fields are those of `mask`; null when a value the line
 * takes from the SKU, the workspace or the provider holds the marker character itself: those
 * records are written the generic way.
 */
function lineTemplate(format: TextFormat, mapper: ReturnType<typeof usageMapper>, skuId: string, mask: number): LineTemplate | null {
  const record: FocusUsageRow = Array.from({ length: FIELDS }, (_, field) => marker(field));
  record[U.atMs] = "0";
  record[U.skuId] = skuId;
  record[U.lotDraws] = null;
  NULLABLE.forEach((field, bit) => mask & (1 << bit) && (record[field] = null));
  if (record[U.resourceId] === null) record[U.resourceKind] = null;
  if (mapper(record.map((value) => (value?.startsWith(MARK) ? "0" : value))).some((value) => value?.includes(MARK))) return null;
  const row = mapper(record);
  PERIOD_COLUMNS.forEach((column, i) => (row[COLUMN[column]] = marker(PERIOD + i)));
  row[COLUMN.ContractApplied] = mask & CONTRACT_BIT ? null : marker(CONTRACT);
  const parts = cutAtMarkers(format.lines()(row));
  const copies = Math.max(...Array.from({ length: FIELDS }, (_, field) => parts.filter((part) => part.place === field).length));
  return { parts, bytes: constantBytes(parts), copies };
}

/** A draw's values, as the places of ContractApplied's template. */
const DRAW = { contract: 0, lot: 1, credits: 2, cost: 3 } as const;

/**
 * ContractApplied in the format, from its renderings with one and two marker draws: what comes
 * before the first draw's first place (`head`), between its places (`inner`), from a draw's last
 * place to the next one's first (`between`), and after the last (`tail`).
 */
function contractTemplate(format: TextFormat, focus: FocusContext) {
  const draw = `${marker(DRAW.lot)}:${marker(DRAW.credits)}:${marker(DRAW.cost)}`;
  const markers = { ...focus, contracts: new Map([[marker(DRAW.lot), marker(DRAW.contract)]]) };
  const render = (draws: string) => cutAtMarkers(format.valueAtMarker(contractApplied(markers, draws)!));
  const one = render(draw);
  const two = render(`${draw} ${draw}`);
  const [head, tail, between] = [one[0]!.bytes, one.at(-1)!.bytes, two[one.length - 1]!.bytes];
  const inner = one.slice(1, -1).map((part) => part.bytes);
  return {
    head, tail, between, inner,
    places: one.slice(0, -1).map((part) => part.place),
    /** Constant bytes: of the whole, and at most of each draw. */
    bytes: head.length + tail.length,
    drawBytes: between.length + constantBytes(one.slice(1, -1)),
  };
}

const TAB = 9;
const NEWLINE = 10;
const SPACE = 32;
const COLON = 58;
const BACKSLASH = 92;
const N = 78;
/**
 * A young-generation collection every COLLECT_BYTES of COPY text, when Node runs with --expose-gc
 * (npm start): this writer allocates next to nothing on V8's heap, so collections came rarely while
 * the chunks it had read (the driver's buffers, outside the heap) piled up: an export's peak was
 * 186 MB instead of 158 (interleaved pairs), and its rows/s no better. Each costs about a millisecond.
 */
const COLLECT_BYTES = 2 * 1024 * 1024;
const exposedGc = (globalThis as { gc?: (options: object) => void }).gc;
const collectYoung = exposedGc ? () => exposedGc({ type: "minor" }) : () => {};

/** Draws of one record written here; a record with more goes the generic way. */
const MAX_DRAWS = 16;

/**
 * Writes `constant` into `target` at `at`; returns where it ends. Only the shortest by a loop: from
 * about 10 bytes set() costs less (a CSV record 1.57 → 1.32 µs with the loop up to 10 bytes instead of 32).
 */
function put(target: Buffer, at: number, constant: Buffer): number {
  const length = constant.length;
  if (length > 10) {
    target.set(constant, at);
    return at + length;
  }
  for (let i = 0; i < length; i++) target[at++] = constant[i]!;
  return at;
}

/** Copies bytes[start, end) into `target` at `at`; returns where they end (a loop: fields are short). */
function copy(target: Buffer, at: number, bytes: Buffer, start: number, end: number): number {
  for (let i = start; i < end; i++) target[at++] = bytes[i]!;
  return at;
}

/** Whether bytes[start, end) are `id` (a loop: ids are short, and compare() is a call into C++). */
function sameBytes(id: Buffer, bytes: Buffer, start: number, end: number): boolean {
  if (id.length !== end - start) return false;
  for (let i = 0; i < id.length; i++) if (id[i] !== bytes[start + i]) return false;
  return true;
}

/** COPY's text escapes (it writes no others). */
const UNESCAPED: Record<string, string> = { b: "\b", f: "\f", n: "\n", r: "\r", t: "\t", v: "\v", "\\": "\\" };
const copyText = (bytes: Buffer, start: number, end: number): string | null => {
  if (end - start === 2 && bytes[start] === BACKSLASH && bytes[start + 1] === N) return null;
  const text = bytes.toString("utf8", start, end);
  return text.includes("\\") ? text.replace(/\\(.)/g, (_, c: string) => UNESCAPED[c] ?? c) : text;
};

/**
 * A writer of usage records from COPY text (FOCUS_USAGE's fields, tab-separated, a record a line)
 * into `out`, as `format`'s lines. It takes each chunk in order (a record may straddle two).
 */
export function usageCopyWriter(format: TextFormat, focus: FocusContext, skus: Sku[], out: EncodedChunks): UsageCopyTaker {
  // One mapper for records and templates alike: marker records only add a few entries to its tags cache.
  const mapper = usageMapper(focus, skus);
  const genericLine = format.lines();
  const contract = contractTemplate(format, focus);
  const contractOfLot = new Map([...focus.contracts].map(([lot, id]) => [Number(lot), Buffer.from(id)]));
  const longestContract = Math.max(0, ...[...contractOfLot.values()].map((id) => id.length));
  /** SKUs by a hash of their id's bytes: each id's bytes and its templates by null mask. */
  const skusByHash = new Map<number, { id: Buffer; templates: (LineTemplate | null | undefined)[] }[]>();
  const starts = new Int32Array(FIELDS);
  const ends = new Int32Array(FIELDS);
  // The draws of the current record that name a contract: where their lot, credits and cost are.
  const draws = new Int32Array(MAX_DRAWS * 6);
  const drawContracts: Buffer[] = [];
  let hour = Number.NaN;
  let periods: Buffer[] = [];
  let rest: Buffer | null = null; // the start of a record the last chunk cut

  const isNull = (bytes: Buffer, field: number) => ends[field]! - starts[field]! === 2 && bytes[starts[field]!] === BACKSLASH && bytes[starts[field]! + 1] === N;

  const writeGeneric = (bytes: Buffer) => {
    const record: FocusUsageRow = Array.from({ length: FIELDS }, (_, field) => copyText(bytes, starts[field]!, ends[field]!));
    out.add(genericLine(mapper(record)));
  };

  const templatesOf = (bytes: Buffer): (LineTemplate | null | undefined)[] => {
    const [start, end] = [starts[U.skuId]!, ends[U.skuId]!];
    let hash = 0x811c9dc5; // FNV-1a
    for (let i = start; i < end; i++) hash = Math.imul(hash ^ bytes[i]!, 16777619);
    let entries = skusByHash.get(hash);
    if (entries === undefined) skusByHash.set(hash, (entries = []));
    for (const entry of entries) if (sameBytes(entry.id, bytes, start, end)) return entry.templates;
    const entry = { id: Buffer.from(bytes.subarray(start, end)), templates: [] };
    entries.push(entry);
    return entry.templates;
  };

  /**
   * Finds the draws that name a contract ("lot:credits:cost", space-separated); their count, or -1
   * for a record the generic way writes: more than MAX_DRAWS, a lot id past 2^53, or draws it cannot read.
   */
  const readDraws = (bytes: Buffer): number => {
    if (isNull(bytes, U.lotDraws)) return 0;
    let count = 0;
    let i = starts[U.lotDraws]!;
    const end = ends[U.lotDraws]!;
    while (i < end) {
      const lotStart = i;
      let lot = 0;
      for (; i < end && bytes[i] !== COLON; i++) lot = lot * 10 + bytes[i]! - 48;
      const lotEnd = i++;
      const creditsStart = i;
      while (i < end && bytes[i] !== COLON) i++;
      if (i >= end) return -1;
      const creditsEnd = i++;
      const costStart = i;
      while (i < end && bytes[i] !== SPACE) i++;
      const costEnd = i++;
      if (lotEnd - lotStart > 15) return -1;
      const id = contractOfLot.get(lot);
      if (id === undefined) continue; // a grant: no contract
      if (count === MAX_DRAWS) return -1;
      const at = count * 6;
      [draws[at], draws[at + 1], draws[at + 2], draws[at + 3], draws[at + 4], draws[at + 5]] = [lotStart, lotEnd, creditsStart, creditsEnd, costStart, costEnd];
      drawContracts[count++] = id;
    }
    return count;
  };

  const writeRow = (bytes: Buffer, plain: boolean) => {
    const drawCount = plain && bytes[starts[U.atMs]!] !== 45 /* '-': before 1970 */ ? readDraws(bytes) : -1;
    if (drawCount < 0) return writeGeneric(bytes);
    let mask = drawCount === 0 ? CONTRACT_BIT : 0;
    for (let bit = 0; bit < NULLABLE.length; bit++) if (isNull(bytes, NULLABLE[bit]!)) mask |= 1 << bit;
    const templates = templatesOf(bytes);
    let line = templates[mask];
    if (line === undefined) line = templates[mask] = lineTemplate(format, mapper, copyText(bytes, starts[U.skuId]!, ends[U.skuId]!)!, mask);
    if (line === null) return writeGeneric(bytes);

    let ms = 0;
    for (let i = starts[U.atMs]!; i < ends[U.atMs]!; i++) ms = ms * 10 + bytes[i]! - 48;
    const atHour = floorTo(ms, HOUR_MS);
    if (atHour !== hour) {
      hour = atHour;
      const columns = periodColumns(atHour, atHour, atHour + HOUR_MS);
      periods = PERIOD_COLUMNS.map((column) => Buffer.from(columns[column]));
    }
    // At most: the constants, each field as often as it appears, the periods, the draws (each at most the whole field).
    const fieldBytes = ends[FIELDS - 1]! - starts[0]!;
    const target = out.room(line.bytes + line.copies * fieldBytes + 4 * 20 + contract.bytes + drawCount * (contract.drawBytes + longestContract + fieldBytes));
    if (target === null) return writeGeneric(bytes); // a record larger than a chunk
    const from = out.at;
    let at = from;
    const parts = line.parts;
    for (let p = 0; p < parts.length; p++) {
      const part = parts[p]!;
      at = put(target, at, part.bytes);
      const place = part.place;
      if (place < 0) continue;
      if (place < FIELDS) at = copy(target, at, bytes, starts[place]!, ends[place]!);
      else if (place < CONTRACT) at = put(target, at, periods[place - PERIOD]!);
      else {
        at = put(target, at, contract.head);
        for (let d = 0; d < drawCount; d++) {
          if (d > 0) at = put(target, at, contract.between);
          for (let k = 0; k < contract.places.length; k++) {
            if (k > 0) at = put(target, at, contract.inner[k - 1]!);
            const value = contract.places[k]!;
            const offset = d * 6 + (value - 1) * 2;
            at = value === DRAW.contract ? put(target, at, drawContracts[d]!) : copy(target, at, bytes, draws[offset]!, draws[offset + 1]!);
          }
        }
        at = put(target, at, contract.tail);
      }
    }
    out.advance(at - from);
  };

  /** Writes the whole records of `bytes` from `from`; returns where the unfinished one starts, and the records written. */
  const writeRows = (bytes: Buffer, from: number): [number, number] => {
    let rows = 0;
    let rowStart = from;
    let field = 0;
    let plain = true;
    starts[0] = from;
    for (let i = from, n = bytes.length; i < n; i++) {
      const b = bytes[i]!;
      // One comparison for most bytes (digits, letters, '-', '.', ':'), which need nothing.
      if (b > 44) {
        if (b === BACKSLASH && bytes[i + 1] !== N) plain = false; // an escape; \N is a null
        continue;
      }
      if (b === TAB) {
        if (field === FIELDS - 1) throw new Error(`a COPY row of more than ${FIELDS} fields`);
        ends[field] = i;
        starts[++field] = i + 1;
      } else if (b === NEWLINE) {
        ends[field] = i;
        if (field !== FIELDS - 1) throw new Error(`a COPY row of ${field + 1} fields, expected ${FIELDS}`);
        writeRow(bytes, plain);
        rows++;
        rowStart = i + 1;
        field = 0;
        plain = true;
        starts[0] = rowStart;
      } else if (b < 32 || b === 34 || b === 44) {
        plain = false; // control characters, '"' and ','
      }
    }
    return [rowStart, rows];
  };

  let read = 0;
  const write = (chunk: Buffer) => {
    if ((read += chunk.length) >= COLLECT_BYTES) {
      read = 0;
      collectYoung();
    }
    let rows = 0;
    let from = 0;
    if (rest !== null) {
      // Only the cut record is joined: copying every chunk after it cost as much as its records.
      const newline = chunk.indexOf(NEWLINE);
      if (newline < 0) {
        rest = Buffer.concat([rest, chunk]);
        return 0;
      }
      rows += writeRows(Buffer.concat([rest, chunk.subarray(0, newline + 1)]), 0)[1];
      from = newline + 1;
    }
    const [rowStart, written] = writeRows(chunk, from);
    rest = rowStart < chunk.length ? chunk.subarray(rowStart) : null;
    return rows + written;
  };
  return write;
}
