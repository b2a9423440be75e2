/**
 * Pods without a cluster: each pod a network namespace of its own with its own address, its
 * hostname set as Kubernetes sets it, and the StatefulSet DNS names (`redis-0.redis`) resolving
 * through the namespace's hosts file (`ip netns exec` mounts /etc/netns/<ns>/hosts over
 * /etc/hosts). The namespaces meet on a bridge in one more namespace: nothing is added to the
 * host's network, and no address is reachable from outside. Needs root and iproute2.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, openSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** One pod: its name (`redis-0`), the governing Service that makes its DNS name, what it runs. */
export interface PodSpec {
  name: string;
  service: string;
  /** The container's `sh -c` script, `/data` in it standing for the pod's own folder. */
  script: string;
  env: Record<string, string>;
}

/** Whether this machine can make the namespaces: root, and `ip netns` works. */
export function canMakePodNetworks(): boolean {
  if (process.getuid?.() !== 0) return false;
  return spawnSync('ip', ['netns', 'list'], { stdio: 'ignore' }).status === 0;
}

function ip(...args: string[]): void {
  const r = spawnSync('ip', args, { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`ip ${args.join(' ')}: ${r.stderr}`);
}

/** A set of pods on one network. {@link close} removes every namespace and process. */
export class PodNetwork {
  readonly dir = mkdtempSync(join(tmpdir(), 'autoglm-pods-'));
  private readonly tag = `ag${process.pid % 100_000}`;
  private readonly hub = `${this.tag}-hub`;
  private readonly running = new Map<string, ChildProcess>();

  constructor(private readonly pods: PodSpec[]) {
    ip('netns', 'add', this.hub);
    ip('-n', this.hub, 'link', 'add', 'br0', 'type', 'bridge');
    ip('-n', this.hub, 'link', 'set', 'br0', 'up');
    // A private /24 inside these namespaces only: the hub has no link to the host.
    const hosts = ['127.0.0.1 localhost', ...pods.map((p, i) => `10.251.77.${10 + i} ${p.name}.${p.service}`)].join('\n');
    pods.forEach((p, i) => {
      const ns = this.ns(p.name);
      const port = `${this.tag}v${i}`;
      ip('netns', 'add', ns);
      ip('link', 'add', port, 'type', 'veth', 'peer', 'name', 'eth0', 'netns', ns);
      ip('link', 'set', port, 'netns', this.hub);
      ip('-n', this.hub, 'link', 'set', port, 'master', 'br0');
      ip('-n', this.hub, 'link', 'set', port, 'up');
      ip('-n', ns, 'addr', 'add', `10.251.77.${10 + i}/24`, 'dev', 'eth0');
      ip('-n', ns, 'link', 'set', 'eth0', 'up');
      ip('-n', ns, 'link', 'set', 'lo', 'up');
      mkdirSync(`/etc/netns/${ns}`, { recursive: true });
      writeFileSync(`/etc/netns/${ns}/hosts`, `${hosts}\n`);
    });
  }

  private ns(pod: string): string {
    return `${this.tag}-${pod}`;
  }

  private spec(pod: string): PodSpec {
    const p = this.pods.find((x) => x.name === pod);
    if (!p) throw new Error(`no pod ${pod}`);
    return p;
  }

  /** Starts (or restarts) a pod's container; its folder, like a volume, outlives the process. */
  start(pod: string): void {
    const p = this.spec(pod);
    const data = join(this.dir, pod);
    mkdirSync(data, { recursive: true });
    const log = openSync(join(this.dir, `${pod}.log`), 'a');
    // Every step execs the next: the child's pid ends up being the container's process.
    const child = spawn('ip', ['netns', 'exec', this.ns(pod), 'unshare', '--uts', 'sh', '-c', `hostname ${pod} && cd "${data}" && exec sh -c "$0"`, p.script.replaceAll('/data', data)], {
      env: { ...process.env, ...p.env },
      stdio: ['ignore', log, log],
    });
    this.running.set(pod, child);
  }

  /** Kills a pod's process with SIGKILL, as a node failure would, and waits for it to be gone. */
  async kill(pod: string): Promise<void> {
    const child = this.running.get(pod);
    this.running.delete(pod);
    if (!child || child.exitCode !== null || child.signalCode !== null) return;
    const gone = new Promise((r) => child.once('exit', r));
    child.kill('SIGKILL');
    await gone;
  }

  /** Empties a pod's folder (an emptyDir lost with its pod). */
  wipe(pod: string): void {
    rmSync(join(this.dir, pod), { recursive: true, force: true });
  }

  /** `redis-cli` run inside `from`'s namespace; undefined when it fails (not reachable, not up). */
  redisCli(from: string, ...args: string[]): string | undefined {
    const r = spawnSync('ip', ['netns', 'exec', this.ns(from), 'timeout', '3', 'redis-cli', ...args], { encoding: 'utf8' });
    return r.status === 0 && !r.stdout.startsWith('Could not connect') ? r.stdout.trim() : undefined;
  }

  /** The last lines each pod wrote, for a failure message. */
  logTails(lines = 15): string {
    return this.pods
      .map((p) => join(this.dir, `${p.name}.log`))
      .filter((f) => existsSync(f))
      .map((f) => `--- ${f}\n${readFileSync(f, 'utf8').trimEnd().split('\n').slice(-lines).join('\n')}`)
      .join('\n');
  }

  async close(): Promise<void> {
    for (const pod of [...this.running.keys()]) await this.kill(pod);
    for (const p of this.pods) {
      spawnSync('ip', ['netns', 'del', this.ns(p.name)]);
      rmSync(`/etc/netns/${this.ns(p.name)}`, { recursive: true, force: true });
    }
    spawnSync('ip', ['netns', 'del', this.hub]);
    rmSync(this.dir, { recursive: true, force: true });
  }
}
