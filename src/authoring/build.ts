/**
 * `witplug build`: a plugin project (witplug.json) → a component. Each step
 * is reported before it runs; the result names what the plugin imports.
 */
import { mkdir, writeFile } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { WitplugError, ErrorCodes } from '../errors.js';
import { loadContract } from '../contract/load.js';
import { decodeComponent } from '../component/decode.js';
import { describeWasi, readProject, writeProject, type Lang, type WasiChoice } from './project.js';
import { buildWorld, checkWasiChoice } from './wasi-target.js';
import { buildJsComponent } from './builders/js.js';
import { buildWatComponent } from './builders/wat.js';
import { buildCComponent } from './builders/c.js';
import { generateCBindings } from '../bindings/c/index.js';
import { cLibc, writeCBindings } from './c-project.js';

export interface BuildProjectOptions {
  /** Overrides the project's WASI choice, and records it in witplug.json. */
  readonly wasi?: WasiChoice;
  /** Called with each step before it runs (`componentize-js src/plugin.js …`). */
  readonly onStep?: (step: string) => void;
}

export interface BuildProjectResult {
  /** The component, absolute. */
  readonly path: string;
  readonly lang: Lang;
  readonly world: string;
  readonly wasi: WasiChoice;
  /** Every interface and function the component imports. */
  readonly imports: readonly string[];
  readonly size: number;
  readonly ms: number;
}

export async function buildProject(dirArg: string, options: BuildProjectOptions = {}): Promise<BuildProjectResult> {
  const started = performance.now();
  const dir = resolve(dirArg);
  let project = await readProject(dir);
  const step = options.onStep ?? (() => {});
  const witPath = join(dir, project.wit);
  step(`read ${join(dir, project.wit)} (world ${project.world})`);
  const contract = await loadContract(witPath, project.world);
  if (options.wasi !== undefined) {
    checkWasiChoice(options.wasi, contract);
    project = { ...project, wasi: options.wasi };
    await writeProject(dir, project);
  } else {
    checkWasiChoice(project.wasi, contract);
  }
  const target = await buildWorld(witPath, contract, project.wasi);
  let bytes: Uint8Array;
  try {
    step(`target world ${project.world} with WASI: ${describeWasi(project.wasi)}${target.witPath === witPath ? '' : ` (narrowed copy in ${target.witPath})`}`);
    const source = join(dir, project.source);
    switch (project.lang) {
      case 'js':
        step(`componentize-js ${source} (every engine feature that imports WASI off)`);
        bytes = await buildJsComponent({ source, witDir: target.witPath, world: project.world });
        break;
      case 'wat':
        step(`jco parse ${source}, then component embed --world ${project.world} and component new`);
        bytes = await buildWatComponent(source, target.witPath, project.world);
        break;
      case 'c': {
        const libc = cLibc(project.wasi);
        const bindings = generateCBindings(target.witPath === witPath ? contract : await loadContract(target.witPath, project.world));
        const written = await writeCBindings(dirname(source), bindings);
        step(`generate C bindings ${written.header}, ${written.source} (witplug bindgen c)`);
        const clangTarget = libc === 'none' ? '--target=wasm32 -nostdlib (freestanding)' : '--target=wasm32-wasi (wasi-libc)';
        step(`clang ${clangTarget} ${source} ${written.source}, then component embed and component new`);
        bytes = await buildCComponent({
          sourceFiles: [source, written.source], witDir: target.witPath, world: project.world, libc, includeDirs: [dirname(source)],
        });
        break;
      }
      default: {
        const never: never = project.lang;
        throw new WitplugError(ErrorCodes.INTERNAL, `unhandled language ${String(never)}`);
      }
    }
  } finally {
    await target.dispose();
  }
  const path = join(dir, project.output);
  await mkdir(dirname(path), { recursive: true });
  await writeFile(path, bytes);
  const imports = decodeComponent(bytes).shape.imports.map((i) => i.name);
  step(`wrote ${path} (${bytes.length} bytes); imports: ${imports.length === 0 ? 'none' : imports.join(', ')}`);
  return { path, lang: project.lang, world: project.world, wasi: project.wasi, imports, size: bytes.length, ms: Math.round(performance.now() - started) };
}
