'use strict'
// Ships documents {n, kind} with _id "d<n>" through the official client's bulk
// helper to the URL given, then prints on stdout one JSON object with what the
// client saw: the info() answer, the helper's stats, every onSuccess item and
// every onDrop call. Used by tests/test_serve_node.py.
//
//   node bulk_helper.js URL INDEX COUNT [FLUSH_BYTES]
const { Client } = require('@elastic/elasticsearch')

async function main () {
  const [url, index, count, flushBytes] = process.argv.slice(2)
  const client = new Client({ node: url, requestTimeout: 30000, maxRetries: 0 })
  const report = { client: require('@elastic/elasticsearch/package.json').version, successes: [], drops: [] }
  try {
    const info = await client.info()
    report.info = { version: info.version.number, tagline: info.tagline }
    const docs = []
    for (let n = 0; n < Number(count); n++) docs.push({ n, kind: n % 5 === 1 ? 'r' : 'a' })
    const stats = await client.helpers.bulk({
      datasource: docs,
      flushBytes: Number(flushBytes || 2000),
      concurrency: 3,
      retries: 0,
      onDocument (doc) {
        return { index: { _index: index, _id: `d${doc.n}` } }
      },
      onSuccess ({ result }) {
        const item = result.index
        report.successes.push({ id: item._id, status: item.status, result: item.result })
      },
      onDrop ({ status, error, operation, document, retried }) {
        report.drops.push({
          id: operation.index._id,
          status,
          type: error && error.type,
          reason: error && error.reason,
          n: document.n,
          retried
        })
      }
    })
    report.stats = { total: stats.total, successful: stats.successful, failed: stats.failed, retry: stats.retry, aborted: stats.aborted }
  } catch (err) {
    report.error = { name: err.name, message: String(err.message) }
  }
  await client.close()
  process.stdout.write(JSON.stringify(report) + '\n')
}

main()
