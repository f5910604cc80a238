// The Parquet writer takes rows one by one and writes a row group once 10,000 have come, whenever
// the caller flushes: rows added while a flush is under way wait for the next group, none is lost,
// and every group but the last holds exactly 10,000 rows (DuckDB reads the file back).
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { DuckDBInstance } from "@duckdb/node-api";
import { expect, test } from "vitest";
import type { FocusColumn } from "../../src/domain/focus/columns.js";
import { PARQUET_ROW_GROUP, parquetFile } from "../../src/exports/parquet-format.js";

const COLUMNS: FocusColumn[] = [{ name: "n", dataType: "STRING" }, { name: "cost", dataType: "DECIMAL", numericPrecision: 38, numberScale: 2 }];

test("writes full row groups of 10,000 rows as rows come, flushed a page at a time", async () => {
  const chunks: Buffer[] = [];
  const file = parquetFile(COLUMNS, { write: async (chunk) => (chunks.push(Buffer.from(chunk)), true) }, []);
  const total = 2 * PARQUET_ROW_GROUP + 1_234;
  for (let n = 0; n < total; n++) {
    file.add([String(n), `${n}.25`]);
    // A page of 1,000, then a flush that rows of the next page overtake (as a streamed export's do).
    if (n % 1_000 === 999) {
      const flushing = file.flush();
      file.add([String(++n), `${n}.25`]);
      expect(await flushing).toBe(true);
    }
  }
  expect(await file.end()).toBe(true);

  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "parquet-groups-"));
  const target = path.join(dir, "groups.parquet");
  fs.writeFileSync(target, Buffer.concat(chunks));
  const connection = await (await DuckDBInstance.create(":memory:")).connect();
  try {
    const groups = (await connection.runAndReadAll(`SELECT row_group_id, MAX(row_group_num_rows)::INTEGER FROM parquet_metadata('${target}') GROUP BY 1 ORDER BY 1`)).getRows();
    expect(groups.map((row) => row[1])).toEqual([PARQUET_ROW_GROUP, PARQUET_ROW_GROUP, 1_234]);
    const rows = (await connection.runAndReadAll(`SELECT n, cost::VARCHAR FROM '${target}'`)).getRows();
    expect(rows).toHaveLength(total);
    expect(rows.every((row, i) => row[0] === String(i) && row[1] === `${i}.25`)).toBe(true);
  } finally {
    connection.closeSync();
    fs.rmSync(dir, { recursive: true, force: true });
  }
});
