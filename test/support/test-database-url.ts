/**
 * The PostgreSQL server the tests create throwaway databases on: TEST_DATABASE_URL, or the local
 * server with the `oneshot_test` role (LOGIN CREATEDB) that scripts/setup-test-env.sh creates when
 * it is missing. A password is in the URL so the default also works where Debian's pg_hba asks for
 * scram-sha-256 on 127.0.0.1 (trust setups ignore it).
 */
export const PG_ADMIN_URL = process.env.TEST_DATABASE_URL ?? 'postgres://oneshot_test:oneshot_test@127.0.0.1:5432/postgres';
