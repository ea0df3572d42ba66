/// Workspaces, users, the event outbox, jobs, schedules and worker heartbeats.
let migration0001Core = Migration(version: 1, name: "core") { d in
    [
        """
        CREATE TABLE workspaces (
          \(d.autoID),
          name \(d.varchar(190)) NOT NULL,
          domain \(d.varchar(255)) NOT NULL,
          description \(d.text) NOT NULL,
          site_key \(d.token(64)) NOT NULL,
          site_secret_enc \(d.text) NOT NULL,
          created_at BIGINT NOT NULL,
          archived_at BIGINT NULL
        )\(d.tableOptions)
        """,
        "CREATE UNIQUE INDEX ux_workspaces_site_key ON workspaces (site_key)",
        """
        CREATE TABLE users (
          \(d.autoID),
          email \(d.varchar(190)) NOT NULL,
          name \(d.varchar(190)) NOT NULL,
          role \(d.varchar(20)) NOT NULL,
          password_hash \(d.varchar(255)) NOT NULL,
          active INTEGER NOT NULL DEFAULT 1,
          created_at BIGINT NOT NULL,
          updated_at BIGINT NOT NULL
        )\(d.tableOptions)
        """,
        "CREATE UNIQUE INDEX ux_users_email ON users (email)",
        """
        CREATE TABLE sequences (
          name \(d.token(64)) NOT NULL PRIMARY KEY,
          value BIGINT NOT NULL
        )\(d.tableOptions)
        """,
        "INSERT INTO sequences (name, value) VALUES ('events', 0)",
        """
        CREATE TABLE events (
          seq BIGINT NOT NULL PRIMARY KEY,
          event_id \(d.token(40)) NOT NULL,
          workspace_id BIGINT NULL,
          type \(d.varchar(100)) NOT NULL,
          payload \(d.text) NOT NULL,
          created_at BIGINT NOT NULL
        )\(d.tableOptions)
        """,
        "CREATE UNIQUE INDEX ux_events_event_id ON events (event_id)",
        "CREATE INDEX ix_events_workspace_seq ON events (workspace_id, seq)",
        """
        CREATE TABLE jobs (
          \(d.autoID),
          queue \(d.token(64)) NOT NULL,
          kind \(d.token(100)) NOT NULL,
          payload \(d.text) NOT NULL,
          workspace_id BIGINT NULL,
          status \(d.token(16)) NOT NULL,
          attempts INTEGER NOT NULL DEFAULT 0,
          max_attempts INTEGER NOT NULL,
          run_at BIGINT NOT NULL,
          lease_until BIGINT NULL,
          locked_by \(d.token(100)) NULL,
          last_error \(d.text) NULL,
          unique_key \(d.token(190)) NULL,
          created_at BIGINT NOT NULL,
          updated_at BIGINT NOT NULL,
          finished_at BIGINT NULL
        )\(d.tableOptions)
        """,
        "CREATE INDEX ix_jobs_claim ON jobs (status, queue, run_at)",
        "CREATE INDEX ix_jobs_lease ON jobs (status, lease_until)",
        "CREATE UNIQUE INDEX ux_jobs_unique_key ON jobs (unique_key)",
        """
        CREATE TABLE schedule_ticks (
          task \(d.token(100)) NOT NULL,
          tick_at BIGINT NOT NULL,
          claimed_at BIGINT NOT NULL,
          claimed_by \(d.token(100)) NOT NULL,
          PRIMARY KEY (task, tick_at)
        )\(d.tableOptions)
        """,
        """
        CREATE TABLE worker_heartbeats (
          worker_id \(d.token(100)) NOT NULL PRIMARY KEY,
          host \(d.varchar(190)) NOT NULL,
          pid INTEGER NOT NULL,
          started_at BIGINT NOT NULL,
          last_seen_at BIGINT NOT NULL,
          jobs_done BIGINT NOT NULL
        )\(d.tableOptions)
        """,
    ]
}

/// Every migration, in order. Append only: never edit or reorder an entry that has shipped.
public let allMigrations: [Migration] = [
    migration0001Core,
    migration0002Access,
    migration0003Tracking,
    migration0004Sessions,
    migration0005VisitorSalts,
    migration0006Rollups,
    migration0007Tickets,
    migration0008CannedAttachments,
    migration0009Mail,
    migration0010Portal,
    migration0011AnalyticsIndexes,
    migration0013TicketClocks,
    migration0014Mailboxes,
    migration0015Webhooks,
    migration0018Automations,
    migration0019PlatformWebhooks,
    migration0021MessageHTML,
    migration0023DailyVisitorRollups,
    migration0024VisitLogIndex,
    migration0025VisitLogCounts,
    migration0026SessionIntent,
    migration0027PageDayRollups,
    migration0028EventLogCounts,
    migration0029IntentDays,
]
