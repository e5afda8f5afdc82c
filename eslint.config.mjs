// ESLint flat config with typescript-eslint; generated code is not linted.
import js from '@eslint/js';
import tseslint from 'typescript-eslint';

export default tseslint.config(
  { ignores: ['out/**', 'node_modules/**', 'server/src/syntax/generated/**', 'client/out/**', '**/*.d.ts'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    files: ['**/*.ts'],
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_' }],
      '@typescript-eslint/no-explicit-any': 'error',
    },
  },
  {
    files: ['**/*.mjs', '**/*.cjs', 'bin/**'],
    languageOptions: { globals: { process: 'readonly', console: 'readonly', require: 'readonly', Buffer: 'readonly', __dirname: 'readonly', setTimeout: 'readonly', clearTimeout: 'readonly', module: 'readonly' } },
    rules: { '@typescript-eslint/no-require-imports': 'off' },
  },
  {
    // the real-editor test also runs code inside the browser page
    files: ['test/e2e/**/*.mjs', 'bench/**/*.mjs'],
    languageOptions: { globals: { document: 'readonly', window: 'readonly', NodeFilter: 'readonly', fetch: 'readonly', performance: 'readonly', URL: 'readonly', setInterval: 'readonly', clearInterval: 'readonly' } },
  },
);
