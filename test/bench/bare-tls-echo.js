// The reference for the transport benchmark: a bare TLS 1.3 server in its own process that
// answers every 150,528-byte frame (length-prefixed) with an 8-byte acknowledgement. Prints its
// port on stdout. Certificates come as PEM paths in argv: ca cert key.
import { readFileSync } from 'node:fs';
import tls from 'node:tls';

const [ca, cert, key] = process.argv.slice(2).map((p) => readFileSync(p));
const server = tls.createServer(
  { ca, cert, key, requestCert: true, rejectUnauthorized: true, minVersion: 'TLSv1.3' },
  (s) => {
    s.setNoDelay(true);
    let need = -1;
    let have = 0;
    const chunks = [];
    s.on('data', (d) => {
      chunks.push(d);
      have += d.length;
      for (;;) {
        if (need < 0) {
          if (have < 4) return;
          const all = Buffer.concat(chunks.splice(0));
          chunks.push(all);
          need = all.readUInt32BE(0);
          chunks[0] = all.subarray(4);
          have -= 4;
        }
        if (have < need) return;
        const all = Buffer.concat(chunks.splice(0));
        const rest = all.subarray(need);
        have = rest.length;
        if (rest.length) chunks.push(rest);
        need = -1;
        s.write(Buffer.alloc(8));
      }
    });
    s.on('error', () => s.destroy());
  },
);
server.listen(0, '127.0.0.1', () => process.stdout.write(`${server.address().port}\n`));
process.on('SIGTERM', () => process.exit(0));
