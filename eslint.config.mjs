import js from '@eslint/js';
import tseslint from 'typescript-eslint';
import prettier from 'eslint-config-prettier';
import globals from 'globals';

export default tseslint.config(
  { ignores: ['node_modules/', 'tools/', 'data/', 'coverage/', 'bench/results/'] },
  js.configs.recommended,
  ...tseslint.configs.recommendedTypeChecked,
  {
    languageOptions: {
      parserOptions: {
        projectService: { allowDefaultProject: ['*.mjs', 'scripts/*.mjs'] },
        tsconfigRootDir: import.meta.dirname,
      },
    },
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      '@typescript-eslint/consistent-type-imports': 'error',
      '@typescript-eslint/no-floating-promises': 'error',
    },
  },
  {
    // Workflow code (workflows/ and every domain's workflow/ folder) is bundled into Temporal's
    // deterministic sandbox: no I/O, no heavy libraries.
    files: ['workflows/**/*.ts', '*/workflow/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            {
              group: [
                'zod',
                'zod/*',
                'express',
                'pino',
                'stripe',
                'node:*',
                '@temporalio/client',
                '@temporalio/activity',
                '@temporalio/worker',
              ],
              message: 'Workflow code must stay deterministic and light.',
            },
            {
              group: ['**/activities', '**/activities/*', '**/keap/*', '**/api/*', '**/*-schema', '**/client'],
              allowTypeImports: true,
              message: 'Only type imports from I/O modules in workflow code.',
            },
          ],
        },
      ],
    },
  },
  {
    // Tests assert on JSON read off the wire (our API, the Keap sandbox); typing every response shape
    // there would only restate the assertions.
    files: ['test/**/*.ts', 'keap-sandbox/test/**/*.ts'],
    rules: {
      '@typescript-eslint/no-explicit-any': 'off',
      '@typescript-eslint/no-unsafe-assignment': 'off',
      '@typescript-eslint/no-unsafe-member-access': 'off',
      '@typescript-eslint/no-unsafe-argument': 'off',
      '@typescript-eslint/no-unsafe-return': 'off',
      '@typescript-eslint/no-unsafe-call': 'off',
    },
  },
  { files: ['**/*.mjs'], ...tseslint.configs.disableTypeChecked, languageOptions: { globals: globals.node } },
  prettier,
);
