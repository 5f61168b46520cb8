import journal from './meta/_journal.json';
import m0000 from './0000_init.sql';
import m0001 from './0001_jobs_idempotency_webhooks.sql';
import m0002 from './0002_tenant_limits_signup.sql';
import m0003 from './0003_policy_store.sql';
import m0004 from './0004_jobs_by_tenant.sql';
import m0005 from './0005_surge_changes.sql';
import m0006 from './0006_jobs_traceparent.sql';
import m0007 from './0007_signups_adopted_lazily.sql';

  export default {
    journal,
    migrations: {
      m0000,
m0001,
m0002,
m0003,
m0004,
m0005,
m0006,
m0007
    }
  }
  