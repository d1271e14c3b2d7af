// A board's mDNS announcer for the tests (what avahi does on a Pi), speaking real multicast DNS
// on the board's own interface. Usage: node mdns-responder.mjs ADDRESS HOSTNAME SERVICE PORT [no-a]
// With `no-a` the address is left out of the answer and only given when asked for directly.
import makeMdns from 'multicast-dns';

const [address, hostname, service, port, mode] = process.argv.slice(2);
const host = `${hostname}.local`;
const instance = `${hostname} board._${service}._tcp.local`;
const serviceName = `_${service}._tcp.local`;
const mdns = makeMdns({ bind: '0.0.0.0', interface: address });
const a = { name: host, type: 'A', ttl: 120, data: address };
mdns.on('query', (q) => {
  for (const question of q.questions) {
    if (question.type === 'PTR' && question.name === serviceName) {
      mdns.respond({
        answers: [{ name: serviceName, type: 'PTR', ttl: 120, data: instance }],
        additionals: [
          {
            name: instance,
            type: 'SRV',
            ttl: 120,
            data: { target: host, port: Number(port), priority: 0, weight: 0 },
          },
          ...(mode === 'no-a' ? [] : [a]),
        ],
      });
    } else if (question.type === 'A' && question.name === host) {
      mdns.respond({ answers: [a] });
    }
  }
});
mdns.on('ready', () => process.stdout.write('ready\n'));
process.on('SIGTERM', () => mdns.destroy(() => process.exit(0)));
