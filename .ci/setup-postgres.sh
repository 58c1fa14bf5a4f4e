# shellcheck shell=bash
# Sourced by .ci/run before `make test`: makes a local PostgreSQL available to the storage tests and exports
# WFB_TEST_DATABASE_URL. Installs Debian's postgresql package when it is missing, starts the cluster on
# 127.0.0.1 (we run as root, so server commands run as the postgres user), and creates a test role and database.
# Idempotent: running it twice reuses the running cluster, the role and the database.
# Without it the PostgreSQL variants of the storage tests are skipped (and say so).

wfb_setup_postgres() {
    local user="wfb_test" password="wfb_test" database="wfb_test" port="${WFB_TEST_PG_PORT:-5432}"

    if ! command -v pg_ctlcluster >/dev/null 2>&1; then
        echo "setup-postgres: installing PostgreSQL from Debian packages"
        apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql >/dev/null || return 1
    fi

    # The newest installed major version, and its cluster (Debian creates `main` on install; recreate if absent).
    local version
    version="$(ls /usr/lib/postgresql | sort -n | tail -1)"
    if ! pg_lsclusters -h | awk '{print $1, $2}' | grep -qx "$version main"; then
        pg_createcluster "$version" main --port "$port" >/dev/null || return 1
    fi
    if ! pg_lsclusters -h | awk -v v="$version" '$1 == v && $2 == "main" {print $4}' | grep -q online; then
        pg_ctlcluster "$version" main start -o "-c listen_addresses=127.0.0.1 -c port=$port" || return 1
    fi
    port="$(pg_lsclusters -h | awk -v v="$version" '$1 == v && $2 == "main" {print $3}')"

    local psql=(runuser -u postgres -- psql -v ON_ERROR_STOP=1 -q -p "$port" -d postgres)
    if [[ "$("${psql[@]}" -tAc "SELECT 1 FROM pg_roles WHERE rolname = '$user'")" != "1" ]]; then
        # CREATEDB so tests can create a fresh database each when they need one.
        "${psql[@]}" -c "CREATE ROLE $user LOGIN CREATEDB PASSWORD '$password'" || return 1
    fi
    if [[ "$("${psql[@]}" -tAc "SELECT 1 FROM pg_database WHERE datname = '$database'")" != "1" ]]; then
        "${psql[@]}" -c "CREATE DATABASE $database OWNER $user" || return 1
    fi

    export WFB_TEST_DATABASE_URL="postgresql+psycopg://$user:$password@127.0.0.1:$port/$database"
    echo "setup-postgres: PostgreSQL $version on 127.0.0.1:$port, WFB_TEST_DATABASE_URL exported"
}

wfb_setup_postgres || echo "setup-postgres: PostgreSQL unavailable; the PostgreSQL storage tests will be skipped" >&2
unset -f wfb_setup_postgres
