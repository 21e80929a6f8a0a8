// Secrets are not in wrangler.jsonc, so `wrangler types` cannot see them: declared here.
interface Env {
  /** Bearer token of the admin API (`wrangler secret put ADMIN_TOKEN`; `--var ADMIN_TOKEN:...` locally). */
  ADMIN_TOKEN?: string;
  /**
   * "true" only under local `wrangler dev` (`--var PARCOURS_LOCAL_DEV:true`, scripts/collector-process.mjs): lets
   * the admin API run with a token shorter than 32 characters (`dev-admin-token`). Never set it in production.
   */
  PARCOURS_LOCAL_DEV?: string;
  /**
   * Key material (at least 32 characters) that encrypts webhook signing secrets at rest (`wrangler secret put
   * WEBHOOK_KEY`). Without it webhooks are off (`403 webhooks-disabled`), except under PARCOURS_LOCAL_DEV.
   */
  WEBHOOK_KEY?: string;
  /**
   * Tests only (vitest.config.ts): derivation fails, after their events are stored, for visitors whose id starts with
   * this, so the tests see a request answer 2xx and the schedule derive them. Never set it anywhere else.
   */
  PARCOURS_TEST_DERIVATION_FAILS?: string;
  /**
   * Tests only (vitest.config.ts): how many values a shard samples per median (src/reports/medians.ts, 128 otherwise),
   * few so that the tests' small sites take the medians' second round. Never set it anywhere else.
   */
  PARCOURS_TEST_MEDIAN_SAMPLES?: string;
}
