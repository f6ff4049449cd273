import { strict as assert } from 'node:assert';
import { readFileSync } from 'node:fs';
import path from 'node:path';

const ROOT = path.resolve(__dirname, '..');
const read = (file: string) => readFileSync(path.join(ROOT, file), 'utf8');

/** `^24.11.0` → [24, 11, 0]: the only form engines uses here. */
function caretRange(range: string): [number, number, number] {
  const m = /^\^(\d+)\.(\d+)\.(\d+)$/.exec(range);
  assert.ok(m, `engines.node is a caret range, got ${range}`);
  return [Number(m[1]), Number(m[2]), Number(m[3])];
}

function satisfies(version: string, [major, minor, patch]: [number, number, number]): boolean {
  const [a = 0, b = 0, c = 0] = version.replace(/^v/, '').split('.').map(Number);
  return a === major && (b > minor || (b === minor && c >= patch));
}

describe('one supported Node line: engines, bootstrap, the running tests, types and deployment agree', () => {
  const pkg = JSON.parse(read('package.json')) as { engines: { node: string }; devDependencies: Record<string, string> };
  const range = caretRange(pkg.engines.node);

  it('the tests run on a Node that engines accepts (.ci/run and npm test use .tools/node)', () => {
    assert.ok(satisfies(process.version, range), `running on ${process.version}, engines ${pkg.engines.node}`);
  });

  it("bootstrap's pinned Node, @types/node, the Dockerfile and the systemd unit name the same line", () => {
    const pinned = /^NODE_VERSION="(\d+\.\d+\.\d+)"/m.exec(read('dev/bootstrap.sh'))?.[1];
    assert.ok(pinned && satisfies(pinned, range), `bootstrap pins ${pinned}`);
    assert.match(pkg.devDependencies['@types/node'] ?? '', new RegExp(`^\\^${range[0]}\\.`));
    assert.match(read('Dockerfile'), new RegExp(`^FROM node:${range[0]}-`, 'm'));
    assert.match(read('ops/systemd/invoice-charging-worker.service'), /^ExecStart=\/opt\/invoice-charging\/\.tools\/node\/bin\/node /m);
  });
});
