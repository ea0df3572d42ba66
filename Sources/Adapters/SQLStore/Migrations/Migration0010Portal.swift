/// The customer ticket portal: access keys of anonymous customers, one or more per ticket. Only the
/// SHA-256 of a key is stored; the key itself is shown once, to the customer who opened the ticket.
let migration0010Portal = Migration(version: 10, name: "ticket portal keys") { d in
    [
        """
        CREATE TABLE ticket_portal_keys (
          \(d.autoID),
          workspace_id BIGINT NOT NULL,
          ticket_id BIGINT NOT NULL,
          key_hash \(d.token(64)) NOT NULL,
          created_at BIGINT NOT NULL
        )\(d.tableOptions)
        """,
        "CREATE INDEX ix_ticket_portal_keys_ticket ON ticket_portal_keys (workspace_id, ticket_id)",
    ]
}
