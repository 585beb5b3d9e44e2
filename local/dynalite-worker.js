// Runs dynalite in a worker thread, so the local DynamoDB API uses the
// machine's second core instead of competing with the handlers for the main
// event loop. Plain JavaScript: worker threads do not go through tsx.
//
// Two ways in: HTTP on loopback (other processes, the CLI) and messages from
// the embedded target's own process ({type: 'request', id, method, path,
// headers, body}), which dynalite's own HTTP request handler serves without a
// socket; the answer goes back as {type: 'response', id, status, headers, body}.
const { EventEmitter } = require('node:events');
const { parentPort, workerData } = require('node:worker_threads');
const dynalite = require('dynalite');

const server = dynalite({ ...(workerData.path ? { path: workerData.path } : {}), createTableMs: 0 });
server.keepAliveTimeout = 60_000;
const [serveRequest] = server.listeners('request');

/** dynalite's handler reads a request's events and writes setHeader/statusCode/end: that much, without a socket. */
function serveMessage(message) {
  const req = new EventEmitter();
  req.method = message.method;
  req.url = message.path;
  req.headers = message.headers;
  const headers = {};
  const res = {
    statusCode: 200,
    setHeader(name, value) {
      headers[String(name).toLowerCase()] = String(value);
    },
    end(body) {
      parentPort.postMessage({ type: 'response', id: message.id, status: res.statusCode, headers, body: body === undefined ? '' : String(body) });
    },
  };
  try {
    serveRequest(req, res);
    if (message.body !== '') req.emit('data', Buffer.from(message.body, 'utf8'));
    req.emit('end');
  } catch (error) {
    const body = JSON.stringify({ __type: 'com.amazonaws.dynamodb.v20120810#InternalServerError', message: String(error && error.message) });
    parentPort.postMessage({ type: 'response', id: message.id, status: 500, headers: { 'content-type': 'application/x-amz-json-1.0' }, body });
  }
}

server.once('error', (error) => parentPort.postMessage({ type: 'error', message: error.message }));
server.listen(workerData.port ?? 0, '127.0.0.1', () => {
  parentPort.postMessage({ type: 'listening', port: server.address().port });
});
parentPort.on('message', (message) => {
  if (message === 'close') {
    server.closeAllConnections();
    server.close(() => parentPort.postMessage({ type: 'closed' }));
  } else if (message && message.type === 'request') {
    serveMessage(message);
  }
});
