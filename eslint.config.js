// Lint rules that keep the runtime boundaries of style.md: workflow code is deterministic (no Node
// built-ins, no activity implementations, only type imports of them), and no promise is left floating.
import tseslint from 'typescript-eslint';

export default tseslint.config(
  { ignores: ['dist/**', 'node_modules/**', '.tools/**', '.agents-plane/**', 'src/dashboard/web/**'] },
  {
    files: ['src/**/*.ts', 'scripts/**/*.ts', 'bench/**/*.ts'],
    languageOptions: { parser: tseslint.parser, parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname } },
    plugins: { '@typescript-eslint': tseslint.plugin },
    rules: {
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/no-misused-promises': ['error', { checksVoidReturn: false }],
    },
  },
  {
    files: ['src/workflows/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            { regex: '^node:', message: 'workflow code runs in a deterministic sandbox: no Node built-ins' },
            { regex: '^(fs|path|crypto|os|child_process|http|https|net|url|util|events|stream)$', message: 'workflow code runs in a deterministic sandbox: no Node built-ins' },
            { regex: '^@google-cloud/|^@googleapis/|^google-auth-library', message: 'workflows never touch a cloud client: call an activity' },
            { regex: '/activities/', message: 'workflows see activities through proxies only: import type', allowTypeImports: true },
            { regex: '/gcp/|/emulator/|/runtime/|/cli/', message: 'not workflow code' },
          ],
        },
      ],
    },
  },
);
