// Secrets are not in wrangler.jsonc, so `wrangler types` cannot see them: declared here.
interface Env {
  /** Bearer token of the admin API (`wrangler secret put ADMIN_TOKEN`; `--var ADMIN_TOKEN:...` locally). */
  ADMIN_TOKEN?: string;
}
