import { spawn, type SpawnOptions } from 'node:child_process';
import { chmodSync, chownSync, existsSync, lstatSync, mkdirSync, mkdtempSync, readlinkSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { DeviceSlot, IsolationLevel } from '../queue/cluster/index.ts';

const REPO_ROOT = fileURLToPath(new URL('..', import.meta.url));
const NODE_MODULES = join(REPO_ROOT, 'node_modules');

/** The unprivileged user sandboxes run as when the worker is root (`nobody` on Debian). */
const NOBODY = 65534;

/** How sandbox processes are started on this node: the level, and the user they run as outside. */
export interface SandboxLaunch {
  level: Exclude<IsolationLevel, 'thread'>;
  /** The uid and gid the process gets (when the worker is root); absent: the worker's own. */
  uid?: number;
  gid?: number;
}

/**
 * One sandbox's folders: `runtime`, the compiled host code it runs (shared by a worker's
 * sandboxes, see {@link buildSandboxRuntime}); `view`, (copies of) its namespace's bundles; both
 * read-only to it; `tmp`, its writable scratch (process level).
 */
export interface SandboxDirs {
  runtime: string;
  view: string;
  tmp: string;
}

/** The launch this node uses by default: as `nobody` when the worker is root. */
export function launchFor(level: SandboxLaunch['level']): SandboxLaunch {
  return process.getuid?.() === 0 ? { level, uid: NOBODY, gid: NOBODY } : { level };
}

/**
 * Node's flags for sandboxed code, at both levels: the permission model allows reading only the
 * compiled runtime, `node_modules`, the sandbox's own bundles and its scratch folder, writing only
 * that scratch folder, and no child processes, worker threads or native addons. The runtime is plain
 * JavaScript (no TypeScript loader: tsx needs a hooks thread and esbuild's child process).
 */
function nodeArgs(dirs: SandboxDirs, tmp: string, data: string, entry: RuntimeEntry): string[] {
  // Its scratch folder too: what it writes there (a training's new files) it reads back.
  const reads = [dirs.runtime, NODE_MODULES, dirs.view, tmp];
  // One flag per path: Node 20 reads a comma-separated list as one path.
  return ['--experimental-permission', ...reads.map((p) => `--allow-fs-read=${p}`), `--allow-fs-write=${tmp}`, '--no-warnings', join(dirs.runtime, `${entry}.js`), data];
}

/** The programs of the compiled runtime: a sandbox serving calls (`entry`), a training (`train`). */
export type RuntimeEntry = 'entry' | 'train';

/**
 * The command that runs a sandbox at `launch`'s level, with `data` (JSON) for its entry and
 * `env`, the only variables it gets besides its scratch folder (the device pinning, see
 * {@link deviceEnv}).
 */
export function sandboxCommand(launch: SandboxLaunch, dirs: SandboxDirs, data: string, env: Record<string, string> = {}, entry: RuntimeEntry = 'entry'): { file: string; args: string[]; options: SpawnOptions } {
  const options: SpawnOptions = {
    // Its own folder: nothing else of the worker's is readable.
    cwd: dirs.view,
    // Nothing of the worker's environment: only the IPC channel (which Node adds), a scratch folder and `env`.
    env: { ...env, TMPDIR: launch.level === 'sandbox' ? '/tmp' : dirs.tmp },
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    serialization: 'advanced',
    ...(launch.uid === undefined ? {} : { uid: launch.uid, gid: launch.gid }),
  };
  if (launch.level === 'process') return { file: process.execPath, args: nodeArgs(dirs, dirs.tmp, data, entry), options };
  return { file: 'bwrap', args: [...bwrapArgs(dirs, env), process.execPath, ...nodeArgs(dirs, '/tmp', data, entry)], options };
}

/**
 * The command that runs `entry` of the compiled runtime as a plain child process of the worker,
 * for what must not run in the worker even at the `thread` level (a training): the same folders,
 * environment and channel as a sandbox, as the worker's user, with no permission model.
 */
export function plainCommand(dirs: SandboxDirs, data: string, env: Record<string, string>, entry: RuntimeEntry): { file: string; args: string[]; options: SpawnOptions } {
  return {
    file: process.execPath,
    args: ['--no-warnings', join(dirs.runtime, `${entry}.js`), data],
    options: { cwd: dirs.view, env: { ...env, TMPDIR: dirs.tmp }, stdio: ['ignore', 'inherit', 'inherit', 'ipc'], serialization: 'advanced' },
  };
}

/**
 * What pins a sandbox to its worker's device, as the supervisor pins the worker: a GPU slot's
 * index in `CUDA_VISIBLE_DEVICES`, empty on CPU slots so function code never takes GPU memory.
 */
export function deviceEnv(slot: Pick<DeviceSlot, 'kind' | 'index'>): Record<string, string> {
  return { CUDA_VISIBLE_DEVICES: slot.kind === 'gpu' ? String(slot.index) : '' };
}

/**
 * bubblewrap's arguments: new user, pid, network, ipc, uts and mount namespaces; inside, uid
 * `nobody`, a root with only the system's libraries, Node, the runtime and the sandbox's bundle
 * folder (all read-only), a private `/tmp`, its own `/proc` and a minimal `/dev`. The IPC channel
 * is the inherited fd 3; its variables, and `env`, are set again after `--clearenv`.
 */
function bwrapArgs(dirs: SandboxDirs, env: Record<string, string>): string[] {
  const a = ['--unshare-all', '--uid', String(NOBODY), '--gid', String(NOBODY), '--die-with-parent', '--new-session', '--clearenv'];
  a.push('--setenv', 'NODE_CHANNEL_FD', '3', '--setenv', 'NODE_CHANNEL_SERIALIZATION_MODE', 'advanced', '--setenv', 'TMPDIR', '/tmp');
  for (const [k, v] of Object.entries(env)) a.push('--setenv', k, v);
  a.push('--ro-bind', '/usr', '/usr');
  for (const top of ['/bin', '/lib', '/lib32', '/lib64', '/sbin']) {
    if (!existsSync(top)) continue;
    if (lstatSync(top).isSymbolicLink()) a.push('--symlink', readlinkSync(top), top);
    else a.push('--ro-bind', top, top);
  }
  // Node installed outside /usr (nvm, /opt): its prefix too.
  const prefix = dirname(dirname(process.execPath));
  if (!prefix.startsWith('/usr')) a.push('--ro-bind', prefix, prefix);
  a.push('--proc', '/proc', '--dev', '/dev', '--tmpfs', '/tmp');
  for (const p of [dirs.runtime, NODE_MODULES, dirs.view]) a.push('--ro-bind', p, p);
  a.push('--chdir', dirs.view, '--remount-ro', '/');
  return a;
}

/**
 * A folder for a worker's sandboxes: traversable, not listable, by their user (`0711`), in the
 * system's temporary folder: never inside the state directory, which they must not see.
 */
export function sandboxRoot(): string {
  const root = mkdtempSync(join(tmpdir(), 'autoglm-sandboxes-'));
  chmodSync(root, 0o711);
  return root;
}

/**
 * Compiles what a sandbox runs (`sandbox-entry.ts`, the host, the SDK; `train-entry.ts` for trainings) to plain JavaScript in
 * `<root>/runtime`, as a package `open-autoglm` whose `./sdk` and `./sdk/tf` are the SDK faces:
 * bundles import the SDK by those names, and share the host's one copy (its error classes are
 * compared with `instanceof`). Packages stay external, read from `node_modules`.
 * @returns the runtime folder
 */
export async function buildSandboxRuntime(root: string): Promise<string> {
  const esbuild = await import('esbuild');
  const out = join(root, 'runtime');
  await esbuild.build({
    entryPoints: {
      entry: join(REPO_ROOT, 'gpu-pool', 'sandbox-entry.ts'),
      train: join(REPO_ROOT, 'gpu-pool', 'train-entry.ts'),
      sdk: join(REPO_ROOT, 'functions', 'sdk', 'index.ts'),
      'sdk-tf': join(REPO_ROOT, 'functions', 'sdk', 'tf', 'index.ts'),
    },
    outdir: out,
    bundle: true,
    splitting: true,
    format: 'esm',
    platform: 'node',
    target: 'node20',
    packages: 'external',
    legalComments: 'none',
    logLevel: 'silent',
  });
  writeFileSync(join(out, 'package.json'), JSON.stringify({ name: 'open-autoglm', type: 'module', exports: { './sdk': './sdk.js', './sdk/tf': './sdk-tf.js' } }));
  symlinkSync(NODE_MODULES, join(out, 'node_modules'), 'dir');
  return out;
}

/**
 * Makes sandbox `name`'s folders under `root`, owned by the user it runs as and private to it.
 * Bundled code imports the SDK and TensorFlow.js by name: the view's `node_modules` points those
 * names at the runtime and the packages.
 */
export function makeSandboxDirs(root: string, runtime: string, name: string, launch: SandboxLaunch): SandboxDirs {
  const dirs = { runtime, view: join(root, name), tmp: join(root, `${name}.tmp`) };
  const nm = join(dirs.view, 'node_modules');
  mkdirSync(dirs.view, { mode: 0o700 });
  mkdirSync(dirs.tmp, { mode: 0o700 });
  mkdirSync(nm);
  symlinkSync(runtime, join(nm, 'open-autoglm'), 'dir');
  symlinkSync(join(NODE_MODULES, '@tensorflow'), join(nm, '@tensorflow'), 'dir');
  if (launch.uid !== undefined) for (const d of [dirs.view, dirs.tmp, nm]) chownSync(d, launch.uid, launch.gid ?? launch.uid);
  return dirs;
}

/**
 * Whether a sandbox at `launch`'s level can run here: runs its command (the same namespaces,
 * binds, user and permissions) with a trivial program that reads the runtime, once, at pool start.
 * @returns undefined when it can, else why not
 */
export async function probeLaunch(launch: SandboxLaunch): Promise<string | undefined> {
  const root = sandboxRoot();
  try {
    const runtime = join(root, 'runtime');
    mkdirSync(runtime);
    const { file, args, options } = sandboxCommand(launch, makeSandboxDirs(root, runtime, 'probe', launch), '{}');
    const check = [...args.slice(0, args.indexOf('--no-warnings')), '-e', `require('node:fs').readFileSync(${JSON.stringify(join(NODE_MODULES, '@tensorflow', 'tfjs', 'package.json'))})`];
    // With the IPC channel as a sandbox has it (bubblewrap passes its fd on).
    const child = spawn(file, check, { ...options, stdio: ['ignore', 'ignore', 'pipe', 'ipc'] });
    let stderr = '';
    child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
    const timer = setTimeout(() => child.kill('SIGKILL'), 20_000);
    const end = await new Promise<{ code: number | null; signal: string | null } | Error>((resolve) => {
      child.on('error', resolve);
      child.on('exit', (code, signal) => resolve({ code, signal }));
    }).finally(() => clearTimeout(timer));
    if (end instanceof Error) return end.message;
    if (end.code !== 0) return `exit ${end.code ?? end.signal}: ${stderr.trim().split('\n').slice(-3).join(' ')}`;
    return undefined;
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
}

/**
 * The level function code runs at: `thread` as asked; `sandbox` or `process` if it runs here;
 * `auto`, the strongest that runs, and `thread` when neither does (the caller warns, naming why).
 * @throws Error when an explicitly asked level cannot run here, naming why
 */
export async function resolveIsolation(
  choice: IsolationLevel | 'auto',
  probe: (l: SandboxLaunch) => Promise<string | undefined> = probeLaunch,
): Promise<{ level: IsolationLevel; passedOver: { level: IsolationLevel; reason: string }[] }> {
  if (choice === 'thread') return { level: 'thread', passedOver: [] };
  const passedOver: { level: IsolationLevel; reason: string }[] = [];
  for (const level of choice === 'auto' ? (['sandbox', 'process'] as const) : [choice]) {
    const why = await probe(launchFor(level));
    if (why === undefined) return { level, passedOver };
    passedOver.push({ level, reason: why });
  }
  // `auto` still starts where no sandbox runs (no bubblewrap and a checkout that uid 65534 cannot
  // read, e.g. under a private home): at the level today's installs had, loudly, rather than not at all.
  if (choice === 'auto') return { level: 'thread', passedOver };
  throw new Error(`isolation ${choice} cannot run on this node: ${passedOver.map((p) => `${p.level}: ${p.reason}`).join('; ')}`);
}
