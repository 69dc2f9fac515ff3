/**
 * `kasi … | head -1`: the reader goes away and the next write to stdout fails with EPIPE, which
 * Node raises as an unhandled 'error' event (a stack trace and exit 1). A closed pipe is not a
 * failure of kasi: the reader has what it wanted. From the first EPIPE on, output to that stream
 * is dropped (writes succeed at once, so nothing waits for a 'drain' that will never come) and
 * the command finishes its work as usual: a close or an import is never cut short by a pager.
 * Commands that only print (a streamed report) ask `outputClosed()` and stop early.
 */
let closed = false;

export function outputClosed(): boolean {
  return closed;
}

function guard(stream: NodeJS.WriteStream, onClose: () => void): void {
  stream.on('error', (err: NodeJS.ErrnoException) => {
    if (err.code !== 'EPIPE') throw err;
    onClose();
    // later writes go nowhere, successfully
    stream.write = ((_chunk: unknown, encoding?: unknown, cb?: unknown) => {
      const done = typeof encoding === 'function' ? encoding : cb;
      if (typeof done === 'function') queueMicrotask(() => (done as () => void)());
      return true;
    }) as typeof stream.write;
    stream.emit('drain');
  });
}

/** Install once, first thing in the CLI. stderr too: `kasi … 2>&1 | head -1` closes both. */
export function handleClosedPipes(): void {
  guard(process.stdout, () => (closed = true));
  guard(process.stderr, () => undefined);
}
