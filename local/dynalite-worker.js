// Runs dynalite in a worker thread, so the local DynamoDB API uses the
// machine's second core instead of competing with the handlers for the main
// event loop. Plain JavaScript: worker threads do not go through tsx.
const { parentPort, workerData } = require('node:worker_threads');
const dynalite = require('dynalite');

const server = dynalite({ ...(workerData.path ? { path: workerData.path } : {}), createTableMs: 0 });
server.keepAliveTimeout = 60_000;
server.once('error', (error) => parentPort.postMessage({ type: 'error', message: error.message }));
server.listen(workerData.port ?? 0, '127.0.0.1', () => {
  parentPort.postMessage({ type: 'listening', port: server.address().port });
});
parentPort.on('message', (message) => {
  if (message === 'close') {
    server.closeAllConnections();
    server.close(() => parentPort.postMessage({ type: 'closed' }));
  }
});
