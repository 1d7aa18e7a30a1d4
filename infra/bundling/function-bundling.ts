import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { type BundlingOptions, DockerImage, type ILocalBundling } from 'aws-cdk-lib';
import { bundleEntryFile, type FunctionBuildOptions } from './bundle.ts';

/** The script that runs esbuild for one function (see its comment). */
const bundleScript = join(import.meta.dirname, 'bundle.ts');

/**
 * Asset bundling (`Code.fromAsset(projectRoot, { bundling })`) that builds a function with esbuild's JS API and
 * the project's plugins, where NodejsFunction runs esbuild's command line, which takes no plugins. The bundle is
 * `index.mjs` and its source map, as NodejsFunction writes them, and a chunk (with its map) for each module the
 * code loads on first use.
 *
 * Bundling is always local, with the project's esbuild: it succeeds or the synthesis fails with esbuild's errors.
 * The image is the placeholder NodejsFunction also names when esbuild is installed; CDK would only use it if local
 * bundling declined, which it never does.
 *
 * The esbuild options are a property of the object on purpose: CDK keys its cache of bundled assets by this
 * object's JSON (functions are left out of it), so two functions must differ in it.
 */
export class FunctionBundling implements BundlingOptions {
  readonly image = DockerImage.fromRegistry('dummy');
  readonly local: ILocalBundling;
  /** Where esbuild runs: relative aliases and node_modules resolve from here. */
  readonly projectRoot: string;
  readonly esbuild: FunctionBuildOptions;
  /** The bundle's entry file in the asset (the function's handler is `index.<export>`). */
  static readonly outfileName = bundleEntryFile;

  constructor(projectRoot: string, esbuild: FunctionBuildOptions) {
    this.projectRoot = projectRoot;
    this.esbuild = { ...esbuild, absWorkingDir: projectRoot };
    this.local = {
      tryBundle: (outputDir) => {
        const input = JSON.stringify({
          options: this.esbuild,
          outdir: outputDir,
        });
        // esbuild's log lines go where NodejsFunction's esbuild wrote them: stderr.
        const result = spawnSync(process.execPath, ['--import', 'tsx', bundleScript], {
          cwd: projectRoot,
          input,
          stdio: ['pipe', process.stderr.fd, 'inherit'],
        });
        if (result.error) throw result.error;
        if (result.status !== 0) {
          const entry = JSON.stringify(this.esbuild.entryPoints);
          throw new Error(
            `esbuild could not bundle ${entry} (exit status ${result.status}, signal ${result.signal})`,
          );
        }
        return true;
      },
    };
  }
}
