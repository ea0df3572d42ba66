/// The helpdesk core: tickets (numbered per workspace), their messages, SLA outcomes and the per-site
/// ticket number counter.
let migration0007Tickets = Migration(version: 7, name: "tickets") { d in
    [
        """
        CREATE TABLE tickets (
          \(d.autoID),
          workspace_id BIGINT NOT NULL,
          number BIGINT NOT NULL,
          subject \(d.varchar(255)) NOT NULL,
          department_id BIGINT NULL,
          priority \(d.token(16)) NOT NULL,
          status \(d.token(24)) NOT NULL,
          customer_email \(d.varchar(190)) NOT NULL,
          customer_name \(d.varchar(190)) NOT NULL,
          assignee_id BIGINT NULL,
          locked INTEGER NOT NULL DEFAULT 0,
          merged_into BIGINT NULL,
          created_at BIGINT NOT NULL,
          updated_at BIGINT NOT NULL,
          first_response_at BIGINT NULL,
          resolved_at BIGINT NULL,
          first_response_due_at BIGINT NULL,
          sla_paused_at BIGINT NULL,
          sla_paused_seconds BIGINT NOT NULL DEFAULT 0,
          sla_breached_at BIGINT NULL
        )\(d.tableOptions)
        """,
        "CREATE UNIQUE INDEX ux_tickets_number ON tickets (workspace_id, number)",
        "CREATE INDEX ix_tickets_queue ON tickets (workspace_id, status, priority, updated_at)",
        "CREATE INDEX ix_tickets_updated ON tickets (workspace_id, updated_at)",
        "CREATE INDEX ix_tickets_assignee ON tickets (workspace_id, assignee_id, status, updated_at)",
        "CREATE INDEX ix_tickets_department ON tickets (workspace_id, department_id, status, updated_at)",
        "CREATE INDEX ix_tickets_sla ON tickets (workspace_id, first_response_at, first_response_due_at)",
        "CREATE INDEX ix_tickets_customer ON tickets (workspace_id, customer_email)",
        """
        CREATE TABLE ticket_messages (
          \(d.autoID),
          ticket_id BIGINT NOT NULL,
          workspace_id BIGINT NOT NULL,
          author_kind \(d.token(16)) NOT NULL,
          author_user_id BIGINT NULL,
          author_email \(d.varchar(190)) NOT NULL,
          body \(d.text) NOT NULL,
          internal INTEGER NOT NULL DEFAULT 0,
          created_at BIGINT NOT NULL,
          message_id \(d.token(255)) NULL
        )\(d.tableOptions)
        """,
        "CREATE INDEX ix_ticket_messages_ticket ON ticket_messages (workspace_id, ticket_id, created_at)",
        "CREATE INDEX ix_ticket_messages_message_id ON ticket_messages (workspace_id, message_id)",
        """
        CREATE TABLE ticket_counters (
          workspace_id BIGINT NOT NULL PRIMARY KEY,
          last_number BIGINT NOT NULL
        )\(d.tableOptions)
        """,
        """
        CREATE TABLE ticket_sla_outcomes (
          \(d.autoID),
          workspace_id BIGINT NOT NULL,
          ticket_id BIGINT NOT NULL,
          metric \(d.token(32)) NOT NULL,
          priority \(d.token(16)) NOT NULL,
          due_at BIGINT NOT NULL,
          achieved_at BIGINT NOT NULL,
          hit INTEGER NOT NULL,
          created_at BIGINT NOT NULL
        )\(d.tableOptions)
        """,
        "CREATE UNIQUE INDEX ux_ticket_sla_outcomes ON ticket_sla_outcomes (workspace_id, ticket_id, metric)",
        "CREATE INDEX ix_ticket_sla_outcomes_time ON ticket_sla_outcomes (workspace_id, achieved_at)",
    ]
}
