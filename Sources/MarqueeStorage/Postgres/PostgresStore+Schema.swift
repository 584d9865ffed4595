import Logging
import MarqueeCore
import PostgresNIO

/// One frozen step of the PostgreSQL schema: its name and its statements, applied in one transaction.
struct PostgresMigration: Sendable {
    var name: String
    var statements: [String]
}

extension PostgresStore {
    /// The schema. Migrations are frozen once they land: change the schema only by adding a new one.
    ///
    /// The tables are the SQLite store's (SQLiteStore+Schema.swift, as of its v14), with these differences:
    /// - Times stay integers (milliseconds since the epoch), so the analytics SQL is the same in both dialects.
    /// - Text columns collate bytewise (`COLLATE "C"`), as SQLite compares: lists ordered by id come in the same
    ///   order on both stores whatever the database's locale.
    /// - Every per-viewer table has `profile_id` (or `profile_key`, the requested viewer) in its primary key,
    ///   so that Citus can distribute it by that column and keep a viewer's rows on one node.
    /// - The event log is partitioned by month of `occurred_at` (declarative range partitioning; partitions
    ///   are created when an event first needs one, `ensurePartitions`). A partitioned table's unique keys
    ///   must contain the partition key, so the event id cannot be unique in it: `event_ids` (unpartitioned)
    ///   holds every id ever appended and is what makes a retried batch a no-op, also after a month's
    ///   partition has been detached and archived. `contextual_event_ids` does the same for the contextual log.
    /// - `seq` comes from a sequence: unique and increasing, but transactions may commit out of sequence
    ///   order and a rolled-back one leaves a gap; the runtime's `CommitOrderedCursor` handles both.
    /// - Both logs' rows carry `txid`, the id of the transaction that wrote them: the analytics refresh folds
    ///   the rows of transactions that have ended (below the snapshot's xmin), which no late commit can precede.
    /// - Change versions are bumped by statement-level triggers (one bump per statement, not per row).
    static let migrations: [PostgresMigration] = [
        PostgresMigration(
            name: "v1-foundation",
            statements: [
                """
                CREATE TABLE meta (
                    key TEXT COLLATE "C" PRIMARY KEY,
                    value TEXT COLLATE "C" NOT NULL
                )
                """,
                """
                CREATE TABLE profiles (
                    id TEXT COLLATE "C" PRIMARY KEY CHECK (length(id) BETWEEN 1 AND 128),
                    plan TEXT COLLATE "C" NOT NULL CHECK (plan IN ('adFree', 'standardWithAds', 'basicWithAds')),
                    region TEXT COLLATE "C" NOT NULL CHECK (length(region) BETWEEN 1 AND 32),
                    language TEXT COLLATE "C" NOT NULL CHECK (length(language) BETWEEN 1 AND 16),
                    maturity_limit TEXT COLLATE "C" NOT NULL CHECK (maturity_limit IN ('ALL', '7+', '13+', '16+', '18+')),
                    created_at BIGINT NOT NULL
                )
                """,
                "CREATE INDEX profiles_by_plan ON profiles (plan, id)",
                """
                CREATE TABLE titles (
                    id TEXT COLLATE "C" PRIMARY KEY CHECK (length(id) BETWEEN 1 AND 128),
                    kind TEXT COLLATE "C" NOT NULL CHECK (kind IN ('movie', 'series', 'episode')),
                    name TEXT COLLATE "C" NOT NULL CHECK (length(name) BETWEEN 1 AND 300),
                    maturity_rating TEXT COLLATE "C" NOT NULL CHECK (maturity_rating IN ('ALL', '7+', '13+', '16+', '18+')),
                    release_year INTEGER CHECK (release_year BETWEEN 1870 AND 2100),
                    runtime_seconds INTEGER CHECK (runtime_seconds > 0),
                    date_added BIGINT NOT NULL,
                    series_id TEXT COLLATE "C",
                    doc JSONB NOT NULL
                )
                """,
                """
                CREATE TABLE artwork_images (
                    title_id TEXT COLLATE "C" NOT NULL REFERENCES titles (id) ON DELETE CASCADE,
                    variant_id TEXT COLLATE "C" NOT NULL,
                    content_type TEXT COLLATE "C" NOT NULL,
                    body BYTEA NOT NULL,
                    PRIMARY KEY (title_id, variant_id)
                )
                """,
                """
                CREATE TABLE advertisers (
                    id TEXT COLLATE "C" PRIMARY KEY,
                    name TEXT COLLATE "C" NOT NULL,
                    category TEXT COLLATE "C" NOT NULL
                )
                """,
                """
                CREATE TABLE campaigns (
                    id TEXT COLLATE "C" PRIMARY KEY,
                    advertiser_id TEXT COLLATE "C" NOT NULL REFERENCES advertisers (id),
                    name TEXT COLLATE "C" NOT NULL,
                    status TEXT COLLATE "C" NOT NULL CHECK (status IN ('active', 'paused', 'archived')),
                    starts_at BIGINT NOT NULL,
                    ends_at BIGINT NOT NULL CHECK (ends_at > starts_at),
                    total_budget_cents BIGINT NOT NULL CHECK (total_budget_cents > 0),
                    daily_budget_cents BIGINT CHECK (daily_budget_cents > 0),
                    cpm_bid_cents BIGINT NOT NULL CHECK (cpm_bid_cents >= 0),
                    priority TEXT COLLATE "C" NOT NULL CHECK (priority IN ('sponsorship', 'standard', 'house')),
                    pacing TEXT COLLATE "C" NOT NULL CHECK (pacing IN ('even', 'asFastAsPossible')),
                    targeting JSONB NOT NULL,
                    cap_per_day INTEGER CHECK (cap_per_day > 0),
                    cap_per_week INTEGER CHECK (cap_per_week > 0),
                    cap_per_session INTEGER CHECK (cap_per_session > 0),
                    competitive_category TEXT COLLATE "C"
                        CHECK (competitive_category IS NULL OR length(competitive_category) BETWEEN 1 AND 64)
                )
                """,
                "CREATE INDEX campaigns_by_advertiser ON campaigns (advertiser_id, id)",
                "CREATE INDEX campaigns_by_status ON campaigns (status, id)",
                """
                CREATE TABLE creatives (
                    id TEXT COLLATE "C" PRIMARY KEY,
                    campaign_id TEXT COLLATE "C" NOT NULL REFERENCES campaigns (id),
                    name TEXT COLLATE "C" NOT NULL,
                    duration_seconds INTEGER NOT NULL CHECK (duration_seconds IN (6, 15, 30, 60)),
                    media_url TEXT COLLATE "C" NOT NULL,
                    click_url TEXT COLLATE "C" NOT NULL,
                    category TEXT COLLATE "C" NOT NULL,
                    status TEXT COLLATE "C" NOT NULL CHECK (status IN ('active', 'paused', 'archived'))
                )
                """,
                "CREATE INDEX creatives_by_campaign ON creatives (campaign_id, id)",
                """
                CREATE TABLE event_types (
                    name TEXT COLLATE "C" PRIMARY KEY,
                    is_ad BOOLEAN NOT NULL
                )
                """,
                """
                INSERT INTO event_types (name, is_ad) VALUES
                    ('play', false), ('progress', false), ('complete', false), ('abandon', false), ('rate', false),
                    ('like', false), ('dislike', false), ('addToList', false), ('impression', false), ('click', false),
                    ('adImpression', true), ('adQuartile', true), ('adComplete', true), ('adClick', true), ('adSkip', true),
                    ('adError', true)
                """,
                #"CREATE TABLE devices (name TEXT COLLATE "C" PRIMARY KEY)"#,
                "INSERT INTO devices (name) VALUES ('tv'), ('mobile'), ('web'), ('tablet')",

                // The event log. seq: the order of arrival, from a sequence (see above). The ad types are
                // exactly the types matching '^ad[A-Z]' (addToList is not one).
                "CREATE SEQUENCE events_seq AS BIGINT",
                """
                CREATE TABLE event_ids (
                    id TEXT COLLATE "C" PRIMARY KEY CHECK (length(id) BETWEEN 1 AND 128)
                )
                """,
                """
                CREATE TABLE events (
                    seq BIGINT NOT NULL DEFAULT nextval('events_seq'),
                    id TEXT COLLATE "C" NOT NULL CHECK (length(id) BETWEEN 1 AND 128),
                    profile_id TEXT COLLATE "C" NOT NULL REFERENCES profiles (id),
                    type TEXT COLLATE "C" NOT NULL REFERENCES event_types (name),
                    occurred_at BIGINT NOT NULL,
                    received_at BIGINT NOT NULL,
                    title_id TEXT COLLATE "C" REFERENCES titles (id),
                    decision_id TEXT COLLATE "C",
                    device TEXT COLLATE "C" REFERENCES devices (name),
                    region TEXT COLLATE "C",
                    session_id TEXT COLLATE "C",
                    local_offset_minutes INTEGER CHECK (local_offset_minutes BETWEEN -840 AND 840),
                    position_seconds DOUBLE PRECISION CHECK (position_seconds >= 0),
                    duration_seconds DOUBLE PRECISION CHECK (duration_seconds > 0),
                    rating INTEGER CHECK (rating BETWEEN 1 AND 5),
                    row_name TEXT COLLATE "C",
                    rank INTEGER CHECK (rank >= 0),
                    creative_id TEXT COLLATE "C" REFERENCES creatives (id),
                    campaign_id TEXT COLLATE "C",
                    quartile INTEGER CHECK (quartile BETWEEN 1 AND 3),
                    error_code INTEGER
                        CHECK (error_code IS NULL OR (type = 'adError' AND error_code BETWEEN 100 AND 999)),
                    txid BIGINT NOT NULL DEFAULT (pg_current_xact_id()::text::bigint),
                    CHECK (type ~ '^ad[A-Z]' OR title_id IS NOT NULL),
                    CHECK (NOT type ~ '^ad[A-Z]' OR creative_id IS NOT NULL),
                    CHECK (type <> 'rate' OR rating IS NOT NULL),
                    CHECK (type <> 'progress' OR (position_seconds IS NOT NULL AND duration_seconds IS NOT NULL)),
                    PRIMARY KEY (profile_id, occurred_at, seq)
                ) PARTITION BY RANGE (occurred_at)
                """,
                // The tail reads by seq; the ad state only ad events and abandons; joins go by decision.
                "CREATE INDEX events_by_seq ON events (seq)",
                // The analytics refresh folds rows by the transaction that wrote them (see refreshAnalyticsFacts).
                "CREATE INDEX events_by_txid ON events (txid)",
                "CREATE INDEX events_for_ads ON events (seq) WHERE type ~ '^ad[A-Z]' OR type = 'abandon'",
                "CREATE INDEX events_by_decision ON events (decision_id) WHERE decision_id IS NOT NULL",
                """
                CREATE FUNCTION marquee_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
                BEGIN
                    RAISE EXCEPTION 'the event log is append-only';
                END
                $$
                """,
                """
                CREATE TRIGGER events_are_append_only BEFORE UPDATE OR DELETE ON events
                    FOR EACH ROW EXECUTE FUNCTION marquee_append_only()
                """,
                """
                CREATE TABLE api_keys (
                    id TEXT COLLATE "C" PRIMARY KEY,
                    name TEXT COLLATE "C" NOT NULL,
                    scope TEXT COLLATE "C" NOT NULL CHECK (scope IN ('admin', 'ingest', 'read')),
                    key_hash TEXT COLLATE "C" NOT NULL UNIQUE CHECK (length(key_hash) = 64),
                    created_at BIGINT NOT NULL,
                    expires_at BIGINT,
                    revoked_at BIGINT,
                    last_four TEXT COLLATE "C" CHECK (last_four IS NULL OR length(last_four) <= 4)
                )
                """,

                // Home pages: editorial rules and the decision log (items in the compact format 2 encoding).
                """
                CREATE TABLE editorial_rules (
                    id TEXT COLLATE "C" PRIMARY KEY CHECK (length(id) BETWEEN 1 AND 128),
                    kind TEXT COLLATE "C" NOT NULL CHECK (kind IN ('pin', 'boost', 'block', 'collection')),
                    created_at BIGINT NOT NULL,
                    doc JSONB NOT NULL
                )
                """,
                """
                CREATE TABLE home_decisions (
                    profile_id TEXT COLLATE "C" NOT NULL,
                    decision_id TEXT COLLATE "C" NOT NULL,
                    served_at BIGINT NOT NULL,
                    device TEXT COLLATE "C",
                    daypart TEXT COLLATE "C" NOT NULL,
                    items BYTEA NOT NULL,
                    PRIMARY KEY (profile_id, decision_id)
                )
                """,
                "CREATE INDEX home_decisions_by_id ON home_decisions (decision_id)",
                "CREATE INDEX home_decisions_by_time ON home_decisions (served_at)",
                // The (decision, title) pairs a click or play has joined: the first join of a pair credits the
                // artwork shown with a reward, exactly once however many processes append at once.
                """
                CREATE TABLE artwork_rewards (
                    profile_id TEXT COLLATE "C" NOT NULL,
                    decision_id TEXT COLLATE "C" NOT NULL,
                    title_id TEXT COLLATE "C" NOT NULL,
                    PRIMARY KEY (profile_id, decision_id, title_id)
                )
                """,
                """
                CREATE TABLE artwork_stats (
                    title_id TEXT COLLATE "C" NOT NULL,
                    variant TEXT COLLATE "C" NOT NULL,
                    segment TEXT COLLATE "C" NOT NULL,
                    impressions BIGINT NOT NULL DEFAULT 0 CHECK (impressions >= 0),
                    rewards BIGINT NOT NULL DEFAULT 0 CHECK (rewards >= 0),
                    PRIMARY KEY (title_id, variant, segment)
                )
                """,

                // Ad decisions (profile_key: the requested viewer, which may be unknown to the store).
                """
                CREATE TABLE ad_decisions (
                    profile_key TEXT COLLATE "C" NOT NULL,
                    id TEXT COLLATE "C" NOT NULL,
                    title_id TEXT COLLATE "C" NOT NULL,
                    served_at BIGINT NOT NULL,
                    ad_count INTEGER NOT NULL CHECK (ad_count >= 0),
                    doc TEXT COLLATE "C" NOT NULL,
                    outcomes TEXT COLLATE "C",
                    PRIMARY KEY (profile_key, id)
                )
                """,
                "CREATE INDEX ad_decisions_by_id ON ad_decisions (id)",
                "CREATE INDEX ad_decisions_by_time ON ad_decisions (served_at, id)",

                // The beacons' ad events of viewers without a profile (contextual pods).
                "CREATE SEQUENCE contextual_ad_events_seq AS BIGINT",
                """
                CREATE TABLE contextual_event_ids (
                    id TEXT COLLATE "C" PRIMARY KEY CHECK (length(id) BETWEEN 1 AND 128)
                )
                """,
                """
                CREATE TABLE contextual_ad_events (
                    seq BIGINT NOT NULL DEFAULT nextval('contextual_ad_events_seq'),
                    id TEXT COLLATE "C" NOT NULL CHECK (length(id) BETWEEN 1 AND 128),
                    profile_key TEXT COLLATE "C" NOT NULL CHECK (length(profile_key) BETWEEN 1 AND 128),
                    type TEXT COLLATE "C" NOT NULL REFERENCES event_types (name) CHECK (type ~ '^ad[A-Z]'),
                    occurred_at BIGINT NOT NULL,
                    received_at BIGINT NOT NULL,
                    decision_id TEXT COLLATE "C",
                    device TEXT COLLATE "C" REFERENCES devices (name),
                    region TEXT COLLATE "C",
                    session_id TEXT COLLATE "C",
                    rank INTEGER CHECK (rank >= 0),
                    creative_id TEXT COLLATE "C" NOT NULL REFERENCES creatives (id),
                    campaign_id TEXT COLLATE "C",
                    quartile INTEGER CHECK (quartile BETWEEN 1 AND 3),
                    error_code INTEGER
                        CHECK (error_code IS NULL OR (type = 'adError' AND error_code BETWEEN 100 AND 999)),
                    txid BIGINT NOT NULL DEFAULT (pg_current_xact_id()::text::bigint),
                    PRIMARY KEY (profile_key, seq)
                )
                """,
                "CREATE INDEX contextual_ad_events_by_seq ON contextual_ad_events (seq)",
                "CREATE INDEX contextual_ad_events_by_txid ON contextual_ad_events (txid)",
                "CREATE INDEX contextual_ad_events_by_decision ON contextual_ad_events (decision_id) WHERE decision_id IS NOT NULL",
                """
                CREATE TRIGGER contextual_ad_events_are_append_only BEFORE UPDATE OR DELETE ON contextual_ad_events
                    FOR EACH ROW EXECUTE FUNCTION marquee_append_only()
                """,

                // Shared serving state: secrets and a version per kind of cached state.
                """
                CREATE TABLE shared_secrets (
                    name TEXT COLLATE "C" PRIMARY KEY,
                    value BYTEA NOT NULL CHECK (octet_length(value) >= 32)
                )
                """,
                """
                CREATE TABLE change_versions (
                    name TEXT COLLATE "C" PRIMARY KEY,
                    version BIGINT NOT NULL DEFAULT 0
                )
                """,
                """
                INSERT INTO change_versions (name) VALUES ('ad_book'), ('editorial'), ('catalog'), ('profiles'), ('experiments')
                """,
                """
                CREATE FUNCTION marquee_bump_change_version() RETURNS trigger LANGUAGE plpgsql AS $$
                BEGIN
                    UPDATE change_versions SET version = version + 1 WHERE name = TG_ARGV[0];
                    RETURN NULL;
                END
                $$
                """,

                // The delivery ledger (amounts in millicents, days since 1970-01-01 UTC).
                """
                CREATE TABLE ledger_accounts (
                    campaign_id TEXT COLLATE "C" PRIMARY KEY REFERENCES campaigns (id),
                    spent_millicents BIGINT NOT NULL CHECK (spent_millicents >= 0),
                    reserved_millicents BIGINT NOT NULL CHECK (reserved_millicents >= 0),
                    impressions BIGINT NOT NULL CHECK (impressions >= 0)
                )
                """,
                """
                CREATE TABLE ledger_account_days (
                    campaign_id TEXT COLLATE "C" NOT NULL REFERENCES ledger_accounts (campaign_id),
                    day BIGINT NOT NULL,
                    spent_millicents BIGINT NOT NULL CHECK (spent_millicents >= 0),
                    reserved_millicents BIGINT NOT NULL CHECK (reserved_millicents >= 0),
                    impressions BIGINT NOT NULL CHECK (impressions >= 0),
                    PRIMARY KEY (campaign_id, day)
                )
                """,
                """
                CREATE TABLE ledger_exposures (
                    profile_key TEXT COLLATE "C" NOT NULL,
                    campaign_id TEXT COLLATE "C" NOT NULL,
                    day BIGINT NOT NULL,
                    exposures BIGINT NOT NULL CHECK (exposures > 0),
                    PRIMARY KEY (profile_key, campaign_id, day)
                )
                """,
                """
                CREATE TABLE ledger_sessions (
                    session_id TEXT COLLATE "C" NOT NULL,
                    campaign_id TEXT COLLATE "C" NOT NULL,
                    ads BIGINT NOT NULL CHECK (ads > 0),
                    last_served_at BIGINT NOT NULL,
                    PRIMARY KEY (session_id, campaign_id)
                )
                """,
                """
                CREATE TABLE ledger_reservations (
                    decision_id TEXT COLLATE "C" NOT NULL,
                    slot INTEGER NOT NULL CHECK (slot >= 0),
                    campaign_id TEXT COLLATE "C" NOT NULL REFERENCES ledger_accounts (campaign_id),
                    day BIGINT NOT NULL,
                    served_at BIGINT NOT NULL,
                    price_millicents BIGINT NOT NULL CHECK (price_millicents >= 0),
                    state TEXT COLLATE "C" NOT NULL CHECK (state IN ('reserved', 'confirmed', 'released')),
                    PRIMARY KEY (decision_id, slot)
                )
                """,
                "CREATE INDEX ledger_reservations_unconfirmed ON ledger_reservations (served_at) WHERE state = 'reserved'",

                // Consumers' checkpoints.
                """
                CREATE TABLE state_checkpoints (
                    name TEXT COLLATE "C" PRIMARY KEY,
                    format INTEGER NOT NULL,
                    progress BIGINT NOT NULL,
                    state BYTEA NOT NULL,
                    written_at_ms BIGINT NOT NULL
                )
                """,

                // Experiments.
                """
                CREATE TABLE experiments (
                    key TEXT COLLATE "C" PRIMARY KEY,
                    version BIGINT NOT NULL,
                    status TEXT COLLATE "C" NOT NULL,
                    body TEXT COLLATE "C" NOT NULL,
                    updated_at_ms BIGINT NOT NULL
                )
                """,
                """
                CREATE TABLE experiment_exposures (
                    experiment_key TEXT COLLATE "C" NOT NULL,
                    profile_id TEXT COLLATE "C" NOT NULL,
                    variant INTEGER NOT NULL,
                    first_at_ms BIGINT NOT NULL,
                    PRIMARY KEY (profile_id, experiment_key)
                )
                """,
                "CREATE INDEX experiment_exposures_by_experiment ON experiment_exposures (experiment_key)",
                """
                CREATE TABLE experiment_settings (
                    name TEXT COLLATE "C" PRIMARY KEY,
                    value DOUBLE PRECISION NOT NULL
                )
                """,

                // The analytics layer's ad facts (source 0: the event log, 1: the contextual ad events).
                """
                CREATE TABLE ad_facts (
                    source INTEGER NOT NULL,
                    seq BIGINT NOT NULL,
                    occurred_at BIGINT NOT NULL,
                    profile_key TEXT COLLATE "C" NOT NULL,
                    decision_id TEXT COLLATE "C",
                    pod_position INTEGER,
                    campaign_id TEXT COLLATE "C",
                    advertiser_id TEXT COLLATE "C",
                    creative_id TEXT COLLATE "C",
                    device TEXT COLLATE "C",
                    region TEXT COLLATE "C",
                    plan TEXT COLLATE "C",
                    title_id TEXT COLLATE "C",
                    genre TEXT COLLATE "C",
                    daypart TEXT COLLATE "C",
                    break_kind TEXT COLLATE "C",
                    impressions BIGINT NOT NULL,
                    clicks BIGINT NOT NULL,
                    completions BIGINT NOT NULL,
                    skips BIGINT NOT NULL,
                    abandons BIGINT NOT NULL,
                    spend_millicents BIGINT NOT NULL,
                    PRIMARY KEY (profile_key, source, seq)
                )
                """,
                "CREATE INDEX ad_facts_by_time ON ad_facts (occurred_at)",
                "CREATE INDEX ad_facts_by_source ON ad_facts (source, seq)",
                "CREATE INDEX ad_facts_by_campaign ON ad_facts (campaign_id, occurred_at) INCLUDE (impressions, clicks, spend_millicents)",
                """
                CREATE TABLE analytics_cursors (
                    source INTEGER PRIMARY KEY,
                    txid BIGINT NOT NULL
                )
                """,
                "INSERT INTO analytics_cursors (source, txid) VALUES (0, 0), (1, 0)",
            ] + changeVersionTriggers
        )
    ]

    /// A change version bumped by every statement that writes one of its tables.
    static let changeVersionTriggers: [String] = [
        ("advertisers", "ad_book"), ("campaigns", "ad_book"), ("creatives", "ad_book"), ("editorial_rules", "editorial"),
        ("titles", "catalog"), ("profiles", "profiles"), ("experiments", "experiments"), ("experiment_settings", "experiments"),
    ].map { table, kind in
        """
        CREATE TRIGGER \(table)_bump_\(kind) AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON \(table)
            FOR EACH STATEMENT EXECUTE FUNCTION marquee_bump_change_version('\(kind)')
        """
    }

    /// Applies the migrations not applied yet, each in its own transaction, under an advisory lock (so that
    /// processes starting together apply each once); returns the names applied.
    static func migrate(_ location: PostgresLocation, schema: String?, logger: Logger) async throws -> [String] {
        let connection = try await connect(location, schema: schema, logger: logger)
        do {
            let applied = try await migrate(on: connection, logger: logger)
            try? await connection.close()
            return applied
        } catch {
            try? await connection.close()
            throw translate(error, doing: "migrating the database", location: location)
        }
    }

    private static func migrate(on connection: PostgresConnection, logger: Logger) async throws -> [String] {
        // Lock per schema: two stores in different schemas of one database migrate independently.
        try await connection.query("SELECT pg_advisory_lock(hashtext('marquee.migrate.' || current_schema()))", logger: logger)
        do {
            try await connection.query(
                """
                CREATE TABLE IF NOT EXISTS schema_migrations (
                    name TEXT PRIMARY KEY,
                    applied_at TIMESTAMPTZ NOT NULL DEFAULT now()
                )
                """, logger: logger)
            var done = Set<String>()
            for try await name in try await connection.query("SELECT name FROM schema_migrations", logger: logger).decode(String.self) {
                done.insert(name)
            }
            let known = Set(migrations.map(\.name))
            if let unknown = done.subtracting(known).sorted().first {
                throw MarqueeError(
                    .internalFailure, code: "schema_too_new",
                    message:
                        "the database has migration '\(unknown)', which this version of marquee does not know: it was migrated by a newer version"
                )
            }
            var applied: [String] = []
            for migration in migrations where !done.contains(migration.name) {
                try await connection.query("BEGIN", logger: logger)
                do {
                    for statement in migration.statements {
                        try await connection.query(PostgresQuery(unsafeSQL: statement), logger: logger)
                    }
                    try await connection.query("INSERT INTO schema_migrations (name) VALUES (\(migration.name))", logger: logger)
                    try await connection.query("COMMIT", logger: logger)
                } catch {
                    _ = try? await connection.query("ROLLBACK", logger: logger)
                    throw error
                }
                applied.append(migration.name)
            }
            try await connection.query("SELECT pg_advisory_unlock(hashtext('marquee.migrate.' || current_schema()))", logger: logger)
            return applied
        } catch {
            _ = try? await connection.query(
                "SELECT pg_advisory_unlock(hashtext('marquee.migrate.' || current_schema()))", logger: logger)
            throw error
        }
    }
}
