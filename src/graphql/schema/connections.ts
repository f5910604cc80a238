// What every paged listing's connection type adds to Relay's: the total count, counted only when asked.
import type { Connection } from "../../domain/connections.js";

export const TOTAL_COUNT = "Rows that match the filters, on every page.";

/** Resolves totalCount of a connection that a domain function returned. */
export const totalCount = (connection: object): Promise<number> => (connection as Connection<unknown>).totalCount();
