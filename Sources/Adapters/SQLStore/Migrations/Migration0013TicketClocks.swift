/// Next-response and resolution SLA clocks, the queue's "due first" order, per-department SLA targets,
/// and SLA outcomes that may repeat per ticket (one per next response).
let migration0013TicketClocks = Migration(version: 13, name: "ticket_clocks") { d in
    [
        "ALTER TABLE tickets ADD COLUMN next_response_due_at BIGINT NULL",
        "ALTER TABLE tickets ADD COLUMN next_response_breached_at BIGINT NULL",
        "ALTER TABLE tickets ADD COLUMN resolution_due_at BIGINT NULL",
        "ALTER TABLE tickets ADD COLUMN resolution_breached_at BIGINT NULL",
        // The earliest running due time, kept by the store on every write, for the "SLA due first" order; tickets
        // without a running clock (paused, answered and resolved, finished) hold the far-future sentinel, so the
        // order is a plain index scan on (workspace_id, sla_due_at) that stops after one page.
        "ALTER TABLE tickets ADD COLUMN sla_due_at BIGINT NOT NULL DEFAULT 253402300799999",
        """
        UPDATE tickets SET sla_due_at = first_response_due_at
        WHERE first_response_at IS NULL AND sla_paused_at IS NULL AND merged_into IS NULL AND status IN ('open', 'pending')
        """,
        "CREATE INDEX ix_tickets_sla_due ON tickets (workspace_id, sla_due_at)",
        "ALTER TABLE departments ADD COLUMN sla_json \(d.text) NULL",
        d.dialect == .mariadb ? "DROP INDEX ux_ticket_sla_outcomes ON ticket_sla_outcomes" : "DROP INDEX ux_ticket_sla_outcomes",
        "CREATE UNIQUE INDEX ux_ticket_sla_outcomes ON ticket_sla_outcomes (workspace_id, ticket_id, metric, due_at)",
    ]
}
