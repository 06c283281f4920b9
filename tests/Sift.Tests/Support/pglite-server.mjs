// Real PostgreSQL (PGlite: Postgres compiled to WASM) with pgvector, over the wire protocol on
// 127.0.0.1, for the PostgreSQL store's tests. Started by PgliteServer.cs with the port to use
// (0: any free port); prints "ready <port>" once it accepts connections. PGlite is one session:
// every connection shares it, so clients use one connection at a time (Maximum Pool Size=1) and
// never two at once. maxConnections leaves room for a connection that has just closed on the
// client's side and that the server has not detached yet; with 1, the next connect is refused.
import { PGlite } from '@electric-sql/pglite'
import { vector } from '@electric-sql/pglite-pgvector'
import { PGLiteSocketServer } from '@electric-sql/pglite-socket'

const port = Number(process.argv[2] ?? 0)
const db = await PGlite.create({ extensions: { vector } })
const server = new PGLiteSocketServer({ db, port, host: '127.0.0.1', maxConnections: 4 })
await server.start()
console.log(`ready ${server.server.address().port}`)
const stop = async () => { await server.stop(); await db.close(); process.exit(0) }
process.on('SIGTERM', stop)
process.on('SIGINT', stop)
