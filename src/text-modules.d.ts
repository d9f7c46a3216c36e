// Text modules: wrangler.toml's [[rules]] bundles these files as strings.
declare module "*.md" {
  const text: string;
  export default text;
}
