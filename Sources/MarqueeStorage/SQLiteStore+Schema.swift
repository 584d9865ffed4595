import GRDB

extension SQLiteStore {
    /// The schema. Migrations are frozen once they land: change the schema only by adding a new one.
    static var migrator: DatabaseMigrator {
        var migrator = DatabaseMigrator()
        migrator.registerMigration("v1-foundation") { db in
            try db.execute(
                sql: """
                    CREATE TABLE meta (
                        key TEXT PRIMARY KEY NOT NULL,
                        value TEXT NOT NULL
                    ) WITHOUT ROWID;

                    CREATE TABLE profiles (
                        id TEXT PRIMARY KEY NOT NULL CHECK (length(id) BETWEEN 1 AND 128),
                        plan TEXT NOT NULL CHECK (plan IN ('adFree', 'standardWithAds', 'basicWithAds')),
                        region TEXT NOT NULL CHECK (length(region) BETWEEN 1 AND 32),
                        language TEXT NOT NULL CHECK (length(language) BETWEEN 1 AND 16),
                        maturity_limit TEXT NOT NULL CHECK (maturity_limit IN ('ALL', '7+', '13+', '16+', '18+')),
                        created_at INTEGER NOT NULL
                    ) WITHOUT ROWID;
                    CREATE INDEX profiles_by_plan ON profiles (plan, id);

                    CREATE TABLE titles (
                        id TEXT PRIMARY KEY NOT NULL CHECK (length(id) BETWEEN 1 AND 128),
                        kind TEXT NOT NULL CHECK (kind IN ('movie', 'series', 'episode')),
                        name TEXT NOT NULL CHECK (length(name) BETWEEN 1 AND 300),
                        maturity_rating TEXT NOT NULL CHECK (maturity_rating IN ('ALL', '7+', '13+', '16+', '18+')),
                        release_year INTEGER CHECK (release_year BETWEEN 1870 AND 2100),
                        runtime_seconds INTEGER CHECK (runtime_seconds > 0),
                        date_added INTEGER NOT NULL,
                        series_id TEXT,
                        doc TEXT NOT NULL CHECK (json_valid(doc))
                    ) WITHOUT ROWID;

                    CREATE TABLE artwork_images (
                        title_id TEXT NOT NULL REFERENCES titles (id) ON DELETE CASCADE,
                        variant_id TEXT NOT NULL,
                        content_type TEXT NOT NULL,
                        body BLOB NOT NULL,
                        PRIMARY KEY (title_id, variant_id)
                    ) WITHOUT ROWID;

                    CREATE TABLE advertisers (
                        id TEXT PRIMARY KEY NOT NULL,
                        name TEXT NOT NULL,
                        category TEXT NOT NULL
                    ) WITHOUT ROWID;

                    CREATE TABLE campaigns (
                        id TEXT PRIMARY KEY NOT NULL,
                        advertiser_id TEXT NOT NULL REFERENCES advertisers (id),
                        name TEXT NOT NULL,
                        status TEXT NOT NULL CHECK (status IN ('active', 'paused', 'archived')),
                        starts_at INTEGER NOT NULL,
                        ends_at INTEGER NOT NULL CHECK (ends_at > starts_at),
                        total_budget_cents INTEGER NOT NULL CHECK (total_budget_cents > 0),
                        daily_budget_cents INTEGER CHECK (daily_budget_cents > 0),
                        cpm_bid_cents INTEGER NOT NULL CHECK (cpm_bid_cents >= 0),
                        priority TEXT NOT NULL CHECK (priority IN ('sponsorship', 'standard', 'house')),
                        pacing TEXT NOT NULL CHECK (pacing IN ('even', 'asFastAsPossible')),
                        targeting TEXT NOT NULL CHECK (json_valid(targeting)),
                        cap_per_day INTEGER CHECK (cap_per_day > 0),
                        cap_per_week INTEGER CHECK (cap_per_week > 0),
                        cap_per_session INTEGER CHECK (cap_per_session > 0)
                    ) WITHOUT ROWID;

                    CREATE TABLE creatives (
                        id TEXT PRIMARY KEY NOT NULL,
                        campaign_id TEXT NOT NULL REFERENCES campaigns (id),
                        name TEXT NOT NULL,
                        duration_seconds INTEGER NOT NULL CHECK (duration_seconds IN (6, 15, 30, 60)),
                        media_url TEXT NOT NULL,
                        click_url TEXT NOT NULL,
                        category TEXT NOT NULL,
                        status TEXT NOT NULL CHECK (status IN ('active', 'paused', 'archived'))
                    ) WITHOUT ROWID;

                    -- Lookup tables: a foreign key costs one index probe per insert, where a CHECK with
                    -- an IN list builds an ephemeral table per row (a third of the insert time).
                    CREATE TABLE event_types (
                        name TEXT PRIMARY KEY NOT NULL,
                        is_ad INTEGER NOT NULL CHECK (is_ad IN (0, 1))
                    ) WITHOUT ROWID;
                    INSERT INTO event_types (name, is_ad) VALUES
                        ('play', 0), ('progress', 0), ('complete', 0), ('abandon', 0), ('rate', 0), ('like', 0),
                        ('dislike', 0), ('addToList', 0), ('impression', 0), ('click', 0), ('adImpression', 1),
                        ('adQuartile', 1), ('adComplete', 1), ('adClick', 1), ('adSkip', 1);
                    CREATE TABLE devices (name TEXT PRIMARY KEY NOT NULL) WITHOUT ROWID;
                    INSERT INTO devices (name) VALUES ('tv'), ('mobile'), ('web'), ('tablet');

                    -- The event log: append-only, the source of truth. seq is the order of arrival.
                    -- The ad types are exactly the types matching GLOB 'ad[A-Z]*' (addToList is not one).
                    CREATE TABLE events (
                        seq INTEGER PRIMARY KEY,
                        id TEXT NOT NULL UNIQUE CHECK (length(id) BETWEEN 1 AND 128),
                        profile_id TEXT NOT NULL REFERENCES profiles (id),
                        type TEXT NOT NULL REFERENCES event_types (name),
                        occurred_at INTEGER NOT NULL,
                        received_at INTEGER NOT NULL,
                        title_id TEXT REFERENCES titles (id),
                        decision_id TEXT,
                        device TEXT REFERENCES devices (name),
                        region TEXT,
                        session_id TEXT,
                        local_offset_minutes INTEGER CHECK (local_offset_minutes BETWEEN -840 AND 840),
                        position_seconds REAL CHECK (position_seconds >= 0),
                        duration_seconds REAL CHECK (duration_seconds > 0),
                        rating INTEGER CHECK (rating BETWEEN 1 AND 5),
                        row_name TEXT,
                        rank INTEGER CHECK (rank >= 0),
                        creative_id TEXT REFERENCES creatives (id),
                        campaign_id TEXT,
                        quartile INTEGER CHECK (quartile BETWEEN 1 AND 3),
                        CHECK (type GLOB 'ad[A-Z]*' OR title_id IS NOT NULL),
                        CHECK (NOT type GLOB 'ad[A-Z]*' OR creative_id IS NOT NULL),
                        CHECK (type <> 'rate' OR rating IS NOT NULL),
                        CHECK (type <> 'progress' OR (position_seconds IS NOT NULL AND duration_seconds IS NOT NULL))
                    );
                    CREATE INDEX events_by_profile_time ON events (profile_id, occurred_at);
                    CREATE TRIGGER events_are_append_only_update BEFORE UPDATE ON events
                        BEGIN SELECT RAISE(ABORT, 'the event log is append-only'); END;
                    CREATE TRIGGER events_are_append_only_delete BEFORE DELETE ON events
                        BEGIN SELECT RAISE(ABORT, 'the event log is append-only'); END;

                    CREATE TABLE api_keys (
                        id TEXT PRIMARY KEY NOT NULL,
                        name TEXT NOT NULL,
                        scope TEXT NOT NULL CHECK (scope IN ('admin', 'ingest', 'read')),
                        key_hash TEXT NOT NULL UNIQUE CHECK (length(key_hash) = 64),
                        created_at INTEGER NOT NULL
                    ) WITHOUT ROWID;
                    """)
        }
        migrator.registerMigration("v2-home") { db in
            try db.execute(
                sql: """
                    -- Editorial rules of the home page (pins, boosts, blocks, collections), as JSON documents.
                    CREATE TABLE editorial_rules (
                        id TEXT PRIMARY KEY NOT NULL CHECK (length(id) BETWEEN 1 AND 128),
                        kind TEXT NOT NULL CHECK (kind IN ('pin', 'boost', 'block', 'collection')),
                        created_at INTEGER NOT NULL,
                        doc TEXT NOT NULL CHECK (json_valid(doc))
                    ) WITHOUT ROWID;

                    -- The decision log of served home pages. items is a JSON array with one entry per
                    -- served item: [rowId, position, titleId, artworkVariant, artworkSegment,
                    -- artworkPropensity, propensity, explored]; json_each() joins it to events.decision_id.
                    CREATE TABLE home_decisions (
                        decision_id TEXT PRIMARY KEY NOT NULL,
                        profile_id TEXT NOT NULL,
                        served_at INTEGER NOT NULL,
                        device TEXT,
                        daypart TEXT NOT NULL,
                        items TEXT NOT NULL
                    ) WITHOUT ROWID;
                    CREATE INDEX home_decisions_by_time ON home_decisions (served_at);
                    CREATE INDEX events_by_decision ON events (decision_id) WHERE decision_id IS NOT NULL;
                    """)
        }
        migrator.registerMigration("v3-ads") { db in
            try db.execute(
                sql: """
                    -- The category competitive separation uses when it is not the advertiser's (NULL: the advertiser's).
                    ALTER TABLE campaigns ADD COLUMN competitive_category TEXT
                        CHECK (competitive_category IS NULL OR length(competitive_category) BETWEEN 1 AND 64);
                    -- The admin API lists campaigns by advertiser or status and creatives by campaign.
                    CREATE INDEX campaigns_by_advertiser ON campaigns (advertiser_id, id);
                    CREATE INDEX campaigns_by_status ON campaigns (status, id);
                    CREATE INDEX creatives_by_campaign ON creatives (campaign_id, id);
                    """)
        }
        migrator.registerMigration("v4-ad-decisions") { db in
            try db.execute(
                sql: """
                    -- One row per served ad pod; the pod (context, ads, propensities) as JSON in doc.
                    -- profile_key is the requested id, which may be unknown to the store (contextual decisions).
                    CREATE TABLE ad_decisions (
                        id TEXT PRIMARY KEY NOT NULL,
                        profile_key TEXT NOT NULL,
                        title_id TEXT NOT NULL,
                        served_at INTEGER NOT NULL,
                        ad_count INTEGER NOT NULL CHECK (ad_count >= 0),
                        doc TEXT NOT NULL
                    ) WITHOUT ROWID;
                    CREATE INDEX ad_decisions_by_time ON ad_decisions (served_at, id);
                    """)
        }
        migrator.registerMigration("v5-ad-beacons") { db in
            try db.execute(
                sql: """
                    -- A VAST <Error> beacon: the player could not show the ad, with the VAST error code if it gave one.
                    INSERT INTO event_types (name, is_ad) VALUES ('adError', 1);
                    ALTER TABLE events ADD COLUMN error_code INTEGER
                        CHECK (error_code IS NULL OR (type = 'adError' AND error_code BETWEEN 100 AND 999));

                    -- The beacons' ad events of viewers the store has no profile for (contextual pods), which the
                    -- event log cannot hold (its profile_id names a profile). Kept durably, under the beacon's
                    -- event id, so that a replayed beacon is a duplicate and their spend is rebuilt at start.
                    -- profile_key is the decision's viewer key as the event carried it.
                    CREATE TABLE contextual_ad_events (
                        seq INTEGER PRIMARY KEY,
                        id TEXT NOT NULL UNIQUE CHECK (length(id) BETWEEN 1 AND 128),
                        profile_key TEXT NOT NULL CHECK (length(profile_key) BETWEEN 1 AND 128),
                        type TEXT NOT NULL REFERENCES event_types (name) CHECK (type GLOB 'ad[A-Z]*'),
                        occurred_at INTEGER NOT NULL,
                        received_at INTEGER NOT NULL,
                        decision_id TEXT,
                        device TEXT REFERENCES devices (name),
                        region TEXT,
                        session_id TEXT,
                        rank INTEGER CHECK (rank >= 0),
                        creative_id TEXT NOT NULL REFERENCES creatives (id),
                        campaign_id TEXT,
                        quartile INTEGER CHECK (quartile BETWEEN 1 AND 3),
                        error_code INTEGER CHECK (error_code IS NULL OR (type = 'adError' AND error_code BETWEEN 100 AND 999))
                    );
                    CREATE TRIGGER contextual_ad_events_are_append_only_update BEFORE UPDATE ON contextual_ad_events
                        BEGIN SELECT RAISE(ABORT, 'the event log is append-only'); END;
                    CREATE TRIGGER contextual_ad_events_are_append_only_delete BEFORE DELETE ON contextual_ad_events
                        BEGIN SELECT RAISE(ABORT, 'the event log is append-only'); END;
                    """)
        }
        migrator.registerMigration("v6-api-key-lifecycle") { db in
            try db.execute(
                sql: """
                    -- A key may expire and may be revoked (times in ms; NULL: never, not revoked); last_four
                    -- tells keys apart in `marquee keys list` (NULL for keys made before it was kept).
                    ALTER TABLE api_keys ADD COLUMN expires_at INTEGER;
                    ALTER TABLE api_keys ADD COLUMN revoked_at INTEGER;
                    ALTER TABLE api_keys ADD COLUMN last_four TEXT CHECK (last_four IS NULL OR length(last_four) <= 4);
                    """)
        }
        migrator.registerMigration("v7-ad-event-index") { db in
            // The ad state is rebuilt at start-up from ad events and abandons only: a partial index lets
            // it read them without scanning a log of millions of viewing events.
            try db.execute(
                sql: """
                    CREATE INDEX events_for_ads ON events (seq) WHERE type GLOB 'ad[A-Z]*' OR type = 'abandon';
                    """)
        }
        migrator.registerMigration("v8-shared-serving-state") { db in
            // What every process serving this store must agree on beyond the data itself: secrets (the
            // beacon-signing key, created once by whichever process asks first) and a version per kind of
            // cached state, bumped by triggers on every write, so that a process polls one small table
            // to learn that another changed the ad book, the editorial rules, the catalog or the profiles.
            try db.execute(
                sql: """
                    CREATE TABLE shared_secrets (
                        name TEXT PRIMARY KEY NOT NULL,
                        value BLOB NOT NULL CHECK (length(value) >= 32)
                    ) WITHOUT ROWID;
                    CREATE TABLE change_versions (
                        name TEXT PRIMARY KEY NOT NULL,
                        version INTEGER NOT NULL DEFAULT 0
                    ) WITHOUT ROWID;
                    INSERT INTO change_versions (name) VALUES ('ad_book'), ('editorial'), ('catalog'), ('profiles');
                    """)
            for (table, kind) in [
                ("advertisers", "ad_book"), ("campaigns", "ad_book"), ("creatives", "ad_book"), ("editorial_rules", "editorial"),
                ("titles", "catalog"), ("profiles", "profiles"),
            ] {
                for operation in ["INSERT", "UPDATE", "DELETE"] {
                    try db.execute(
                        sql: """
                            CREATE TRIGGER \(table)_\(operation.lowercased())_bumps_\(kind) AFTER \(operation) ON \(table)
                            BEGIN UPDATE change_versions SET version = version + 1 WHERE name = '\(kind)'; END;
                            """)
                }
            }
        }
        migrator.registerMigration("v9-artwork-stats") { db in
            // The artwork bandit's counts, kept by the store: impressions added when pages are logged,
            // rewards when a click or play first joins a page for a title. A start-up reads this table
            // instead of every logged page. Filled here from the pages logged so far (format 1 JSON).
            try db.execute(
                sql: """
                    CREATE TABLE artwork_stats (
                        title_id TEXT NOT NULL,
                        variant TEXT NOT NULL,
                        segment TEXT NOT NULL,
                        impressions INTEGER NOT NULL DEFAULT 0 CHECK (impressions >= 0),
                        rewards INTEGER NOT NULL DEFAULT 0 CHECK (rewards >= 0),
                        PRIMARY KEY (title_id, variant, segment)
                    ) WITHOUT ROWID;
                    INSERT INTO artwork_stats (title_id, variant, segment, impressions, rewards)
                    SELECT json_extract(j.value, '$[2]'), json_extract(j.value, '$[3]'), json_extract(j.value, '$[4]'), COUNT(*),
                        SUM(EXISTS (SELECT 1 FROM events e WHERE e.decision_id = d.decision_id
                            AND e.title_id = json_extract(j.value, '$[2]') AND e.type IN ('click', 'play')))
                    FROM home_decisions d, json_each(d.items) j
                    WHERE typeof(d.items) = 'text' AND json_extract(j.value, '$[3]') IS NOT NULL
                        AND json_extract(j.value, '$[4]') IS NOT NULL
                    GROUP BY 1, 2, 3;
                    """)
        }
        migrator.registerMigration("v10-delivery-ledger") { db in
            // The delivery ledger (issue 14): spend, reservations and cap counts, shared by every process
            // serving the store. Amounts in millicents (an impression at a CPM of c cents costs c);
            // days are delivery days (UTC days since 1970-01-01).
            try db.execute(
                sql: """
                    -- A campaign's account over all days, and per delivery day (daily budgets, "spent today").
                    CREATE TABLE ledger_accounts (
                        campaign_id TEXT PRIMARY KEY NOT NULL REFERENCES campaigns (id),
                        spent_millicents INTEGER NOT NULL CHECK (spent_millicents >= 0),
                        reserved_millicents INTEGER NOT NULL CHECK (reserved_millicents >= 0),
                        impressions INTEGER NOT NULL CHECK (impressions >= 0)
                    ) WITHOUT ROWID;
                    CREATE TABLE ledger_account_days (
                        campaign_id TEXT NOT NULL REFERENCES ledger_accounts (campaign_id),
                        day INTEGER NOT NULL,
                        spent_millicents INTEGER NOT NULL CHECK (spent_millicents >= 0),
                        reserved_millicents INTEGER NOT NULL CHECK (reserved_millicents >= 0),
                        impressions INTEGER NOT NULL CHECK (impressions >= 0),
                        PRIMARY KEY (campaign_id, day)
                    ) WITHOUT ROWID;

                    -- Ads served to a viewer (the requested profile key, which may be contextual) per campaign
                    -- and day: the per-day and per-week caps. Counted when served, never uncounted.
                    CREATE TABLE ledger_exposures (
                        profile_key TEXT NOT NULL,
                        campaign_id TEXT NOT NULL,
                        day INTEGER NOT NULL,
                        exposures INTEGER NOT NULL CHECK (exposures > 0),
                        PRIMARY KEY (profile_key, campaign_id, day)
                    ) WITHOUT ROWID;

                    -- Ads of each campaign served in a session: the per-session caps.
                    CREATE TABLE ledger_sessions (
                        session_id TEXT NOT NULL,
                        campaign_id TEXT NOT NULL,
                        ads INTEGER NOT NULL CHECK (ads > 0),
                        last_served_at INTEGER NOT NULL,
                        PRIMARY KEY (session_id, campaign_id)
                    ) WITHOUT ROWID;

                    -- One row per granted ad, under its decision id and served slot (the beacons' rank). An
                    -- impression confirms it (reserved turns into spent); the release frees the budget of
                    -- one never confirmed.
                    CREATE TABLE ledger_reservations (
                        decision_id TEXT NOT NULL,
                        slot INTEGER NOT NULL CHECK (slot >= 0),
                        campaign_id TEXT NOT NULL REFERENCES ledger_accounts (campaign_id),
                        day INTEGER NOT NULL,
                        served_at INTEGER NOT NULL,
                        price_millicents INTEGER NOT NULL CHECK (price_millicents >= 0),
                        state TEXT NOT NULL CHECK (state IN ('reserved', 'confirmed', 'released')),
                        PRIMARY KEY (decision_id, slot)
                    ) WITHOUT ROWID;
                    CREATE INDEX ledger_reservations_unconfirmed ON ledger_reservations (served_at) WHERE state = 'reserved';

                    -- The ledger's answer for each proposed ad of a decision ("0,1,total": granted slots and
                    -- refusals), returned again when the decision is replayed. NULL: logged without the ledger.
                    ALTER TABLE ad_decisions ADD COLUMN outcomes TEXT;

                    -- Backfill from the impressions already stored, charged at each campaign's current CPM.
                    CREATE TEMP TABLE ledger_backfill AS
                        SELECT cr.campaign_id AS campaign_id, ca.cpm_bid_cents AS price, i.profile_key AS profile_key,
                            CASE WHEN i.occurred_at >= 0 THEN i.occurred_at / 86400000
                                ELSE (i.occurred_at - 86399999) / 86400000 END AS day
                        FROM (
                            SELECT creative_id, profile_id AS profile_key, occurred_at FROM events
                                WHERE (type GLOB 'ad[A-Z]*' OR type = 'abandon') AND type = 'adImpression'
                            UNION ALL
                            SELECT creative_id, profile_key, occurred_at FROM contextual_ad_events WHERE type = 'adImpression'
                        ) AS i
                        JOIN creatives AS cr ON cr.id = i.creative_id
                        JOIN campaigns AS ca ON ca.id = cr.campaign_id;
                    INSERT INTO ledger_accounts (campaign_id, spent_millicents, reserved_millicents, impressions)
                        SELECT campaign_id, SUM(price), 0, COUNT(*) FROM ledger_backfill GROUP BY campaign_id;
                    INSERT INTO ledger_account_days (campaign_id, day, spent_millicents, reserved_millicents, impressions)
                        SELECT campaign_id, day, SUM(price), 0, COUNT(*) FROM ledger_backfill GROUP BY campaign_id, day;
                    INSERT INTO ledger_exposures (profile_key, campaign_id, day, exposures)
                        SELECT profile_key, campaign_id, day, COUNT(*) FROM ledger_backfill GROUP BY profile_key, campaign_id, day;
                    DROP TABLE ledger_backfill;
                    """)
        }
        migrator.registerMigration("v11-state-checkpoints") { db in
            // Consumers' checkpoints (issue 14): the live home signals, the ad delivery fold and the CTR
            // model saved with how far they reach, so a start reads a checkpoint and the history after it.
            try db.execute(
                sql: """
                    CREATE TABLE state_checkpoints (
                        name TEXT PRIMARY KEY NOT NULL,
                        format INTEGER NOT NULL,
                        progress INTEGER NOT NULL,
                        state BLOB NOT NULL,
                        written_at_ms INTEGER NOT NULL
                    ) WITHOUT ROWID;
                    """)
        }
        migrator.registerMigration("v12-contextual-outcomes-index") { db in
            // The shared CTR learner joins logged decisions to their impressions and clicks in both logs.
            try db.execute(
                sql: """
                    CREATE INDEX contextual_ad_events_by_decision ON contextual_ad_events (decision_id) WHERE decision_id IS NOT NULL;
                    """)
        }
        migrator.registerMigration("v13-experiments") { db in
            // Experiments as data (issue 15): the definition as JSON with its version (an update names the
            // version it replaces, so two processes cannot both win), each unit's first exposure, and the
            // holdout share. Writes bump the 'experiments' change version, which every process polls.
            try db.execute(
                sql: """
                    CREATE TABLE experiments (
                        key TEXT PRIMARY KEY NOT NULL,
                        version INTEGER NOT NULL,
                        status TEXT NOT NULL,
                        body TEXT NOT NULL,
                        updated_at_ms INTEGER NOT NULL
                    ) WITHOUT ROWID;
                    CREATE TABLE experiment_exposures (
                        experiment_key TEXT NOT NULL,
                        profile_id TEXT NOT NULL,
                        variant INTEGER NOT NULL,
                        first_at_ms INTEGER NOT NULL,
                        PRIMARY KEY (experiment_key, profile_id)
                    ) WITHOUT ROWID;
                    CREATE TABLE experiment_settings (
                        name TEXT PRIMARY KEY NOT NULL,
                        value REAL NOT NULL
                    ) WITHOUT ROWID;
                    INSERT INTO change_versions (name) VALUES ('experiments');
                    """)
            for table in ["experiments", "experiment_settings"] {
                for operation in ["INSERT", "UPDATE", "DELETE"] {
                    try db.execute(
                        sql: """
                            CREATE TRIGGER \(table)_\(operation.lowercased())_bumps_experiments AFTER \(operation) ON \(table)
                            BEGIN UPDATE change_versions SET version = version + 1 WHERE name = 'experiments'; END;
                            """)
                }
            }
        }
        migrator.registerMigration("v14-analytics-facts") { db in
            // The analytics layer's ad facts (issue 16): one row per ad event a measure counts, with the
            // dimensions of the decision that served it and its price, derived from the event log (source 0)
            // and the contextual ad events (source 1) by a cursor per source. Rebuildable from the logs.
            // profile_key is the viewer (a profile id, or a contextual viewer key); spend is in millicents
            // (a CPM in cents is what one impression costs in thousandths of a cent). The counters and the viewer
            // come first in each row: the aggregates read them without decoding the dimensions after them.
            try db.execute(
                sql: """
                    CREATE TABLE ad_facts (
                        occurred_at INTEGER NOT NULL,
                        source INTEGER NOT NULL,
                        seq INTEGER NOT NULL,
                        impressions INTEGER NOT NULL,
                        clicks INTEGER NOT NULL,
                        completions INTEGER NOT NULL,
                        skips INTEGER NOT NULL,
                        abandons INTEGER NOT NULL,
                        spend_millicents INTEGER NOT NULL,
                        profile_key TEXT NOT NULL,
                        campaign_id TEXT,
                        advertiser_id TEXT,
                        creative_id TEXT,
                        device TEXT,
                        region TEXT,
                        plan TEXT,
                        daypart TEXT,
                        genre TEXT,
                        break_kind TEXT,
                        pod_position INTEGER,
                        title_id TEXT,
                        decision_id TEXT,
                        PRIMARY KEY (occurred_at, source, seq)
                    ) WITHOUT ROWID;
                    -- Stored in time order: a question about a period reads only its rows. The source row is unique
                    -- (a refresh that meets it again skips it); a campaign's delivery is read from its index alone.
                    CREATE UNIQUE INDEX ad_facts_by_source ON ad_facts (source, seq);
                    CREATE INDEX ad_facts_by_campaign ON ad_facts (campaign_id, occurred_at, impressions, clicks, spend_millicents);
                    CREATE INDEX ad_facts_by_advertiser ON ad_facts (advertiser_id, occurred_at);
                    CREATE TABLE analytics_cursors (
                        source INTEGER PRIMARY KEY NOT NULL,
                        seq INTEGER NOT NULL
                    ) WITHOUT ROWID;
                    INSERT INTO analytics_cursors (source, seq) VALUES (0, 0), (1, 0);
                    """)
        }
        return migrator
    }
}
