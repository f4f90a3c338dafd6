// The layering of src/ (docs/architecture.md, "Layers"), checked inside `npm test`
// (tests/architecture/layers.test.ts): a violation fails with the rule's name.
/** @type {import('dependency-cruiser').IConfiguration} */
module.exports = {
  forbidden: [
    {
      name: 'domain-is-pure',
      comment: 'src/domain holds pure rules: it imports nothing outside src/domain (no I/O, no config, no libraries but luxon).',
      severity: 'error',
      from: { path: '^src/domain/' },
      to: { pathNot: ['^src/domain/', '(^|/)node_modules/luxon/', '(^|/)node_modules/@types/luxon/'], dependencyTypesNot: ['type-only'] },
    },
    {
      name: 'db-only-uses-domain',
      comment: 'src/db holds the SQL: it imports only src/domain and other src/db modules (never config, services or routes).',
      severity: 'error',
      from: { path: '^src/db/' },
      to: { path: '^src/', pathNot: ['^src/db/', '^src/domain/'] },
    },
    {
      name: 'routes-do-not-query',
      comment: 'Route files stay thin: they call a service, never src/db directly (types are fine).',
      severity: 'error',
      from: { path: '(-routes|-pages)\\.ts$' },
      to: { path: '^src/db/', dependencyTypesNot: ['type-only'] },
    },
    {
      name: 'no-cycles',
      comment: 'No file imports itself through others (type-only imports count too: tsPreCompilationDeps).',
      severity: 'error',
      from: { path: '^src/' },
      to: { circular: true },
    },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.json' },
    enhancedResolveOptions: { exportsFields: ['exports'], conditionNames: ['import', 'require', 'node', 'default', 'types'] },
  },
};
