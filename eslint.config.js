// Lint: typescript-eslint for all TypeScript, eslint-plugin-vue for the renderer; formatting is
// prettier's job (`prettier --check` in `npm run lint`), so no stylistic rules here. The house's
// boundaries (rooms and their order, the renderer, electron, the agent) are rooms/layering.
import js from '@eslint/js';
import globals from 'globals';
import pluginVue from 'eslint-plugin-vue';
import tseslint from 'typescript-eslint';
import { rooms } from './scripts/eslint-rooms.mjs';

export default tseslint.config(
  {
    ignores: ['out/**', 'dist/**', 'release/**', '.cache/**', 'node_modules/**', 'test-results/**'],
  },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  ...pluginVue.configs['flat/essential'],
  {
    files: ['**/*.vue'],
    languageOptions: { parserOptions: { parser: tseslint.parser } },
  },
  {
    languageOptions: { globals: { ...globals.node } },
    rules: {
      '@typescript-eslint/no-unused-vars': [
        'error',
        { argsIgnorePattern: '^_', varsIgnorePattern: '^_' },
      ],
      '@typescript-eslint/no-explicit-any': 'error',
      // Stripping control characters from untrusted text (errors, meter replies) is deliberate.
      'no-control-regex': 'off',
    },
  },
  {
    files: ['src-renderer/**'],
    languageOptions: { globals: { ...globals.browser } },
  },
  {
    files: ['**/*.ts', '**/*.vue', '**/*.mjs', '**/*.js'],
    plugins: { rooms },
    rules: { 'rooms/layering': 'error' },
  },
  // Units a reader can hold in mind: no file over 500 lines, no function over 120. Blank lines and
  // comments do not count, so a comment that says why never pushes code apart.
  {
    files: ['src-main/**', 'remote-agent/src/**', 'src-renderer/**'],
    rules: {
      'max-lines': ['error', { max: 500, skipBlankLines: true, skipComments: true }],
      'max-lines-per-function': ['error', { max: 120, skipBlankLines: true, skipComments: true }],
    },
  },
);
