/**
 * aws-local-stepfunctions 3 calls `Promise.withResolvers()` (Node ≥ 22) in
 * every Task. On Node 20 this adds that one function; newer Nodes keep theirs.
 */
interface PromiseWithResolversShape<T> {
  promise: Promise<T>;
  resolve: (value: T | PromiseLike<T>) => void;
  reject: (reason?: unknown) => void;
}

const promiseCtor = Promise as unknown as { withResolvers?: <T>() => PromiseWithResolversShape<T> };
if (typeof promiseCtor.withResolvers !== 'function') {
  promiseCtor.withResolvers = function withResolvers<T>(): PromiseWithResolversShape<T> {
    let resolve!: (value: T | PromiseLike<T>) => void;
    let reject!: (reason?: unknown) => void;
    const promise = new Promise<T>((res, rej) => {
      resolve = res;
      reject = rej;
    });
    return { promise, resolve, reject };
  };
}

// The SDK warns once per process that its releases after January 2027 need Node 22; on this project's
// Node 20 floor that is known, so tests and the embedded target stay quiet about it.
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';

export {};
