// docs/spec.md section 14.12: a configured record gives the UA the host name it checks the
// registry's TLS certificate against (IRP-DISC-5, IRP-TLS-2), separately from the address it
// connects to. The bench's registry is `localhost` (dNSName) at ::1 / 127.0.0.1.
import t from 'tap';
import { IrpClient } from '../../src/irp/client.js';
import { startStub } from './fixtures.js';

t.test('the configured host name is checked, not the address connected to (IRP-DISC-5, IRP-TLS-2)', async (t) => {
  const server = await startStub(t);
  const base = { host: '127.0.0.1', port: server.port, caCertificates: [server.rootCertificatePem] };

  const named = await IrpClient.connect({ ...base, servername: 'localhost' });
  t.teardown(() => named.close());
  t.pass('target localhost at 127.0.0.1: the certificate names localhost');

  await t.rejects(IrpClient.connect({ ...base, servername: 'registry.example.com' }), { code: 'connection_failed' },
    'a host name the certificate does not carry is refused, although the address matches an iPAddress of the certificate');

  const byAddress = await IrpClient.connect(base);
  t.teardown(() => byAddress.close());
  t.pass('an address alone is the name checked: the certificate carries 127.0.0.1 as an iPAddress');
});
