import { run } from './incident.ts';

/**
 * The `incident` process: `run` over this process's streams. When the reader of the output goes away
 * (`incident list | head`), writing fails with EPIPE: the CLI stops writing and exits with the command's
 * status, with no stack trace.
 */

const closed = new Set<NodeJS.WriteStream>();

function writer(stream: NodeJS.WriteStream): (line: string) => void {
  stream.on('error', (error: NodeJS.ErrnoException) => {
    if (error.code === 'EPIPE' || error.code === 'ERR_STREAM_DESTROYED') {
      closed.add(stream);
      return;
    }
    process.stderr.write(`error: ${error.message}\n`);
    process.exit(1);
  });
  return (line) => {
    if (!closed.has(stream)) stream.write(`${line}\n`);
  };
}

process.exitCode = await run(process.argv.slice(2), {
  env: process.env,
  out: writer(process.stdout),
  err: writer(process.stderr),
  fetch,
});
