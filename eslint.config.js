// @ts-check
import js from '@eslint/js';
import tseslint from 'typescript-eslint';
import globals from 'globals';

/** The core must stay pure: no clock, no unseeded randomness, no IO, nothing outside src/shared. */
const pureCoreRules = {
  'no-restricted-globals': [
    'error',
    { name: 'Date', message: 'src/shared reads no clock: time is the tick passed to step().' },
    { name: 'performance', message: 'src/shared reads no clock: time is the tick passed to step().' },
    { name: 'setTimeout', message: 'src/shared has no timers: the driver calls step() every tick.' },
    { name: 'setInterval', message: 'src/shared has no timers: the driver calls step() every tick.' },
    { name: 'process', message: 'src/shared runs in the renderer too: no Node globals.' },
    { name: 'crypto', message: 'src/shared draws randomness only from a seeded RandomStream.' },
  ],
  'no-restricted-properties': [
    'error',
    { object: 'Math', property: 'random', message: 'Use a seeded RandomStream (src/shared/random).' },
  ],
  'no-restricted-imports': [
    'error',
    {
      patterns: [
        { group: ['node:*'], message: 'src/shared imports no Node API.' },
        { group: ['electron', 'ws', 'fs', 'path', 'os', 'child_process', 'net', 'http'], message: 'src/shared does no IO.' },
        {
          group: ['**/main/**', '**/peer/**', '**/cli/**', '**/renderer/**', '**/preload/**'],
          message: 'Nothing in src/shared imports from outside src/shared.',
        },
      ],
    },
  ],
};

export default tseslint.config(
  { ignores: ['out/**', 'dist/**', 'node_modules/**', 'scratch/**', 'coverage/**', '.ci/cache/**'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    languageOptions: { globals: { ...globals.node } },
    rules: {
      '@typescript-eslint/consistent-type-imports': 'error',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_' }],
    },
  },
  { files: ['src/shared/**/*.ts'], languageOptions: { globals: {} }, rules: pureCoreRules },
  { files: ['src/renderer/**/*.ts'], languageOptions: { globals: { ...globals.browser } } },
  { files: ['bin/**/*.js'], languageOptions: { globals: { ...globals.node } } },
);
