// A peer for make bench (bench/run.sh): runs one SQL query in DuckDB with
// the given number of threads and prints the rows as CSV.
//   node duckdb.mjs THREADS SQL
import { DuckDBInstance } from '@duckdb/node-api';

const [, , threads, sql] = process.argv;
const db = await DuckDBInstance.create(':memory:', { threads: String(threads) });
const con = await db.connect();
const result = await con.runAndReadAll(sql);
for (const row of result.getRows())
    console.log(row.map(String).join(','));
