// Listens on the given address and reports it as adapter profile 1 says; `onSocket` does the rest.
import net from 'node:net';
export function listen(onSocket, { report = true, then = () => {} } = {}) {
  const [host, port] = process.argv.slice(2);
  const server = net.createServer(onSocket);
  server.listen(Number(port), host, () => {
    if (report) process.stdout.write(`${JSON.stringify({ event: 'listening', address: host, port: server.address().port })}\n`);
    then();
  });
  return server;
}
