// Lint (run by `npm test`): the layers stay apart, and no promise is dropped or handed to a place
// that does not wait for it. Type-aware (typescript-eslint with the project's tsconfig).
//   src/core     pure TypeScript: never `vscode`, never src/vscode or src/webview
//   src/shared   the webview protocol: never `vscode`, Node, src/vscode or src/webview
//   src/webview  browser code: never `vscode`, Node or src/vscode
//   src/vscode   the only place that imports `vscode`
import { builtinModules } from 'node:module';
import tseslint from 'typescript-eslint';

const node = [...builtinModules, ...builtinModules.map((m) => `node:${m}`)];
const noVscode = { name: 'vscode', message: 'Only src/vscode (and src/extension.ts) may import vscode.' };
/** A relative import of src/vscode or src/webview (any depth). */
const noVscodeLayer = { regex: '^\\.{1,2}/(?:.*/)?vscode(?:/|$)', message: 'This layer never depends on src/vscode.' };
const noWebviewLayer = { regex: '^\\.{1,2}/(?:.*/)?webview(?:/|$)', message: 'Only the webview bundle depends on src/webview.' };
const noNode = node.map((name) => ({ name, message: 'Browser code: no Node modules.' }));

export default tseslint.config(
  { ignores: ['out/**', 'dist/**', 'node_modules/**', 'test/fixtures/**', '**/*.js', '**/*.mjs', '**/*.cjs'] },
  {
    files: ['src/**/*.ts', 'test/**/*.ts', 'bench/**/*.ts'],
    languageOptions: {
      parser: tseslint.parser,
      parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname },
    },
    plugins: { '@typescript-eslint': tseslint.plugin },
    linterOptions: { reportUnusedDisableDirectives: 'error' },
    rules: {
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/no-misused-promises': 'error',
      '@typescript-eslint/no-require-imports': 'error',
    },
  },
  {
    files: ['src/core/**/*.ts'],
    rules: { 'no-restricted-imports': ['error', { paths: [noVscode], patterns: [noVscodeLayer, noWebviewLayer] }] },
  },
  {
    files: ['src/shared/**/*.ts'],
    rules: { 'no-restricted-imports': ['error', { paths: [noVscode, ...noNode], patterns: [noVscodeLayer, noWebviewLayer] }] },
  },
  {
    files: ['src/webview/**/*.ts'],
    rules: { 'no-restricted-imports': ['error', { paths: [noVscode, ...noNode], patterns: [noVscodeLayer] }] },
  },
);
