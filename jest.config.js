/** @type {import('jest').Config} */
module.exports = {
  testEnvironment: 'node',
  roots: ['<rootDir>/test'],
  testMatch: ['**/*.test.ts'],
  transform: {
    '^.+\\.ts$': ['ts-jest', { diagnostics: false }],
    '^.+/node_modules/.+\\.m?js$': '<rootDir>/test/support/esm-to-cjs.js',
  },
  // ESM-only packages are transformed to CommonJS; everything else loads as it is.
  transformIgnorePatterns: ['/node_modules/(?!(@octokit|@secretlint|universal-user-agent|before-after-hook|fast-content-type-parse|json-with-bigint|toad-cache|content-type|marked)/)'],
  globalSetup: '<rootDir>/test/support/global-setup.ts',
  setupFiles: ['<rootDir>/local/polyfills.ts'],
  testTimeout: 60000,
};
