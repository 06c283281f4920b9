// Real PostgreSQL (PGlite: Postgres compiled to WASM) with pgvector, over the wire protocol on
// 127.0.0.1, for the PostgreSQL store's tests. Started by PgliteServer.cs with the port to use
// (0: any free port); prints "ready <port>" once it accepts connections. One connection at a time.
import { PGlite } from '@electric-sql/pglite'
import { vector } from '@electric-sql/pglite-pgvector'
import { PGLiteSocketServer } from '@electric-sql/pglite-socket'

const port = Number(process.argv[2] ?? 0)
const db = await PGlite.create({ extensions: { vector } })
const server = new PGLiteSocketServer({ db, port, host: '127.0.0.1' })
await server.start()
console.log(`ready ${server.server.address().port}`)
const stop = async () => { await server.stop(); await db.close(); process.exit(0) }
process.on('SIGTERM', stop)
process.on('SIGINT', stop)
