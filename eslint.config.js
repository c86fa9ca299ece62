import js from '@eslint/js';
import globals from 'globals';
import tseslint from 'typescript-eslint';

export default tseslint.config(
  { ignores: ['node_modules/', 'dist/', 'dist.*/', 'coverage/', 'test-results/', 'scratch/'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      'no-restricted-imports': 'off',
    },
  },
  {
    // The knowledge engine must stay free of transport and storage concerns.
    files: ['src/knowledge/**/*.ts'],
    rules: {
      'no-restricted-imports': ['error', { patterns: ['wechaty*', 'fastify*', '@fastify/*', 'ioredis'] }],
    },
  },
  {
    // The console's web UI: plain ES modules that run in the browser.
    files: ['src/console/ui/**/*.js'],
    languageOptions: { globals: globals.browser, sourceType: 'module' },
  },
  {
    // Plain modules Node runs itself (a benchmark's worker thread).
    files: ['**/*.mjs'],
    languageOptions: { globals: globals.node, sourceType: 'module' },
  },
);
