// Altus's Node.js runtime client: runs inside an execution environment.
//
// Speaks the Lambda Runtime API (2018-06-01) at AWS_LAMBDA_RUNTIME_API, loads the handler
// named by _HANDLER from LAMBDA_TASK_ROOT (CommonJS or ES modules), and loops: next event
// -> handler (async or callback style) -> response or error. Console output is formatted
// the way Lambda's Node.js runtime formats it.
//
// Response streaming, as in Lambda's Node.js runtime: a handler wrapped in
// awslambda.streamifyResponse(handler) is called as handler(event, responseStream,
// context); responseStream is the chunked POST .../response of the Runtime API's
// streaming mode (Lambda-Runtime-Function-Response-Mode: streaming), so each write goes
// out as it is made. awslambda.HttpResponseStream.from(stream, {statusCode, headers,
// cookies}) makes it a function URL's HTTP response: the JSON prelude and 8 NUL bytes go
// before the first byte of the body. An error is reported in the trailers
// (Lambda-Runtime-Function-Error-Type, and -Body: the error document in base64).
'use strict';

const http = require('http');
const fs = require('fs');
const path = require('path');
const util = require('util');
const { pathToFileURL } = require('url');

const PREFIX = '/2018-06-01/runtime';
// Why the runtime has no AWS SDK (Altus could not install it), for the import error of a
// function that needs it; kept out of the function's environment.
const SDK_MISSING = process.env.ALTUS_NODE_SDK_MISSING;
delete process.env.ALTUS_NODE_SDK_MISSING;
giveAHome();
const [apiHost, apiPort] = splitAddress(process.env.AWS_LAMBDA_RUNTIME_API);
const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
let currentRequestId;

// Lambda's user (sbx_user1051) has an account, so os.homedir() answers (a home that does
// not exist). An environment's uid in the linux sandbox has none, and os.homedir() throws
// (uv_os_homedir: ENOENT), which the AWS SDK calls to look for ~/.aws: answer as Lambda.
function giveAHome() {
  if (process.env.HOME) return;
  try {
    require('os').homedir();
  } catch (error) {
    process.env.HOME = '/home/sbx_user1051';
  }
}

function splitAddress(address) {
  const at = address.lastIndexOf(':');
  return [address.slice(0, at) || '127.0.0.1', Number(address.slice(at + 1))];
}

function request(method, urlPath, body, headers) {
  return new Promise((resolve, reject) => {
    const payload = body === undefined ? Buffer.alloc(0) : Buffer.from(body);
    const req = http.request(
      {
        host: apiHost,
        port: apiPort,
        method,
        path: urlPath,
        agent,
        noDelay: true,
        headers: { 'Content-Length': payload.length, ...(headers || {}) },
      },
      (res) => {
        const chunks = [];
        res.on('data', (chunk) => chunks.push(chunk));
        res.on('end', () =>
          resolve({ status: res.statusCode, headers: res.headers, body: Buffer.concat(chunks) }),
        );
        res.on('error', reject);
      },
    );
    req.on('error', reject);
    req.end(payload);
  });
}

// --- response streaming ------------------------------------------------------------------

const HANDLER_STREAMING = Symbol.for('aws.lambda.runtime.handler.streaming');
const STREAM_RESPONSE = 'response';
const HTTP_INTEGRATION = 'application/vnd.awslambda.http-integration-response';
const ERROR_TYPE_TRAILER = 'Lambda-Runtime-Function-Error-Type';
const ERROR_BODY_TRAILER = 'Lambda-Runtime-Function-Error-Body';
let currentStream;

class HttpResponseStream {
  static from(stream, prelude) {
    stream.setContentType(HTTP_INTEGRATION);
    const metadata = JSON.stringify(prelude);
    stream._onBeforeFirstWrite = (write) => {
      write(metadata);
      write(new Uint8Array(8));
    };
    return stream;
  }
}

globalThis.awslambda = {
  streamifyResponse(handler) {
    handler[HANDLER_STREAMING] = STREAM_RESPONSE;
    // options.highWaterMark (the stream's buffering) is accepted and has no effect here.
    return handler;
  },
  HttpResponseStream,
};

// The response stream of one invocation: the request itself (a Writable), its headers
// held back until the first write so the content type can still be set. `done` settles
// with the Runtime API's answer once the body has ended.
function createResponseStream(requestId) {
  let resolveDone;
  let rejectDone;
  const done = new Promise((resolve, reject) => {
    resolveDone = resolve;
    rejectDone = reject;
  });
  const req = http.request({
    host: apiHost,
    port: apiPort,
    method: 'POST',
    path: `${PREFIX}/invocation/${requestId}/response`,
    agent,
    noDelay: true,
    headers: {
      'Lambda-Runtime-Function-Response-Mode': 'streaming',
      'Transfer-Encoding': 'chunked',
      Trailer: `${ERROR_TYPE_TRAILER}, ${ERROR_BODY_TRAILER}`,
      'Content-Type': 'application/octet-stream',
    },
  }, (res) => {
    res.resume();
    res.on('end', () => resolveDone(res.statusCode));
    res.on('error', rejectDone);
  });
  req.on('error', rejectDone);
  let started = false;
  const write = req.write.bind(req);
  const end = req.end.bind(req);
  const begin = () => {
    if (started) return;
    started = true;
    if (typeof req._onBeforeFirstWrite === 'function') req._onBeforeFirstWrite((c) => write(c));
  };
  req.setContentType = (type) => {
    if (started) throw new Error('Cannot set content-type, too late.');
    req.setHeader('Content-Type', type);
  };
  req.write = (chunk, encoding, callback) => {
    if (typeof chunk !== 'string' && !Buffer.isBuffer(chunk) && !(chunk instanceof Uint8Array)) {
      chunk = JSON.stringify(chunk);
    }
    begin();
    return write(chunk, encoding, callback);
  };
  req.end = (chunk, encoding, callback) => {
    if (typeof chunk === 'function') return req.end(undefined, undefined, chunk);
    if (typeof encoding === 'function') return req.end(chunk, undefined, encoding);
    if (chunk !== undefined && chunk !== null) req.write(chunk, encoding);
    begin(); // a prelude with no body still gives the status and headers
    return end(callback);
  };
  return { stream: req, done };
}

function failStream(stream, error) {
  const { errorType, errorMessage, trace } = errorBody(error);
  console.error('Invoke Error', `\t${JSON.stringify({ errorType, errorMessage, stack: trace })}`);
  if (stream.writableEnded) return;
  const body = JSON.stringify({ errorType, errorMessage, trace });
  stream.addTrailers({
    [ERROR_TYPE_TRAILER]: errorType,
    [ERROR_BODY_TRAILER]: Buffer.from(body).toString('base64'),
  });
  stream.end();
}

async function runStreaming(handler, event, headers) {
  const requestId = headers['lambda-runtime-aws-request-id'];
  const { stream, done } = createResponseStream(requestId);
  currentStream = stream;
  const context = makeContext(headers, () => {});
  try {
    const returned = handler(event, stream, context);
    if (!returned || typeof returned.then !== 'function') {
      throw new Error('Streaming does not support non-async handlers.');
    }
    const result = await returned;
    if (result !== undefined) console.warn('Streaming handlers ignore return values.');
    // As on Lambda, the invocation lasts until the handler has ended its stream.
    await done;
    if (!stream.writableFinished) throw new Error('Response stream is not finished.');
  } catch (error) {
    failStream(stream, error);
    await done.catch(() => {});
  } finally {
    currentStream = undefined;
  }
}

// --- console formatting ------------------------------------------------------------------

const pause = new Int32Array(new SharedArrayBuffer(4));

// Writes all of a line to stdout synchronously (so it is attributed to the invocation
// that printed it), waiting while the pipe is full: libuv makes fd 1 non-blocking once
// anything touches process.stdout.
function writeOut(text) {
  let data = Buffer.from(text);
  for (let attempt = 0; data.length > 0; attempt++) {
    try {
      data = data.subarray(fs.writeSync(1, data));
    } catch (error) {
      if (error.code !== 'EAGAIN' || attempt > 60000) throw error;
      Atomics.wait(pause, 0, 0, 1);
    }
  }
}

function patchConsole() {
  // One call is one log event, as on Lambda: newlines inside it become carriage returns.
  const write = (level) => (...args) => {
    const message = util.format(...args).replace(/\n/g, '\r');
    writeOut(`${new Date().toISOString()}\t${currentRequestId}\t${level}\t${message}\n`);
  };
  console.log = write('INFO');
  console.info = write('INFO');
  console.warn = write('WARN');
  console.error = write('ERROR');
  console.debug = write('DEBUG');
  console.trace = write('TRACE');
  console.fatal = write('FATAL');
}

// --- errors ------------------------------------------------------------------------------

class RuntimeError extends Error {
  constructor(type, message) {
    super(message);
    this.name = type;
  }
}

function errorBody(error) {
  if (error instanceof RuntimeError) {
    return { errorType: error.name, errorMessage: error.message, trace: [] };
  }
  if (error instanceof Error) {
    return {
      errorType: error.name || 'Error',
      errorMessage: error.message,
      trace: typeof error.stack === 'string' ? error.stack.split('\n') : [],
    };
  }
  return { errorType: typeof error, errorMessage: String(error), trace: [] };
}

// --- handler loading ---------------------------------------------------------------------

function splitHandler(handler) {
  const slash = handler.lastIndexOf('/');
  const base = handler.slice(slash + 1);
  const dot = base.indexOf('.');
  if (dot <= 0 || dot === base.length - 1) {
    throw new RuntimeError('Runtime.MalformedHandlerName', `Bad handler ${handler}`);
  }
  return [handler.slice(0, slash + 1) + base.slice(0, dot), base.slice(dot + 1).split('.')];
}

// Whether a .js file is an ES module: its nearest package.json says "type": "module".
function isModuleType(file, root) {
  for (let dir = path.dirname(file); ; dir = path.dirname(dir)) {
    try {
      const manifest = JSON.parse(fs.readFileSync(path.join(dir, 'package.json'), 'utf8'));
      return manifest.type === 'module';
    } catch (error) {
      if (!error || error.code !== 'ENOENT') return false;
    }
    if (dir === root || dir === path.dirname(dir)) return false;
  }
}

async function loadModule(root, moduleName) {
  const base = path.resolve(root, moduleName);
  for (const ext of ['.js', '.mjs', '.cjs']) {
    const file = base + ext;
    if (!fs.existsSync(file)) continue;
    // ES modules by import(), even where require() could load them (Node 20.19+): only
    // the module loader applies the resolve hooks (layers' packages, above).
    if (ext === '.mjs' || (ext === '.js' && isModuleType(file, root))) {
      return import(pathToFileURL(file).href);
    }
    try {
      return require(file);
    } catch (error) {
      if (error && error.code === 'ERR_REQUIRE_ESM') return import(pathToFileURL(file).href);
      throw error;
    }
  }
  // Not a file in the task root: a package resolved from there (e.g. node_modules).
  return require(require.resolve(moduleName, { paths: [root] }));
}

// ES modules do not consult NODE_PATH: a bare import of a package in a layer
// (/opt/nodejs/node_modules, ...) or of the runtime's AWS SDK would not resolve, as it
// does on Lambda. A resolve hook retries such an import from each NODE_PATH directory
// outside the task root (where the ordinary resolution already looks), in NODE_PATH's
// order: the layers' copy of a package before the runtime's. Registered only when such a
// directory exists, since hooks run on a loader thread of their own (~30 ms to start on
// Node.js 20).
const LAYER_RESOLVER = `
  import { pathToFileURL } from 'node:url';
  let parents = [];
  export async function initialize(data) {
    parents = data.dirs.map((dir) => pathToFileURL(dir.endsWith('/') ? dir : dir + '/').href);
  }
  export async function resolve(specifier, context, next) {
    try {
      return await next(specifier, context);
    } catch (error) {
      const bare = !/^(\\.|\\/|[a-zA-Z][a-zA-Z0-9+.-]*:)/.test(specifier);
      if (!bare || !error || error.code !== 'ERR_MODULE_NOT_FOUND') throw error;
      for (const parentURL of parents) {
        try {
          return await next(specifier, { ...context, parentURL });
        } catch (retry) {
          if (!retry || retry.code !== 'ERR_MODULE_NOT_FOUND') throw retry;
        }
      }
      throw error;
    }
  }
`;

function resolveLayerImports(root) {
  const nodeModule = require('module');
  if (typeof nodeModule.register !== 'function') return; // Node before 18.19 / 20.6
  const inRoot = (dir) => dir === root || dir.startsWith(root + '/');
  const dirs = (process.env.NODE_PATH || '').split(':')
    .filter((dir) => dir && !inRoot(dir) && fs.existsSync(dir));
  if (dirs.length === 0) return;
  nodeModule.register('data:text/javascript,' + encodeURIComponent(LAYER_RESOLVER),
    { data: { dirs } });
}

// The missing package is the SDK's, which the runtime should have had: say why it has not.
function sdkHint(message) {
  const [first, ...rest] = String(message).split('\n');
  if (!SDK_MISSING || !/'@aws-sdk\//.test(first)) return message;
  const hint = `${first} (the runtime has no AWS SDK for JavaScript: ${SDK_MISSING})`;
  return [hint, ...rest].join('\n');
}

async function loadHandler(root, handlerString) {
  const [moduleName, handlerPath] = splitHandler(handlerString);
  let loaded;
  try {
    loaded = await loadModule(root, moduleName);
  } catch (error) {
    if (error instanceof SyntaxError) {
      throw new RuntimeError('Runtime.UserCodeSyntaxError', `${error.name}: ${error.message}`);
    }
    if (error && (error.code === 'MODULE_NOT_FOUND' || error.code === 'ERR_MODULE_NOT_FOUND')) {
      throw new RuntimeError('Runtime.ImportModuleError', `Error: ${sdkHint(error.message)}`);
    }
    throw error;
  }
  let target = loaded;
  for (const key of handlerPath) {
    target = target == null ? undefined : target[key];
    if (target === undefined && loaded && loaded.default && loaded.default !== loaded) {
      target = handlerPath.reduce((obj, k) => (obj == null ? undefined : obj[k]), loaded.default);
      break;
    }
  }
  if (target === undefined) {
    throw new RuntimeError(
      'Runtime.HandlerNotFound',
      `${moduleName}.${handlerPath.join('.')} is undefined or not exported`,
    );
  }
  if (typeof target !== 'function') {
    throw new RuntimeError(
      'Runtime.HandlerNotFound',
      `${moduleName}.${handlerPath.join('.')} is not a function`,
    );
  }
  return target;
}

// --- invocation --------------------------------------------------------------------------

function makeContext(headers, finish) {
  const deadline = Number(headers['lambda-runtime-deadline-ms']);
  const parse = (value) => (value ? JSON.parse(value) : undefined);
  const context = {
    callbackWaitsForEmptyEventLoop: true,
    functionName: process.env.AWS_LAMBDA_FUNCTION_NAME,
    functionVersion: process.env.AWS_LAMBDA_FUNCTION_VERSION,
    invokedFunctionArn: headers['lambda-runtime-invoked-function-arn'],
    memoryLimitInMB: process.env.AWS_LAMBDA_FUNCTION_MEMORY_SIZE,
    awsRequestId: headers['lambda-runtime-aws-request-id'],
    logGroupName: process.env.AWS_LAMBDA_LOG_GROUP_NAME,
    logStreamName: process.env.AWS_LAMBDA_LOG_STREAM_NAME,
    identity: parse(headers['lambda-runtime-cognito-identity']),
    clientContext: parse(headers['lambda-runtime-client-context']),
    getRemainingTimeInMillis: () => Math.max(deadline - Date.now(), 0),
    done: (error, result) => finish(error, result),
    succeed: (result) => finish(null, result),
    fail: (error) => finish(error || 'handled', undefined),
  };
  return context;
}

// Resolves when the callback style's event loop has drained back to where it started
// (context.callbackWaitsForEmptyEventLoop), or right away when the function opted out.
function drained(context, baseline) {
  return new Promise((resolve) => {
    const check = () => {
      if (!context.callbackWaitsForEmptyEventLoop) return resolve();
      if (process.getActiveResourcesInfo().length <= baseline) return resolve();
      setTimeout(check, 1);
    };
    setImmediate(check);
  });
}

function runHandler(handler, event, headers) {
  return new Promise((resolve) => {
    let settled = false;
    const baseline = process.getActiveResourcesInfo().length;
    const context = makeContext(headers, (error, result) => callback(error, result));
    const settle = (outcome) => {
      if (!settled) {
        settled = true;
        resolve(outcome);
      }
    };
    function callback(error, result) {
      drained(context, baseline).then(() =>
        settle(error !== undefined && error !== null ? { error } : { result }),
      );
    }
    try {
      const returned = handler(event, context, callback);
      if (returned && typeof returned.then === 'function') {
        returned.then((result) => settle({ result }), (error) => settle({ error: error ?? 'Error' }));
      } else if (handler.length < 3) {
        // Neither a promise nor a callback: the runtime answers once the loop drains.
        drained(context, baseline).then(() => settle({ result: returned }));
      }
    } catch (error) {
      settle({ error });
    }
  });
}

async function postError(urlPath, error) {
  const body = errorBody(error);
  await request('POST', urlPath, JSON.stringify(body), {
    'Content-Type': 'application/json',
    'Lambda-Runtime-Function-Error-Type': body.errorType,
  });
  return body;
}

async function main() {
  patchConsole();
  const root = process.env.LAMBDA_TASK_ROOT || process.cwd();
  let handler;
  try {
    resolveLayerImports(root);
    handler = await loadHandler(root, process.env._HANDLER || '');
  } catch (error) {
    const body = errorBody(error);
    console.error(`${body.errorType}: ${body.errorMessage}`);
    await postError(`${PREFIX}/init/error`, error).catch(() => {});
    process.exit(1);
  }

  for (;;) {
    const next = await request('GET', `${PREFIX}/invocation/next`);
    if (next.status !== 200) {
      throw new Error(`Runtime API /next answered ${next.status}`);
    }
    const headers = next.headers;
    const requestId = headers['lambda-runtime-aws-request-id'];
    currentRequestId = requestId;
    if (headers['lambda-runtime-trace-id']) {
      process.env._X_AMZN_TRACE_ID = headers['lambda-runtime-trace-id'];
    } else {
      delete process.env._X_AMZN_TRACE_ID;
    }
    let outcome;
    try {
      const text = next.body.toString('utf8');
      const event = text.length ? JSON.parse(text) : {};
      if (handler[HANDLER_STREAMING] === STREAM_RESPONSE) {
        await runStreaming(handler, event, headers);
        continue;
      }
      outcome = await runHandler(handler, event, headers);
    } catch (error) {
      outcome = { error };
    }
    let payload;
    if (!('error' in outcome)) {
      try {
        payload = JSON.stringify(outcome.result === undefined ? null : outcome.result);
      } catch (error) {
        outcome = { error };
      }
    }
    if ('error' in outcome) {
      const { errorType, errorMessage, trace } = errorBody(outcome.error);
      console.error('Invoke Error', `\t${JSON.stringify({ errorType, errorMessage, stack: trace })}`);
      await postError(`${PREFIX}/invocation/${requestId}/error`, outcome.error);
    } else {
      await request('POST', `${PREFIX}/invocation/${requestId}/response`, payload, {
        'Content-Type': 'application/json',
      });
    }
  }
}

let crashing = false;

async function crash(type, error) {
  // Runs at most once: a failure while reporting a failure must not loop.
  if (crashing) process.exit(129);
  crashing = true;
  const body = errorBody(error);
  try {
    console.error(`${type}:`, JSON.stringify(body));
  } catch (ignored) {
    // stdout is gone (the platform went away); exiting is all that is left.
  }
  if (currentStream !== undefined && !currentStream.writableEnded) {
    // The stream holds the one connection to the Runtime API: report on it, not beside it.
    currentStream.addTrailers({
      [ERROR_TYPE_TRAILER]: type,
      [ERROR_BODY_TRAILER]: Buffer.from(JSON.stringify({ ...body, errorType: type })).toString('base64'),
    });
    currentStream.end();
    await new Promise((resolve) => {
      currentStream.on('close', resolve);
      setTimeout(resolve, 1000);
    });
  } else if (currentRequestId !== undefined) {
    body.errorType = type;
    await request('POST', `${PREFIX}/invocation/${currentRequestId}/error`, JSON.stringify(body), {
      'Content-Type': 'application/json',
      'Lambda-Runtime-Function-Error-Type': type,
    }).catch(() => {});
  }
  process.exit(129);
}

process.on('uncaughtException', (error) => crash('Runtime.UncaughtException', error));
process.on('unhandledRejection', (error) => crash('Runtime.UnhandledPromiseRejection', error));

main().catch((error) => {
  // Usually the Runtime API went away (the platform stopped): nothing to report to.
  try {
    fs.writeSync(2, `runtime failure: ${error && error.stack ? error.stack : error}\n`);
  } finally {
    process.exit(1);
  }
});
