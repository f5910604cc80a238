import type { SqlSession } from "../db/client.js";
import type { RunSql } from "../store/rows.js";

/** The stores' statement runner over a seeding session. */
export const sessionSql = (session: SqlSession): RunSql => (sql, params) => session.query(sql, params);
