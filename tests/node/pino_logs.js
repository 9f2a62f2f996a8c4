'use strict'
// Logs COUNT lines {n, kind, msg} with pino through pino-elasticsearch to the
// URL given, ends the stream, waits for the bulk helper to finish, then prints
// on stdout one JSON object with the stream's events: the documents each
// 'insertError' carried, the 'insert' stats, and any 'error'. Used by
// tests/test_serve_node.py.
//
//   node pino_logs.js URL INDEX COUNT
const pino = require('pino')
const pinoElastic = require('pino-elasticsearch')

const [url, index, count] = process.argv.slice(2)
const report = { insertErrors: [], inserts: [], errors: [], unknown: [] }
const stream = pinoElastic({ node: url, index, esVersion: 8, flushBytes: 600, flushInterval: 200 })
// pino-elasticsearch hands the bulk helper's onDrop argument over as error.document.
stream.on('insertError', (error) => {
  const drop = error.document || {}
  report.insertErrors.push({
    message: error.message,
    status: drop.status,
    type: drop.error && drop.error.type,
    n: drop.document && drop.document.n
  })
})
stream.on('insert', (stats) => report.inserts.push({ successful: stats.successful, failed: stats.failed, total: stats.total }))
stream.on('error', (error) => report.errors.push({ name: error.name, message: String(error.message), status: error.meta && error.meta.statusCode }))
stream.on('unknown', (line, error) => report.unknown.push(String(error)))

const logger = pino({ level: 'info', base: { service: 'node-test' } }, stream)
for (let n = 0; n < Number(count); n++) {
  logger.info({ n, kind: n % 5 === 1 ? 'r' : 'a' }, `line ${n}`)
}

let done = false
function finish () {
  if (done) return
  done = true
  process.stdout.write(JSON.stringify(report) + '\n')
  process.exit(0)
}
// The bulk helper settles once the ended stream is drained: 'insert' (stats) or 'error'.
stream.on('insert', () => setImmediate(finish))
stream.on('error', () => setImmediate(finish))
setTimeout(finish, 20000) // the Python side sees the missing 'insert' and fails
stream.end()
