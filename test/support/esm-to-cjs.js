// Jest transform for ESM-only dependencies (@octokit/*, @secretlint/*):
// jest runs CommonJS, so their `import`/`export` are rewritten to `require`
// with esbuild (already a dependency for CDK bundling). Node itself loads
// them natively (require(esm)), so this is needed by jest alone.
const esbuild = require('esbuild');

module.exports = {
  process(sourceText, sourcePath) {
    const { code, map } = esbuild.transformSync(sourceText, {
      loader: 'js',
      format: 'cjs',
      target: 'node20',
      sourcemap: 'external',
      sourcefile: sourcePath,
    });
    return { code, map };
  },
};
